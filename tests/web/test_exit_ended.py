"""After an exit the deal shows it everywhere and only its settlement moves money.

hybrid-dc1 on 2026-07-01: acme pays 50,000.00 on account (recorded by raj, confirmed by sam),
voltworks submits hardware-delivery, then ana invokes an insolvency exit. Nothing was
accepted, so the settlement is::

    paid 50,000.00 − earned 0.00 = unused 50,000.00; claimed 0.00 → deduction 0.00
    refund 50,000.00, owed by voltworks to acme

From then on an accept is refused (409, saying the deal ended and what is owed), the API,
the dashboard, the deals list and the exit preview show the exit and that settlement, and
voltworks' payment `for: exit` is the one payment the journal still takes.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.web.conftest import DEAL, World, bearer, client_for, sign_in
from tests.web.test_api import MILESTONE, submit_delivery

BANNER = "Ended on 2026-07-01 by an insolvency exit: voltworks owes acme USD 50,000.00"


def _call(client: TestClient, world: World, username: str, path: str, **json: object) -> int:
    key = hashlib.sha256(f"{username} {path} {json}".encode()).hexdigest()
    headers = {**bearer(world.users[username]), "Idempotency-Key": key}
    answer = client.post(f"/api/v1/deals/{DEAL}{path}", headers=headers, json=json)
    assert answer.status_code in (200, 403, 409), answer.text
    return answer.status_code


def _ended(client: TestClient, world: World) -> None:
    on_account = {"payer": "acme", "payee": "voltworks", "amount": "50000.00", "ref": "ACH-1"}
    assert _call(client, world, "acme-finance", "/payments", **on_account) == 200
    assert _call(client, world, "voltworks-owner", "/payments/ACH-1/confirm") == 200
    submit_delivery(client, world)
    assert _call(client, world, "acme-owner", "/exit", trigger="insolvency") == 200


def test_after_an_insolvency_exit_an_accept_is_refused_with_the_reason(fresh: World) -> None:
    client = client_for(fresh)
    _ended(client, fresh)
    ana = {**bearer(fresh.users["acme-owner"]), "Idempotency-Key": "accept-after-exit"}
    refused = client.post(f"/api/v1/deals/{DEAL}/milestones/{MILESTONE}/accept", headers=ana)
    assert refused.status_code == 409
    reason = refused.json()["detail"]
    assert "the deal ended on 2026-07-01" in reason and "insolvency exit" in reason
    assert "voltworks owes acme 50,000.00 USD" in reason
    assert [e.type for e in fresh.workspace.events(DEAL)][-1] == "exit"  # nothing appended
    # the settlement itself still moves: voltworks pays acme back, acme confirms it
    back = {"payer": "voltworks", "payee": "acme", "amount": "50000.00", "ref": "RF-1"}
    assert _call(client, fresh, "voltworks-owner", "/payments", **back, **{"for": "exit"}) == 200
    assert _call(client, fresh, "acme-finance", "/payments/RF-1/confirm") == 200


def test_the_api_the_dashboard_and_the_deals_list_show_the_exit(fresh: World) -> None:
    client = client_for(fresh)
    _ended(client, fresh)
    raj = bearer(fresh.users["acme-finance"])
    state = client.get(f"/api/v1/deals/{DEAL}", headers=raj).json()
    assert state["status"] == "ended"
    exit_ = state["exit"]
    assert (exit_["trigger"], exit_["by"], exit_["on"], exit_["effective"], exit_["ended"]) == (
        "insolvency",
        "ana",
        "2026-07-01",
        "2026-07-01",
        True,
    )
    settlement = exit_["settlement"]
    assert (settlement["paid"], settlement["earned"], settlement["refund"]) == (
        "50000.00",
        "0.00",
        "50000.00",
    )
    assert settlement["owed"] == {"from": "voltworks", "to": "acme", "amount": "50000.00"}
    [listed] = client.get("/api/v1/deals", headers=raj).json()
    assert (listed["status"], listed["exit_effective"]) == ("ended", "2026-07-01")

    sign_in(client, "acme-owner")
    dashboard = client.get(f"/deals/{DEAL}").text
    assert BANNER in dashboard
    assert f'action="/deals/{DEAL}/decisions"' not in dashboard  # no action forms any more
    assert f'action="/deals/{DEAL}/risks"' not in dashboard
    deals = client.get("/deals").text
    assert "ended on 2026-07-01" in deals and "voltworks owes acme USD 50,000.00" in deals
    # nor do the milestone, gates and change-order pages offer what the server would refuse
    milestone = client.get(f"/deals/{DEAL}/milestones/{MILESTONE}").text
    assert f"/milestones/{MILESTONE}/accept" not in milestone
    assert f'action="/deals/{DEAL}/gates/' not in client.get(f"/deals/{DEAL}/gates").text
    assert f'action="/deals/{DEAL}/changes"' not in client.get(f"/deals/{DEAL}/changes").text


def test_the_exit_preview_shows_the_recorded_settlement(fresh: World) -> None:
    client = client_for(fresh)
    _ended(client, fresh)
    ana = bearer(fresh.users["acme-owner"])
    preview = client.get(
        f"/api/v1/deals/{DEAL}/exit-preview",
        params={"trigger": "convenience", "on": "2026-08-01"},
        headers=ana,
    ).json()
    # whatever trigger is asked about, the answer is the exit the journal records
    assert preview["recorded"] is True and preview["open"] is False
    assert preview["trigger"] == "insolvency"
    assert preview["settlement"]["refund"] == "50000.00"
    assert (
        preview["why"]
        == "closed: acme invoked an insolvency exit on 2026-07-01, effective 2026-07-01"
    )
    sign_in(client, "voltworks-owner")
    page = client.get(f"/deals/{DEAL}/exit", params={"trigger": "missed-milestone"}).text
    assert "The journal records this exit" in page
    assert "Recorded settlement: insolvency invoked 2026-07-01 by acme" in page
    assert "USD 50,000.00" in page
    assert "no milestone is missed" not in page  # not the trigger the form asked about


def test_a_convenience_exit_shows_ending_until_its_notice_is_over(fresh: World) -> None:
    client = client_for(fresh)
    assert _call(client, fresh, "acme-owner", "/exit", trigger="convenience") == 200
    raj = bearer(fresh.users["acme-finance"])
    state = client.get(f"/api/v1/deals/{DEAL}", headers=raj).json()
    # hybrid-dc1 gives 60 days' notice: the deal runs until 2026-08-30
    assert state["status"] == "ending" and state["exit"]["effective"] == "2026-08-30"
    assert state["exit"]["ended"] is False
    decided = _call(client, fresh, "acme-owner", "/decisions", decision="wind down the build")
    assert decided == 200  # during the notice the deal still runs
    fresh.clock.advance(timedelta(days=60))
    state = client.get(f"/api/v1/deals/{DEAL}", headers=raj).json()
    assert state["status"] == "ended" and state["exit"]["ended"] is True
    assert _call(client, fresh, "acme-owner", "/decisions", decision="one more thing") == 409
    sign_in(client, "acme-owner")
    assert "Ended on 2026-08-30 by a convenience exit" in client.get(f"/deals/{DEAL}").text


def test_an_exit_leaves_the_accepted_work_payable_by_its_invoice(fresh: World) -> None:
    """Hardware delivery accepted and invoiced (88,200.00), nothing paid, then an insolvency
    exit: paid 0.00, earned 88,200.00, no refund, and 88,200.00 open on the invoice. The exit
    page and the API say so, and acme still pays the invoice by its number after the exit."""
    client = client_for(fresh)
    submit_delivery(client, fresh)
    assert _call(client, fresh, "acme-owner", f"/milestones/{MILESTONE}/accept") == 200
    assert _call(client, fresh, "acme-owner", "/exit", trigger="insolvency") == 200
    raj = bearer(fresh.users["acme-finance"])
    settlement = client.get(f"/api/v1/deals/{DEAL}", headers=raj).json()["exit"]["settlement"]
    assert (settlement["earned"], settlement["refund"], settlement["invoices_open"]) == (
        "88200.00",
        "0.00",
        "88200.00",
    )
    [invoice] = client.get(f"/api/v1/deals/{DEAL}/invoices", headers=raj).json()
    sign_in(client, "acme-owner")
    page = client.get(f"/deals/{DEAL}/exit").text
    assert 'id="invoices-open"' in page and "USD 88,200.00" in page
    pay = {"payer": "acme", "payee": "voltworks", "amount": "88200.01", "ref": "ACH-9"}
    too_much = {**pay, "for": invoice["number"]}
    assert _call(client, fresh, "acme-finance", "/payments", **too_much) == 409
    on_account = {**pay, "amount": "100.00", "ref": "ACH-8"}  # only the invoice, by its number
    assert _call(client, fresh, "acme-finance", "/payments", **on_account) == 409
    paid = {**pay, "amount": "88200.00", "for": invoice["number"]}
    assert _call(client, fresh, "acme-finance", "/payments", **paid) == 200
    assert _call(client, fresh, "voltworks-owner", "/payments/ACH-9/confirm") == 200
    [invoice] = client.get(f"/api/v1/deals/{DEAL}/invoices", headers=raj).json()
    assert (invoice["status"], invoice["outstanding"]) == ("paid", "0.00")
    settlement = client.get(f"/api/v1/deals/{DEAL}", headers=raj).json()["exit"]["settlement"]
    assert settlement["invoices_open"] == "0.00"  # nothing left open
