"""Snapshots of the three output formats of `copact check` on a fixed flawed deal.

A change in wording, order or place of a finding shows up here as a diff to review; accept it
with `pytest tests/cli/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import json

import pytest
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from copact import __version__
from copact.cli.app import app
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "cli" / "sample-deal.yaml"
RELATIVE = "tests/fixtures/cli/sample-deal.yaml"


@pytest.fixture(autouse=True)
def _from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES.parent.parent)


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["check", RELATIVE, *args])
    assert result.exit_code == 1
    return result.output


def test_text_output(snapshot: SnapshotAssertion) -> None:
    assert _run() == snapshot


def test_json_output(snapshot: SnapshotAssertion) -> None:
    assert json.loads(_run("--format", "json")) == snapshot


def test_sarif_results(snapshot: SnapshotAssertion) -> None:
    sarif = json.loads(_run("--format", "sarif"))
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["version"] == __version__
    # the rule table is pinned by the rule tests; the snapshot keeps the results
    assert sarif["runs"][0]["results"] == snapshot
