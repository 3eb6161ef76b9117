"""Signing, the command added last: defined once in ``copact.services.operations`` (its
fields, guard and events), it reaches the command line, the JSON API and the dashboard without
being spelled again. Ana signs hybrid-dc1 for Acme on the page, Sam for VoltWorks over the API;
a second signature of Acme is refused everywhere, and an imported journal is held to the same
guard."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copact.cli.app import app as cli_app
from copact.core.events import Signed, dumps_events
from copact.services import operations as ops
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import EXAMPLES
from tests.web.conftest import DEAL, World, bearer, client_for, sign_in


def test_each_party_signs_once_from_the_page_and_the_api(fresh: World) -> None:
    ana = client_for(fresh)
    csrf = sign_in(ana, "acme-owner")
    dashboard = ana.get(f"/deals/{DEAL}").text
    assert "Sign for acme" in dashboard and "nobody yet" in dashboard
    done = ana.post(f"/deals/{DEAL}/sign", data={"csrf": csrf, "key": "s-1"})
    assert done.status_code == 303
    assert "signed by ana" in ana.get(done.headers["location"]).text
    assert "Sign for acme" not in ana.get(f"/deals/{DEAL}").text

    sam = client_for(fresh)
    answer = sam.post(
        f"/api/v1/deals/{DEAL}/sign",
        headers={**bearer(fresh.users["voltworks-owner"]), "Idempotency-Key": "s-2"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["events"][0] == {
        "seq": 2,
        "at": "2026-07-01T10:00:00Z",
        "type": "signed",
        "deal": DEAL,
        "by": ["sam"],
        "version": hashlib.sha256(fresh.workspace.deal_text(DEAL).encode()).hexdigest(),
    }
    version = hashlib.sha256(fresh.workspace.deal_text(DEAL).encode()).hexdigest()
    assert fresh.workspace.events(DEAL)[-1].version == version  # type: ignore[union-attr]
    shown = ana.get(f"/deals/{DEAL}").text
    assert f"binding since 2026-07-01: every party signed on version {version[:12]}" in shown

    again = sam.post(
        f"/api/v1/deals/{DEAL}/sign",
        headers={**bearer(fresh.users["acme-owner"]), "Idempotency-Key": "s-3"},
    )
    assert again.status_code == 409 and "acme has already signed" in again.text
    signed = [e for e in fresh.workspace.events(DEAL) if isinstance(e, Signed)]
    assert [e.by for e in signed] == [["ana"], ["sam"]]


def test_a_role_that_does_not_sign_is_forbidden(fresh: World) -> None:
    raj = client_for(fresh)
    answer = raj.post(
        f"/api/v1/deals/{DEAL}/sign",
        headers={**bearer(fresh.users["acme-finance"]), "Idempotency-Key": "s-4"},
    )
    assert answer.status_code == 403
    assert fresh.workspace.events(DEAL) == []


def test_the_command_line_signs_with_the_same_guard(fresh: World) -> None:
    runner = CliRunner()
    first = runner.invoke(cli_app, ["sign", DEAL, "--by", "ana", "-w", str(fresh.root)])
    assert first.exit_code == 0, first.output
    assert "signed by ana" in first.output
    twice = runner.invoke(cli_app, ["sign", DEAL, "--by", "raj", "-w", str(fresh.root)])
    assert twice.exit_code == 1 and "acme has already signed" in twice.output
    nobody = runner.invoke(cli_app, ["sign", DEAL, "--by", "mallory", "-w", str(fresh.root)])
    assert nobody.exit_code == 1 and "'mallory' is not a person" in nobody.output


def test_an_imported_journal_cannot_sign_a_party_twice(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", database=None, clock=_clock)
    ws.add_deal((EXAMPLES / f"{DEAL}.yaml").read_text(), f"{DEAL}.yaml")
    day = _clock()
    twice = [
        Signed(at=day, deal=DEAL, by=["ana"]),
        Signed(at=day, deal=DEAL, by=["raj"]),
    ]
    with pytest.raises(ImportRefused, match="line 2: acme has already signed"):
        ws.import_journal(DEAL, dumps_events(twice), "journal.jsonl")
    assert ws.events(DEAL) == []
    ops.admit(ws.deal(DEAL), [], twice[0])  # one signature of each party is fine


def _clock() -> datetime:
    return datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
