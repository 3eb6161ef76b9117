"""Finance sees where each invoice stands, in the API, on the invoices page and on the
invoice itself: hybrid-dc1's hardware-delivery invoice is 88,200.00 (126,000 × 70%), due 30
days after its acceptance on 2026-07-01."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.web.conftest import DEAL, World, bearer, client_for, sign_in
from tests.web.test_api import MILESTONE, submit_delivery


def _accepted(client: TestClient, world: World) -> str:
    submit_delivery(client, world)
    ana = bearer(world.users["acme-owner"])
    answer = client.post(
        f"/api/v1/deals/{DEAL}/milestones/{MILESTONE}/accept",
        headers={**ana, "Idempotency-Key": "accept-1"},
    )
    assert answer.status_code == 200, answer.text
    return str(next(e["number"] for e in answer.json()["events"] if e["type"] == "invoice"))


def _pay(client: TestClient, world: World, amount: str, ref: str) -> int:
    """Acme records a payment for the milestone and Voltworks confirms it arrived."""
    raj = {**bearer(world.users["acme-finance"]), "Idempotency-Key": ref}
    body = {"payer": "acme", "payee": "voltworks", "amount": amount, "ref": ref, "for": MILESTONE}
    recorded = client.post(f"/api/v1/deals/{DEAL}/payments", headers=raj, json=body)
    if recorded.status_code != 200:
        return recorded.status_code
    sam = {**bearer(world.users["voltworks-owner"]), "Idempotency-Key": f"confirm-{ref}"}
    confirmed = client.post(f"/api/v1/deals/{DEAL}/payments/{ref}/confirm", headers=sam)
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.status_code


def test_a_part_paid_invoice_says_so_and_what_is_outstanding(fresh: World) -> None:
    client = client_for(fresh)
    number = _accepted(client, fresh)
    assert _pay(client, fresh, "30000.00", "ACH-1") == 200
    assert _pay(client, fresh, "60000.00", "ACH-2") == 409  # only 58,200.00 is outstanding
    [invoice] = client.get(
        f"/api/v1/deals/{DEAL}/invoices", headers=bearer(fresh.users["acme-finance"])
    ).json()
    assert (invoice["status"], invoice["paid"], invoice["outstanding"]) == (
        "part-paid",
        "30000.00",
        "58200.00",
    )
    assert invoice["from_advance"] == "0.00" and invoice["overdue"] is False
    sign_in(client, "acme-finance")
    page = client.get(f"/deals/{DEAL}/invoices").text
    assert "part-paid" in page and "58,200.00" in page
    document = client.get(f"/deals/{DEAL}/invoices/{number}").text
    assert "Outstanding" in document and "58,200.00" in document


def test_a_paid_invoice_is_never_shown_overdue(fresh: World) -> None:
    client = client_for(fresh)
    number = _accepted(client, fresh)
    assert _pay(client, fresh, "88200.00", "ACH-1") == 200
    fresh.clock.advance(timedelta(days=60))  # long past the due date
    [invoice] = client.get(
        f"/api/v1/deals/{DEAL}/invoices", headers=bearer(fresh.users["acme-finance"])
    ).json()
    assert (invoice["status"], invoice["overdue"]) == ("paid", False)
    sign_in(client, "acme-finance")
    assert "overdue</span>" not in client.get(f"/deals/{DEAL}/invoices").text
    assert "(overdue)" not in client.get(f"/deals/{DEAL}/invoices/{number}").text
