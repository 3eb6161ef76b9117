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
from copact.core.events import Payment, Signed, dumps_events
from copact.services import operations as ops
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import EXAMPLES
from tests.web.conftest import DEAL, World, bearer, client_for, sign_in


def test_each_party_signs_once_from_the_page_and_the_api(unsigned: World) -> None:
    ana = client_for(unsigned)
    csrf = sign_in(ana, "acme-owner")
    dashboard = ana.get(f"/deals/{DEAL}").text
    assert "Sign for acme" in dashboard and "nobody yet" in dashboard
    assert 'id="not-binding"' in dashboard  # nothing can be recorded before both sign
    done = ana.post(f"/deals/{DEAL}/sign", data={"csrf": csrf, "key": "s-1"})
    assert done.status_code == 303
    assert "signed by ana" in ana.get(done.headers["location"]).text
    assert "Sign for acme" not in ana.get(f"/deals/{DEAL}").text

    sam = client_for(unsigned)
    answer = sam.post(
        f"/api/v1/deals/{DEAL}/sign",
        headers={**bearer(unsigned.users["voltworks-owner"]), "Idempotency-Key": "s-2"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["events"][0] == {
        "seq": 2,
        "at": "2026-07-01T10:00:00Z",
        "type": "signed",
        "deal": DEAL,
        "by": ["sam"],
        "version": hashlib.sha256(unsigned.workspace.deal_text(DEAL).encode()).hexdigest(),
    }
    version = hashlib.sha256(unsigned.workspace.deal_text(DEAL).encode()).hexdigest()
    assert unsigned.workspace.events(DEAL)[-1].version == version  # type: ignore[union-attr]
    shown = ana.get(f"/deals/{DEAL}").text
    assert f"binding since 2026-07-01: every party signed on version {version[:12]}" in shown
    assert 'id="not-binding"' not in shown

    again = sam.post(
        f"/api/v1/deals/{DEAL}/sign",
        headers={**bearer(unsigned.users["acme-owner"]), "Idempotency-Key": "s-3"},
    )
    assert again.status_code == 409 and "hybrid-dc1 is binding since 2026-07-01" in again.text
    signed = [e for e in unsigned.workspace.events(DEAL) if isinstance(e, Signed)]
    assert [e.by for e in signed] == [["ana"], ["sam"]]


def test_a_role_that_does_not_sign_is_forbidden(unsigned: World) -> None:
    raj = client_for(unsigned)
    answer = raj.post(
        f"/api/v1/deals/{DEAL}/sign",
        headers={**bearer(unsigned.users["acme-finance"]), "Idempotency-Key": "s-4"},
    )
    assert answer.status_code == 403
    assert unsigned.workspace.events(DEAL) == []


def test_the_command_line_signs_with_the_same_guard(unsigned: World) -> None:
    runner = CliRunner()
    first = runner.invoke(cli_app, ["sign", DEAL, "--by", "ana", "-w", str(unsigned.root)])
    assert first.exit_code == 0, first.output
    assert "signed by ana" in first.output
    twice = runner.invoke(cli_app, ["sign", DEAL, "--by", "raj", "-w", str(unsigned.root)])
    assert twice.exit_code == 1 and "acme has already signed" in twice.output
    nobody = runner.invoke(cli_app, ["sign", DEAL, "--by", "mallory", "-w", str(unsigned.root)])
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


def test_nothing_operates_the_deal_before_every_party_signed_the_same_version(
    unsigned: World,
) -> None:
    """Before Sam signs for VoltWorks, a submission of hybrid-dc1 is refused on the API and the
    command line with why, a decision or a risk of the negotiation is taken; once both parties
    signed the same version the deal binds and the same submission goes through; signing again
    is refused, since a binding deal changes by change orders."""
    ws = unsigned.workspace
    ops.execute(ops.Sign(deal=DEAL, by="ana"), uow=ws, clock=unsigned.clock)
    client = client_for(unsigned)
    early = client.post(
        f"/api/v1/deals/{DEAL}/milestones/design-approval/submit",
        json={"evidence": []},
        headers={**bearer(unsigned.users["voltworks-owner"]), "Idempotency-Key": "early"},
    )
    assert early.status_code == 409, early.text
    assert "hybrid-dc1 is not binding yet: voltworks has not signed it" in early.text
    runner = CliRunner()
    pay = ["pay", DEAL, "--from", "acme", "--to", "voltworks", "--amount", "10.00"]
    refused = runner.invoke(cli_app, [*pay, "--ref", "P-1", "--by", "raj", "-w", str(ws.root)])
    assert refused.exit_code == 1 and "not binding yet" in refused.output
    assert "Traceback" not in refused.output
    decided = runner.invoke(
        cli_app,
        ["decide", DEAL, "site survey first", "--by", "ana", "-w", str(ws.root)],
    )
    assert decided.exit_code == 0, decided.output  # the negotiation's decisions are recorded

    assert runner.invoke(cli_app, ["sign", DEAL, "--by", "sam", "-w", str(ws.root)]).exit_code == 0
    done = runner.invoke(cli_app, [*pay, "--ref", "P-1", "--by", "raj", "-w", str(ws.root)])
    assert done.exit_code == 0, done.output
    again = runner.invoke(cli_app, ["sign", DEAL, "--by", "ana", "-w", str(ws.root)])
    assert again.exit_code == 1 and "hybrid-dc1 is binding since" in again.output
    assert "change order" in again.output


def test_signatures_of_different_versions_do_not_bind(tmp_path: Path) -> None:
    """A journal where Ana signed another text of hybrid-dc1 than the one Sam signed: the
    versions differ, so the deal does not bind and nothing operates it; a decision is taken."""
    ws = Workspace.init(tmp_path / "ws", database=None, clock=_clock)
    ws.add_deal((EXAMPLES / f"{DEAL}.yaml").read_text(), f"{DEAL}.yaml")
    day = _clock()
    version = hashlib.sha256(ws.deal_text(DEAL).encode()).hexdigest()
    signed = [
        Signed(at=day, deal=DEAL, by=["ana"], version="a" * 64),
        Signed(at=day, deal=DEAL, by=["sam"], version=version),
    ]
    assert ws.import_journal(DEAL, dumps_events(signed), "journal.jsonl") == 2
    ops.execute(ops.LogDecision(deal=DEAL, decision="go ahead", by=("ana",)), uow=ws)
    window = ops.RecordWindow(
        deal=DEAL,
        site="dc1",
        start="2026-07-01T10:00:00Z",
        end="2026-07-01T11:00:00Z",
        kind="planned",
        by="ana",
    )
    with pytest.raises(ops.RefusedCommand, match="the parties signed different versions"):
        ops.execute(window, uow=ws)
    ops.execute(ops.Sign(deal=DEAL, by="ana"), uow=ws)  # Ana signs the version Sam signed
    ops.execute(window, uow=ws)
    assert type(ws.events(DEAL)[-1]).__name__ == "WindowRecorded"


def test_an_imported_journal_that_operates_an_unsigned_deal_is_refused(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", database=None, clock=_clock)
    ws.add_deal((EXAMPLES / f"{DEAL}.yaml").read_text(), f"{DEAL}.yaml")
    day = _clock()
    journal = [
        Signed(at=day, deal=DEAL, by=["ana"]),
        Payment(at=day, deal=DEAL, **{"from": "acme"}, to="voltworks", amount="10.00", ref="P-1"),
    ]
    with pytest.raises(ImportRefused, match="line 2: hybrid-dc1 is not binding yet"):
        ws.import_journal(DEAL, dumps_events(journal), "journal.jsonl")
    assert ws.events(DEAL) == []


def test_the_example_journal_signs_the_example_deal_as_it_is() -> None:
    """heat-sensor-housing's example journal starts with both parties' signatures of the
    example's text: editing the deal file without re-signing it in the journal fails here."""
    from copact.core.events import parse_events

    journal = EXAMPLES / "journals" / "heat-sensor-housing.jsonl"
    events, problems = parse_events(journal.read_text(encoding="utf-8"), str(journal))
    assert problems == []
    text = (EXAMPLES / "heat-sensor-housing.yaml").read_text(encoding="utf-8")
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()
    first, second = events[:2]
    assert isinstance(first, Signed) and isinstance(second, Signed)
    assert (first.by, second.by) == (["hannah"], ["luis"])
    assert first.version == second.version == version
