"""Convertible support by hand: paid, converted at a window, consumed by invoices, and what an
exit or the end of the windows gives back (``core.convertible``).

The convertible-support starter between Acme Foods and Volt Works (EUR, no VAT, value
250,000.00): support of 100,000.00 converting at 1.15 credit per 1.00 paid, windows 2027-07-01
and 2028-01-01 (each open the 30 days up to its date: 2027-06-02 to 2027-07-01, 2027-12-03 to
2028-01-01). Acme pays the 100,000.00 on 2026-07-10; on 2027-06-10 its owner asks to convert
60,000.00 at 2027-07-01 and Volt Works' account lead approves on 2027-06-15: 60,000.00 × 1.15
= 69,000.00 credits, 40,000.00 stays support. A 50,000.00 invoice (a month's reimbursed cost)
issued on 2027-06-20 takes 50,000.00 of the credits: nothing due in cash, 19,000.00
left. A convenience exit then refunds 40,000.00 unconverted + 19,000.00 ÷ 1.15 = 16,521.74
(the credits left at the support they were bought with) = 56,521.74; the supplier earned
60,000.00 − 16,521.74 = 43,478.26 of the support."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core import commands
from copact.core.convertible import (
    approve_conversion,
    credits_for,
    formula_ratio,
    next_window,
    request_conversion,
    support_standing,
    window_of,
)
from copact.core.deal import Deal
from copact.core.events import Event, Invoice, InvoiceLine
from copact.core.settlement import settle_exit
from copact.core.state import DealState, deal_state
from copact.dealfile.loader import load_text
from copact.dealfile.starters import Structure, starter_deal
from copact.errors import NothingToDo, RefusedCommand

BUYER, SUPPLIER = "acme-foods", "volt-works"
W1, W2 = date(2027, 7, 1), date(2028, 1, 1)


def _deal(formula: str = "1.15 credit per 1.00 paid", converts_to: str = "service-credits") -> Deal:
    text = starter_deal(
        Structure.CONVERTIBLE_SUPPORT,
        buyer="Acme Foods",
        supplier="Volt Works",
        currency="EUR",
        value=Decimal(250000),
        start=date(2026, 7, 1),
    )
    text = text.replace("tax: {category: standard, rate: 19%}", "tax: {category: exempt}")
    text = text.replace("amount: 50000\n  converts-to", "amount: 100000\n  converts-to")
    text = text.replace("formula: 1.15 credit per 1.00 paid", f"formula: {formula}")
    text = text.replace("converts-to: service-credits", f"converts-to: {converts_to}")
    deal = load_text(text, "convertible.yaml").deal
    assert deal is not None
    return deal


class Journal:
    """The deal's events so far, each made by its guard on the state of its day."""

    def __init__(self, deal: Deal) -> None:
        self.deal = deal
        self.events: list[Event] = []

    def state(self, on: date) -> DealState:
        return deal_state(self.deal, self.events, on=on)

    def pay(self, amount: str, on: date, *, ref: str, back: bool = False) -> None:
        payer, payee, by, confirm = (
            (SUPPLIER, BUYER, "account-lead", "finance")
            if back
            else (BUYER, SUPPLIER, "finance", "account-lead")
        )
        self.events += commands.pay(
            self.deal,
            self.state(on),
            payer=payer,
            payee=payee,
            amount=Decimal(amount),
            ref=ref,
            for_="convertible",
            by=by,
            at=on,
        )
        self.events += commands.confirm_payment(
            self.deal, self.state(on), ref=ref, by=confirm, at=on
        )

    def request(self, name: str, amount: str, on: date, *, window: date = W1) -> None:
        self.events += request_conversion(
            self.deal,
            self.state(on),
            conversion=name,
            window=window,
            amount=Decimal(amount),
            by="owner",
            at=on,
        )

    def approve(self, name: str, on: date) -> None:
        self.events += approve_conversion(
            self.deal, self.state(on), conversion=name, by="account-lead", at=on
        )

    def invoice(self, number: str, amount: str, on: date, line: str = "cost:2027-06:rig") -> None:
        """A period invoice (billed, so an exit counts it as earned as billed)."""
        self.events.append(
            Invoice(
                at=on,
                deal=self.deal.id,
                number=number,
                from_=SUPPLIER,
                to=BUYER,
                lines=[InvoiceLine(for_=line, amount=Decimal(amount))],
                due=on,
            )
        )


def _worked() -> Journal:
    j = Journal(_deal())
    j.pay("100000.00", date(2026, 7, 10), ref="SUP-1")
    j.request("c-2027-07", "60000.00", date(2027, 6, 10))
    j.approve("c-2027-07", date(2027, 6, 15))
    return j


def test_the_formula_is_a_bounded_ratio() -> None:
    assert formula_ratio("1.15 credit per 1.00 paid") == Decimal("1.15")
    assert formula_ratio("23,000 credits per 20,000 paid") == Decimal("1.15")
    with pytest.raises(ValueError, match=r"write it as '1\.15 credit per 1\.00 paid'"):
        formula_ratio("generous")
    with pytest.raises(ValueError, match="more than 10"):
        formula_ratio("50 credit per 1 paid")
    with pytest.raises(ValueError, match="converts into nothing"):
        formula_ratio("0 credit per 1 paid")


def test_credits_are_rounded_half_even_once_per_conversion() -> None:
    deal = _deal()
    assert credits_for(deal, Decimal("60000.00")) == Decimal("69000.00")
    assert credits_for(deal, Decimal("0.05")) == Decimal("0.06")  # 0.0575 → 0.06
    assert credits_for(deal, Decimal("0.10")) == Decimal("0.12")  # 0.115 → 0.12 (even)
    assert credits_for(deal, Decimal("0.30")) == Decimal("0.34")  # 0.345 → 0.34 (even)


def test_a_window_is_the_30_days_up_to_its_date() -> None:
    deal = _deal()
    assert window_of(deal, date(2027, 6, 1)) is None
    assert window_of(deal, date(2027, 6, 2)) == W1
    assert window_of(deal, W1) == W1
    assert window_of(deal, date(2027, 7, 2)) is None
    assert next_window(deal, date(2027, 7, 2)) == W2
    assert next_window(deal, date(2028, 1, 2)) is None


def test_the_worked_example_converts_consumes_and_refunds() -> None:
    j = _worked()
    s = support_standing(j.deal, j.state(date(2027, 6, 15)))
    assert s is not None
    assert (s.paid.amount, s.converted.amount, s.unconverted.amount) == (100000, 60000, 40000)
    assert s.credits_issued.amount == Decimal("69000.00")
    j.invoice("VOLT-WORKS-2026-0001", "50000.00", date(2027, 6, 20))
    state = j.state(date(2027, 6, 20))
    (standing,) = state.book.invoices
    assert standing.from_advance.amount == Decimal("50000.00")  # all of it from the credits
    assert standing.paid.amount == 0 and standing.outstanding.is_zero
    assert state.credits_taken["VOLT-WORKS-2026-0001"].amount == Decimal("50000.00")
    s = support_standing(j.deal, state)
    assert s is not None
    assert s.credits_consumed.amount == Decimal("50000.00")
    assert s.credits_left.amount == Decimal("19000.00")
    assert s.left_value.amount == Decimal("16521.74")  # 19,000.00 ÷ 1.15 = 16,521.739…
    settlement = settle_exit(
        j.deal, j.events, trigger="convenience", on=date(2027, 6, 21), by=BUYER
    )
    assert settlement.paid.amount == Decimal("100000.00")
    assert settlement.earned.amount == Decimal("43478.26")  # 60,000.00 − 16,521.74
    assert settlement.refund.amount == Decimal("56521.74")  # 40,000.00 + 16,521.74
    assert (settlement.owed_from, settlement.owed_to) == (SUPPLIER, BUYER)


def test_credits_settle_what_the_invoice_leaves_and_the_rest_is_cash() -> None:
    """Two invoices of 50,000.00 against 69,000.00 credits: the second takes the 19,000.00
    left and asks 31,000.00 in cash."""
    j = _worked()
    j.invoice("VOLT-WORKS-2026-0001", "50000.00", date(2027, 6, 20))
    j.invoice("VOLT-WORKS-2026-0002", "50000.00", date(2027, 6, 21), line="cost:2027-06:hours")
    second = j.state(date(2027, 6, 21)).book.invoices[1]
    assert second.from_advance.amount == Decimal("19000.00")
    assert second.cash_due.amount == Decimal("31000.00")


def test_a_request_outside_its_window_is_refused() -> None:
    j = Journal(_deal())
    j.pay("100000.00", date(2026, 7, 10), ref="SUP-1")
    with pytest.raises(RefusedCommand, match="open from 2027-06-02 to 2027-07-01"):
        j.request("early", "60000.00", date(2027, 6, 1))
    with pytest.raises(RefusedCommand, match="outside it"):
        j.request("late", "60000.00", date(2027, 7, 2))
    with pytest.raises(RefusedCommand, match="not a window"):
        j.request("other", "60000.00", date(2027, 6, 10), window=date(2027, 6, 30))


def test_only_the_buyer_requests_and_only_the_supplier_approves() -> None:
    j = Journal(_deal())
    j.pay("100000.00", date(2026, 7, 10), ref="SUP-1")
    on = date(2027, 6, 10)
    with pytest.raises(RefusedCommand, match="account-lead of volt-works cannot ask"):
        request_conversion(
            j.deal,
            j.state(on),
            conversion="c-1",
            window=W1,
            amount=Decimal(1000),
            by="account-lead",
            at=on,
        )
    j.request("c-1", "1000.00", on)
    with pytest.raises(RefusedCommand, match="owner of acme-foods cannot approve"):
        approve_conversion(j.deal, j.state(on), conversion="c-1", by="owner", at=on)
    j.approve("c-1", on)
    with pytest.raises(NothingToDo, match="was approved by account-lead"):
        j.approve("c-1", on)


def test_a_request_is_up_to_the_support_paid_and_not_converted() -> None:
    j = Journal(_deal())
    j.pay("30000.00", date(2026, 7, 10), ref="SUP-1")
    on = date(2027, 6, 10)
    with pytest.raises(RefusedCommand, match=r"30,000\.00 of the support paid is neither"):
        j.request("too-much", "30000.01", on)
    j.request("c-1", "20000.00", on)  # waiting: holds 20,000.00 of the 30,000.00
    with pytest.raises(RefusedCommand, match=r"10,000\.00 of the support paid is neither"):
        j.request("c-2", "10000.01", on)


def test_an_unapproved_request_lapses_after_its_window_and_the_support_waits() -> None:
    j = Journal(_deal())
    j.pay("100000.00", date(2026, 7, 10), ref="SUP-1")
    j.request("c-1", "100000.00", date(2027, 6, 10))
    with pytest.raises(RefusedCommand, match="can no longer be approved"):
        j.approve("c-1", date(2027, 7, 2))
    j.request("c-2", "100000.00", date(2027, 12, 20), window=W2)  # all of it free again
    s = support_standing(j.deal, j.state(date(2027, 12, 20)))
    assert s is not None and s.waiting.amount == 100000 and s.conversions[0].status(W2) == "lapsed"


def test_support_is_paid_up_to_its_amount() -> None:
    j = Journal(_deal())
    j.pay("60000.00", date(2026, 7, 10), ref="SUP-1")
    with pytest.raises(RefusedCommand, match=r"40,000\.00 is left to pay"):
        j.pay("40000.01", date(2026, 7, 11), ref="SUP-2")


def test_after_the_last_window_the_unconverted_support_is_paid_back() -> None:
    """After 2028-01-01 the 40,000.00 unconverted cannot convert: Volt Works pays it back, and
    an exit then counts 60,000.00 paid (43,478.26 earned, 16,521.74 of credits refunded)."""
    j = _worked()
    j.invoice("VOLT-WORKS-2026-0001", "50000.00", date(2027, 6, 20))
    with pytest.raises(RefusedCommand, match="may still convert until its last window"):
        j.pay("40000.00", date(2028, 1, 1), ref="BACK-1", back=True)
    with pytest.raises(RefusedCommand, match="could not convert"):
        j.pay("1.00", date(2028, 1, 2), ref="SUP-2")
    s = support_standing(j.deal, j.state(date(2028, 1, 2)))
    assert s is not None and s.refundable.amount == Decimal("40000.00")
    with pytest.raises(RefusedCommand, match=r"40,000\.00 of the convertible support"):
        j.pay("40000.01", date(2028, 1, 2), ref="BACK-1", back=True)
    j.pay("40000.00", date(2028, 1, 2), ref="BACK-1", back=True)
    s = support_standing(j.deal, j.state(date(2028, 1, 2)))
    assert s is not None and s.refundable.is_zero and s.returned.amount == 40000
    settlement = settle_exit(j.deal, j.events, trigger="convenience", on=date(2028, 1, 3), by=BUYER)
    assert settlement.paid.amount == Decimal("60000.00")
    assert settlement.earned.amount == Decimal("43478.26")
    assert settlement.refund.amount == Decimal("16521.74")


def test_equity_is_recorded_as_converted_with_no_credits() -> None:
    j = Journal(_deal(converts_to="equity"))
    j.pay("100000.00", date(2026, 7, 10), ref="SUP-1")
    j.request("c-1", "60000.00", date(2027, 6, 10))
    j.approve("c-1", date(2027, 6, 10))
    assert j.events[-1].credits is None  # type: ignore[union-attr]
    settlement = settle_exit(
        j.deal, j.events, trigger="convenience", on=date(2027, 6, 11), by=BUYER
    )
    assert settlement.earned.amount == 60000 and settlement.refund.amount == 40000


def test_a_forged_credit_figure_is_refused() -> None:
    j = Journal(_deal())
    j.pay("100000.00", date(2026, 7, 10), ref="SUP-1")
    j.request("c-1", "60000.00", date(2027, 6, 10))
    with pytest.raises(RefusedCommand, match=r"into 69,000\.00 credits .* not 70,000\.00"):
        approve_conversion(
            j.deal,
            j.state(date(2027, 6, 10)),
            conversion="c-1",
            by="account-lead",
            at=date(2027, 6, 10),
            credits=Decimal("70000.00"),
        )


# -- the money invariants --

cents = st.integers(min_value=1, max_value=2_000_000).map(lambda c: Decimal(c).scaleb(-2))


@settings(deadline=None, max_examples=40)
@given(
    ratio=st.sampled_from(["1.15 credit per 1.00 paid", "1 credit per 3 paid", "7 per 6"]),
    asks=st.lists(cents, min_size=1, max_size=4),
    invoices=st.lists(cents, min_size=0, max_size=4),
)
def test_credits_issued_consumed_and_invoices_add_up(
    ratio: str, asks: list[Decimal], invoices: list[Decimal]
) -> None:
    """Credits issued = Σ round(amount × ratio), half-even per conversion; consumed ≤ issued;
    every invoice's from_advance + paid + outstanding = total; converted ≤ paid."""
    j = Journal(_deal(formula=ratio))
    j.pay("100000.00", date(2026, 7, 10), ref="SUP-1")
    on = date(2027, 6, 10)
    made = Decimal(0)
    for n, ask in enumerate(asks):
        try:
            j.request(f"c-{n}", str(ask), on)
        except RefusedCommand:
            continue  # more than is free: refused, nothing recorded
        j.approve(f"c-{n}", on)
        made += credits_for(j.deal, ask)
    for n, amount in enumerate(invoices):
        j.invoice(f"INV-{n}", str(amount), on)
    state = j.state(on)
    s = support_standing(j.deal, state)
    assert s is not None
    assert s.credits_issued.amount == made
    assert s.converted <= s.paid and s.unconverted.amount >= 0
    assert s.credits_consumed + s.credits_left == s.credits_issued
    assert s.credits_consumed <= s.credits_issued and s.credits_left.amount >= 0
    assert sum(t.amount for t in state.credits_taken.values()) == s.credits_consumed.amount
    for i in state.book.invoices:
        assert i.from_advance + i.paid + i.outstanding == i.total
        assert i.outstanding.amount >= 0
