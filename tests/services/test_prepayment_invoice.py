"""The advance's invoice as a command on a real workspace (SQLite always, PostgreSQL when it
answers): issued once in the supplier's numbering, paid by its number as the advance, carried
through an export and an import (a forged one refused), and refused once an exit has taken
effect."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from copact.core.events import PrepaymentInvoice
from copact.errors import NothingToDo, RefusedCommand
from copact.services import operations as ops
from copact.services.views import deal_view
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import DayClock
from tests.services.test_operations import DEAL, DEAL_ID, SIGNED, clock, ws  # noqa: F401
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)


def _issue(on: Workspace, at: DayClock) -> PrepaymentInvoice:
    (event,) = ops.execute(ops.IssueAdvanceInvoice(deal=DEAL_ID), uow=on, clock=at).events
    assert isinstance(event, PrepaymentInvoice)
    return event


def test_the_advance_is_invoiced_once_in_the_deal_numbering(ws: Workspace, clock: DayClock) -> None:  # noqa: F811
    event = _issue(ws, clock)
    # heat-sensor-housing: a 30,000.00 advance from ridgeline to kestrel, due 2026-07-15 (passed
    # on 2026-09-01, so due the day it is issued); a US deal outside the scope of VAT
    assert (event.number, event.from_, event.to) == (
        "heat-sensor-housing-001",
        "kestrel",
        "ridgeline",
    )
    assert (event.amount, event.tax, event.due) == (Decimal("30000.00"), None, date(2026, 9, 1))
    with pytest.raises(NothingToDo, match="already invoiced"):
        ops.execute(ops.IssueAdvanceInvoice(deal=DEAL_ID), uow=ws, clock=clock)
    assert [e.type for e in ws.events(DEAL_ID)] == [*SIGNED, "prepayment-invoice"]


def test_paying_it_by_number_pays_the_advance(ws: Workspace, clock: DayClock) -> None:  # noqa: F811
    event = _issue(ws, clock)
    pay = ops.RecordPayment(
        deal=DEAL_ID,
        payer="ridgeline",
        payee="kestrel",
        amount=Decimal("30000"),
        ref="PP-1",
        for_=event.number,
        by="dana",
    )
    (payment,) = ops.execute(pay, uow=ws, clock=clock).events
    assert payment.for_ == "prepaid"  # type: ignore[union-attr]
    ops.execute(ops.ConfirmPayment(deal=DEAL_ID, ref="PP-1", by="luis"), uow=ws, clock=clock)
    view = deal_view(ws.deal(DEAL_ID), list(ws.events(DEAL_ID)), today=date(2026, 9, 1))
    assert view.prepayment is not None and view.prepayment.status == "paid"
    assert view.state.book.advance_paid.amount == Decimal("30000.00")
    assert view.invoice(event.number) is view.prepayment
    assert view.invoices == []  # the advance's invoice bills nothing the milestones bill again


def test_an_imported_advance_invoice_must_be_the_one_the_deal_issues(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
    tmp_path: Path,
) -> None:
    _issue(ws, clock)
    text = ws.export_journal(DEAL_ID)
    copy = Workspace.init(tmp_path / "copy", database=None, clock=clock)
    copy.add_deal(DEAL.read_text(), str(DEAL))
    assert copy.import_journal(DEAL_ID, text, "advance.jsonl") == len(SIGNED) + 1
    assert copy.export_journal(DEAL_ID) == text
    forged = Workspace.init(tmp_path / "forged", database=None, clock=clock)
    forged.add_deal(DEAL.read_text(), str(DEAL))
    with pytest.raises(ImportRefused, match=re.escape("bills 25000.00; the deal says 30000.00")):
        forged.import_journal(DEAL_ID, text.replace('"30000.00"', '"25000.00"'), "forged.jsonl")


def test_no_advance_is_invoiced_once_an_exit_has_taken_effect(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
) -> None:
    ops.execute(
        ops.TriggerExit(deal=DEAL_ID, trigger="convenience", by="hannah"), uow=ws, clock=clock
    )
    clock.advance(120)  # past any notice period
    with pytest.raises(RefusedCommand, match="exit"):
        ops.execute(ops.IssueAdvanceInvoice(deal=DEAL_ID), uow=ws, clock=clock)
