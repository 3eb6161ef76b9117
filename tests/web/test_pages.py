"""The pages as each side uses them, through their forms: a change order above the threshold
needs both sides' approvals (proposing is the proposer's); a gate decision by its deciders; a
decision and a risk on the dashboard; the exit preview for a date; the journal verifies."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import DEAL, World, client_for, sign_in


def _post(client: TestClient, path: str, csrf: str, **form: object) -> str:
    answer = client.post(path, data={"csrf": csrf, "key": f"k-{path}-{form}", **form})
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
    ana = client_for(fresh)
    csrf = sign_in(ana, "acme-owner")
    _post(ana, f"/deals/{DEAL}/gates/design", csrf, decision="proceed", by=["ana", "sam"])
    assert "proceed" in ana.get(f"/deals/{DEAL}/gates").text
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
