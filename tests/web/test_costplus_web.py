"""Cost-plus on the costs page and the API: dc1-costs is hybrid-dc1 (Acme buys from VoltWorks,
no VAT) with ``cost-plus: {cap: 100000, markup: 10%}``. Sam of VoltWorks records March's
40,000.00 rig hire with its receipt and timesheet from the page; Sam cannot approve it; Ana of
Acme approves it; VoltWorks' billing invoices March: 40,000.00 + 4,000.00 markup = 44,000.00,
its UBL passes the checks and names each line; 56,000.00 of the cap remain, on the page,
the dashboard and ``GET …/costs``."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from lxml import etree

from copact.documents.einvoice_check import check_einvoice
from tests.conftest import EXAMPLES, sign_deal
from tests.web.conftest import PDF, World, bearer, client_for, sign_in

DEAL = "dc1-costs"
COST_PLUS = (
    "cost-plus: {cap: 100000, markup: 10%, overruns: prior-written-approval,\n"
    "            evidence: [receipts, timesheets]}\n\n"
)


def _deal(world: World) -> None:
    text = (EXAMPLES / "hybrid-dc1.yaml").read_text().replace("id: hybrid-dc1", f"id: {DEAL}")
    world.workspace.add_deal(text.replace("\nip:\n", f"\n{COST_PLUS}ip:\n"), f"{DEAL}.yaml")
    sign_deal(world.workspace, DEAL)
    world.clock.now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)


def _evidence(world: World) -> list[str]:
    receipt = world.workspace.add_evidence(
        DEAL, io.BytesIO(PDF + b"% rig hire"), name="rig-receipt.pdf", kind="receipts", by="sam"
    )
    hours = world.workspace.add_evidence(
        DEAL,
        io.BytesIO(b"day,hours\n2027-03-01,8\n"),
        name="hours.csv",
        kind="timesheets",
        by="sam",
    )
    return [receipt.sha256, hours.sha256]


def _post(client: TestClient, path: str, csrf: str, **form: object) -> str:
    key = hashlib.sha256((path + repr(form)).encode()).hexdigest()
    answer = client.post(path, data={"csrf": csrf, "key": key, **form})
    assert answer.status_code == 303, answer.text
    return str(client.get(answer.headers["location"]).text)


def test_a_cost_is_recorded_approved_and_invoiced_from_the_page(fresh: World) -> None:
    _deal(fresh)
    shas = _evidence(fresh)
    supplier, buyer, billing = client_for(fresh), client_for(fresh), client_for(fresh)
    sam_csrf = sign_in(supplier, "voltworks-account")
    ana_csrf = sign_in(buyer, "acme-owner")
    billing_csrf = sign_in(billing, "voltworks-billing")
    page = supplier.get(f"/deals/{DEAL}/costs").text
    assert "Record a cost" in page and "rig-receipt.pdf" in page and "100,000.00" in page
    assert "Record a cost" not in buyer.get(f"/deals/{DEAL}/costs").text  # the supplier's
    page = _post(
        supplier,
        f"/deals/{DEAL}/costs",
        sam_csrf,
        id="rig-hire",
        period="2027-03",
        amount="40000.00",
        description="test rig hire",
        evidence=shas,
    )
    assert "cost rig-hire of 2027-03 recorded by sam: 40,000.00" in page
    assert "56,000.00" in page  # 100,000.00 − 44,000.00 awaiting review
    forbidden = supplier.post(  # the account role reviews no cost
        f"/deals/{DEAL}/costs/rig-hire/review",
        data={"csrf": sam_csrf, "key": "sam-approves", "decision": "approved"},
    )
    assert forbidden.status_code == 403
    owner = client_for(fresh)  # VoltWorks' owner may review costs, but not its own party's
    owner_csrf = sign_in(owner, "voltworks-owner")
    refused = owner.post(
        f"/deals/{DEAL}/costs/rig-hire/review",
        data={"csrf": owner_csrf, "key": "sam-approves", "decision": "approved"},
    )
    assert refused.status_code == 409
    assert "a person of acme approves or rejects it" in refused.text
    assert "Approve" in buyer.get(f"/deals/{DEAL}/costs").text
    page = _post(buyer, f"/deals/{DEAL}/costs/rig-hire/review", ana_csrf, decision="approved")
    assert "cost rig-hire approved by ana" in page
    assert "Invoice 2027-03: 44,000.00 + VAT" in billing.get(f"/deals/{DEAL}/costs").text
    page = _post(billing, f"/deals/{DEAL}/cost-periods/2027-03/invoice", billing_csrf)
    assert "invoice dc1-costs-001" in page and "cost:2027-03:markup" in page
    ubl = billing.get(f"/deals/{DEAL}/invoices/dc1-costs-001/ubl.xml")
    assert ubl.status_code == 200 and check_einvoice(ubl.content).ok
    names = [
        n.text for n in etree.fromstring(ubl.content).iterfind(".//{*}InvoiceLine/{*}Item/{*}Name")
    ]
    assert names == ["Reimbursed cost 2027-03: rig-hire", "Reimbursed cost 2027-03: markup"]
    dashboard = buyer.get(f"/deals/{DEAL}").text
    assert "Cost-plus budget" in dashboard and "USD 56,000.00" in dashboard
    assert f'href="/deals/{DEAL}/costs">Costs</a>' in dashboard  # in the deal's menu


def test_the_api_records_and_shows_the_budget(fresh: World) -> None:
    _deal(fresh)
    shas = _evidence(fresh)
    client = client_for(fresh)
    sam = {**bearer(fresh.users["voltworks-account"]), "Idempotency-Key": "c-1"}
    ana = {**bearer(fresh.users["acme-owner"]), "Idempotency-Key": "r-1"}
    body = {
        "id": "rig-hire",
        "period": "2027-03",
        "amount": "40000.00",
        "description": "test rig hire",
        "evidence": shas,
    }
    answer = client.post(f"/api/v1/deals/{DEAL}/costs", headers=sam, json=body)
    assert answer.status_code == 200, answer.text
    over = {**body, "id": "too-much", "amount": "60000.00", "evidence": shas}
    refused = client.post(
        f"/api/v1/deals/{DEAL}/costs", headers={**sam, "Idempotency-Key": "c-2"}, json=over
    )
    assert refused.status_code == 409 and "prior written approval" in refused.text
    review = {"decision": "approved"}
    answer = client.post(f"/api/v1/deals/{DEAL}/costs/rig-hire/review", headers=ana, json=review)
    assert answer.status_code == 200, answer.text
    got = client.get(f"/api/v1/deals/{DEAL}/costs", headers=bearer(fresh.users["acme-owner"]))
    assert got.status_code == 200
    doc = got.json()
    assert (doc["cap"], doc["approved"], doc["pending"], doc["remaining"]) == (
        "100000.00",
        "44000.00",
        "0.00",
        "56000.00",
    )
    (march,) = doc["periods"]
    assert march["to_bill"] == "44000.00"
    assert [(c["id"], c["status"], c["reviewed_by"]) for c in march["costs"]] == [
        ("rig-hire", "approved", "ana")
    ]
    whole = client.get(f"/api/v1/deals/{DEAL}", headers=bearer(fresh.users["acme-owner"])).json()
    assert whole["costs"]["remaining"] == "56000.00"  # the deal's JSON carries the budget too
    plain = client.get("/api/v1/deals/hybrid-dc1/costs", headers=bearer(fresh.users["acme-owner"]))
    assert plain.status_code == 409 and "no cost-plus section" in plain.text
