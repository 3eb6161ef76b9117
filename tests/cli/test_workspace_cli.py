"""The workspace commands as a user runs them: init, deal add/list, journal import/verify."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES

runner = CliRunner()


def test_a_new_workspace_takes_a_deal_and_its_journal(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["init", ws]).exit_code == 0
    added = runner.invoke(
        app, ["deal", "add", str(EXAMPLES / "heat-sensor-housing.yaml"), "-w", ws]
    )
    assert added.exit_code == 0 and "version 1" in added.output
    journal = str(EXAMPLES / "journals" / "heat-sensor-housing.jsonl")
    imported = runner.invoke(
        app, ["journal", "import", journal, "--deal", "heat-sensor-housing", "-w", ws]
    )
    assert imported.exit_code == 0 and "6 events" in imported.output
    verified = runner.invoke(app, ["journal", "verify", "--deal", "heat-sensor-housing", "-w", ws])
    assert verified.exit_code == 0 and "6 events verified" in verified.output
    again = runner.invoke(
        app, ["journal", "import", journal, "--deal", "heat-sensor-housing", "-w", ws]
    )
    assert again.exit_code == 1 and f"{journal}:1:" in again.output
    listed = runner.invoke(app, ["deal", "list", "-w", ws])
    assert "heat-sensor-housing" in listed.output


def test_commands_outside_a_workspace_say_how_to_make_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["deal", "list", "-w", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "copact init" in result.output
