"""A supplier's work claims are bounded in all, not only one by one: on the buyer's exit for
convenience or a change of control they are deducted in full, so claims beyond what the open
work is worth would turn the buyer's refund into a debt the deal never priced.

Worked on the seasonal-packaging deal (``examples/seasonal-packaging.yaml``): Van Dijk buys
310,000.00 EUR of boxes from Rijnpak (joris), Dutch VAT 21%, milestones of 10/25/30/25/10%.
Before any acceptance the open work is worth 310,000.00 x 1.21 = 375,100.00 as invoiced; once
samples-approved (10%: 31,000.00 + 6,510.00 VAT = 37,510.00) is accepted, 337,590.00 is left.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core import commands
from copact.core.events import Accepted, Event, EvidenceRef, Signed, Submitted
from copact.core.settlement import settle_exit
from copact.core.state import deal_state
from copact.errors import RefusedCommand
from tests.conftest import load_example

DEAL = load_example("seasonal-packaging.yaml")
DAY = date(2026, 8, 3)
SIGNED = Signed(at=date(2026, 7, 1), deal=DEAL.id, by=["sanne", "joris"])
SAMPLES = ("test-report", "colour-report", "photo", "signed-acceptance")


def _claim(events: list[Event], amount: str, on: date = DAY) -> list[Event]:
    state = deal_state(DEAL, events, on=on)
    return commands.claim(
        DEAL, state, amount=Decimal(amount), for_="die cutting", evidence=[], at=on, by="joris"
    )


def _accept_samples(on: date) -> list[Event]:
    evidence = [
        EvidenceRef(name=f"{k}.pdf", sha256=f"{n:064x}", kind=k) for n, k in enumerate(SAMPLES)
    ]
    return [
        Submitted(at=on, deal=DEAL.id, milestone="samples-approved", evidence=evidence, by="joris"),
        Accepted(at=on, deal=DEAL.id, milestone="samples-approved", by="pieter"),
    ]


def test_claims_come_to_at_most_what_the_open_work_is_worth() -> None:
    events: list[Event] = [SIGNED]
    events += _claim(events, "300000.00")
    events += _claim(events, "75100.00")  # 375,100.00 in all: every milestone's work
    with pytest.raises(RefusedCommand) as refused:
        _claim(events, "0.01")
    assert "375,100.01" in str(refused.value) and "375,100.00" in str(refused.value)


def test_an_acceptance_settles_the_claims_before_it_and_shrinks_the_open_work() -> None:
    events: list[Event] = [SIGNED]
    events += _claim(events, "200000.00")
    later = DAY + timedelta(days=7)
    events += _accept_samples(later)
    # the 200,000.00 before the acceptance no longer counts; the next stretch is bounded by
    # the four milestones left
    events += _claim(events, "337590.00", on=later + timedelta(days=1))
    with pytest.raises(RefusedCommand, match=r"337,590\.01, more than the 337,590\.00"):
        _claim(events, "0.01", on=later + timedelta(days=1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=20_000_000), min_size=1, max_size=12))
def test_a_convenience_exit_never_deducts_more_than_the_open_work(cents: list[int]) -> None:
    """However the supplier claims, the claims the guard lets in add up to at most the open
    work, and so does what a convenience exit deducts from the buyer's refund."""
    events: list[Event] = [SIGNED]
    for c in cents:
        try:
            events += _claim(events, str(Decimal(c).scaleb(-2)))
        except RefusedCommand as exc:
            assert "more than the 375,100.00" in str(exc)
    claimed = sum((e.amount for e in events if e.type == "work-claimed"), Decimal(0))
    assert claimed <= Decimal("375100.00")
    settlement = settle_exit(DEAL, events, trigger="convenience", on=DAY, by="van-dijk")
    assert settlement.deduction.amount == claimed <= Decimal("375100.00")
