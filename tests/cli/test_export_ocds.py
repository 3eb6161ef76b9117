"""`copact export ocds` as a user runs it: on a deal file with its journal, and on a workspace
deal, to stdout or to a file; the package validates against the published OCDS schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES
from tests.documents.test_ocds import schema_errors

runner = CliRunner()
DEAL = str(EXAMPLES / "heat-sensor-housing.yaml")
JOURNAL = str(EXAMPLES / "journals" / "heat-sensor-housing.jsonl")


def _statuses(package: dict[str, Any]) -> dict[str, str]:
    [release] = package["releases"]
    [contract] = release["contracts"]
    return {m["id"]: m["status"] for m in contract["implementation"]["milestones"]}


def test_a_deal_file_and_its_journal_export_a_valid_package() -> None:
    result = runner.invoke(app, ["export", "ocds", DEAL, "-e", JOURNAL, "--on", "2026-12-31"])
    assert result.exit_code == 0, result.output
    package = json.loads(result.output)
    assert schema_errors(package) == []
    assert _statuses(package) == {
        "prepaid": "met",
        "design-freeze": "met",
        "prototype-samples": "notMet",
        "production-mould": "scheduled",
        "performance-validation": "scheduled",
        "first-article": "scheduled",
    }
    [release] = package["releases"]
    assert release["ocid"] == "ocds-copact-heat-sensor-housing"
    assert release["id"] == "heat-sensor-housing-2026-12-31-8"  # the day and 8 events folded
    [paid] = release["contracts"][0]["implementation"]["transactions"]
    assert (paid["id"], paid["value"]) == ("PP-1", {"amount": 30000, "currency": "USD"})


def test_on_an_earlier_day_the_milestones_were_still_scheduled() -> None:
    result = runner.invoke(app, ["export", "ocds", DEAL, "-e", JOURNAL, "--on", "2026-09-17"])
    assert result.exit_code == 0, result.output
    statuses = _statuses(json.loads(result.output))
    assert statuses["design-freeze"] == "scheduled"  # submitted, not yet accepted
    assert statuses["prototype-samples"] == "scheduled"


def test_the_prefix_and_publisher_are_the_publishers_own() -> None:
    result = runner.invoke(
        app,
        [
            "export", "ocds", DEAL, "-e", JOURNAL, "--on", "2026-12-31",
            "--ocid-prefix", "ocds-a1b2c3-", "--publisher", "Ridgeline procurement",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    package = json.loads(result.output)
    assert package["releases"][0]["ocid"] == "ocds-a1b2c3-heat-sensor-housing"
    assert package["publisher"] == {"name": "Ridgeline procurement"}
    assert schema_errors(package) == []


def test_a_workspace_deal_exports_to_a_file(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    for args in (
        ["init", ws],
        ["deal", "add", DEAL, "-w", ws],
        ["journal", "import", JOURNAL, "--deal", "heat-sensor-housing", "-w", ws],
    ):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    target = tmp_path / "heat.ocds.json"
    result = runner.invoke(
        app,
        [
            "export",
            "ocds",
            "heat-sensor-housing",
            "-w",
            ws,
            "--on",
            "2026-12-31",
            "-o",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "written to" in result.output and str(target) in result.output
    package = json.loads(target.read_text(encoding="utf-8"))
    assert schema_errors(package) == []
    assert _statuses(package)["prototype-samples"] == "notMet"


def test_an_unknown_workspace_deal_is_one_line_and_exit_2(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["init", ws]).exit_code == 0
    result = runner.invoke(app, ["export", "ocds", "no-such-deal", "-w", ws])
    assert result.exit_code == 2
    assert "no-such-deal" in result.output
    assert "Traceback" not in result.output


def test_a_bad_date_is_refused() -> None:
    result = runner.invoke(app, ["export", "ocds", DEAL, "-e", JOURNAL, "--on", "31/12/2026"])
    assert result.exit_code == 2
    assert "--on must be a date YYYY-MM-DD" in result.output


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["export", "ocds", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "copact export ocds" in result.output
