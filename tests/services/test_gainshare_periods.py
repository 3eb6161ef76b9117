"""A gainshare year from the data files to the true-up, on a real workspace (SQLite always,
PostgreSQL when it answers). hybrid-dc1: the locked baseline (fitted on 2025's fuel logs) is
141.622 L + 93.590 L per outage hour a month; examples/baseline/hybrid-dc1-2027.csv is 2027's
use. voltworks is paid 30% of the savings at 1.45 a litre plus a 1,500.00 base fee a month,
capped at 60,000.00 a year, no VAT (a US supply).

    March    12.0 h: predicted 1,264.703 L, actual 1,000.0 L, S = 264.703 L
             30% × 264.703 × 1.45 = 115.14581 → 115.15; invoice 1,500.00 + 115.15 = 1,615.15
    July      3.0 h: predicted 422.392 L, actual 520.0 L (the battery was in maintenance):
             S = −97.608 L, share 0.00; invoice 1,500.00
    the year: the twelve share lines bill 346.59; ΣS = 699.137 L earns
             30% × 699.137 × 1.45 = 304.12460 → 304.12; true-up 304.12 − 346.59 = −42.47,
             a credit note of 42.47 (July's bad month no longer pays for itself twice)
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from copact.core.events import CreditNote, Invoice, SavingsSettled
from copact.errors import NothingToDo, RefusedCommand
from copact.services import operations as ops
from copact.services.gainshare_periods import SavingsRequest, gainshare_view, record_month
from copact.services.inputs import BadOption
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import EXAMPLES, DayClock, run_events, sign_deal
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)

DEAL = EXAMPLES / "hybrid-dc1.yaml"
DEAL_ID = "hybrid-dc1"
DATA = EXAMPLES / "baseline" / "hybrid-dc1-fuel.csv"
REPORTING = EXAMPLES / "baseline" / "hybrid-dc1-2027.csv"
D = Decimal


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:  # noqa: F811
    workspace.clock = DayClock(date(2027, 4, 2))
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    sign_deal(workspace, DEAL_ID)  # ana and sam sign: the deal binds, so it can operate
    return workspace


SIGNED = ["signed", "signed"]
"""The journal's first two events: a person of each party signing (``ws`` signs the deal)."""


def _record(ws: Workspace, period: str, data: Path = DATA) -> SavingsSettled:
    request = SavingsRequest(data=data, reporting=REPORTING, period=period)
    _, outcome = record_month(ws, DEAL_ID, request, by="sam", clock=ws.clock)
    (settled,) = outcome.events
    assert isinstance(settled, SavingsSettled)
    return settled


def _lines(invoice: object) -> list[tuple[str, Decimal]]:
    assert isinstance(invoice, Invoice)
    return [(line.for_, line.amount) for line in invoice.lines]


def test_march_is_recorded_from_its_data_and_invoiced(ws: Workspace) -> None:
    settled = _record(ws, "2027-03")
    assert (settled.predicted, settled.actual, settled.savings) == (
        D("1264.703"),
        D("1000.0"),
        D("264.703"),
    )
    assert settled.baseline == "sha256:" + (
        "1861a22129388ee91771ce7aa5b38e9e9adb7325deca30e80423ef4e1e706bbc"
    )
    assert [e.kind for e in settled.evidence] == ["baseline-data", "reporting-data"]
    checked = ws.verify(DEAL_ID, evidence=True)
    assert checked.ok and checked.evidence_checked == 2, checked.reason
    with pytest.raises(NothingToDo, match="already settled from these inputs"):
        _record(ws, "2027-03")
    (invoice,) = run_events(ws, ops.IssueGainshareInvoice(deal=DEAL_ID, period="2027-03"))
    assert _lines(invoice) == [
        ("gainshare:2027-03:base", D("1500.00")),
        ("gainshare:2027-03:share", D("115.15")),
    ]
    assert isinstance(invoice, Invoice) and (invoice.total, invoice.tax) == (D("1615.15"), None)
    with pytest.raises(NothingToDo, match="already invoiced"):
        run_events(ws, ops.IssueGainshareInvoice(deal=DEAL_ID, period="2027-03"))


def test_a_refit_with_another_hash_is_refused(ws: Workspace, tmp_path: Path) -> None:
    """One 2025 month's fuel log edited: the fit's hash is not the one the deal locks."""
    edited = tmp_path / "fuel.csv"
    edited.write_text(DATA.read_text().replace("253.0", "263.0"))
    with pytest.raises(RefusedCommand, match="locked in the deal"):
        _record(ws, "2027-03", data=edited)
    with pytest.raises(RefusedCommand, match="not the sha256:1861a2212938… locked"):
        run_events(
            ws,
            ops.SettleSavings(
                deal=DEAL_ID,
                period="2027-03",
                predicted="10",
                actual="5",
                savings="5",
                baseline="sha256:" + "ab" * 32,
                inputs="sha256:" + "0" * 64,
                by="sam",
            ),
        )
    assert [e.type for e in ws.events(DEAL_ID)] == SIGNED


def test_a_month_without_data_or_not_yet_over_is_refused(ws: Workspace) -> None:
    with pytest.raises(BadOption, match="has no rows in 2028-01"):
        _record(ws, "2028-01")
    with pytest.raises(RefusedCommand, match="runs until 2027-04-30"):
        _record(ws, "2027-04")


def test_the_year_is_trued_up_by_a_credit_note_and_imports_are_held_to_it(
    ws: Workspace, tmp_path: Path
) -> None:
    ws.clock = DayClock(date(2028, 1, 5))
    invoices = []
    for month in range(1, 13):
        period = f"2027-{month:02d}"
        _record(ws, period)
        (invoice,) = run_events(ws, ops.IssueGainshareInvoice(deal=DEAL_ID, period=period))
        invoices.append(invoice)
    assert _lines(invoices[6]) == [("gainshare:2027-07:base", D("1500.00"))]  # S = −97.608
    shares = sum((a for i in invoices for f, a in _lines(i) if f.endswith("share")), D(0))
    assert shares == D("346.59")
    view = gainshare_view(ws.deal(DEAL_ID), list(ws.events(DEAL_ID)), today=date(2028, 1, 5))
    (year,) = view.years
    assert (year.savings, year.year_share.amount, year.billed.amount, year.due.amount) == (
        D("699.137"),
        D("304.12"),
        D("346.59"),
        D("-42.47"),
    )
    assert view.months[2].year_to_date.amount == D("161.12")  # 25.69 + 20.28 + 115.15
    (note,) = run_events(ws, ops.TrueUpGainshare(deal=DEAL_ID, year="2027"))
    assert isinstance(note, CreditNote)
    assert (note.for_, note.period, note.amount, note.from_, note.to) == (
        "true-up",
        "2027",
        D("42.47"),
        "voltworks",
        "acme",
    )
    assert note.preceding == invoices[-1].number  # type: ignore[attr-defined]
    with pytest.raises(NothingToDo, match="already trued up"):
        run_events(ws, ops.TrueUpGainshare(deal=DEAL_ID, year="2027"))

    text = ws.export_journal(DEAL_ID)
    copy = Workspace.init(tmp_path / "copy", database=None, clock=ws.clock)
    copy.add_deal(DEAL.read_text(), str(DEAL))
    assert copy.import_journal(DEAL_ID, text, "copy.jsonl") == len(SIGNED) + 25
    forged = Workspace.init(tmp_path / "forged", database=None, clock=ws.clock)
    forged.add_deal(DEAL.read_text(), str(DEAL))
    lines = text.splitlines()
    march = next(i for i, line in enumerate(lines) if '"gainshare:2027-03:share"' in line)
    lines[march] = lines[march].replace('"115.15"', '"215.15"')
    with pytest.raises(ImportRefused, match="figures say"):
        forged.import_journal(DEAL_ID, "\n".join(lines) + "\n", "forged.jsonl")
    lines = text.splitlines()
    lines[-1] = lines[-1].replace('"42.47"', '"40.00"')
    with pytest.raises(ImportRefused, match=re.escape("bills 40.00; the deal says 42.47")):
        forged.import_journal(DEAL_ID, "\n".join(lines) + "\n", "forged.jsonl")
    lines = text.splitlines()
    january = len(SIGNED)  # the first settlement, after the two signatures
    lines[january] = lines[january].replace('"savings":"59.058"', '"savings":"159.058"')
    with pytest.raises(ImportRefused, match="are not the predicted"):
        forged.import_journal(DEAL_ID, "\n".join(lines) + "\n", "forged.jsonl")


def test_a_true_up_invoice_is_held_to_the_year_on_import(ws: Workspace, tmp_path: Path) -> None:
    """Twelve months of 0.01 L each: 30% × 0.01 × 1.45 = 0.00435 → 0.00 a month, but the year's
    0.12 L earns 0.0522 → 0.05: the true-up is an invoice of 0.05 (gainshare:2027:true-up)."""
    ws.clock = DayClock(date(2028, 1, 5))
    for month in range(1, 13):
        period = f"2027-{month:02d}"
        settle = ops.SettleSavings(
            deal=DEAL_ID,
            period=period,
            predicted="100.01",
            actual="100",
            savings="0.01",
            baseline="sha256:1861a22129388ee91771ce7aa5b38e9e9adb7325deca30e80423ef4e1e706bbc",
            inputs="sha256:" + f"{month:02d}" * 32,
            by="sam",
        )
        run_events(ws, settle)
        run_events(ws, ops.IssueGainshareInvoice(deal=DEAL_ID, period=period))
    (invoice,) = run_events(ws, ops.TrueUpGainshare(deal=DEAL_ID, year="2027"))
    assert _lines(invoice) == [("gainshare:2027:true-up", D("0.05"))]
    text = ws.export_journal(DEAL_ID)
    copy = Workspace.init(tmp_path / "copy", database=None, clock=ws.clock)
    copy.add_deal(DEAL.read_text(), str(DEAL))
    assert copy.import_journal(DEAL_ID, text, "copy.jsonl") == len(SIGNED) + 25
    forged = Workspace.init(tmp_path / "forged", database=None, clock=ws.clock)
    forged.add_deal(DEAL.read_text(), str(DEAL))
    lines = text.splitlines()
    lines[-1] = lines[-1].replace('"0.05"', '"5.00"')
    with pytest.raises(ImportRefused, match="figures say"):
        forged.import_journal(DEAL_ID, "\n".join(lines) + "\n", "forged.jsonl")
