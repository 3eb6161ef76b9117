"""The prepaid advance settles milestone invoices first (DESIGN §8), as far as it was paid.

Worked on ``pump-retrofit`` (tests/core/money_deals.py): the buyer pays the 50,000.00 advance
on 2026-01-15; the design invoice of 40,000.00 is settled from it entirely (0.00 due in cash);
the install invoice of 60,000.00 takes the 10,000.00 left and 50,000.00 is due in cash.
"""

from __future__ import annotations

from datetime import date

import pytest

from copact.errors import RefusedCommand
from copact.services.views import view_of
from copact.services.views_json import state_json
from tests.core.money_deals import Journal


def _invoice(journal: Journal, number: str, on: date) -> dict[str, object]:
    doc = state_json(view_of(journal.state(on), journal.events))
    return next(i for i in doc["invoices"] if i["number"] == number)


def test_the_advance_settles_the_first_invoice_and_paying_it_again_is_refused() -> None:
    j = Journal()
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    design = j.deliver("design", date(2026, 3, 1))
    shown = _invoice(j, design, date(2026, 5, 1))  # long after its due date
    assert (shown["amount"], shown["from_advance"], shown["paid"], shown["outstanding"]) == (
        "40000.00",
        "40000.00",
        "0.00",
        "0.00",
    )
    assert shown["status"] == "paid" and shown["overdue"] is False
    with pytest.raises(RefusedCommand, match=r"has 0\.00 outstanding"):
        j.pay("40000", "ACH-1", date(2026, 5, 1), for_="design")
    with pytest.raises(RefusedCommand, match=r"has 0\.00 outstanding"):
        j.pay("40000", "ACH-1", date(2026, 5, 1), for_=design)
    assert j.state(date(2026, 5, 1)).balances["mill"].paid.amount == 50000


def test_the_next_invoice_takes_what_is_left_of_the_advance_and_the_rest_is_due_in_cash() -> None:
    j = Journal()
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    j.deliver("design", date(2026, 3, 1))
    install = j.deliver("install", date(2026, 6, 1))
    shown = _invoice(j, install, date(2026, 6, 2))
    assert (shown["amount"], shown["from_advance"], shown["outstanding"]) == (
        "60000.00",
        "10000.00",
        "50000.00",
    )
    assert shown["status"] == "part-paid"
    with pytest.raises(RefusedCommand, match=r"has 50000\.00 outstanding"):
        j.pay("60000", "ACH-2", date(2026, 6, 20), for_="install")
    j.pay("50000", "ACH-2", date(2026, 6, 20), for_="install")
    shown = _invoice(j, install, date(2026, 8, 1))
    assert (shown["paid"], shown["outstanding"], shown["status"]) == ("50000.00", "0.00", "paid")


def test_a_planned_advance_that_was_never_paid_settles_nothing() -> None:
    j = Journal()  # the deal plans a 50,000 advance; nobody pays it
    design = j.deliver("design", date(2026, 3, 1))
    shown = _invoice(j, design, date(2026, 4, 1))  # due 2026-03-31
    assert (shown["from_advance"], shown["outstanding"], shown["status"]) == (
        "0.00",
        "40000.00",
        "open",
    )
    assert shown["overdue"] is True


def test_an_advance_paid_after_the_invoice_settles_it_when_it_arrives() -> None:
    j = Journal()
    design = j.deliver("design", date(2026, 3, 1))
    j.pay("15000", "ACH-1", date(2026, 3, 10), for_=design)
    j.pay("50000", "PP-1", date(2026, 3, 20), for_="prepaid")
    shown = _invoice(j, design, date(2026, 3, 20))
    # 40,000 = 15,000 in cash + 25,000 from the advance; 25,000 of the advance is left
    assert (shown["paid"], shown["from_advance"], shown["outstanding"]) == (
        "15000.00",
        "25000.00",
        "0.00",
    )
    assert j.state(date(2026, 3, 20)).book.advance_left.amount == 25000


def test_the_advance_cannot_be_paid_beyond_what_the_deal_says() -> None:
    j = Journal()
    j.pay("30000", "PP-1", date(2026, 1, 15), for_="prepaid")
    with pytest.raises(RefusedCommand, match=r"20000\.00 of the advance is left to pay"):
        j.pay("30000", "PP-2", date(2026, 1, 16), for_="prepaid")
    j.pay("20000", "PP-2", date(2026, 1, 16), for_="prepaid")
