"""A service period's money: its invoice is never drawn from the prepaid advance (the advance
funds the milestones), and an exit settlement counts what the service billed as earned:
unpaid, it is netted against the refund; paid, the payment comes back with the unused
advance. hybrid-dc1 with a 50,000.00 advance added, March 2027 settled at 4,000.00 less a
credit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core import commands
from copact.core.deal import Deal
from copact.core.events import Event, Payment, SiteSettlement
from copact.core.mechanisms import Prepaid
from copact.core.service import invoice_service, settle_service
from copact.core.settlement import settle_exit
from copact.core.state import deal_state
from copact.dealfile.loader import load_text
from tests.conftest import EXAMPLES

DAY = date(2027, 4, 2)


def _deal() -> Deal:
    path = EXAMPLES / "hybrid-dc1.yaml"
    deal = load_text(path.read_text(encoding="utf-8"), str(path)).deal
    assert deal is not None
    return deal.model_copy(update={"prepaid": Prepaid(amount=Decimal(50000))})


def _journal(deal: Deal, credits: Decimal) -> list[Event]:
    events: list[Event] = commands.sign(
        deal, deal_state(deal, [], on=DAY), by=["ana", "sam"], at=DAY
    )
    # the advance, recorded as an old journal does (counted as recorded: no confirmation)
    events.append(
        Payment(
            at=DAY,
            deal=deal.id,
            from_="acme",
            to="voltworks",
            amount=Decimal(50000),
            ref="PP-1",
            for_="prepaid",
        )
    )
    site = SiteSettlement(
        site="dc1",
        fee=Decimal("4000.00"),
        credits=credits,
        bonuses=Decimal(0),
        amount=Decimal("4000.00") - credits,
    )
    events += settle_service(
        deal,
        deal_state(deal, events, on=DAY),
        period="2027-03",
        sites=[site],
        inputs="sha256:" + "a" * 64,
        flags=[],
        by="sam",
        at=DAY,
    )
    events += invoice_service(
        deal, deal_state(deal, events, on=DAY), period="2027-03", number="VW-S-1", at=DAY
    )
    return events


@settings(deadline=None)  # the first example loads the deal's holiday calendar
@given(cents=st.integers(min_value=0, max_value=100_000))  # credits up to the 25% cap
def test_the_advance_never_pays_a_service_invoice_and_an_exit_counts_it_as_earned(
    cents: int,
) -> None:
    deal = _deal()
    credits = Decimal(cents) / 100
    events = _journal(deal, credits)
    state = deal_state(deal, events, on=DAY)
    (standing,) = state.book.invoices
    billed = Decimal("4000.00") - credits
    assert standing.service and standing.total.amount == billed
    assert standing.from_advance.amount == 0 and standing.outstanding.amount == billed
    assert state.book.advance_left.amount == Decimal(50000)  # all of it, for the milestones
    before = settle_exit(deal, events, trigger="convenience", on=DAY, by="acme")
    if billed > 0:
        events.append(
            Payment(
                at=DAY,
                deal=deal.id,
                from_="acme",
                to="voltworks",
                amount=billed,
                ref="S-1",
                for_="VW-S-1",
            )
        )
    after = settle_exit(deal, events, trigger="convenience", on=DAY, by="acme")
    # what the service billed is earned whether paid or not: an unpaid one is netted against
    # the refund (50,000.00 − the bill), a paid one comes back with it, to the cent
    assert after.earned == before.earned and before.earned.amount == billed
    assert before.refund.amount == Decimal(50000) - billed
    assert after.refund.amount == Decimal(50000)
    state = deal_state(deal, events, on=DAY)
    assert state.book.invoices[0].outstanding.amount == 0
