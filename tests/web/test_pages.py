"""The pages as each side uses them, through their forms: a change order above the threshold
needs both sides' approvals (proposing is the proposer's); a gate decided once each of its
deciders recorded the same decision; a decision and a risk on the dashboard; the exit preview
for a date; the journal verifies; a payment counts once the payee confirms it."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from tests.web.conftest import DEAL, World, bearer, client_for, sign_in
from tests.web.test_api import MILESTONE, submit_delivery


def _post(client: TestClient, path: str, csrf: str, **form: object) -> str:
    key = hashlib.sha256(f"{path} {form}".encode()).hexdigest()
    answer = client.post(path, data={"csrf": csrf, "key": key, **form})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_a_change_order_needs_both_sides(fresh: World) -> None:
    ana, sam = client_for(fresh), client_for(fresh)
    ana_csrf, sam_csrf = sign_in(ana, "acme-owner"), sign_in(sam, "voltworks-account")
    _post(ana, f"/deals/{DEAL}/changes", ana_csrf, change="co-1", amount="6,000.00")
    page = sam.get(f"/deals/{DEAL}/changes").text
    assert "co-1" in page and "proposed" in page and "6,000.00" in page
    assert "<td>sam</td>" in page  # the proposer's side has approved; waiting for the other
    where = _post(sam, f"/deals/{DEAL}/changes/co-1/approve", sam_csrf)
    assert '<span class="state approved">approved</span>' in sam.get(where).text


def test_gates_decisions_risks_exit_and_journal(fresh: World) -> None:
    ana, sam = client_for(fresh), client_for(fresh)
    csrf, sam_csrf = sign_in(ana, "acme-owner"), sign_in(sam, "voltworks-account")
    # ana ticks sam too, as the old form allowed: only her own decision is recorded
    _post(ana, f"/deals/{DEAL}/gates/design", csrf, decision="proceed", by=["ana", "sam"])
    gates = ana.get(f"/deals/{DEAL}/gates").text
    assert (
        "<strong>proceed</strong>" in gates and "sam: <span" in gates and "not yet decided" in gates
    )
    assert [e.by for e in fresh.workspace.events(DEAL) if e.type == "gate"] == [["ana"]]
    assert '<span class="state proceed">' not in gates  # the gate is not decided yet
    _post(sam, f"/deals/{DEAL}/gates/design", sam_csrf, decision="proceed")
    gates = ana.get(f"/deals/{DEAL}/gates").text
    assert '<span class="state proceed">proceed</span>' in gates  # both deciders agree
    _post(ana, f"/deals/{DEAL}/decisions", csrf, decision="Order cells at design approval")
    _post(ana, f"/deals/{DEAL}/risks", csrf, risk="battery-lead-time", status="mitigated")
    dashboard = ana.get(f"/deals/{DEAL}").text
    assert "Order cells at design approval" in dashboard and "mitigated" in dashboard
    assert "<svg" in dashboard and "No metering results yet" in dashboard
    exit_page = ana.get(
        f"/deals/{DEAL}/exit", params={"trigger": "convenience", "on": "2026-08-01"}
    )
    assert "effective 2026-09-30" in exit_page.text
    closed = ana.get(f"/deals/{DEAL}/exit", params={"trigger": "missed-milestone"})
    assert "no milestone is missed" in closed.text
    journal = ana.get(f"/deals/{DEAL}/journal").text
    assert "verifies" in journal and "gate" in journal


def test_a_refused_form_says_why_on_a_page(fresh: World) -> None:
    ana = client_for(fresh)
    csrf = sign_in(ana, "acme-owner")
    answer = ana.post(
        f"/deals/{DEAL}/milestones/hardware-delivery/accept", data={"csrf": csrf, "key": "x"}
    )
    assert answer.status_code == 409
    assert "nobody submitted it" in answer.text and "Traceback" not in answer.text


def test_a_payment_counts_once_the_payee_confirms_it(fresh: World) -> None:
    """Raj (acme finance) records the 88,200.00 for hardware-delivery's invoice on the
    invoices page; it is open, awaiting voltworks, until Sam confirms it there: then paid."""
    client = client_for(fresh)
    submit_delivery(client, fresh)
    accepted = client.post(
        f"/api/v1/deals/{DEAL}/milestones/{MILESTONE}/accept",
        headers={**bearer(fresh.users["acme-owner"]), "Idempotency-Key": "accept-1"},
    )
    number = next(e["number"] for e in accepted.json()["events"] if e["type"] == "invoice")
    raj, sam = client_for(fresh), client_for(fresh)
    raj_csrf, sam_csrf = sign_in(raj, "acme-finance"), sign_in(sam, "voltworks-owner")
    payment = {"payer": "acme", "payee": "voltworks", "amount": "88,200.00", "ref": "ACH-9"}
    _post(raj, f"/deals/{DEAL}/payments", raj_csrf, **payment, **{"for": number})

    def status() -> str:
        [invoice] = client.get(
            f"/api/v1/deals/{DEAL}/invoices", headers=bearer(fresh.users["acme-finance"])
        ).json()
        return str(invoice["status"])

    assert status() == "open"  # recorded, not yet confirmed: it does not count
    confirm = f'action="/deals/{DEAL}/payments/ACH-9/confirm"'
    page = raj.get(f"/deals/{DEAL}/invoices").text
    assert "Awaiting confirmation" in page and "ACH-9" in page and "waiting for voltworks" in page
    assert confirm not in page  # the payer cannot confirm its own payment
    refused = raj.post(
        f"/deals/{DEAL}/payments/ACH-9/confirm", data={"csrf": raj_csrf, "key": "raj-confirm"}
    )
    assert refused.status_code == 409 and "voltworks, who received it, does" in refused.text
    assert status() == "open"
    page = sam.get(f"/deals/{DEAL}/invoices").text
    assert confirm in page
    _post(sam, f"/deals/{DEAL}/payments/ACH-9/confirm", sam_csrf)
    assert status() == "paid"
    page = sam.get(f"/deals/{DEAL}/invoices").text
    assert "Awaiting confirmation" not in page and "confirmed by sam" in page
