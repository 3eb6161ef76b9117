"""The volume page of heat-sensor-housing: Dana (Ridgeline's finance) records July 2026's
call-off of 31,200 housings from the page; it counts once Luis (Kestrel's billing) confirms
it: 31,200 × 6.85 = 213,720.00 reaches the 3% tier (6,411.60), 4,800 housings short of the 5%
tier, which would bring 5% × 246,600.00 = 12,330.00. The dashboard's card says so. After the
contract year (July 2026 to June 2027) Luis trues it up from the page: a credit note of
6,411.60 whose UBL passes EN 16931. Hannah records the forecast; an auditor sees no form.
The API lists the same figures and records purchases as the token's person."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from copact.documents.einvoice_check import check_einvoice
from tests.web.conftest import User as WebUser
from tests.web.conftest import World, add_user, bearer, client_for, sign_in

DEAL = "heat-sensor-housing"


def _users(world: World) -> dict[str, WebUser]:
    return {
        username: add_user(world, username, party, role, person)
        for username, party, role, person in (
            ("ridgeline-finance", "ridgeline", "finance", "dana"),
            ("ridgeline-owner", "ridgeline", "owner", "hannah"),
            ("ridgeline-auditor", "ridgeline", "auditor", None),
            ("kestrel-billing", "kestrel", "billing", "luis"),
        )
    }


def _post(client: Any, path: str, csrf: str, **form: Any) -> str:
    key = hashlib.sha256((path + repr(form)).encode()).hexdigest()
    answer = client.post(path, data={"csrf": csrf, "key": key, **form})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/deals/{DEAL}/volume"
    return str(client.get(answer.headers["location"]).text)


def test_purchases_are_recorded_confirmed_and_trued_up_from_the_page(fresh: World) -> None:
    _users(fresh)
    fresh.clock.now = datetime(2026, 7, 28, 9, 0, tzinfo=UTC)
    dana, luis, auditor = client_for(fresh), client_for(fresh), client_for(fresh)
    csrf = sign_in(dana, "ridgeline-finance")
    page = dana.get(f"/deals/{DEAL}/volume").text
    assert 'id="record-purchases"' in page and "24,000 housing a year at 6.85 USD" in page
    page = _post(
        dana, f"/deals/{DEAL}/purchases", csrf, period="2026-07", quantity="31200", ref="CO-2026/07"
    )
    assert "purchases CO-2026/07 of 2026-07 recorded by dana" in page
    assert "awaiting the other party's confirmation" in page
    assert "Confirm CO-2026/07" not in page  # Ridgeline recorded it: Kestrel confirms
    csrf_luis = sign_in(luis, "kestrel-billing")
    page = luis.get(f"/deals/{DEAL}/volume").text
    assert "Confirm CO-2026/07" in page and "+ 31,200 awaiting confirmation" in page
    page = _post(luis, f"/deals/{DEAL}/purchases/CO-2026/07/confirm", csrf_luis)
    assert "purchases CO-2026/07 confirmed by luis" in page
    assert "213,720.00" in page and "6,411.60" in page
    assert "4,800 to go" in page and "a rebate of 12,330.00" in page
    dashboard = luis.get(f"/deals/{DEAL}").text
    assert 'id="volume-card"' in dashboard and "31,200</strong> of 24,000 housing" in dashboard
    assert "4,800 housing to the 5% tier, which would bring a rebate of 12,330.00" in dashboard
    sign_in(auditor, "ridgeline-auditor")
    seen = auditor.get(f"/deals/{DEAL}/volume").text
    assert "213,720.00" in seen and 'id="record-purchases"' not in seen

    fresh.clock.now = datetime(2027, 7, 2, 9, 0, tzinfo=UTC)
    csrf_luis = sign_in(luis, "kestrel-billing")
    page = luis.get(f"/deals/{DEAL}/volume").text
    assert "True up 2026" in page
    page = _post(luis, f"/deals/{DEAL}/volume-years/2026/true-up", csrf_luis)
    assert "credit note heat-sensor-housing-001" in page and "volume rebate" in page
    assert "True up 2026" not in page
    ubl = luis.get(f"/deals/{DEAL}/invoices/heat-sensor-housing-001/ubl.xml")
    assert ubl.status_code == 200 and check_einvoice(ubl.content).ok, ubl.text[:300]
    root = etree.fromstring(ubl.content)
    assert root.findtext(".//{*}LegalMonetaryTotal/{*}PayableAmount") == "6411.60"

    owner = client_for(fresh)
    csrf_owner = sign_in(owner, "ridgeline-owner")
    page = _post(
        owner,
        f"/deals/{DEAL}/forecasts",
        csrf_owner,
        **{"from": "2027-07"},
        quantities="5000\n5000\n5000\n5000",
    )
    assert "forecast from 2027-07 by hannah: 5,000, 5,000, 5,000, 5,000" in page
    assert "20,000" in page and "below the commitment" in page


def test_the_api_lists_the_years_and_records_purchases(fresh: World) -> None:
    users = _users(fresh)
    fresh.clock.now = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
    client = client_for(fresh)
    body = {"period": "2026-08", "quantity": "2600", "ref": "CO-8"}
    answer = client.post(
        f"/api/v1/deals/{DEAL}/purchases",
        json=body,
        headers={**bearer(users["ridgeline-finance"]), "Idempotency-Key": "p-1"},
    )
    assert answer.status_code == 200, answer.text
    (event,) = answer.json()["events"]
    assert (event["by"], event["amount"], event["quantity"]) == ("dana", "17810.00", "2600")
    again = client.post(
        f"/api/v1/deals/{DEAL}/purchases",
        json=body,
        headers={**bearer(users["ridgeline-finance"]), "Idempotency-Key": "p-2"},
    )
    assert again.status_code == 409 and "CO-8 were already recorded" in again.text
    refused = client.post(
        f"/api/v1/deals/{DEAL}/purchases",
        json={**body, "ref": "CO-9"},
        headers={**bearer(users["ridgeline-auditor"]), "Idempotency-Key": "p-3"},
    )
    assert refused.status_code == 403
    confirm = client.post(
        f"/api/v1/deals/{DEAL}/purchases/CO-8/confirm",
        json={},
        headers={**bearer(users["kestrel-billing"]), "Idempotency-Key": "c-1"},
    )
    assert confirm.status_code == 200, confirm.text
    shown = client.get(f"/api/v1/deals/{DEAL}/volume", headers=bearer(users["ridgeline-owner"]))
    assert shown.status_code == 200
    doc = shown.json()
    first = doc["years"][0]
    assert (doc["commitment"], doc["price"], doc["unit"]) == ("24000", "6.85", "housing")
    assert (first["label"], first["quantity"], first["amount"]) == ("2026", "2600", "17810.00")
    assert (first["to_next"], first["next_rate"], first["next_rebate"]) == (
        "27400",
        "3%",
        "6165.00",  # 30,000 × 6.85 = 205,500.00 × 3%
    )
    assert doc["purchases"][0]["confirmed_by"] == "luis"
    other = client.get("/api/v1/deals/hybrid-dc1/volume", headers=bearer(fresh.users["acme-owner"]))
    assert other.status_code == 409 and "no volume commitment" in other.text
