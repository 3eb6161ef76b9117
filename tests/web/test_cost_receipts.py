"""A cost's receipts are confidential to the two sides of the cost by default: the supplier
that records it and the buyer that approves it (costs are reimbursed when verified, so the
buyer must open the receipts), never another party of the deal, and every read is in the
access log.

dc1-costs is hybrid-dc1 with ``cost-plus: {cap: 100000, markup: 10%, evidence: [receipts,
timesheets]}`` and a third party, Ridgeline Capital, financing it (Hannah). Sam of VoltWorks
uploads March's rig-hire receipt marked confidential and the timesheet shared, then records the
40,000.00 cost with both."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from copact.services import operations as ops
from tests.conftest import EXAMPLES, sign_deal
from tests.web.conftest import PDF, World, bearer, client_for, make_world, sign_in

DEAL = "dc1-costs"
RECEIPT = PDF + b"% rig hire, 40,000.00\n"
HOURS = b"day,hours\n2027-03-01,8\n"


def _deal(world: World) -> None:
    text = (EXAMPLES / "hybrid-dc1.yaml").read_text().replace("id: hybrid-dc1", f"id: {DEAL}")
    text = text.replace(
        "\nip:\n",
        "\ncost-plus: {cap: 100000, markup: 10%, overruns: prior-written-approval,\n"
        "            evidence: [receipts, timesheets]}\n\nip:\n",
    )
    text = text.replace(
        "\npeople:\n",
        "\n  - {id: ridgeline, name: Ridgeline Capital, role: financier}\n\npeople:\n"
        "  - {id: hannah, party: ridgeline, name: Hannah Berg, duties: [steering]}\n",
    )
    world.workspace.add_deal(text, f"{DEAL}.yaml")
    sign_deal(world.workspace, DEAL)
    world.clock.now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)


def _record_cost(world: World) -> tuple[str, str]:
    ws = world.workspace
    receipt = ws.add_evidence(
        DEAL,
        io.BytesIO(RECEIPT),
        name="rig-receipt.pdf",
        kind="receipts",
        by="sam",
        confidential=True,
    )
    hours = ws.add_evidence(DEAL, io.BytesIO(HOURS), name="hours.csv", kind="timesheets", by="sam")
    assert receipt.confidential_to == "voltworks" and hours.confidential_to is None
    command = ops.RecordCost(
        deal=DEAL,
        id="rig-hire",
        period="2027-03",
        amount="40000.00",
        description="test rig hire",
        evidence=(receipt.sha256, hours.sha256),
        by="sam",
    )
    ops.execute(command, uow=ws, clock=world.clock)
    return receipt.sha256, hours.sha256


def _log(client: TestClient, world: World, user: str) -> list[dict[str, str]]:
    answer = client.get(f"/api/v1/deals/{DEAL}/access-log", headers=bearer(world.users[user]))
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json() if e["action"] == "evidence.read"]


def test_the_buyer_opens_the_receipts_a_financier_of_the_deal_cannot(tmp_path: Path) -> None:
    world = make_world(tmp_path / "ws")
    try:
        _deal(world)
        receipt, hours = _record_cost(world)
        supplier, buyer, financier = client_for(world), client_for(world), client_for(world)
        sign_in(supplier, "voltworks-account")
        sign_in(buyer, "acme-owner")
        sign_in(financier, "ridgeline-owner")
        assert f"/deals/{DEAL}" in financier.get("/deals").text  # ridgeline is in the deal

        for sha, body in ((receipt, RECEIPT), (hours, HOURS)):
            url = f"/deals/{DEAL}/evidence/{sha}"
            assert supplier.get(url).content == body  # the recording party
            assert buyer.get(url).content == body  # the buyer, to approve the cost
            assert financier.get(url).status_code == 404  # nobody else, shared or not
            api = client_for(world).get(
                f"/api/v1/deals/{DEAL}/evidence/{sha}",
                headers=bearer(world.users["ridgeline-owner"]),
            )
            assert api.status_code == 404
        listed = client_for(world).get(
            f"/api/v1/deals/{DEAL}/evidence", headers=bearer(world.users["ridgeline-owner"])
        )
        assert listed.status_code == 200 and listed.json() == []  # not even their names

        # every read is logged, the buyer's of the shared timesheet too; the refusals as well
        log = _log(client_for(world), world, "voltworks-owner")
        reads = [(e["party"], e["object"].split()[1]) for e in log if e["outcome"] == "read"]
        assert sorted(reads) == sorted(
            [("voltworks", receipt), ("acme", receipt), ("voltworks", hours), ("acme", hours)]
        )
        assert any(
            e["party"] == "acme" and "a cost's receipt, confidential to voltworks" in e["detail"]
            for e in log
        )
        refused = _log(client_for(world), world, "ridgeline-owner")
        assert [e["outcome"] for e in refused] == ["refused"] * 4
        assert {e["object"] for e in refused} == {f"evidence {receipt}", f"evidence {hours}"}
        assert "voltworks" not in str(refused)  # a refusal names no owner
    finally:
        world.workspace.engine.dispose()


def test_before_it_is_attached_to_a_cost_a_shared_upload_is_the_deals(tmp_path: Path) -> None:
    """Visibility is the upload's until the file becomes a cost's receipt."""
    world = make_world(tmp_path / "ws")
    try:
        _deal(world)
        hours = world.workspace.add_evidence(
            DEAL, io.BytesIO(HOURS), name="hours.csv", kind="timesheets", by="sam"
        )
        financier = client_for(world)
        sign_in(financier, "ridgeline-owner")
        assert financier.get(f"/deals/{DEAL}/evidence/{hours.sha256}").content == HOURS
    finally:
        world.workspace.engine.dispose()
