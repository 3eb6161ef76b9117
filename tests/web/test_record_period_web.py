"""A metered period recorded from the web: hybrid-dc1's March 2027 uploaded over the API by
VoltWorks' operations token (Sam) settles at 3,800.00 (the 4,000.00 fee less a 5%
availability credit), with the three files kept as its evidence and named by the journal; the
same files again are refused as already settled, a finance user of either side without a
person cannot record; and on the meter page, ticking "record" settles the period and leads to
the invoices page where it can be invoiced."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from copact.core.events import ServiceSettled
from tests.web.conftest import DEAL, World, bearer, client_for, sign_in
from tests.web.test_metering import TELEMETRY, TICKETS, WINDOWS, _files


def test_the_api_records_a_metered_period_once(fresh: World) -> None:
    fresh.clock.now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
    client = client_for(fresh)
    sam = fresh.users["voltworks-owner"]
    path = f"/api/v1/deals/{DEAL}/service-periods"
    answer = client.post(
        path,
        files=_files(),
        data={"period": "2027-03"},
        headers={**bearer(sam), "Idempotency-Key": "rec-1"},
    )
    assert answer.status_code == 201, answer.text
    (event,) = answer.json()["events"]
    assert event["type"] == "service-settled" and event["by"] == "sam"
    assert event["sites"][0]["amount"] == "3800.00"
    assert answer.json()["inputs"] == event["inputs"]
    settled = fresh.workspace.events(DEAL)[-1]
    assert isinstance(settled, ServiceSettled) and settled.amount == Decimal("3800.00")
    kept = {r.kind: r.name for r in settled.evidence}
    assert kept == {
        "telemetry": TELEMETRY.name,
        "windows": "windows.csv",
        "tickets": "tickets.csv",
    }
    replay = client.post(
        path,
        files=_files(),
        data={"period": "2027-03"},
        headers={**bearer(sam), "Idempotency-Key": "rec-1"},
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    again = client.post(
        path,
        files=_files(),
        data={"period": "2027-03"},
        headers={**bearer(sam), "Idempotency-Key": "rec-2"},
    )
    assert again.status_code == 409 and "already settled from these inputs" in again.text
    assert len([e for e in fresh.workspace.events(DEAL) if e.type == "service-settled"]) == 1
    auditor = fresh.users["acme-auditor"]
    refused = client.post(
        path,
        files=_files(),
        data={"period": "2027-03"},
        headers={**bearer(auditor), "Idempotency-Key": "rec-3"},
    )
    assert refused.status_code == 403


def test_the_meter_page_records_when_asked(fresh: World) -> None:
    fresh.clock.now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
    client = client_for(fresh)
    csrf = sign_in(client, "voltworks-owner")
    form = client.get(f"/deals/{DEAL}/meter").text
    assert 'name="record"' in form and "record the settlement as sam" in form
    previewed = client.post(
        f"/deals/{DEAL}/meter", files=_files(), data={"csrf": csrf, "period": "2027-03"}
    )
    assert previewed.status_code == 200 and "3,800.00" in previewed.text
    assert not [e for e in fresh.workspace.events(DEAL) if e.type == "service-settled"]
    recorded = client.post(
        f"/deals/{DEAL}/meter",
        files=_files(),
        data={"csrf": csrf, "period": "2027-03", "record": "yes", "key": "page-1"},
    )
    assert recorded.status_code == 303, recorded.text
    assert recorded.headers["location"].endswith(f"/deals/{DEAL}/invoices")
    page = client.get(recorded.headers["location"]).text
    assert "service period 2027-03 settled by sam: 3,800.00 to bill" in page
    assert "Invoice 2027-03" in page
    assert WINDOWS.exists() and TICKETS.exists()
