"""Innovation bonuses and revenue share from claim or report to invoice, on a real workspace
(SQLite always, PostgreSQL when it answers), on the starter deals of `copact new`.

Innovation partnership between Acme Foods and Volt Works (value 250,000.00 EUR, 19% VAT): the
performance bonus is 10% of value, 25,000.00; approved by the buyer's owner it is invoiced
with the approval: 25,000.00 + 4,750.00 VAT = 29,750.00.

Ecosystem alliance (Volt Works gets 5% of Acme's net sales, reported quarterly, audit right):
Q1 2027 reported at 412,000.00 → 20,600.00 (+ 3,914.00 VAT); an audit finding 436,500.00 →
a second invoice of 5% × 24,500.00 = 1,225.00; one finding 400,000.00 instead → the share is
20,000.00, so 600.00 is credited (+ 114.00 VAT), correcting the first invoice."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from copact.core.events import BonusReviewed, CreditNote, Invoice, SalesReported, dumps_events
from copact.dealfile.starters import Structure, starter_deal
from copact.errors import InvalidCommand, NothingToDo, RefusedCommand
from copact.services import operations as ops
from copact.services.views import DealView, deal_view
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import DayClock, run_events, sign_deal
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)

DEAL_ID = "acme-foods-volt-works"


def _deal(structure: Structure) -> str:
    return starter_deal(
        structure,
        buyer="Acme Foods",
        supplier="Volt Works",
        currency="EUR",
        value=Decimal(250000),
        start=date(2027, 1, 4),
    )


@pytest.fixture
def innovation(workspace: Workspace) -> Workspace:  # noqa: F811
    workspace.clock = DayClock(date(2027, 10, 1))
    workspace.add_deal(_deal(Structure.INNOVATION_PARTNERSHIP), "innovation.yaml")
    sign_deal(workspace, DEAL_ID)
    return workspace


@pytest.fixture
def alliance(workspace: Workspace) -> Workspace:  # noqa: F811
    workspace.clock = DayClock(date(2027, 4, 10))
    workspace.add_deal(_deal(Structure.ECOSYSTEM_ALLIANCE), "alliance.yaml")
    sign_deal(workspace, DEAL_ID)
    return workspace


def _view(ws: Workspace) -> DealView:
    return deal_view(ws.deal(DEAL_ID), list(ws.events(DEAL_ID)), today=ws.clock().date())


def _file(ws: Workspace, kind: str, by: str) -> str:
    content = f"{kind} by {by}".encode()
    record = ws.add_evidence(DEAL_ID, io.BytesIO(content), name=f"{kind}.txt", kind=kind, by=by)
    return record.sha256


# -- innovation bonus --


def test_an_approved_bonus_is_invoiced_with_its_approval_once(innovation: Workspace) -> None:
    report = _file(innovation, "test-report", "account-lead")
    claim = ops.ClaimBonus(
        deal=DEAL_ID, bonus="performance-bonus", evidence=(report,), by="account-lead"
    )
    run_events(innovation, claim)
    approved = run_events(
        innovation,
        ops.ReviewBonus(deal=DEAL_ID, bonus="performance-bonus", decision="approved", by="owner"),
    )
    reviewed, invoice = approved
    assert isinstance(reviewed, BonusReviewed) and isinstance(invoice, Invoice)
    assert [(line.for_, line.amount) for line in invoice.lines] == [
        ("bonus:performance-bonus", Decimal("25000.00"))
    ]
    assert invoice.tax == Decimal("4750.00") and invoice.total == Decimal("29750.00")
    assert (invoice.from_, invoice.to) == ("volt-works", "acme-foods")
    assert invoice.number == "VOLT-WORKS-2027-0001"
    view = _view(innovation)
    (row,) = view.bonuses
    assert (row.status, row.invoice, row.amount.amount) == (
        "approved",
        "VOLT-WORKS-2027-0001",
        Decimal("25000.00"),
    )
    assert view.invoice("VOLT-WORKS-2027-0001") is not None
    with pytest.raises(NothingToDo, match="paid once"):
        run_events(innovation, claim)


def test_the_supplier_cannot_approve_and_only_the_named_signoff_may(
    innovation: Workspace,
) -> None:
    report = _file(innovation, "test-report", "account-lead")
    with pytest.raises(RefusedCommand, match="volt-works claims it"):
        run_events(
            innovation,
            ops.ClaimBonus(deal=DEAL_ID, bonus="performance-bonus", evidence=(report,), by="owner"),
        )
    run_events(
        innovation,
        ops.ClaimBonus(
            deal=DEAL_ID, bonus="performance-bonus", evidence=(report,), by="account-lead"
        ),
    )
    for person in ("account-lead", "finance"):
        with pytest.raises(RefusedCommand, match="owner signs off performance-bonus"):
            run_events(
                innovation,
                ops.ReviewBonus(
                    deal=DEAL_ID, bonus="performance-bonus", decision="approved", by=person
                ),
            )
    assert _view(innovation).bonuses[0].status == "claimed"


def test_a_claim_needs_the_evidence_kinds_and_a_rejection_its_reasons(
    innovation: Workspace,
) -> None:
    photo = _file(innovation, "drawing", "account-lead")
    with pytest.raises(RefusedCommand, match="evidence of kind test-report"):
        run_events(
            innovation,
            ops.ClaimBonus(
                deal=DEAL_ID, bonus="performance-bonus", evidence=(photo,), by="account-lead"
            ),
        )
    with pytest.raises(InvalidCommand, match="evidence"):
        ops.ClaimBonus(deal=DEAL_ID, bonus="performance-bonus", evidence=(), by="account-lead")
    report = _file(innovation, "test-report", "account-lead")
    claim = ops.ClaimBonus(
        deal=DEAL_ID, bonus="performance-bonus", evidence=(report,), by="account-lead"
    )
    run_events(innovation, claim)
    with pytest.raises(RefusedCommand, match="say why"):
        run_events(
            innovation,
            ops.ReviewBonus(
                deal=DEAL_ID, bonus="performance-bonus", decision="rejected", by="owner"
            ),
        )
    run_events(
        innovation,
        ops.ReviewBonus(
            deal=DEAL_ID,
            bonus="performance-bonus",
            decision="rejected",
            reasons=("the cycle time is measured on one line only",),
            by="owner",
        ),
    )
    assert _view(innovation).bonuses[0].status == "rejected"
    assert run_events(innovation, claim)  # claimed again after the rejection
    with pytest.raises(RefusedCommand, match="no innovation bonus 'speed-bonus'"):
        run_events(
            innovation,
            ops.ClaimBonus(
                deal=DEAL_ID, bonus="speed-bonus", evidence=(report,), by="account-lead"
            ),
        )


def test_an_imported_bonus_invoice_must_be_the_deals(innovation: Workspace) -> None:
    report = _file(innovation, "test-report", "account-lead")
    run_events(
        innovation,
        ops.ClaimBonus(
            deal=DEAL_ID, bonus="performance-bonus", evidence=(report,), by="account-lead"
        ),
    )
    run_events(
        innovation,
        ops.ReviewBonus(deal=DEAL_ID, bonus="performance-bonus", decision="approved", by="owner"),
    )
    events = innovation.events(DEAL_ID)
    forged = events[-1]
    assert isinstance(forged, Invoice)
    line = forged.lines[0].model_copy(update={"amount": Decimal("35000.00")})
    forged = forged.model_copy(update={"lines": [line]})
    text = dumps_events([*events[:-1], forged])
    other = "innovation-copy"
    innovation.add_deal(
        _deal(Structure.INNOVATION_PARTNERSHIP).replace(f"id: {DEAL_ID}", f"id: {other}"),
        "copy.yaml",
    )
    with pytest.raises(ImportRefused, match=r"35000\.00"):
        innovation.import_journal(other, text.replace(DEAL_ID, other), "forged.jsonl")


# -- revenue share --


def _report(ws: Workspace, sales: str, period: str = "2027-Q1") -> list[object]:
    return run_events(
        ws, ops.ReportSales(deal=DEAL_ID, period=period, sales=Decimal(sales), by="finance")
    )


def test_a_reported_quarter_is_invoiced_and_an_audit_adds_the_difference(
    alliance: Workspace,
) -> None:
    (reported,) = _report(alliance, "412000.00")
    assert isinstance(reported, SalesReported)
    (first,) = run_events(alliance, ops.IssueRevenueShareInvoice(deal=DEAL_ID, period="2027-Q1"))
    assert isinstance(first, Invoice)
    assert [(ln.for_, ln.amount) for ln in first.lines] == [
        ("revenue:2027-Q1", Decimal("20600.00"))
    ]
    assert first.tax == Decimal("3914.00")
    assert (first.from_, first.to) == ("volt-works", "acme-foods")
    with pytest.raises(NothingToDo, match="billed"):
        run_events(alliance, ops.IssueRevenueShareInvoice(deal=DEAL_ID, period="2027-Q1"))
    audit = _file(alliance, "audit-report", "account-lead")
    run_events(
        alliance,
        ops.AuditSales(
            deal=DEAL_ID,
            period="2027-Q1",
            sales=Decimal("436500.00"),
            evidence=(audit,),
            by="account-lead",
        ),
    )
    (second,) = run_events(alliance, ops.IssueRevenueShareInvoice(deal=DEAL_ID, period="2027-Q1"))
    assert isinstance(second, Invoice)
    assert [(ln.for_, ln.amount) for ln in second.lines] == [
        ("revenue:2027-Q1:audit", Decimal("1225.00"))
    ]
    (row,) = _view(alliance).revenue
    assert (row.sales, row.share.amount, row.billed.amount, row.to_bill.amount) == (
        Decimal("436500.00"),
        Decimal("21825.00"),
        Decimal("21825.00"),
        Decimal("0.00"),
    )
    assert row.audited and not row.late


def test_an_audit_below_the_report_is_credited(alliance: Workspace) -> None:
    _report(alliance, "412000.00")
    (first,) = run_events(alliance, ops.IssueRevenueShareInvoice(deal=DEAL_ID, period="2027-Q1"))
    audit = _file(alliance, "audit-report", "account-lead")
    run_events(
        alliance,
        ops.AuditSales(
            deal=DEAL_ID,
            period="2027-Q1",
            sales=Decimal("400000.00"),
            evidence=(audit,),
            by="account-lead",
        ),
    )
    with pytest.raises(RefusedCommand, match="credit it"):
        run_events(alliance, ops.IssueRevenueShareInvoice(deal=DEAL_ID, period="2027-Q1"))
    (note,) = run_events(alliance, ops.CreditRevenueShare(deal=DEAL_ID, period="2027-Q1"))
    assert isinstance(note, CreditNote) and note.for_ == "revenue-share"
    assert (note.amount, note.tax, note.preceding) == (
        Decimal("600.00"),
        Decimal("114.00"),
        first.number,  # type: ignore[attr-defined]
    )
    assert _view(alliance).revenue[0].billed.amount == Decimal("20000.00")
    with pytest.raises(NothingToDo):
        run_events(alliance, ops.CreditRevenueShare(deal=DEAL_ID, period="2027-Q1"))


def test_who_reports_and_who_audits(alliance: Workspace) -> None:
    with pytest.raises(RefusedCommand, match="cannot report acme-foods's sales"):
        run_events(
            alliance,
            ops.ReportSales(
                deal=DEAL_ID, period="2027-Q1", sales=Decimal("1.00"), by="account-lead"
            ),
        )
    with pytest.raises(RefusedCommand, match="runs until 2027-06-30"):
        _report(alliance, "1.00", period="2027-Q2")
    with pytest.raises(RefusedCommand, match="quarterly reporting period"):
        _report(alliance, "1.00", period="2027-03")
    _report(alliance, "412000.00")
    with pytest.raises(RefusedCommand, match="corrected by the share party's audit"):
        _report(alliance, "402000.00")
    own = _file(alliance, "audit-report", "finance")
    with pytest.raises(RefusedCommand, match="volt-works audits"):
        run_events(
            alliance,
            ops.AuditSales(
                deal=DEAL_ID,
                period="2027-Q1",
                sales=Decimal("1.00"),
                evidence=(own,),
                by="finance",
            ),
        )


def test_a_late_report_counts_and_is_flagged(alliance: Workspace) -> None:
    alliance.clock.on(date(2027, 5, 3))  # type: ignore[attr-defined]
    _report(alliance, "412000.00")
    (row,) = _view(alliance).revenue
    assert row.late and row.due == date(2027, 4, 30)
    assert row.to_bill.amount == Decimal("20600.00")
