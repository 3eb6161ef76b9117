"""The JSON API as a script would use it: the supplier uploads evidence and submits, the
buyer's sign-off person accepts, finance finds the invoice; retries with the same
Idempotency-Key change nothing; 32 concurrent accepts give one acceptance and one invoice."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.web.conftest import DEAL, PDF, PNG, World, bearer, client_for

MILESTONE = "hardware-delivery"  # in the build phase, 70% funded by the buyer: invoiced
KINDS = ("delivery-receipt", "test-report", "photo")


def upload(
    client: TestClient,
    headers: dict[str, str],
    name: str,
    body: bytes,
    kind: str,
    *,
    confidential: bool = False,
) -> dict[str, object]:
    answer = client.post(
        f"/api/v1/deals/{DEAL}/evidence",
        headers=headers,
        files={"file": (name, body, "application/octet-stream")},
        data={"kind": kind, "confidential": "true" if confidential else "false"},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def submit_delivery(client: TestClient, world: World) -> list[str]:
    sam = bearer(world.users["voltworks-account"])
    hashes = [
        str(upload(client, sam, f"{kind}.pdf", PDF + kind.encode(), kind)["sha256"])
        for kind in KINDS[:2]
    ]
    hashes.append(str(upload(client, sam, "site.png", PNG, "photo")["sha256"]))
    answer = client.post(
        f"/api/v1/deals/{DEAL}/milestones/{MILESTONE}/submit",
        headers={**sam, "Idempotency-Key": "submit-1"},
        json={"evidence": hashes},
    )
    assert answer.status_code == 200, answer.text
    return hashes


def test_submit_accept_and_the_invoice_finance_sees(fresh: World) -> None:
    client = client_for(fresh)
    submit_delivery(client, fresh)
    ana = bearer(fresh.users["acme-owner"])
    accepted = client.post(
        f"/api/v1/deals/{DEAL}/milestones/{MILESTONE}/accept",
        headers={**ana, "Idempotency-Key": "accept-1"},
    )
    assert accepted.status_code == 200, accepted.text
    types = [e["type"] for e in accepted.json()["events"]]
    assert types == ["accepted", "invoice"]
    invoices = client.get(
        f"/api/v1/deals/{DEAL}/invoices", headers=bearer(fresh.users["acme-finance"])
    )
    assert invoices.status_code == 200
    [invoice] = invoices.json()
    assert invoice["from"] == "voltworks" and invoice["to"] == "acme"
    # 30% of 420,000 is 126,000; the buyer funds 70% of the build phase
    assert invoice["total"] == "88200.00"
    assert Decimal(invoice["total"]) == Decimal("126000") * Decimal("0.7")
    pdf = client.get(
        f"/api/v1/deals/{DEAL}/invoices/{invoice['number']}/pdf",
        headers=bearer(fresh.users["acme-finance"]),
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-content-type-options"] == "nosniff"


def test_a_replay_returns_the_first_response_and_another_body_is_refused(fresh: World) -> None:
    client = client_for(fresh)
    raj = {**bearer(fresh.users["acme-finance"]), "Idempotency-Key": "pay-7"}
    body = {"payer": "acme", "payee": "voltworks", "amount": "12000.00", "ref": "WIRE-7"}
    first = client.post(f"/api/v1/deals/{DEAL}/payments", headers=raj, json=body)
    again = client.post(f"/api/v1/deals/{DEAL}/payments", headers=raj, json=body)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = client.post(
        f"/api/v1/deals/{DEAL}/payments", headers=raj, json={**body, "amount": "13000.00"}
    )
    assert other.status_code == 422
    assert "already used" in other.json()["detail"]
    state = client.get(f"/api/v1/deals/{DEAL}", headers=raj).json()
    # recorded once, waiting for the payee: it does not count yet
    assert [p["ref"] for p in state["pending_payments"]] == ["WIRE-7"]
    assert state["balances"].get("acme", {}).get("paid", "0.00") == "0.00"
    sam = {**bearer(fresh.users["voltworks-owner"]), "Idempotency-Key": "confirm-7"}
    confirmed = client.post(f"/api/v1/deals/{DEAL}/payments/WIRE-7/confirm", headers=sam)
    replayed = client.post(f"/api/v1/deals/{DEAL}/payments/WIRE-7/confirm", headers=sam)
    assert confirmed.status_code == replayed.status_code == 200, confirmed.text
    assert replayed.headers["idempotent-replayed"] == "true"
    state = client.get(f"/api/v1/deals/{DEAL}", headers=raj).json()
    assert state["balances"]["acme"]["paid"] == "12000.00"
    assert state["pending_payments"] == []


def test_a_payment_reference_with_slashes_is_confirmed_by_its_reference(fresh: World) -> None:
    """Bank references are often written INV/2026/7: the confirm route takes them whole."""
    client = client_for(fresh)
    raj = {**bearer(fresh.users["acme-finance"]), "Idempotency-Key": "pay-slash"}
    body = {"payer": "acme", "payee": "voltworks", "amount": "500.00", "ref": "INV/2026/7"}
    assert client.post(f"/api/v1/deals/{DEAL}/payments", headers=raj, json=body).status_code == 200
    sam = {**bearer(fresh.users["voltworks-owner"]), "Idempotency-Key": "confirm-slash"}
    confirmed = client.post(f"/api/v1/deals/{DEAL}/payments/INV/2026/7/confirm", headers=sam)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["events"][0]["ref"] == "INV/2026/7"


def test_a_state_change_without_an_idempotency_key_is_refused(fresh: World) -> None:
    client = client_for(fresh)
    answer = client.post(
        f"/api/v1/deals/{DEAL}/payments",
        headers=bearer(fresh.users["acme-finance"]),
        json={"payer": "acme", "payee": "voltworks", "amount": "1.00", "ref": "X"},
    )
    assert answer.status_code == 422


def test_concurrent_accepts_give_one_acceptance_one_invoice_and_409s(fresh: World) -> None:
    client = client_for(fresh)
    submit_delivery(client, fresh)
    ana = bearer(fresh.users["acme-owner"])
    barrier = threading.Barrier(16)
    codes: list[int] = []

    def accept() -> None:
        barrier.wait()
        answer = client.post(
            f"/api/v1/deals/{DEAL}/milestones/{MILESTONE}/accept",
            headers={**ana, "Idempotency-Key": uuid.uuid4().hex},
        )
        codes.append(answer.status_code)

    threads = [threading.Thread(target=accept) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * 15
    events = fresh.workspace.events(DEAL)
    assert [e.type for e in events].count("accepted") == 1
    assert [e.type for e in events].count("invoice") == 1


def test_a_refusal_says_why(fresh: World) -> None:
    client = client_for(fresh)
    answer = client.post(
        f"/api/v1/deals/{DEAL}/milestones/{MILESTONE}/accept",
        headers={**bearer(fresh.users["acme-owner"]), "Idempotency-Key": "k"},
    )
    assert answer.status_code == 409
    assert "nobody submitted it" in answer.json()["detail"]


def test_exit_preview_for_any_trigger_and_date(fresh: World) -> None:
    client = client_for(fresh)
    ana = bearer(fresh.users["acme-owner"])
    closed = client.get(
        f"/api/v1/deals/{DEAL}/exit-preview",
        params={"trigger": "missed-milestone", "on": "2026-08-01"},
        headers=ana,
    ).json()
    assert closed["open"] is False and "no milestone is missed" in closed["why"]
    convenience = client.get(
        f"/api/v1/deals/{DEAL}/exit-preview",
        params={"trigger": "convenience", "on": "2026-08-01"},
        headers=ana,
    ).json()
    assert convenience["open"] is True
    assert convenience["settlement"]["effective"] == "2026-09-30"  # 60 days' notice
    assert convenience["settlement"]["refund"] == "0.00"


def test_journal_verification_and_the_versions(fresh: World) -> None:
    client = client_for(fresh)
    ana = bearer(fresh.users["acme-owner"])
    verified = client.get(f"/api/v1/deals/{DEAL}/journal/verify", headers=ana).json()
    assert verified["ok"] is True
    versions = client.get(f"/api/v1/deals/{DEAL}/versions", headers=ana).json()
    assert [v["version"] for v in versions] == [1]
    text = client.get(f"/api/v1/deals/{DEAL}/versions/1", headers=ana)
    assert text.status_code == 200 and "hybrid-dc1" in text.text


def test_a_photo_is_an_image(fresh: World) -> None:
    client = client_for(fresh)
    record = upload(client, bearer(fresh.users["voltworks-account"]), "site.png", PNG, "photo")
    assert record["media_type"] == "image/png"


def test_decisions_and_risks_reach_the_dashboard(fresh: World) -> None:
    client = client_for(fresh)
    ana = bearer(fresh.users["acme-owner"])
    sam = bearer(fresh.users["voltworks-account"])
    logged = client.post(
        f"/api/v1/deals/{DEAL}/decisions",
        headers={**ana, "Idempotency-Key": "d1"},
        json={"decision": "Pre-order the battery cells now", "topic": "supply"},
    )
    assert logged.status_code == 200, logged.text
    assert logged.json()["events"][0]["by"] == ["ana"]  # in her own name only
    for_sam = client.post(
        f"/api/v1/deals/{DEAL}/decisions",
        headers={**ana, "Idempotency-Key": "d0"},
        json={"decision": "Sam agrees to pre-order", "by": ["sam"]},
    )
    assert for_sam.status_code == 422  # nobody enters a decision in another person's name
    updated = client.post(
        f"/api/v1/deals/{DEAL}/risks",
        headers={**sam, "Idempotency-Key": "r1"},
        json={"risk": "battery-lead-time", "status": "mitigated", "mitigation": "cells ordered"},
    )
    assert updated.status_code == 200, updated.text
    new = client.post(
        f"/api/v1/deals/{DEAL}/risks",
        headers={**sam, "Idempotency-Key": "r2"},
        json={"risk": "crane-permit", "description": "city crane permit is late"},
    )
    assert new.status_code == 409 and "likelihood" in new.json()["detail"]
    state = client.get(f"/api/v1/deals/{DEAL}", headers=ana).json()
    assert state["decisions"][0]["decision"] == "Pre-order the battery cells now"
    [risk] = [r for r in state["risks"] if r["id"] == "battery-lead-time"]
    assert risk["status"] == "mitigated" and risk["mitigation"] == "cells ordered"
    finance = client.post(
        f"/api/v1/deals/{DEAL}/decisions",
        headers={**bearer(fresh.users["acme-finance"]), "Idempotency-Key": "d2"},
        json={"decision": "pay early"},
    )
    assert finance.status_code == 403


def test_only_the_supplier_claims_work_and_a_party_records_only_its_own_payments(
    fresh: World,
) -> None:
    client = client_for(fresh)
    ana = {**bearer(fresh.users["acme-owner"]), "Idempotency-Key": "c1"}
    claim = client.post(
        f"/api/v1/deals/{DEAL}/claims", headers=ana, json={"amount": "100.00", "for": "x"}
    )
    assert claim.status_code == 403 and "supplier" in claim.json()["detail"]
    sam = {**bearer(fresh.users["voltworks-account"]), "Idempotency-Key": "c2"}
    ok = client.post(
        f"/api/v1/deals/{DEAL}/claims", headers=sam, json={"amount": "9000.00", "for": "cells"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["events"][0]["by"] == "sam"  # the claim carries the supplier's person
    billing = {**bearer(fresh.users["voltworks-owner"]), "Idempotency-Key": "p1"}
    body = {"payer": "acme", "payee": "voltworks", "amount": "10.00", "ref": "FAKE-1"}
    payee = client.post(f"/api/v1/deals/{DEAL}/payments", headers=billing, json=body)
    assert payee.status_code == 403  # the payee confirms a payment, it does not record it
    log = client.get(f"/api/v1/deals/{DEAL}/access-log", headers=bearer(fresh.users["acme-owner"]))
    assert any(e["action"] == "work.claim" and e["outcome"] == "refused" for e in log.json())
    assert any(e["action"] == "payment.record" and e["outcome"] == "refused" for e in log.json())
