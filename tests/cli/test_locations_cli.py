"""A bad line's location prints as ``file:line``, whatever its number: the console renders no
emoji codes, so line 100 of a journal is ``:100:`` and not 💯 (a code Rich knows)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from copact.cli.app import app
from tests.conftest import EXAMPLES

runner = CliRunner()
DEAL = EXAMPLES / "heat-sensor-housing.yaml"


def _import(tmp_path: Path, journal: Path) -> Result:
    """``copact journal import`` of ``journal`` into a new workspace holding the deal."""
    root = tmp_path / "ws"
    runner.invoke(app, ["init", str(root)])
    runner.invoke(app, ["deal", "add", str(DEAL), "-w", str(root)])
    return runner.invoke(
        app, ["journal", "import", str(journal), "--deal", "heat-sensor-housing", "-w", str(root)]
    )


def test_line_100_of_a_journal_is_named_as_such(tmp_path: Path) -> None:
    journal = tmp_path / "l100.jsonl"
    journal.write_text("\n" * 99 + "not json\n", encoding="utf-8")
    imported = _import(tmp_path, journal)
    assert imported.exit_code != 0
    assert "l100.jsonl:100: J001" in imported.output and "💯" not in imported.output
    folded = runner.invoke(app, ["state", str(DEAL), "-e", str(journal)])
    assert "l100.jsonl:100:1: J001" in folded.output and "💯" not in folded.output


def test_a_journal_that_is_not_utf8_is_named_with_its_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "latin1.jsonl"
    journal.write_bytes(b'{"a": 1}\n\n{"note": "caf\xe9"}\n')
    imported = _import(tmp_path, journal)
    assert imported.exit_code == 1
    assert "latin1.jsonl:3: not UTF-8 text" in imported.output
    assert "internal error" not in imported.output
    folded = runner.invoke(app, ["state", str(DEAL), "-e", str(journal)])
    assert folded.exit_code == 1 and "latin1.jsonl:3: not UTF-8 text" in folded.output
