"""Convertible support on the support page, the dashboard and the API: dc1-support is
hybrid-dc1 (Acme buys from VoltWorks, no VAT) with 100,000.00 of support converting at 1.15
credit per 1.00 paid at the windows 2027-01-15 and 2027-06-30 (each open the 30 days up to its
date). Ana of Acme pays the 100,000.00 from the page on 2026-07-10 and Sam of VoltWorks
confirms it; on 2027-01-05 Ana asks to convert 60,000.00 at the 2027-01-15 window; Sam
approves it on 2027-01-10: 60,000.00 × 1.15 = 69,000.00 credits, 40,000.00 stays support. An
exit would count 40,000.00 + 69,000.00 ÷ 1.15 = 40,000.00 + 60,000.00 = 100,000.00 unused.
Once the last window is over Sam sees the form to pay the 40,000.00 back."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.conftest import EXAMPLES, sign_deal
from tests.web.conftest import World, bearer, client_for, sign_in

DEAL = "dc1-support"
CONVERTIBLE = (
    "convertible:\n  amount: 100000\n  converts-to: service-credits\n"
    "  formula: 1.15 credit per 1.00 paid\n  windows: [2027-01-15, 2027-06-30]\n\n"
)


def _deal(world: World) -> None:
    text = (EXAMPLES / "hybrid-dc1.yaml").read_text().replace("id: hybrid-dc1", f"id: {DEAL}")
    world.workspace.add_deal(text.replace("\nip:\n", f"\n{CONVERTIBLE}ip:\n"), f"{DEAL}.yaml")
    sign_deal(world.workspace, DEAL)


def _post(client: TestClient, path: str, csrf: str, **form: object) -> str:
    key = hashlib.sha256((path + repr(form)).encode()).hexdigest()
    answer = client.post(path, data={"csrf": csrf, "key": key, **form})
    assert answer.status_code == 303, answer.text
    return str(client.get(answer.headers["location"]).text)


def _at(world: World, *when: int) -> None:
    world.clock.now = datetime(*when, 9, 0, tzinfo=UTC)  # type: ignore[misc]


def test_support_is_paid_converted_and_shown_from_the_page(fresh: World) -> None:
    _deal(fresh)
    _at(fresh, 2026, 7, 10)
    ana, sam, auditor = client_for(fresh), client_for(fresh), client_for(fresh)
    ana_csrf = sign_in(ana, "acme-owner")
    page = ana.get(f"/deals/{DEAL}/support").text
    assert "1.15 credit per 1.00 paid" in page and "Next window: 2027-01-15" in page
    assert 'id="pay-support"' in page and 'id="request-conversion"' not in page  # no window
    page = _post(
        ana, f"/deals/{DEAL}/payments", ana_csrf,
        payer="acme", payee="voltworks", amount="100000.00", ref="SUP-1", **{"for": "convertible"},
    )  # fmt: skip
    assert "awaiting voltworks" in page  # the invoices page, where VoltWorks confirms it
    sam_csrf = sign_in(sam, "voltworks-owner")
    _post(sam, f"/deals/{DEAL}/payments/SUP-1/confirm", sam_csrf)
    page = ana.get(f"/deals/{DEAL}/support").text
    assert "100,000.00</strong>" in page and 'id="pay-support"' not in page  # paid in full

    _at(fresh, 2027, 1, 5)
    ana_csrf = sign_in(ana, "acme-owner")
    page = ana.get(f"/deals/{DEAL}/support").text
    assert "The 2027-01-15 window is open" in page and 'id="request-conversion"' in page
    page = _post(
        ana, f"/deals/{DEAL}/conversions", ana_csrf,
        conversion="c-2027-01", window="2027-01-15", amount="60000.00",
    )  # fmt: skip
    assert "awaiting voltworks's approval by 2027-01-15" in page
    assert "Approve c-2027-01" not in page  # the buyer asks, the supplier approves

    _at(fresh, 2027, 1, 10)
    sam_csrf = sign_in(sam, "voltworks-owner")
    page = sam.get(f"/deals/{DEAL}/support").text
    assert "Approve c-2027-01" in page and 'id="request-conversion"' not in page
    page = _post(sam, f"/deals/{DEAL}/conversions/c-2027-01/approve", sam_csrf)
    assert '<strong id="credits-left">69,000.00</strong>' in page
    assert "40,000.00 still support" in page
    assert '<strong id="unused">100,000.00</strong>' in page  # 40,000.00 + 69,000.00 / 1.15
    dashboard = sam.get(f"/deals/{DEAL}").text
    assert 'id="support-card"' in dashboard and "69,000.00</strong> credits left" in dashboard

    sign_in(auditor, "acme-auditor")
    seen = auditor.get(f"/deals/{DEAL}/support").text
    assert "69,000.00" in seen and "<form" not in seen.split("<h1>")[1]

    _at(fresh, 2027, 7, 1)  # the last window is over: the unconverted support is owed back
    sign_in(sam, "voltworks-owner")
    page = sam.get(f"/deals/{DEAL}/support").text
    assert "The last window is over" in page and 'id="refund-support"' in page
    assert 'value="40000.00"' in page


def test_the_api_shows_the_support_and_takes_a_request_as_the_tokens_person(
    fresh: World,
) -> None:
    _deal(fresh)
    owner, supplier = fresh.users["acme-owner"], fresh.users["voltworks-owner"]
    client = client_for(fresh)

    def post(user: object, path: str, body: dict[str, str], key: str) -> dict[str, object]:
        answer = client.post(
            f"/api/v1/deals/{DEAL}/{path}",
            json=body,
            headers={**bearer(user), "Idempotency-Key": key},  # type: ignore[arg-type]
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    _at(fresh, 2026, 7, 10)
    paid = {"payer": "acme", "payee": "voltworks", "amount": "100000.00", "ref": "SUP-1"}
    post(owner, "payments", {**paid, "for": "convertible"}, "pay")
    post(supplier, "payments/SUP-1/confirm", {}, "confirm")
    _at(fresh, 2027, 1, 5)
    asked = {"conversion": "c-2027-01", "window": "2027-01-15", "amount": "60000.00"}
    (event,) = post(owner, "conversions", asked, "ask")["events"]  # type: ignore[misc]
    assert event["by"] == "ana" and event["type"] == "conversion-requested"
    too_much = client.post(
        f"/api/v1/deals/{DEAL}/conversions",
        json={"conversion": "c-more", "window": "2027-01-15", "amount": "40000.01"},
        headers={**bearer(owner), "Idempotency-Key": "more"},
    )
    assert too_much.status_code == 409, too_much.text  # 100,000.00 − 60,000.00 asked for
    refused = client.post(
        f"/api/v1/deals/{DEAL}/conversions/c-2027-01/approve",
        json={},
        headers={**bearer(owner), "Idempotency-Key": "self"},
    )
    assert refused.status_code in (403, 409), refused.text  # not the buyer's to approve
    post(supplier, "conversions/c-2027-01/approve", {"credits": "69000.00"}, "approve")

    shown = client.get(f"/api/v1/deals/{DEAL}/support", headers=bearer(supplier))
    assert shown.status_code == 200, shown.text
    doc = shown.json()
    assert (doc["paid"], doc["converted"], doc["unconverted"]) == (
        "100000.00",
        "60000.00",
        "40000.00",
    )
    assert (doc["credits_issued"], doc["credits_left"], doc["unused"]) == (
        "69000.00",
        "69000.00",
        "100000.00",
    )
    (conversion,) = doc["conversions"]
    assert (conversion["status"], conversion["approved_by"], conversion["credits"]) == (
        "approved",
        "sam",
        "69000.00",
    )
    deal = client.get(f"/api/v1/deals/{DEAL}", headers=bearer(owner)).json()
    assert deal["support"]["credits_left"] == "69000.00"
    none = client.get("/api/v1/deals/hybrid-dc1/support", headers=bearer(owner))
    assert none.status_code == 409 and "no convertible support" in none.text
