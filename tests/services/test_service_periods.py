"""A managed service's period from metering to invoice, on a real workspace (SQLite always,
PostgreSQL when it answers). hybrid-dc1, March 2027, one site: the fee is 4,000.00 a month;
availability 99.567% is below the 99.95% target and earns Acme a 5% credit, 200.00; so
VoltWorks bills 3,800.00 (no VAT: a US supply). The settlement is recorded once with the hash
of its inputs, invoiced once, a flagged one only after the other party reviewed it, and an
imported journal is held to the same guards."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from copact.core.events import Invoice, ServiceSettled, SiteSettlement
from copact.errors import NothingToDo, RefusedCommand
from copact.services import operations as ops
from copact.services.metering import MeterRequest
from copact.services.service_periods import record_period
from copact.services.views import deal_view
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import EXAMPLES, DayClock, run_events, sign_deal
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)

DEAL = EXAMPLES / "hybrid-dc1.yaml"
DEAL_ID = "hybrid-dc1"
TELEMETRY = EXAMPLES / "telemetry"
REQUEST = MeterRequest(
    telemetry=(TELEMETRY / "dc1-2027-03.parquet",),
    period="2027-03",
    windows=TELEMETRY / "dc1-2027-03-windows.csv",
    tickets=TELEMETRY / "dc1-2027-03-tickets.csv",
)
HASH = "sha256:" + "0" * 64


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:  # noqa: F811
    workspace.clock = DayClock(date(2027, 4, 2))
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    sign_deal(workspace, DEAL_ID)  # ana and sam sign: the deal binds, so it can operate
    return workspace


SIGNED = ["signed", "signed"]
"""The journal's first two events: a person of each party signing (``ws`` signs the deal)."""


def _settle(ws: Workspace, **changes: object) -> list[object]:
    fields: dict[str, object] = {
        "deal": DEAL_ID,
        "period": "2027-03",
        "sites": (
            SiteSettlement(
                site="dc1",
                fee=Decimal("4000.00"),
                credits=Decimal("200.00"),
                bonuses=Decimal(0),
                amount=Decimal("3800.00"),
            ),
        ),
        "inputs": HASH,
        "by": "sam",
    }
    return run_events(ws, ops.SettleServicePeriod(**{**fields, **changes}))  # type: ignore[arg-type]


def test_a_metered_period_is_recorded_once_and_invoiced_once(ws: Workspace) -> None:
    metered, outcome = record_period(ws, DEAL_ID, REQUEST, by="sam", clock=ws.clock)
    (settled,) = outcome.events
    assert isinstance(settled, ServiceSettled)
    assert settled.sites == [
        SiteSettlement(
            site="dc1",
            fee=Decimal("4000.00"),
            credits=Decimal("200.00"),
            bonuses=Decimal("0.00"),
            amount=Decimal("3800.00"),
        )
    ]
    assert settled.inputs == metered.inputs_hash and settled.by == "sam"
    # the input files are kept as the settlement's evidence, the very bytes that were metered
    assert [(e.kind, "sha256:" + e.sha256) for e in settled.evidence] == [
        (role, "sha256:" + digest) for role, digest in metered.inputs if role != "journal-windows"
    ]
    checked = ws.verify(DEAL_ID, evidence=True)
    assert checked.ok and checked.evidence_checked == 3, checked.reason
    tickets = ws.blobs.path(settled.evidence[-1].sha256)
    tickets.chmod(0o644)
    tickets.write_bytes(tickets.read_bytes().replace(b"dc1", b"dc2", 1))  # a ticket moved away
    altered = ws.verify(DEAL_ID, evidence=True)
    assert not altered.ok and "service-settled 2027-03" in str(altered.evidence_problems)
    with pytest.raises(NothingToDo, match="already settled from these inputs"):
        record_period(ws, DEAL_ID, REQUEST, by="sam", clock=ws.clock)
    with pytest.raises(RefusedCommand, match="settled once"):
        _settle(ws, inputs="sha256:" + "1" * 64)  # other figures for the same month

    (invoice,) = run_events(ws, ops.IssueServiceInvoice(deal=DEAL_ID, period="2027-03"))
    assert isinstance(invoice, Invoice)
    assert [(line.for_, line.amount) for line in invoice.lines] == [
        ("sla:2027-03:dc1", Decimal("3800.00"))
    ]
    assert (invoice.from_, invoice.to, invoice.tax) == ("voltworks", "acme", None)
    assert invoice.due == date(2027, 5, 2)  # 30 days
    with pytest.raises(NothingToDo, match="already invoiced"):
        run_events(ws, ops.IssueServiceInvoice(deal=DEAL_ID, period="2027-03"))
    view = deal_view(ws.deal(DEAL_ID), list(ws.events(DEAL_ID)), today=date(2027, 4, 2))
    (shown,) = view.invoices
    assert shown.total.amount == Decimal("3800.00") and shown.outstanding == shown.total


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"period": "2027-04"}, "runs until 2027-04-30: settle it after"),
        ({"period": "2026-12"}, "runs from 2027-01-01"),
        ({"period": "2027-Q1"}, "settles per month"),
        ({"by": "nobody"}, "not a person"),
    ],
)
def test_a_period_that_cannot_be_settled_is_refused(
    ws: Workspace, changes: dict[str, object], refusal: str
) -> None:
    with pytest.raises(RefusedCommand, match=re.escape(refusal)):
        _settle(ws, **changes)
    assert [e.type for e in ws.events(DEAL_ID)] == SIGNED


@pytest.mark.parametrize(
    ("site", "refusal"),
    [
        (("dc1", "4000.00", "200.00", "0", "3900.00"), "is not the fee 4000.00 less credits"),
        (("dc1", "4000.00", "1200.00", "0", "2800.00"), "exceed the SLA's credit cap"),
        (("dc1", "3000.00", "0", "0", "3000.00"), "the SLA's fee for 2027-03 is 4000.00"),
        (("dc2", "4000.00", "0", "0", "4000.00"), "the SLA's are dc1"),
        (("dc1", "4000.001", "0", "0", "4000.001"), "whole minor units"),
    ],
)
def test_figures_that_do_not_add_up_are_refused(
    ws: Workspace, site: tuple[str, ...], refusal: str
) -> None:
    name, *money = site
    fee, credits, bonuses, amount = (Decimal(m) for m in money)
    row = SiteSettlement(site=name, fee=fee, credits=credits, bonuses=bonuses, amount=amount)
    with pytest.raises(RefusedCommand, match=re.escape(refusal)):
        _settle(ws, sites=(row,))


def test_a_flagged_period_is_invoiced_once_the_other_party_reviewed_it(ws: Workspace) -> None:
    flag = "dc1: review: telemetry is unknown for 12.0% of the period (more than 10%)"
    _settle(ws, flags=(flag,))
    with pytest.raises(RefusedCommand, match="flagged for review"):
        run_events(ws, ops.IssueServiceInvoice(deal=DEAL_ID, period="2027-03"))
    with pytest.raises(RefusedCommand, match="a person of the other party reviews it"):
        run_events(ws, ops.ReviewServicePeriod(deal=DEAL_ID, period="2027-03", by="sam"))
    run_events(ws, ops.ReviewServicePeriod(deal=DEAL_ID, period="2027-03", by="ana"))
    (invoice,) = run_events(ws, ops.IssueServiceInvoice(deal=DEAL_ID, period="2027-03"))
    assert isinstance(invoice, Invoice) and invoice.total == Decimal("3800.00")


def test_an_imported_service_invoice_must_be_the_settlements(ws: Workspace, tmp_path: Path) -> None:
    _settle(ws)
    run_events(ws, ops.IssueServiceInvoice(deal=DEAL_ID, period="2027-03"))
    text = ws.export_journal(DEAL_ID)
    copy = Workspace.init(tmp_path / "copy", database=None, clock=ws.clock)
    copy.add_deal(DEAL.read_text(), str(DEAL))
    assert copy.import_journal(DEAL_ID, text, "copy.jsonl") == len(SIGNED) + 2
    forged = Workspace.init(tmp_path / "forged", database=None, clock=ws.clock)
    forged.add_deal(DEAL.read_text(), str(DEAL))
    lines = text.splitlines()
    invoice, settled = len(SIGNED) + 1, len(SIGNED)  # after the two signatures
    lines[invoice] = lines[invoice].replace('"3800.00"', '"4000.00"')
    with pytest.raises(ImportRefused, match="figures say"):
        forged.import_journal(DEAL_ID, "\n".join(lines) + "\n", "forged.jsonl")
    lines = text.splitlines()
    lines[settled] = lines[settled].replace('"credits":"200.00"', '"credits":"0.00"')
    with pytest.raises(ImportRefused, match="is not the fee"):
        forged.import_journal(DEAL_ID, "\n".join(lines) + "\n", "forged.jsonl")


def test_journal_verify_meters_each_settled_period_again(ws: Workspace) -> None:
    """The kept files price the settlement: verify meters them again and compares. A
    settlement the guard let through with figures its own files do not give (4,000.00 billed,
    no credit, where the files earn Acme a 5% credit) is named by verify."""
    record_period(ws, DEAL_ID, REQUEST, by="sam", clock=ws.clock)
    result = ws.verify(DEAL_ID, evidence=True)
    assert result.ok and result.remetered == 1 and not result.repriced


def test_a_settlement_its_kept_files_do_not_give_fails_verify(ws: Workspace) -> None:
    from copact.services.metering import meter_period
    from copact.services.service_periods import keep_inputs

    metered = meter_period(ws.deal(DEAL_ID), REQUEST, workspace=ws)
    kept = keep_inputs(ws, DEAL_ID, REQUEST, by="sam")
    full = SiteSettlement(
        site="dc1",
        fee=Decimal("4000.00"),
        credits=Decimal(0),
        bonuses=Decimal(0),
        amount=Decimal("4000.00"),
    )
    _settle(ws, sites=(full,), inputs=metered.inputs_hash, evidence=kept)
    result = ws.verify(DEAL_ID, evidence=True)
    assert not result.ok and result.remetered == 1
    (said,) = result.repriced
    assert said == (
        "service period 2027-03 (event 3): its kept files settle dc1 3,800.00; the journal "
        "says dc1 4,000.00"
    )
    assert said in result.reason
