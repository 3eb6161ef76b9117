"""`copact simulate` end to end: the JSON shape of DESIGN §11, several deals, the plot."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES

runner = CliRunner()
HYBRID = str(EXAMPLES / "hybrid-dc1.yaml")
HEAT = str(EXAMPLES / "heat-sensor-housing.yaml")
RISK = str(EXAMPLES / "hybrid-dc1.risk.yml")


def test_planned_case_only_without_assumptions() -> None:
    result = runner.invoke(app, ["simulate", HYBRID, "--format", "json"])
    assert result.exit_code == 0, result.output
    (deal,) = json.loads(result.output)["deals"]
    assert deal["simulated"] is None
    voltworks = deal["planned"]["parties"]["voltworks"]
    assert set(voltworks) == {"npv", "irr", "peak_exposure", "payback", "flows"}
    assert isinstance(voltworks["npv"], str) and isinstance(voltworks["irr"], float)
    assert {"date", "amount", "label"} <= set(voltworks["flows"][0])


def test_two_deals_side_by_side_with_a_seeded_monte_carlo(tmp_path: Path) -> None:
    plot = tmp_path / "sim.png"
    args = [
        "simulate",
        HYBRID,
        HEAT,
        "--assumptions",
        RISK,
        "--runs",
        "2000",
        "--seed",
        "3",
        "--format",
        "json",
        "--plot",
        str(plot),
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert [d["deal"] for d in doc["deals"]] == ["hybrid-dc1", "heat-sensor-housing"]
    sim = doc["deals"][1]["simulated"]
    assert sim["runs"] == 2000 and sim["seed"] == 3 and 0 < sim["completion"] <= 1
    ridgeline = sim["parties"]["ridgeline"]
    assert set(ridgeline["npv"]) == {"mean", "std", "p5", "p50", "p95"}
    assert (
        float(ridgeline["npv"]["p5"])
        <= float(ridgeline["npv"]["p50"])
        <= float(ridgeline["npv"]["p95"])
    )
    assert plot.stat().st_size > 10_000
    again = runner.invoke(app, args)
    assert json.loads(again.stdout) == doc  # same seed, same figures


def test_a_bad_assumptions_file_exits_1_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "risk.yml"
    bad.write_text("runs: 100\ncosts: {overrun: [0%, 5%]}\n")
    result = runner.invoke(app, ["simulate", HYBRID, "--assumptions", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2:" in result.output


def test_runs_are_bounded_as_in_the_assumptions_file() -> None:
    """--runs takes what an assumptions file may say, up to 10,000,000: a typo of a few zeros
    more is refused at once instead of running for hours."""
    deal = str(EXAMPLES / "heat-sensor-housing.yaml")
    refused = runner.invoke(app, ["simulate", deal, "--runs", "100000000000"])
    assert refused.exit_code == 2
    assert "less than or equal to 10000000" in refused.output
