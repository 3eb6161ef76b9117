"""The invoice as a document says what the journal says: a paid invoice is not overdue, and
an invoice settled from the advance shows the amount, what the advance covered and what is due
in cash (pump-retrofit, tests/core/money_deals.py)."""

from __future__ import annotations

from datetime import date

from copact.documents.invoice import InvoiceDocument, render_invoice_html
from tests.core.money_deals import PUMP, Journal


def _document(j: Journal, number: str, on: date) -> str:
    state = j.state(on)
    invoice = next(i for i in state.invoices if i.number == number)
    standing = state.book.find(number)
    assert standing is not None
    return render_invoice_html(InvoiceDocument(PUMP, invoice, on, {}, standing))


def test_a_paid_invoice_printed_after_its_due_date_is_not_overdue() -> None:
    j = Journal()
    design = j.deliver("design", date(2026, 3, 1))  # due 2026-03-31
    j.pay("40000", "ACH-1", date(2026, 3, 20), for_=design)
    html = _document(j, design, date(2026, 5, 1))
    assert "(overdue)" not in html
    assert 'status-paid">paid' in html


def test_an_unpaid_invoice_printed_after_its_due_date_is_overdue() -> None:
    j = Journal()
    design = j.deliver("design", date(2026, 3, 1))
    assert "(overdue)" in _document(j, design, date(2026, 5, 1))


def test_an_invoice_shows_what_the_advance_settled_and_what_is_due_in_cash() -> None:
    j = Journal()
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    j.deliver("design", date(2026, 3, 1))
    install = j.deliver("install", date(2026, 6, 1))
    html = _document(j, install, date(2026, 6, 2))
    assert "60,000.00" in html  # the amount
    assert "From the prepaid advance" in html and "10,000.00" in html
    assert "Due in cash" in html and "50,000.00" in html
    assert 'status-part-paid">part-paid' in html
