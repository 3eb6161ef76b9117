"""After an exit, the invoices show what the settlement netted, not a debt nobody may pay.

hybrid-dc1 with 20,000.00 of convertible support (tests/core/test_exit_open_invoices.py): VW-2
bills 88,200.00 for hardware delivery, Acme pays the support and never converts it, then exits
for convenience (effective 2027-01-01). The settlement counts the support as paid, so 68,200.00
is open on VW-2 and the other 20,000.00 is met by the support: netted. Until now VW-2 showed
88,200.00 outstanding and overdue for ever, though a payment of more than 68,200.00 is refused;
now it shows 20,000.00 netted and 68,200.00 outstanding, and once Acme pays that, ``netted``
and nothing overdue. While the exit is in its notice nothing is netted, and an exit that nets
nothing (5,000.00 paid on account, 83,200.00 open) leaves the invoice as the books have it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.deal import Deal
from copact.core.events import Event, Signed
from copact.core.mechanisms import Convertible
from copact.core.settlement import invoke_exit, settlement_of
from copact.core.state import deal_state
from copact.errors import RefusedCommand
from copact.services.invoice_documents import invoice_document
from copact.services.views import InvoiceView, deal_view
from copact.services.views_json import invoice_json
from copact.web.schemas import InvoiceOut
from tests.core.test_exit_open_invoices import (
    AFTER,
    DEAL,
    INVOKED,
    _accepted,
    _confirm,
    _do,
    _exited,
    _pay,
)

D = Decimal
SUPPORTED = DEAL.model_copy(
    update={
        "convertible": Convertible(
            amount=D(20000), converts_to="service-credits", windows=[date(2026, 12, 15)]
        )
    }
)


def _supported_exit() -> list[Event]:
    deal = SUPPORTED
    events: list[Event] = [Signed(at=date(2026, 5, 20), deal=deal.id, by=["ana", "sam"])]
    events = _accepted(events, "design-approval", "VW-1", date(2026, 7, 10), deal)
    events = _accepted(events, "hardware-delivery", "VW-2", date(2026, 9, 28), deal)
    events += _pay(events, "20000.00", "S-1", date(2026, 10, 5), "convertible", deal)
    events += _confirm(events, "S-1", date(2026, 10, 5), deal)
    return events + invoke_exit(deal, events, trigger="convenience", by="ana", at=INVOKED)


def _vw2(deal: Deal, events: list[Event], on: date) -> InvoiceView:
    found = deal_view(deal, events, today=on).invoice("VW-2")
    assert found is not None
    return found


def _parts(i: InvoiceView) -> list[Decimal]:
    netted = i.netted.amount if i.netted else D(0)
    return [i.total.amount, i.from_advance.amount, i.paid.amount, netted, i.outstanding.amount]


def test_what_the_settlement_netted_is_shown_and_not_owed() -> None:
    events = _supported_exit()
    during = _vw2(SUPPORTED, events, date(2026, 12, 1))  # in the notice: the deal runs
    assert during.netted is None and during.outstanding.amount == D("88200.00")
    assert during.status == "open"

    after = _vw2(SUPPORTED, events, AFTER)
    assert _parts(after) == [D("88200.00"), 0, 0, D("20000.00"), D("68200.00")]
    assert after.status == "part-paid" and after.overdue
    shown = invoice_json(after)
    assert (shown["netted"], shown["outstanding"], shown["status"]) == (
        "20000.00",
        "68200.00",
        "part-paid",
    )
    InvoiceOut.model_validate(shown)  # what the API answers

    events = _do(
        events, _pay(events, "68200.00", "P-2", AFTER, "VW-2", SUPPORTED), AFTER, SUPPORTED
    )
    events = _do(events, _confirm(events, "P-2", AFTER, SUPPORTED), AFTER, SUPPORTED)
    paid = _vw2(SUPPORTED, events, AFTER)
    assert _parts(paid) == [D("88200.00"), 0, D("68200.00"), D("20000.00"), 0]
    assert paid.status == "netted" and not paid.overdue
    assert InvoiceOut.model_validate(invoice_json(paid)).status == "netted"
    # its document, printed today, says what the page says: nothing overdue
    later = AFTER + timedelta(days=90)
    document = invoice_document(deal_view(SUPPORTED, events, today=later), "VW-2", events)
    assert document.netted is not None and document.netted.amount == D("20000.00")
    assert not document.overdue
    running = invoice_document(
        deal_view(SUPPORTED, events, today=date(2026, 12, 1)), "VW-2", events
    )
    assert running.overdue  # in the notice, 88,200.00 was outstanding after its due date


def test_an_exit_that_nets_nothing_leaves_the_invoice_as_the_books_have_it() -> None:
    events = _exited()  # 5,000.00 on account settled VW-2 before the exit: 83,200.00 open
    after = _vw2(DEAL, events, AFTER)
    assert after.netted is None
    assert (after.outstanding.amount, after.status) == (D("83200.00"), "part-paid")
    assert invoice_json(after)["netted"] == "0.00"


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.integers(min_value=1, max_value=8_000_000), min_size=1, max_size=4))
def test_what_the_invoices_show_outstanding_is_what_may_still_be_paid(parts: list[int]) -> None:
    """Whatever Acme pays for VW-2 after the exit, what the invoices show outstanding is the
    settlement's ``invoices_open``, and no invoice's parts lose or gain a cent."""
    events = _supported_exit()
    for n, cents in enumerate(parts):
        day = AFTER + timedelta(days=n)
        amount = str(D(cents) / 100)
        try:
            events = _do(
                events, _pay(events, amount, f"P-{n}", day, "VW-2", SUPPORTED), day, SUPPORTED
            )
        except RefusedCommand:
            continue
        events = _do(events, _confirm(events, f"P-{n}", day, SUPPORTED), day, SUPPORTED)
        view = deal_view(SUPPORTED, events, today=day)
        settlement = settlement_of(SUPPORTED, events, state=deal_state(SUPPORTED, events, on=day))
        assert settlement is not None and settlement.invoices_open is not None
        billed = [i for i in view.invoices if (i.from_, i.to) == ("voltworks", "acme")]
        assert sum(i.outstanding.amount for i in billed) == settlement.invoices_open.amount
        for i in billed:
            total, advance, paid, netted, outstanding = _parts(i)
            assert total == advance + paid + netted + outstanding
            assert netted >= 0 and outstanding >= 0
