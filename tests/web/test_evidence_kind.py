"""An evidence file's kind is a short lowercase name (``test-report``), checked when the file
is uploaded: ``../../x``, ``TIMESHEETS``, ``tést`` with a right-to-left override or a
60,000-character kind are refused with a 422 that says what a kind is, over the API, from
the page's form and by ``copact evidence add``, and nothing is stored. Before, such a file
was stored and every later claim or submission naming it failed with a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from copact.cli.app import app as cli
from tests.conftest import EXAMPLES, cli_ok
from tests.web.conftest import DEAL, PDF, World, bearer, client_for, sign_in

BAD = ["../../x", "TIMESHEETS", "tést\u202e", "k" * 60_000, "", "-report", "test report"]
SAYS = "is not a kind: lowercase letters, digits and hyphens"


def _held(world: World) -> list[str]:
    return [r.kind for r in world.workspace.evidence(DEAL, party=None)]


@pytest.mark.parametrize("kind", BAD, ids=lambda k: repr(k[:12]))
def test_an_upload_with_a_bad_kind_is_refused_and_nothing_stored(fresh: World, kind: str) -> None:
    client = client_for(fresh)
    answer = client.post(
        f"/api/v1/deals/{DEAL}/evidence",
        headers=bearer(fresh.users["voltworks-account"]),
        files={"file": ("report.pdf", PDF, "application/pdf")},
        data={"kind": kind},
    )
    assert answer.status_code == 422, answer.text
    assert SAYS in answer.json()["detail"]
    assert len(answer.text) < 1000  # a 60,000-character kind is not echoed back whole
    assert _held(fresh) == []


def test_the_pages_upload_form_refuses_a_bad_kind(fresh: World) -> None:
    client = client_for(fresh)
    csrf = sign_in(client, "voltworks-account")
    answer = client.post(
        f"/deals/{DEAL}/evidence",
        files={"file": ("report.pdf", PDF, "application/pdf")},
        data={"kind": "../../x", "csrf": csrf},
    )
    assert answer.status_code == 422
    assert "evidence kind &#39;../../x&#39; is not a kind" in answer.text
    assert _held(fresh) == []


def test_a_file_of_a_good_kind_can_be_named_by_a_claim(fresh: World) -> None:
    """The repro of the review: a claim naming the file answers as the deal decides (here it
    is recorded or refused with a reason), never a 500."""
    client = client_for(fresh)
    sam = bearer(fresh.users["voltworks-account"])
    stored = client.post(
        f"/api/v1/deals/{DEAL}/evidence",
        headers=sam,
        files={"file": ("timesheets.pdf", PDF, "application/pdf")},
        data={"kind": "timesheets"},
    )
    assert stored.status_code == 201, stored.text
    claim = client.post(
        f"/api/v1/deals/{DEAL}/claims",
        headers={**sam, "Idempotency-Key": "claim-1"},
        json={"amount": "100.00", "for": "rework", "evidence": [stored.json()["sha256"]]},
    )
    assert claim.status_code < 500, claim.text
    assert _held(fresh) == ["timesheets"]


def test_copact_evidence_add_refuses_a_bad_kind(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    cli_ok("init", ws)
    cli_ok("deal", "add", str(EXAMPLES / "heat-sensor-housing.yaml"), "-w", ws)
    report = tmp_path / "report.pdf"
    report.write_bytes(PDF)
    args = ["evidence", "add", "heat-sensor-housing", str(report), "--kind", "TIMESHEETS"]
    result = CliRunner().invoke(cli, [*args, "--by", "luis", "-w", ws])
    assert result.exit_code != 0
    assert "evidence kind 'TIMESHEETS' is not a kind" in result.output
    assert "report.pdf" not in cli_ok("evidence", "list", "heat-sensor-housing", "-w", ws)
