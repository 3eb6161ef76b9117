"""Every invoice is open, part-paid or paid, from the payments that name it and the advance.

Worked on ``pump-retrofit`` (tests/core/money_deals.py, value 200,000.00, nothing prepaid in
these examples unless said): design is invoiced 40,000.00, install 60,000.00.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core import commands
from copact.core.events import Invoice, InvoiceLine, Payment
from copact.core.invoicing import Receivables
from copact.core.money import Money
from copact.errors import RefusedCommand
from copact.services.views import view_of
from copact.services.views_json import state_json
from tests.core.money_deals import PUMP, Journal


def _shown(j: Journal, on: date) -> dict[str, dict[str, object]]:
    return {i["number"]: i for i in state_json(view_of(j.state(on), j.events))["invoices"]}


def test_an_invoice_is_open_then_part_paid_then_paid_by_payments_that_name_it() -> None:
    j = Journal()
    design = j.deliver("design", date(2026, 3, 1))
    assert _shown(j, date(2026, 3, 1))[design]["status"] == "open"
    j.pay("15000", "ACH-1", date(2026, 3, 5), for_="design")  # by milestone id
    part = _shown(j, date(2026, 3, 5))[design]
    assert (part["status"], part["paid"], part["outstanding"]) == (
        "part-paid",
        "15000.00",
        "25000.00",
    )
    j.pay("25000", "ACH-2", date(2026, 3, 9), for_=design)  # by invoice number
    paid = _shown(j, date(2026, 6, 1))[design]
    assert (paid["status"], paid["paid"], paid["outstanding"]) == ("paid", "40000.00", "0.00")
    assert paid["overdue"] is False  # due 2026-03-31, but nothing is outstanding


def test_a_payment_without_for_settles_the_oldest_open_invoice_first() -> None:
    j = Journal()
    design = j.deliver("design", date(2026, 3, 1))  # due 2026-03-31
    install = j.deliver("install", date(2026, 3, 2))  # due 2026-04-01
    j.pay("50000", "ACH-1", date(2026, 3, 10))
    shown = _shown(j, date(2026, 3, 10))
    assert (shown[design]["status"], shown[design]["outstanding"]) == ("paid", "0.00")
    assert (shown[install]["status"], shown[install]["outstanding"]) == ("part-paid", "50000.00")


def test_cash_paid_ahead_without_for_settles_the_next_invoice_when_it_is_issued() -> None:
    j = Journal()
    j.pay("10000", "ACH-1", date(2026, 2, 1))  # nothing is invoiced yet: held on account
    design = j.deliver("design", date(2026, 3, 1))
    shown = _shown(j, date(2026, 3, 1))[design]
    assert (shown["paid"], shown["outstanding"], shown["status"]) == (
        "10000.00",
        "30000.00",
        "part-paid",
    )


def test_overdue_means_something_outstanding_after_the_due_date() -> None:
    j = Journal()
    design = j.deliver("design", date(2026, 3, 1))  # due 2026-03-31
    assert _shown(j, date(2026, 3, 31))[design]["overdue"] is False
    assert _shown(j, date(2026, 4, 1))[design]["overdue"] is True
    j.pay("39999.99", "ACH-1", date(2026, 4, 2), for_="design")
    assert _shown(j, date(2026, 4, 2))[design]["overdue"] is True  # a cent is still owed
    j.pay("0.01", "ACH-2", date(2026, 4, 3), for_="design")
    assert _shown(j, date(2026, 4, 3))[design]["overdue"] is False


def test_paying_more_than_is_outstanding_on_an_invoice_is_refused() -> None:
    j = Journal()
    j.deliver("design", date(2026, 3, 1))
    with pytest.raises(RefusedCommand, match=r"PC-1 \(design\) has 40000\.00 outstanding"):
        j.pay("40000.01", "ACH-1", date(2026, 3, 5), for_="design")


def test_a_payment_for_a_milestone_that_does_not_exist_is_refused() -> None:
    j = Journal()
    with pytest.raises(RefusedCommand, match="'turbine' is none of them"):
        j.pay("999999", "ACH-1", date(2026, 3, 5), for_="turbine")
    assert j.events == []


def test_a_payment_for_a_milestone_not_yet_invoiced_is_refused() -> None:
    j = Journal()
    with pytest.raises(RefusedCommand, match="install has not been invoiced yet"):
        j.pay("60000", "ACH-1", date(2026, 3, 5), for_="install")


def test_a_payment_finer_than_a_cent_is_refused() -> None:
    j = Journal()
    with pytest.raises(RefusedCommand, match="USD allows"):
        j.pay("10.005", "ACH-1", date(2026, 3, 5))


def test_an_invoice_is_settled_only_by_its_payer_paying_its_issuer() -> None:
    j = Journal()
    j.deliver("design", date(2026, 3, 1))
    state = j.state(date(2026, 3, 5))
    with pytest.raises(RefusedCommand, match="billed by pumpco to mill"):
        commands.pay(
            PUMP,
            state,
            payer="pumpco",
            payee="mill",
            amount=Decimal(100),
            ref="X",
            at=date(2026, 3, 5),
            for_="design",
        )


# --- properties -----------------------------------------------------------------------------

USD = PUMP.money_currency
START = date(2026, 1, 1)
cents = st.integers(min_value=1, max_value=8_000_000).map(lambda c: Decimal(c).scaleb(-2))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), cents, st.integers(0, 90)),
        st.tuples(st.just("pay"), cents, st.sampled_from([None, "prepaid", "n0", "n1", "n2"])),
        st.tuples(st.just("refund"), cents, st.none()),
    ),
    max_size=25,
)


def _book(sequence: list[tuple[str, Decimal, object]]) -> tuple[Receivables, Decimal, Decimal]:
    """Fold the sequence straight into the books (the guard is bypassed on purpose: the books
    must stay whole whatever the journal holds). Returns them with cash in and cash back."""
    book = Receivables.open(PUMP)
    paid_in = back = Decimal(0)
    for n, (kind, amount, extra) in enumerate(sequence):
        day = START + timedelta(days=n)
        if kind == "invoice":
            assert isinstance(extra, int)
            line = InvoiceLine(for_=f"m{n}", amount=amount)
            invoice = Invoice(
                at=day,
                deal=PUMP.id,
                number=f"n{len(book.invoices)}",
                from_="pumpco",
                to="mill",
                lines=[line],
                due=day + timedelta(days=extra),
            )
            book = book.with_invoice(invoice)
        elif kind == "pay":
            for_ = extra if isinstance(extra, str) else None
            pay = Payment(
                at=day,
                deal=PUMP.id,
                from_="mill",
                to="pumpco",
                amount=amount,
                ref=f"r{n}",
                for_=for_,
            )
            book = book.with_payment(pay)
            paid_in += amount
        else:
            refund = Payment(
                at=day, deal=PUMP.id, from_="pumpco", to="mill", amount=amount, ref=f"r{n}"
            )
            book = book.with_payment(refund)
            back += amount
    return book, paid_in, back


@settings(max_examples=300)
@given(steps)
def test_every_invoice_adds_up_and_no_cent_is_lost(sequence: list) -> None:  # type: ignore[type-arg]
    book, paid_in, back = _book(sequence)
    zero = Money.zero(USD)
    for i in book.invoices:
        assert i.paid + i.outstanding + i.from_advance == i.total
        assert i.paid >= zero and i.outstanding >= zero and i.from_advance >= zero
        assert i.status == (
            "paid" if i.outstanding.is_zero else "open" if i.outstanding == i.total else "part-paid"
        )
        assert i.owed is not i.outstanding.is_zero  # what payments on account look up
    # the advance drawn never exceeds the advance paid (less what was handed back)
    assert zero <= book.advance_drawn
    assert book.advance_drawn + book.advance_returned <= book.advance_paid
    drawn = sum((i.from_advance for i in book.invoices), zero)
    assert drawn == book.advance_drawn
    # every cent is somewhere: the net cash from buyer to supplier is the advance it keeps,
    # what settled invoices and what the buyer holds on account, less what the supplier does
    settled = sum((i.paid for i in book.invoices), zero)
    on_account = book.on_account.get(("mill", "pumpco"), zero)
    owed_back = book.on_account.get(("pumpco", "mill"), zero)
    assert on_account >= zero and owed_back >= zero
    kept = book.advance_paid - book.advance_returned
    assert Money.of(paid_in - back, USD) == kept + settled + on_account - owed_back
    # exactness: nothing finer than a cent appears anywhere
    for i in book.invoices:
        assert i.outstanding.quantize() == i.outstanding


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["deliver", "pay"]),
            st.integers(min_value=1, max_value=12_000_000).map(lambda c: Decimal(c).scaleb(-2)),
            st.sampled_from([None, "prepaid", "design", "install", "commissioning", "PC-1"]),
        ),
        max_size=12,
    )
)
def test_through_the_guards_nobody_pays_more_than_was_invoiced_plus_the_advance(
    sequence: list,  # type: ignore[type-arg]
) -> None:
    j = Journal()
    day = START
    left = ["design", "install", "commissioning"]
    for n, (kind, amount, for_) in enumerate(sequence):
        day += timedelta(days=7)
        if kind == "deliver" and left:
            j.deliver(left.pop(0), day)
            continue
        with contextlib.suppress(RefusedCommand):  # the guard refuses what it must
            j.pay(str(amount), f"r{n}", day, for_=for_)
    book = j.state(day).book
    zero = Money.zero(USD)
    for i in book.invoices:
        assert i.paid + i.outstanding + i.from_advance == i.total and i.outstanding >= zero
    assert book.advance_paid <= Money.of(50000, USD)
    assert book.advance_drawn <= book.advance_paid
    named = [e for e in j.events if isinstance(e, Payment) and e.for_ not in (None, "prepaid")]
    for p in named:  # a payment that names an invoice never exceeds it
        target = book.find(p.for_)  # type: ignore[arg-type]
        assert target is not None and Money.of(p.amount, USD) <= target.total


def test_the_state_json_shows_where_every_invoice_stands() -> None:
    j = Journal()
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    design = j.deliver("design", date(2026, 3, 1))
    doc = _shown(j, date(2026, 3, 1))[design]
    assert {
        k: doc[k] for k in ("status", "from_advance", "due_in_cash", "paid", "outstanding")
    } == {
        "status": "paid",
        "from_advance": "40000.00",
        "due_in_cash": "0.00",
        "paid": "0.00",
        "outstanding": "0.00",
    }


def test_a_payment_waiting_for_confirmation_counts_against_what_is_outstanding() -> None:
    """Mill records 30,000 for the 40,000 design invoice; PumpCo has not confirmed it yet. A
    second 30,000 for the same invoice would pay 60,000 once both are confirmed: refused."""
    j = Journal()
    design = j.deliver("design", date(2026, 3, 1))
    day = date(2026, 3, 5)
    j.events += commands.pay(
        PUMP,
        j.state(day),
        payer="mill",
        payee="pumpco",
        amount=Decimal(30000),
        ref="ACH-1",
        at=day,
        for_=design,
        by="ann",
    )
    assert _shown(j, day)[design]["outstanding"] == "40000.00"  # not confirmed: not paid yet
    with pytest.raises(RefusedCommand, match=r"has 10000\.00 outstanding"):
        commands.pay(
            PUMP,
            j.state(day),
            payer="mill",
            payee="pumpco",
            amount=Decimal(30000),
            ref="ACH-2",
            at=day,
            for_=design,
            by="ann",
        )
