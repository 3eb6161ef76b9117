"""Cost-plus money, on the pure guards and the fold: the starter deal of `copact new
--structure cost-plus-reimbursement` (Acme Foods and Volt Works, EUR; cap 100,000.00, markup
10%, 19% VAT; evidence: receipts and timesheets).

Worked by hand: March costs 40,000.00 + 25,000.00 approved → the invoice bills 40,000.00,
25,000.00 and 6,500.00 markup = 71,500.00 net + 13,585.00 VAT = 85,085.00; remaining 100,000.00
− 71,500.00 = 28,500.00; an April 40,000.00 would commit 71,500.00 + 44,000.00 = 115,500.00 >
100,000.00 and is refused. Three costs of 0.05 in one month: markup 10% × 0.15 = 0.015, rounded
half-even once on the sum to 0.02 (rounding each cost's 0.005 would give 0.00 + 0.00 + 0.00).

Hypothesis: for any costs, approvals and rejections, nothing recorded ever takes the committed
costs above the cap; every invoice's lines add up to its net exactly and a month's markup is
markup × its billed costs, rounded once; once every approved cost is billed and none waits,
billed + remaining = cap to the cent."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.costplus import cost_budget, invoice_costs, record_cost, review_cost
from copact.core.deal import Deal
from copact.core.events import Event, EvidenceRef, Invoice
from copact.core.state import DealState, deal_state
from copact.dealfile.loader import load_text
from copact.dealfile.starters import Structure, starter_deal
from copact.errors import NothingToDo, RefusedCommand

DAY = date(2027, 6, 2)
RECEIPT = EvidenceRef(name="r.pdf", sha256="a" * 64, kind="receipts")
HOURS = EvidenceRef(name="h.csv", sha256="b" * 64, kind="timesheets")


def _deal() -> Deal:
    text = starter_deal(
        Structure.COST_PLUS_REIMBURSEMENT,
        buyer="Acme Foods",
        supplier="Volt Works",
        currency="EUR",
        value=Decimal(100000),
        start=date(2027, 1, 4),
    )
    deal = load_text(text).deal
    assert deal is not None
    return deal


DEAL = _deal()


class Journal:
    """Events appended through the guards, the state folded afresh each time."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.numbers = 0

    @property
    def state(self) -> DealState:
        return deal_state(DEAL, self.events, on=DAY)

    def record(self, cost: str, period: str, amount: str) -> None:
        self.events += record_cost(
            DEAL,
            self.state,
            id=cost,
            period=period,
            amount=Decimal(amount),
            description=cost,
            evidence=[RECEIPT, HOURS],
            by="account-lead",
            at=DAY,
        )

    def review(self, cost: str, approve: bool = True) -> None:
        decision = "approved" if approve else "rejected"
        reasons = [] if approve else ["not in scope"]
        self.events += review_cost(
            DEAL, self.state, cost=cost, decision=decision, reasons=reasons, by="owner", at=DAY
        )

    def invoice(self, period: str) -> Invoice:
        self.numbers += 1
        (invoice,) = invoice_costs(
            DEAL, self.state, period=period, number=f"C-{self.numbers}", at=DAY
        )
        self.events.append(invoice)
        return invoice


def test_the_worked_example() -> None:
    j = Journal()
    j.record("rig-hire", "2027-03", "40000.00")
    j.record("engineering", "2027-03", "25000.00")
    j.review("rig-hire")
    j.review("engineering")
    invoice = j.invoice("2027-03")
    assert [line.amount for line in invoice.lines] == [
        Decimal("40000.00"),
        Decimal("25000.00"),
        Decimal("6500.00"),
    ]
    assert (invoice.net, invoice.tax, invoice.total, invoice.due) == (
        Decimal("71500.00"),
        Decimal("13585.00"),
        Decimal("85085.00"),
        date(2027, 7, 2),
    )
    budget = cost_budget(DEAL, j.state)
    assert budget is not None and budget.remaining is not None
    assert budget.remaining.amount == Decimal("28500.00")
    with pytest.raises(RefusedCommand, match=r"would commit 115,500\.00"):
        j.record("april-rig", "2027-04", "40000.00")
    with pytest.raises(NothingToDo):
        j.invoice("2027-03")


def test_the_markup_is_rounded_once_on_the_month() -> None:
    j = Journal()
    for n in range(3):
        j.record(f"c{n}", "2027-03", "0.05")
        j.review(f"c{n}")
    invoice = j.invoice("2027-03")
    assert invoice.lines[-1].for_ == "cost:2027-03:markup"
    assert invoice.lines[-1].amount == Decimal("0.02")
    assert invoice.net == Decimal("0.17")


def test_a_cost_of_another_party_or_without_a_receipt_is_refused() -> None:
    j = Journal()
    with pytest.raises(RefusedCommand, match="needs evidence of kind receipts"):
        record_cost(
            DEAL,
            j.state,
            id="x",
            period="2027-03",
            amount=Decimal(5),
            description="x",
            evidence=[HOURS],
            by="account-lead",
            at=DAY,
        )
    j.record("x", "2027-03", "5.00")
    with pytest.raises(RefusedCommand, match="cannot review cost x"):
        review_cost(
            DEAL, j.state, cost="x", decision="approved", reasons=[], by="account-lead", at=DAY
        )


costs = st.lists(
    st.tuples(
        st.sampled_from(["2027-01", "2027-02", "2027-03"]),
        st.integers(min_value=1, max_value=4_000_000),  # cents: up to 40,000.00
        st.sampled_from(["approve", "reject", "wait"]),
    ),
    max_size=12,
)


@settings(deadline=None, max_examples=60)
@given(costs)
def test_the_cap_holds_and_billed_plus_remaining_is_the_cap(given_costs: list) -> None:  # type: ignore[type-arg]
    j = Journal()
    cap = Decimal("100000.00")
    recorded: list[tuple[str, str]] = []
    for n, (period, cents, fate) in enumerate(given_costs):
        amount = f"{Decimal(cents) / 100:.2f}"
        try:
            j.record(f"c{n}", period, amount)
        except RefusedCommand as refused:
            assert "above the cap" in str(refused)
            continue
        budget = cost_budget(DEAL, j.state)
        assert budget is not None and budget.committed.amount <= cap  # never above the cap
        recorded.append((f"c{n}", fate))
    for cost, fate in recorded:
        if fate != "wait":
            j.review(cost, approve=fate == "approve")
    invoices = []
    for period in ("2027-01", "2027-02", "2027-03"):
        with contextlib.suppress(NothingToDo, RefusedCommand):  # nothing (approved) in it
            invoices.append(j.invoice(period))
    for invoice in invoices:
        costs_billed = sum((ln.amount for ln in invoice.lines if ":markup" not in ln.for_), 0)
        markup = sum((ln.amount for ln in invoice.lines if ":markup" in ln.for_), Decimal(0))
        assert invoice.net == costs_billed + markup  # the lines add up exactly
        assert markup == (costs_billed * Decimal("0.1")).quantize(Decimal("0.01"))  # once
        assert (invoice.tax or 0) == (invoice.net * Decimal("0.19")).quantize(Decimal("0.01"))
    budget = cost_budget(DEAL, j.state)
    assert budget is not None and budget.remaining is not None and budget.cap is not None
    billed = sum((i.net for i in invoices), Decimal(0))
    assert budget.billed.amount == billed
    # what is approved is billed; what waits is still committed
    assert budget.billed.amount + budget.pending.amount + budget.remaining.amount == cap
    if all(fate != "wait" for _, fate in recorded):
        assert budget.billed.amount + budget.remaining.amount == cap
