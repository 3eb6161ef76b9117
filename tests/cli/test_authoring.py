"""`copact new` and `copact schedule` through the CLI, as a user runs them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copact.cli.app import app
from copact.core.deal import Structure
from copact.dealfile.loader import load_deal
from copact.rules.runner import check_deal
from tests.conftest import EXAMPLES

runner = CliRunner()


@pytest.mark.parametrize("structure", list(Structure), ids=lambda s: s.value)
def test_new_writes_a_starter_that_checks_without_errors(
    tmp_path: Path, structure: Structure
) -> None:
    target = tmp_path / "deal.yaml"
    result = runner.invoke(
        app,
        [
            "new",
            "--structure",
            structure.value,
            "--buyer",
            "Nordlicht Outdoor GmbH",
            "--supplier",
            "Keramik Werke AG",
            "--currency",
            "EUR",
            "--value",
            "180000",
            "--start",
            "2027-01-04",
            "-o",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    loaded = load_deal(target)
    assert loaded.deal is not None, loaded.diagnostics
    assert loaded.deal.structure == structure
    assert loaded.deal.currency == "EUR"
    errors = [f for f in check_deal(loaded) if f.severity == "error"]
    assert errors == [], errors


def test_new_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "deal.yaml"
    target.write_text("keep me")
    result = runner.invoke(app, ["new", "-o", str(target)])
    assert result.exit_code == 2
    assert target.read_text() == "keep me"
    result = runner.invoke(app, ["new", "-o", str(target), "--force"])
    assert result.exit_code == 0
    assert target.read_text().startswith(("#", "copact"))


def test_new_refuses_a_bad_value() -> None:
    result = runner.invoke(app, ["new", "--value", "lots"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_schedule_json_adds_up_to_the_buyers_share_of_value() -> None:
    result = runner.invoke(app, ["schedule", str(EXAMPLES / "hybrid-dc1.yaml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    lines = {line["ref"]: line for line in doc["lines"]}
    # design is funded 100% by the supplier: the buyer's invoice for design-approval is nothing
    assert lines["design-approval"]["amount"] == "0.00"
    # hardware-delivery: 30% of 420,000 = 126,000, of which the buyer funds 70% = 88,200.00,
    # due 2026-10-01 and paid 30 days later
    assert lines["hardware-delivery"]["amount"] == "88200.00"
    assert lines["hardware-delivery"]["date"] == "2026-10-31"
    assert lines["hardware-delivery"]["evidence"] == ["delivery-receipt", "test-report", "photo"]
    # 88,200 + 88,200 + 29,400 (10% × 70%) + 42,000 (operate has no funding entry: 100%)
    total = sum(Decimal(line["cash"]) for line in doc["lines"])
    assert total == Decimal("247800.00")


def test_schedule_of_a_broken_file_exits_1_with_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("copact: 1\nid: [oops\n")
    result = runner.invoke(app, ["schedule", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "E001" in result.output


def test_schedule_of_a_missing_file_exits_2() -> None:
    result = runner.invoke(app, ["schedule", "missing.yaml"])
    assert result.exit_code == 2
