"""The exit refund's credit note (EN 16931 type 381) on a real workspace (SQLite always,
PostgreSQL when it answers), on the scenario journal of the demo workspace: Ridgeline paid a
30,000.00 advance; the accepted design freeze earned 14,800.00 of it; the prototype samples
were rejected and their cure period passed, so the milestone is missed and Ridgeline exits on
2026-12-28. Unused: 30,000.00 − 14,800.00 = 15,200.00. Kestrel claimed 9,000.00 of rework;
the deduction is capped at 15% of the unused, 2,280.00, so Kestrel owes
15,200.00 − 2,280.00 = 12,920.00 back. Kestrel's credit note says so (no VAT: a US deal),
once, only after the exit has taken effect; it passes XSD and Schematron as CII and UBL; the
refund paid `for: exit` settles it; an import must carry the very note the settlement gives."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from copact.core.events import CreditNote
from copact.documents.cii import cii_xml
from copact.documents.einvoice_check import check_einvoice
from copact.documents.ubl import ubl_xml
from copact.errors import NothingToDo, RefusedCommand
from copact.services import operations as ops
from copact.services.invoice_documents import invoice_document
from copact.services.views import deal_view
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import EXAMPLES, DayClock
from tests.services.test_operations import DEAL, DEAL_ID
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)

JOURNAL = EXAMPLES / "journals" / "heat-sensor-housing.jsonl"
EXIT_DAY = date(2026, 12, 28)


@pytest.fixture
def ended(workspace: Workspace) -> tuple[Workspace, DayClock]:  # noqa: F811
    clock = DayClock(EXIT_DAY, hour=10)
    workspace.clock = clock
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    workspace.import_journal(DEAL_ID, JOURNAL.read_text(encoding="utf-8"), str(JOURNAL))
    return workspace, clock


def _exit(ws: Workspace, clock: DayClock) -> None:
    exit_ = ops.TriggerExit(deal=DEAL_ID, trigger="missed-milestone", by="hannah")
    ops.execute(exit_, uow=ws, clock=clock)


def _credit(ws: Workspace, clock: DayClock) -> CreditNote:
    (note,) = ops.execute(ops.CreditExitRefund(deal=DEAL_ID), uow=ws, clock=clock).events
    assert isinstance(note, CreditNote)
    return note


def test_no_credit_note_while_the_deal_runs(ended: tuple[Workspace, DayClock]) -> None:
    ws, clock = ended
    with pytest.raises(RefusedCommand, match="no exit has taken effect"):
        _credit(ws, clock)


def test_the_exit_refund_is_credited_once_by_the_supplier(
    ended: tuple[Workspace, DayClock],
) -> None:
    ws, clock = ended
    _exit(ws, clock)
    note = _credit(ws, clock)
    assert (note.from_, note.to, note.for_) == ("kestrel", "ridgeline", "exit")
    assert (note.amount, note.tax, note.total) == (Decimal("12920.00"), None, Decimal("12920.00"))
    assert note.number == "heat-sensor-housing-001"  # the journal issued no invoice before it
    assert note.preceding is None  # the advance was paid without an invoice of its own
    with pytest.raises(NothingToDo, match="already credited"):
        _credit(ws, clock)
    # still nothing else moves money: a payment for anything but the exit is refused
    with pytest.raises(RefusedCommand, match="only its settlement moves money"):
        ops.execute(ops.IssueInvoices(deal=DEAL_ID), uow=ws, clock=clock)


def test_the_credit_note_is_a_valid_e_invoice_and_the_refund_settles_it(
    ended: tuple[Workspace, DayClock],
) -> None:
    ws, clock = ended
    _exit(ws, clock)
    note = _credit(ws, clock)
    events = list(ws.events(DEAL_ID))
    doc = invoice_document(deal_view(ws.deal(DEAL_ID), events, today=EXIT_DAY), note.number, events)
    legal = doc.legal
    assert (legal.type_code, legal.tax_inclusive, legal.payable) == (
        381,
        Decimal("12920.00"),
        Decimal("12920.00"),
    )
    for build in (cii_xml, ubl_xml):
        report = check_einvoice(build(legal))
        assert report.ok, [*report.xsd_errors, *(f.rule for f in report.fatal)]
    ubl = etree.fromstring(ubl_xml(legal))
    assert etree.QName(ubl).localname == "CreditNote"
    assert ubl.findtext("{*}CreditNoteTypeCode") == "381"

    refund = ops.RecordPayment(
        deal=DEAL_ID,
        payer="kestrel",
        payee="ridgeline",
        amount=Decimal("12920"),
        ref="R-1",
        for_="exit",
        by="luis",
    )
    ops.execute(refund, uow=ws, clock=clock)
    ops.execute(ops.ConfirmPayment(deal=DEAL_ID, ref="R-1", by="dana"), uow=ws, clock=clock)
    view = deal_view(ws.deal(DEAL_ID), list(ws.events(DEAL_ID)), today=EXIT_DAY)
    (shown,) = view.credit_notes
    assert (shown.status, shown.outstanding.amount) == ("paid", 0)
    assert view.invoice(note.number) is shown


def test_an_imported_credit_note_must_be_the_settlements(
    ended: tuple[Workspace, DayClock], tmp_path: Path
) -> None:
    ws, clock = ended
    _exit(ws, clock)
    _credit(ws, clock)
    text = ws.export_journal(DEAL_ID)
    for name, journal, refused in (
        ("copy", text, None),
        ("forged", text.replace('"12920.00"', '"15200.00"'), "bills 15200.00; the deal says"),
    ):
        other = Workspace.init(tmp_path / name, database=None, clock=clock)
        other.add_deal(DEAL.read_text(), str(DEAL))
        if refused is None:
            other.import_journal(DEAL_ID, journal, f"{name}.jsonl")
            assert other.export_journal(DEAL_ID) == text
        else:
            with pytest.raises(ImportRefused, match=re.escape(refused)):
                other.import_journal(DEAL_ID, journal, f"{name}.jsonl")


def test_a_refund_raised_after_its_credit_note_is_credited_by_a_second_note(
    ended: tuple[Workspace, DayClock],
) -> None:
    """Ridgeline paid 1,000.00 more on account before the exit, and Kestrel confirms it only
    after the first credit note: the unused payments rise to 31,000.00 − 14,800.00 =
    16,200.00, the deduction's cap to 2,430.00, the refund to 13,770.00, and a second note
    credits the 850.00 it rose by, so every cent paid back `for: exit` has a document."""
    ws, clock = ended
    late = ops.RecordPayment(
        deal=DEAL_ID,
        payer="ridgeline",
        payee="kestrel",
        amount=Decimal("1000"),
        ref="L-1",
        by="dana",
    )
    ops.execute(late, uow=ws, clock=clock)
    _exit(ws, clock)
    first = _credit(ws, clock)
    assert first.total == Decimal("12920.00")  # the late payment does not count yet
    with pytest.raises(NothingToDo, match="already credited"):
        _credit(ws, clock)
    ops.execute(ops.ConfirmPayment(deal=DEAL_ID, ref="L-1", by="luis"), uow=ws, clock=clock)
    events = list(ws.events(DEAL_ID))
    settlement = deal_view(ws.deal(DEAL_ID), events, today=EXIT_DAY).exit
    assert settlement is not None
    assert settlement.settlement.owed.quantize().amount == Decimal("13770.00")
    second = _credit(ws, clock)
    assert second.number == "heat-sensor-housing-002"
    assert (second.for_, second.total, second.preceding) == ("exit", Decimal("850.00"), None)
    with pytest.raises(NothingToDo, match=re.escape(f"already credited ({first.number}, ")):
        _credit(ws, clock)
    # the whole refund, paid by either note's number or `for: exit`, settles both notes
    for ref, amount, for_ in (("R-1", first.total, first.number), ("R-2", second.total, "exit")):
        pay = ops.RecordPayment(
            deal=DEAL_ID, payer="kestrel", payee="ridgeline", amount=amount, ref=ref, for_=for_,
            by="luis",
        )  # fmt: skip
        ops.execute(pay, uow=ws, clock=clock)
        ops.execute(ops.ConfirmPayment(deal=DEAL_ID, ref=ref, by="dana"), uow=ws, clock=clock)
    view = deal_view(ws.deal(DEAL_ID), list(ws.events(DEAL_ID)), today=EXIT_DAY)
    assert [(n.number, n.status) for n in view.credit_notes] == [
        (first.number, "paid"),
        (second.number, "paid"),
    ]
    with pytest.raises(
        RefusedCommand, match=re.escape("leaves 0.00 USD to pay")
    ):  # nothing more to pay back
        extra = ops.RecordPayment(
            deal=DEAL_ID, payer="kestrel", payee="ridgeline", amount=Decimal("1"), ref="R-3",
            for_="exit", by="luis",
        )  # fmt: skip
        ops.execute(extra, uow=ws, clock=clock)
    # an import of the journal must carry the very notes the settlement gives
    text = ws.export_journal(DEAL_ID)
    other = Workspace.init(ws.root.parent / "again", database=None, clock=clock)
    other.add_deal(DEAL.read_text(), str(DEAL))
    other.import_journal(DEAL_ID, text, "again.jsonl")
    assert other.export_journal(DEAL_ID) == text
