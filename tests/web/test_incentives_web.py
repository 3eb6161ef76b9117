"""Bonuses and revenue share on their page, on the starter deals of `copact new` between
Acme and VoltWorks (EUR, 19% VAT).

Innovation partnership (value 250,000.00): VoltWorks' account lead uploads the test report
and claims the 25,000.00 performance bonus; Acme's owner, its sign-off, approves it on the
page, which issues VOLTWORKS-2027-0001 for 29,750.00 with VAT; its UBL passes the EN 16931
checks and names the line "Innovation bonus performance-bonus".

Ecosystem alliance (5% of Acme's net sales to VoltWorks, quarterly, audit right): Acme's
finance reports Q1 2027 at 412,000.00 on 3 May, three days after its report was due, which
the page flags; VoltWorks' billing invoices 20,600.00; an audit finding 400,000.00 leaves
600.00 billed above the share, credited from the page."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi.testclient import TestClient

from copact.dealfile.starters import Structure, starter_deal
from copact.documents.einvoice_check import check_einvoice
from tests.conftest import sign_deal
from tests.web.conftest import World, add_user, client_for, sign_in

DEAL = "acme-voltworks"


def _add(world: World, structure: Structure) -> None:
    text = starter_deal(
        structure,
        buyer="Acme",
        supplier="VoltWorks",
        currency="EUR",
        value=Decimal(250000),
        start=date(2027, 1, 4),
    )
    world.workspace.add_deal(text, f"{structure.value}.yaml")
    sign_deal(world.workspace, DEAL)
    for username, party, role, person in (
        ("acme-boss", "acme", "owner", "owner"),
        ("acme-books", "acme", "finance", "finance"),
        ("volt-lead", "voltworks", "account", "account-lead"),
        ("volt-books", "voltworks", "billing", None),
    ):
        add_user(world, username, party, role, person)


def _post(client: TestClient, path: str, csrf: str, **fields: object) -> str:
    key = hashlib.sha256(f"{path}{fields}".encode()).hexdigest()
    answer = client.post(path, data={"csrf": csrf, "key": key, **fields})
    assert answer.status_code == 303, answer.text
    return client.get(answer.headers["location"]).text


def _upload(client: TestClient, csrf: str, name: str, kind: str) -> str:
    content = f"{kind}: {name}".encode()
    answer = client.post(
        f"/deals/{DEAL}/evidence",
        data={"csrf": csrf, "kind": kind, "back": f"/deals/{DEAL}/incentives"},
        files={"file": (name, content, "text/plain")},
    )
    assert answer.status_code == 303, answer.text
    return hashlib.sha256(content).hexdigest()


def test_a_bonus_is_claimed_and_approved_from_the_page(fresh: World) -> None:
    _add(fresh, Structure.INNOVATION_PARTNERSHIP)
    fresh.clock.now = datetime(2027, 10, 1, 9, 0, tzinfo=UTC)
    supplier, buyer = client_for(fresh), client_for(fresh)
    lead = sign_in(supplier, "volt-lead")
    boss = sign_in(buyer, "acme-boss")
    page = buyer.get(f"/deals/{DEAL}/incentives").text
    assert "performance-bonus" in page and "25,000.00" in page and "Approve" not in page
    report = _upload(supplier, lead, "cycle-time.txt", "test-report")
    page = supplier.get(f"/deals/{DEAL}/incentives").text
    assert "Claim performance-bonus" in page
    page = _post(supplier, f"/deals/{DEAL}/bonuses/performance-bonus/claim", lead, evidence=report)
    assert "bonus performance-bonus claimed by account-lead" in page
    assert "Approve" not in page  # the supplier cannot approve its own claim
    page = buyer.get(f"/deals/{DEAL}/incentives").text
    assert "Approve: invoice 25,000.00" in page
    page = _post(
        buyer, f"/deals/{DEAL}/bonuses/performance-bonus/review", boss, decision="approved"
    )
    assert "bonus performance-bonus approved by owner" in page
    assert "invoice VOLTWORKS-2027-0001" in page and "29,750.00" in page
    ubl = buyer.get(f"/deals/{DEAL}/invoices/VOLTWORKS-2027-0001/ubl.xml")
    assert ubl.status_code == 200 and check_einvoice(ubl.content).ok
    assert b"Innovation bonus performance-bonus" in ubl.content


def test_a_late_report_is_flagged_invoiced_and_an_audit_credited(fresh: World) -> None:
    _add(fresh, Structure.ECOSYSTEM_ALLIANCE)
    fresh.clock.now = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    buyer, supplier, billing = client_for(fresh), client_for(fresh), client_for(fresh)
    books = sign_in(buyer, "acme-books")
    lead = sign_in(supplier, "volt-lead")
    bills = sign_in(billing, "volt-books")
    assert 'id="report-form"' not in supplier.get(f"/deals/{DEAL}/incentives").text
    page = _post(buyer, f"/deals/{DEAL}/sales-reports", books, period="2027-Q1", sales="412000.00")
    assert "sales of 2027-Q1 reported by finance: 412,000.00" in page
    assert "late (due 2027-04-30)" in page
    page = billing.get(f"/deals/{DEAL}/incentives").text
    assert "Invoice 20,600.00" in page
    page = _post(billing, f"/deals/{DEAL}/revenue-periods/2027-Q1/invoice", bills)
    assert "invoice VOLTWORKS-2027-0001" in page and "revenue:2027-Q1" in page
    audit = _upload(supplier, lead, "audit-q1.txt", "audit-report")
    page = _post(
        supplier,
        f"/deals/{DEAL}/sales-reports/2027-Q1/audit",
        lead,
        sales="400000.00",
        evidence=audit,
    )
    assert "sales of 2027-Q1 audited by account-lead: 400,000.00" in page
    page = billing.get(f"/deals/{DEAL}/incentives").text
    assert "Credit 600.00" in page
    page = _post(billing, f"/deals/{DEAL}/revenue-periods/2027-Q1/credit-note", bills)
    assert "credit note VOLTWORKS-2027-0002" in page and "correcting VOLTWORKS-2027-0001" in page
    ubl = billing.get(f"/deals/{DEAL}/invoices/VOLTWORKS-2027-0002/ubl.xml")
    assert ubl.status_code == 200 and check_einvoice(ubl.content).ok
