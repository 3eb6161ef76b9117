"""A volume commitment's contract year from the first call-off to its true-up, on a real
workspace (SQLite always, PostgreSQL when it answers), with examples/heat-sensor-housing.yaml:
24,000 housings a year at 6.85 USD, 3% back from 30,000 and 5% from 36,000, no VAT.

    year 2026 (July 2026 to June 2027): twelve call-offs of 2,600 recorded by dana (Ridgeline)
    and confirmed by luis (Kestrel): 31,200 × 6.85 = 213,720.00 → 3% → credit note 6,411.60

Imports are held to the same guards: a forged rebate, an unconfirmed purchase passed off as
counted, a purchase amount that is not quantity × price are each refused. An exit in its
notice lets an ended year be trued up; once it has taken effect nothing more is.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from copact.core.events import CreditNote, Invoice
from copact.documents.einvoice_check import check_einvoice
from copact.documents.ubl import ubl_xml
from copact.errors import NothingToDo, RefusedCommand
from copact.services import operations as ops
from copact.services.invoice_documents import invoice_document
from copact.services.views import deal_view, describe
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import EXAMPLES, DayClock, run_events, sign_deal
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)

DEAL = EXAMPLES / "heat-sensor-housing.yaml"
DEAL_ID = "heat-sensor-housing"
D = Decimal


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:  # noqa: F811
    workspace.clock = DayClock(date(2026, 7, 28))
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    sign_deal(workspace, DEAL_ID)  # hannah and luis sign: the deal binds, so it can operate
    return workspace


SIGNED = ["signed", "signed"]
"""The journal's first two events: a person of each party signing (``ws`` signs the deal)."""


def _at(ws: Workspace, day: date) -> None:
    ws.clock = DayClock(day)


def _year_2026(ws: Workspace, quantity: int = 2600, *, confirm: bool = True) -> None:
    for i in range(12):
        month = date(2026 + (6 + i) // 12, (6 + i) % 12 + 1, 28)
        _at(ws, month)
        ref = f"CO-{month:%Y-%m}"
        period = f"{month:%Y-%m}"
        run_events(
            ws,
            ops.RecordPurchases(deal=DEAL_ID, period=period, quantity=quantity, ref=ref, by="dana"),
        )
        if confirm:
            run_events(ws, ops.ConfirmPurchases(deal=DEAL_ID, ref=ref, by="luis"))


def test_a_year_of_call_offs_is_trued_up_by_a_rebate_credit_note(ws: Workspace) -> None:
    _at(ws, date(2026, 7, 28))
    (recorded,) = run_events(
        ws,
        ops.RecordPurchases(deal=DEAL_ID, period="2026-07", quantity="2600", ref="CO-1", by="dana"),
    )
    assert describe(recorded) == (
        "purchases CO-1 of 2026-07 recorded by dana: 2,600 units, 17,810.00; they count once "
        "the other party confirms them"
    )
    view = deal_view(ws.deal(DEAL_ID), ws.events(DEAL_ID), today=date(2026, 7, 28))
    assert view.volume is not None and view.volume.years[0].quantity == 0
    with pytest.raises(RefusedCommand, match="CO-1 were already recorded"):
        run_events(
            ws,
            ops.RecordPurchases(deal=DEAL_ID, period="2026-07", quantity=1, ref="CO-1", by="luis"),
        )
    with pytest.raises(RefusedCommand, match="dana of ridgeline cannot confirm"):
        run_events(ws, ops.ConfirmPurchases(deal=DEAL_ID, ref="CO-1", by="dana"))
    run_events(ws, ops.ConfirmPurchases(deal=DEAL_ID, ref="CO-1", by="luis"))
    with pytest.raises(RefusedCommand, match="already confirmed by luis"):
        run_events(ws, ops.ConfirmPurchases(deal=DEAL_ID, ref="CO-1", by="priya"))
    for i in range(1, 12):
        month = date(2026 + (6 + i) // 12, (6 + i) % 12 + 1, 28)
        _at(ws, month)
        command = ops.RecordPurchases(
            deal=DEAL_ID, period=f"{month:%Y-%m}", quantity=2600, ref=f"CO-{i + 1}", by="dana"
        )
        run_events(ws, command)
        run_events(ws, ops.ConfirmPurchases(deal=DEAL_ID, ref=f"CO-{i + 1}", by="luis"))
    with pytest.raises(RefusedCommand, match="runs until 2027-06-30"):
        run_events(ws, ops.TrueUpVolume(deal=DEAL_ID, year="2026"))
    _at(ws, date(2027, 7, 2))
    (note,) = run_events(ws, ops.TrueUpVolume(deal=DEAL_ID, year="2026"))
    assert isinstance(note, CreditNote)
    assert (note.number, note.for_, note.period, note.amount, note.tax) == (
        "heat-sensor-housing-001",
        "rebate",
        "2026",
        D("6411.60"),
        None,
    )
    assert describe(note) == (
        "credit note heat-sensor-housing-001: kestrel → ridgeline 6,411.60, the volume rebate "
        "of contract year 2026"
    )
    with pytest.raises(NothingToDo, match="already trued up"):
        run_events(ws, ops.TrueUpVolume(deal=DEAL_ID, year="2026"))
    view = deal_view(ws.deal(DEAL_ID), ws.events(DEAL_ID), today=date(2027, 7, 2))
    assert view.volume is not None
    first = view.volume.years[0]
    assert (first.quantity, first.amount.amount, first.rebate_note) == (
        D(31200),
        D("213720.00"),
        "heat-sensor-housing-001",
    )
    assert [d.number for d in view.credit_notes] == ["heat-sensor-housing-001"]


def test_imports_are_held_to_the_purchases_and_the_rebate(ws: Workspace, tmp_path: Path) -> None:
    _year_2026(ws)
    _at(ws, date(2027, 7, 2))
    run_events(ws, ops.TrueUpVolume(deal=DEAL_ID, year="2026"))
    run_events(
        ws, ops.RecordForecast(deal=DEAL_ID, from_="2027-07", quantities=["7000"] * 4, by="hannah")
    )
    text = ws.export_journal(DEAL_ID)

    def fresh(name: str) -> Workspace:
        other = Workspace.init(tmp_path / name, database=None, clock=ws.clock)
        other.add_deal(DEAL.read_text(), str(DEAL))
        return other

    assert fresh("copy").import_journal(DEAL_ID, text, "copy.jsonl") == len(SIGNED) + 26
    lines = text.splitlines()
    note = next(i for i, line in enumerate(lines) if '"rebate"' in line)
    forged = [*lines]
    forged[note] = forged[note].replace('"6411.60"', '"9000.00"')
    with pytest.raises(ImportRefused, match=re.escape("bills 9000.00; the deal says 6411.60")):
        fresh("forged").import_journal(DEAL_ID, "\n".join(forged) + "\n", "forged.jsonl")
    # the last confirmation left out: 28,600 housings reach no tier, so no rebate is due
    confirm = max(i for i, line in enumerate(lines) if '"purchases-confirmed"' in line)
    unconfirmed = [line for i, line in enumerate(lines) if i != confirm]
    with pytest.raises(ImportRefused, match="reach no rebate tier"):
        fresh("unconfirmed").import_journal(DEAL_ID, "\n".join(unconfirmed) + "\n", "u.jsonl")
    first = next(i for i, line in enumerate(lines) if '"purchases-recorded"' in line)
    inflated = [*lines]
    inflated[first] = inflated[first].replace('"amount":"17810.00"', '"amount":"27810.00"')
    with pytest.raises(ImportRefused, match=re.escape("is 17,810.00, not 27,810.00")):
        fresh("inflated").import_journal(DEAL_ID, "\n".join(inflated) + "\n", "i.jsonl")


def test_an_exit_in_its_notice_lets_an_ended_year_be_trued_up_not_after(ws: Workspace) -> None:
    """Ridgeline's convenience exit on 2027-06-29 takes effect 60 days later, 2027-08-28: the
    year 2026, ended on 2027-06-30, is trued up on 2027-07-02; year 2027 never will be."""
    _year_2026(ws, 3000)
    _at(ws, date(2027, 6, 29))
    run_events(ws, ops.TriggerExit(deal=DEAL_ID, trigger="convenience", by="hannah"))
    _at(ws, date(2027, 7, 2))
    (note,) = run_events(ws, ops.TrueUpVolume(deal=DEAL_ID, year="2026"))
    assert isinstance(note, CreditNote) and note.amount == D("12330.00")  # 36,000: 5%
    _at(ws, date(2027, 9, 1))
    with pytest.raises(RefusedCommand, match="the deal ended on 2027-08-28"):
        run_events(
            ws, ops.RecordPurchases(deal=DEAL_ID, period="2027-09", quantity=5, ref="X", by="dana")
        )
    _at(ws, date(2028, 7, 2))
    with pytest.raises(RefusedCommand, match="the deal ended on 2027-08-28"):
        run_events(ws, ops.TrueUpVolume(deal=DEAL_ID, year="2027"))


def test_a_shortfall_year_is_invoiced_and_never_drawn_from_the_advance(
    ws: Workspace, tmp_path: Path
) -> None:
    """With shortfall: invoice, 12 × 1,500 = 18,000 housings: (24,000 − 18,000) × 6.85 =
    41,100.00, a service invoice (the prepaid advance funds milestones only) whose UBL passes
    EN 16931."""
    text = DEAL.read_text().replace(
        "  true-up: annual\n", "  true-up: annual\n  shortfall: invoice\n"
    )
    other = Workspace.init(tmp_path / "short", database=None, clock=ws.clock)
    other.add_deal(text, "short.yaml")
    sign_deal(other, DEAL_ID)  # on 2026-07-28, the first call-off's day
    _year_2026(other, 1500)
    _at(other, date(2027, 7, 2))
    (invoice,) = run_events(other, ops.TrueUpVolume(deal=DEAL_ID, year="2026"))
    assert isinstance(invoice, Invoice)
    assert [(line.for_, line.amount) for line in invoice.lines] == [
        ("volume:2026:shortfall", D("41100.00"))
    ]
    view = deal_view(other.deal(DEAL_ID), other.events(DEAL_ID), today=date(2027, 7, 2))
    shown = view.invoice(invoice.number)
    assert shown is not None and shown.standing.service and shown.from_advance.is_zero
    assert view.volume is not None and view.volume.years[0].shortfall_invoice == invoice.number
    legal = invoice_document(view, invoice.number, list(other.events(DEAL_ID))).legal
    assert check_einvoice(ubl_xml(legal)).ok  # EN 16931: "Volume commitment, … shortfall"
    exported = other.export_journal(DEAL_ID)
    copy = Workspace.init(tmp_path / "copy", database=None, clock=other.clock)
    copy.add_deal(text, "short.yaml")
    assert copy.import_journal(DEAL_ID, exported, "c.jsonl") == len(SIGNED) + 25
    forged = exported.replace('"41100.00"', '"51100.00"')
    again = Workspace.init(tmp_path / "forged", database=None, clock=other.clock)
    again.add_deal(text, "short.yaml")
    with pytest.raises(ImportRefused, match="figures say"):
        again.import_journal(DEAL_ID, forged, "f.jsonl")
