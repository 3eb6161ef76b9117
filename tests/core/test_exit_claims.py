"""Work claimed since the last acceptance counts in the exit settlement, in journal order.

Worked on heat-sensor-housing: Ridgeline prepays 30,000; design-freeze (invoice 14,800) is
accepted on 2026-09-18; prototype-samples is rejected on 2026-12-04 and missed when its cure
period ends on 2026-12-24. Kestrel claims 9,000 of completed work on 2026-09-18, the day of the
acceptance, after it. A buyer's convenience exit deducts claimed work in full::

    unused = 30,000 − 14,800 = 15,200; claimed = 9,000; refund = 15,200 − 9,000 = 6,200

A claim recorded the same day but before the acceptance was settled by that acceptance and
does not count.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from copact.core import commands
from copact.core.events import Event
from copact.core.settlement import settle_exit
from copact.core.state import deal_state
from tests.core.test_journal_state import DESIGN_EVIDENCE, HEAT


def _journal(claim_first: bool) -> list[Event]:
    journal: list[Event] = []

    def run(command, **kwargs) -> None:  # type: ignore[no-untyped-def]
        journal.extend(command(HEAT, deal_state(HEAT, journal, on=kwargs["at"]), **kwargs))

    accept_day = date(2026, 9, 18)
    run(
        commands.pay,
        payer="ridgeline",
        payee="kestrel",
        amount=Decimal(30000),
        ref="PP-1",
        at=date(2026, 7, 15),
        for_="prepaid",
    )
    run(
        commands.submit,
        milestone="design-freeze",
        evidence=DESIGN_EVIDENCE,
        by="luis",
        at=date(2026, 9, 15),
    )
    claim = {"amount": Decimal(9000), "for_": "mould steel cut", "evidence": [], "at": accept_day}
    if claim_first:
        run(commands.claim, **claim)
    run(commands.accept, milestone="design-freeze", by="marcus", at=accept_day)
    if not claim_first:
        run(commands.claim, **claim)
    return journal


def test_a_claim_made_after_the_acceptance_on_the_same_day_is_deducted() -> None:
    s = settle_exit(HEAT, _journal(claim_first=False), trigger="convenience", on=date(2026, 10, 1))
    assert (str(s.unused), str(s.claimed), str(s.refund)) == (
        "15200.00 USD",
        "9000.00 USD",
        "6200.00 USD",
    )


def test_a_claim_made_before_the_acceptance_on_the_same_day_is_not() -> None:
    s = settle_exit(HEAT, _journal(claim_first=True), trigger="convenience", on=date(2026, 10, 1))
    assert (str(s.claimed), str(s.refund)) == ("0.00 USD", "15200.00 USD")


def test_a_claim_on_the_day_a_milestone_is_deemed_accepted_comes_before_it() -> None:
    """Deemed acceptance happens at the end of the review period's last business day: a claim
    that day was made before it; a claim the next day after it."""
    journal: list[Event] = []

    def run(command, **kwargs) -> None:  # type: ignore[no-untyped-def]
        journal.extend(command(HEAT, deal_state(HEAT, journal, on=kwargs["at"]), **kwargs))

    run(
        commands.submit,
        milestone="design-freeze",
        evidence=DESIGN_EVIDENCE,
        by="luis",
        at=date(2026, 9, 15),
    )
    deemed = deal_state(HEAT, journal, on=date(2026, 10, 30)).milestones["design-freeze"]
    assert deemed.deemed and deemed.accepted_on is not None
    run(commands.claim, amount=Decimal(1000), for_="a", evidence=[], at=deemed.accepted_on)
    later = date.fromordinal(deemed.accepted_on.toordinal() + 1)
    run(commands.claim, amount=Decimal(2500), for_="b", evidence=[], at=later)
    s = settle_exit(HEAT, journal, trigger="convenience", on=date(2026, 10, 30))
    assert str(s.claimed) == "2500.00 USD"
