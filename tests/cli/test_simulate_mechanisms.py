"""`copact simulate` of structures side by side, each with its mechanism's money (issue 15
§10): a buyer compares milestone funding with cost-plus reimbursement of the same parties and
value, and sees where the money differs."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES

runner = CliRunner()

RISK = """\
runs: 4000
seed: 11
milestones:
  "*": {pass: 95%, slip-days: [0, 10, 45]}
costs: {overrun: [0%, 15%, 40%]}
"""


def _new(tmp_path: Path, structure: str, name: str) -> Path:
    path = tmp_path / name
    args = ["new", "-s", structure, "--buyer", "Acme LLC", "--supplier", "Volt Inc"]
    result = runner.invoke(app, [*args, "--start", "2026-07-01", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    milestones = _new(tmp_path, "milestone-funding", "milestones.yaml")
    cost_plus = _new(tmp_path, "cost-plus-reimbursement", "cost-plus.yaml")
    # its milestones pay nothing: the plan reimburses the 80,000.00 of costs + 10% markup,
    # and a cap of 110,000.00 leaves 22,000.00 for an overrun
    cost_plus.write_text(cost_plus.read_text().replace("cap: 100000", "cap: 110000"))
    risk = tmp_path / "risk.yml"
    risk.write_text(RISK)
    return milestones, cost_plus, risk


def test_two_structures_side_by_side_print_their_mechanism_lines(tmp_path: Path) -> None:
    """The same parties, value and costs: milestone funding bills the 100,000.00 of value
    whatever the work cost; cost-plus reimburses the 80,000.00 of costs with a 10% markup,
    88,000.00 in the plan, and under overruns also the overrun with its markup, at most the
    22,000.00 the cap leaves. The mechanism lines say so for each party."""
    milestones, cost_plus, risk = _pair(tmp_path)
    result = runner.invoke(
        app, ["simulate", str(milestones), str(cost_plus), "--assumptions", str(risk)]
    )
    assert result.exit_code == 0, result.output
    text = result.output
    assert "acme-volt (milestone-funding): planned case" in text
    assert "acme-volt (cost-plus-reimbursement): planned case" in text
    assert "mechanisms: none beyond the milestones, advance, fees and costs" in text
    assert (
        "acme mechanisms (planned): costs reimbursed -88,000.00 · overrun reimbursed +0.00" in text
    )
    assert "acme mechanisms (mean per run): costs reimbursed -" in text
    assert "overrun reimbursed -" in text.split("acme mechanisms (mean per run)")[1]
    assert "volt mechanisms (mean per run): costs reimbursed +" in text

    doc = json.loads(
        runner.invoke(
            app,
            ["simulate", str(milestones), str(cost_plus), "--assumptions", str(risk), "-f", "json"],
        ).stdout
    )
    first, second = doc["deals"]
    assert (first["structure"], second["structure"]) == (
        "milestone-funding",
        "cost-plus-reimbursement",
    )
    # in the plan the cost-plus buyer pays less (costs + markup below the value)
    planned = [float(d["planned"]["parties"]["acme"]["npv"]) for d in (first, second)]
    assert planned[1] > planned[0]
    assert "mechanisms" not in first["simulated"]["parties"]["acme"]
    paid = float(second["simulated"]["parties"]["volt"]["mechanisms"]["overrun-reimbursed"])
    assert 0 < paid <= 22000
    assert (
        float(second["simulated"]["parties"]["acme"]["mechanisms"]["overrun-reimbursed"]) == -paid
    )

    # the overruns are the supplier's loss under milestone funding and mostly the buyer's under
    # cost-plus: the supplier's mean falls below its plan by less
    def drop(deal: dict[str, dict[str, dict[str, dict[str, str]]]]) -> float:
        planned = float(deal["planned"]["parties"]["volt"]["npv"])  # type: ignore[arg-type]
        return planned - float(deal["simulated"]["parties"]["volt"]["npv"]["mean"])

    assert drop(second) < drop(first)


def test_the_planned_rebate_is_labelled_in_the_json(tmp_path: Path) -> None:
    """heat-sensor-housing at 31,200 housings a year: 6,411.60 at each year's end."""
    deal = tmp_path / "heat.yaml"
    text = (EXAMPLES / "heat-sensor-housing.yaml").read_text()
    deal.write_text(text.replace("commitment: 24000", "commitment: 31200"))
    result = runner.invoke(app, ["simulate", str(deal), "-f", "json"])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)["deals"]
    ridgeline = doc["planned"]["parties"]["ridgeline"]
    rebates = [f for f in ridgeline["flows"] if f["kind"] == "rebate"]
    assert [(f["date"], f["amount"]) for f in rebates] == [
        ("2027-06-30", "6411.60"),
        ("2028-06-30", "6411.60"),
    ]
    assert ridgeline["mechanisms"] == {"rebate": "12823.20"}
    plain = runner.invoke(app, ["simulate", str(deal)])
    assert "ridgeline mechanisms (planned): rebate +12,823.20" in plain.output


def test_a_conversion_formula_it_cannot_read_exits_1_with_one_line(tmp_path: Path) -> None:
    deal = _new(tmp_path, "convertible-support", "convertible.yaml")
    deal.write_text(deal.read_text().replace("1.15 credit per 1.00 paid", "115 percent"))
    result = runner.invoke(app, ["simulate", str(deal)])
    assert result.exit_code == 1
    assert "cannot read the conversion formula '115 percent'" in result.output
    assert "Traceback" not in result.output
