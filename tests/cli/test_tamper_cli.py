"""`copact journal verify` and `checkpoint` as a user runs them against a tampered workspace:
every problem is named in words, exit 1 when the workspace does not verify, exit 2 when the
check could not run (no signing key), never a traceback."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES, cli_ok, cli_sign

runner = CliRunner()
DEAL = "heat-sensor-housing"
JOURNAL = str(EXAMPLES / "journals" / "heat-sensor-housing.jsonl")


def _workspace(tmp_path: Path) -> str:
    ws = str(tmp_path / "ws")
    cli_ok("init", ws)
    cli_ok("deal", "add", str(EXAMPLES / "heat-sensor-housing.yaml"), "-w", ws)
    cli_sign(ws, DEAL)
    return ws


def _submitted(tmp_path: Path, ws: str) -> dict[str, bytes]:
    files = {}
    evidence = []
    for kind in ("drawing", "simulation-report", "material-datasheet", "signed-acceptance"):
        f = tmp_path / f"{kind}.pdf"
        content = b"%PDF-1.7\n" + kind.encode() * 50
        f.write_bytes(content)
        files[kind] = content
        evidence += ["--evidence", f"{kind}={f}"]
    cli_ok("submit", DEAL, "design-freeze", "--by", "luis", *evidence, "-w", ws)
    return files


def _verify(ws: str, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["journal", "verify", "--deal", DEAL, "-w", ws, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_an_overwritten_and_a_deleted_evidence_file_are_named(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    files = _submitted(tmp_path, ws)
    code, output = _verify(ws)
    assert code == 0 and "4 evidence files re-hashed" in output
    drawing = hashlib.sha256(files["drawing"]).hexdigest()
    report = hashlib.sha256(files["simulation-report"]).hexdigest()
    blobs = tmp_path / "ws" / "evidence"
    (blobs / drawing[:2] / drawing).write_bytes(b"%PDF-1.7\nanother drawing")
    (blobs / report[:2] / report).unlink()
    code, output = _verify(ws)
    assert code == 1
    assert f"altered: drawing.pdf ({drawing[:12]}…), used by submitted design-freeze (event 3)" in (
        output
    )
    assert f"missing: simulation-report.pdf ({report[:12]}…)" in output
    assert "2 evidence files missing or altered" in output
    code, output = _verify(ws, "--no-evidence")  # the journal and the deal text still hold
    assert code == 0 and "evidence files not checked (--no-evidence)" in output


def test_an_imported_journal_without_its_evidence_says_what_is_not_held(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    cli_ok("journal", "import", JOURNAL, "--deal", DEAL, "-w", ws)
    code, output = _verify(ws)
    assert code == 1
    assert "evidence files referenced but not held" in output
    assert "not held: drawing.pdf (27f328269161…), used by submitted design-freeze (event 4)" in (
        output
    )


def test_an_edited_deal_text_fails_verify_and_every_command(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    with sqlite3.connect(tmp_path / "ws" / "copact.db") as db:
        db.execute(
            "UPDATE deal_versions SET text = replace(text, 'value: 185000', 'value: 285000')"
        )
    code, output = _verify(ws)
    assert code == 1 and "deal version 1 was altered in the database" in output
    state = runner.invoke(app, ["state", DEAL, "-w", ws])
    assert state.exit_code == 2 and isinstance(state.exception, SystemExit)
    assert "deal version 1 of heat-sensor-housing was altered in the database" in state.output


def test_a_rewritten_text_and_hash_fail_against_the_kept_checkpoint(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    kept = tmp_path / "kept.json"
    cli_ok("journal", "checkpoint", "--deal", DEAL, "-o", str(kept), "-w", ws)
    with sqlite3.connect(tmp_path / "ws" / "copact.db") as db:
        (text,) = db.execute("SELECT text FROM deal_versions").fetchone()
        forged = text.replace("value: 185000", "value: 285000")
        db.execute(
            "UPDATE deal_versions SET text = ?, sha256 = ?",
            (forged, hashlib.sha256(forged.encode()).hexdigest()),
        )
    assert _verify(ws)[0] == 0  # consistent in itself...
    code, output = _verify(ws, "--checkpoint", str(kept))  # ...not with what was kept
    assert code == 1 and "deal version 1 no longer has the hash the checkpoint" in output


def test_a_missing_signing_key_is_said_with_exit_2(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    kept = tmp_path / "kept.json"
    cli_ok("journal", "checkpoint", "--deal", DEAL, "-o", str(kept), "-w", ws)
    key = tmp_path / "ws" / "keys" / "checkpoint.pem"
    key.unlink()
    made = runner.invoke(app, ["journal", "checkpoint", "--deal", DEAL, "-w", ws])
    checked = runner.invoke(
        app, ["journal", "verify", "--deal", DEAL, "--checkpoint", str(kept), "-w", ws]
    )
    for result in (made, checked):
        assert result.exit_code == 2
        assert "the workspace's signing key keys/checkpoint.pem is missing" in result.output
    assert not key.exists()
