"""The money of a revenue share and of an innovation bonus, over any figures.

Revenue share: whatever a period's report and however many audits follow it, invoicing and
crediting the difference after each leaves the period billed at exactly share × the last
sales (half-even to the cent, once); every document is one whole-cent line; nothing is lost
or made by rounding the steps. The ecosystem-alliance starter: 5% to Volt Works, quarterly,
audit right, 19% VAT.

Innovation bonus: approved once, it is invoiced at its amount to the cent, with the VAT of
the deal's rule, and never again."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.bonus import claim_bonus, invoice_bonus, review_bonus
from copact.core.deal import Deal
from copact.core.events import CreditNote, Event, EvidenceRef, Invoice
from copact.core.revenue import credit_revenue, invoice_revenue, report_sales, share_owed
from copact.core.state import deal_state
from copact.dealfile.loader import load_text
from copact.dealfile.starters import Structure, starter_deal
from copact.errors import NothingToDo

DAY = date(2027, 4, 10)
CENTS = st.integers(min_value=0, max_value=10**11).map(lambda c: Decimal(c) / 100)


def _deal(structure: Structure) -> Deal:
    text = starter_deal(
        structure,
        buyer="Acme Foods",
        supplier="Volt Works",
        currency="EUR",
        value=Decimal(250000),
        start=date(2027, 1, 4),
    )
    deal = load_text(text, "starter.yaml").deal
    assert deal is not None
    return deal


ALLIANCE = _deal(Structure.ECOSYSTEM_ALLIANCE)
INNOVATION = _deal(Structure.INNOVATION_PARTNERSHIP)
AUDIT = EvidenceRef(name="audit.pdf", sha256="a" * 64, kind="audit-report")


def _settle(deal: Deal, events: list[Event], day: date, n: int) -> list[Event]:
    """Invoice or credit what is left of 2027-Q1 (nothing when it is billed)."""
    state = deal_state(deal, events, on=day)
    period = state.revenue["2027-Q1"]
    left = share_owed(deal, period.sales).amount - period.billed
    if left == 0:
        return []
    issue = invoice_revenue if left > 0 else credit_revenue
    return [*issue(deal, state, period="2027-Q1", number=f"R-{n}", at=day)]


@settings(deadline=None, max_examples=60)
@given(first=CENTS, audits=st.lists(CENTS, max_size=4))
def test_billed_is_always_the_share_of_the_last_sales(
    first: Decimal, audits: list[Decimal]
) -> None:
    deal = ALLIANCE
    day = DAY
    events: list[Event] = [
        *report_sales(
            deal,
            deal_state(deal, [], on=day),
            period="2027-Q1",
            sales=first,
            evidence=[],
            by="finance",
            at=day,
        )
    ]
    events += _settle(deal, events, day, 0)
    last = first
    for n, sales in enumerate(audits, start=1):
        day = day + timedelta(days=1)
        if sales == last:
            continue
        events += report_sales(
            deal,
            deal_state(deal, events, on=day),
            period="2027-Q1",
            sales=sales,
            evidence=[AUDIT],
            by="account-lead",
            at=day,
            audit=True,
        )
        events += _settle(deal, events, day, n)
        last = sales
    share = (last * Decimal("0.05")).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    billed = Decimal(0)
    for e in events:
        if isinstance(e, Invoice):
            (line,) = e.lines
            assert line.amount > 0 and line.amount == line.amount.quantize(Decimal("0.01"))
            assert e.tax == (line.amount * Decimal("0.19")).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_EVEN
            ) or (e.tax is None and line.amount * Decimal("0.19") < Decimal("0.005"))
            billed += line.amount
        elif isinstance(e, CreditNote):
            assert e.for_ == "revenue-share" and e.amount > 0
            billed -= e.amount
    assert billed == share
    state = deal_state(deal, events, on=day)
    assert state.revenue["2027-Q1"].billed == share


@settings(deadline=None, max_examples=40)
@given(amount=st.integers(min_value=1, max_value=10**9).map(lambda c: Decimal(c) / 100))
def test_a_bonus_is_invoiced_once_at_its_amount(amount: Decimal) -> None:
    deal = INNOVATION.model_copy(
        update={
            "innovation_bonus": [
                INNOVATION.innovation_bonus[0].model_copy(update={"amount": amount})
            ]
        }
    )
    day = date(2027, 10, 1)
    report = EvidenceRef(name="r.pdf", sha256="b" * 64, kind="test-report")
    events: list[Event] = [
        *claim_bonus(
            deal,
            deal_state(deal, [], on=day),
            bonus="performance-bonus",
            evidence=[report],
            by="account-lead",
            at=day,
        )
    ]
    events += review_bonus(
        deal,
        deal_state(deal, events, on=day),
        bonus="performance-bonus",
        decision="approved",
        reasons=[],
        by="owner",
        at=day,
    )
    (invoice,) = invoice_bonus(
        deal, deal_state(deal, events, on=day), period="performance-bonus", number="B-1", at=day
    )
    assert invoice.net == amount
    events.append(invoice)
    state = deal_state(deal, events, on=day)
    assert state.bonuses["performance-bonus"].invoice == "B-1"
    (standing,) = state.book.invoices
    assert standing.service and standing.from_advance.is_zero  # never from the advance
    try:
        invoice_bonus(deal, state, period="performance-bonus", number="B-2", at=day)
    except NothingToDo:
        pass
    else:
        raise AssertionError("a bonus was invoiced twice")
