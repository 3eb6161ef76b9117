"""An assumptions file that cannot describe a simulation is an error at its line and column."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from copact.cli.app import app
from copact.core.diagnostic import Diagnostic
from copact.finance.assumptions import Assumptions, load_assumptions
from tests.conftest import EXAMPLES

GOOD = """\
runs: 100
seed: 7
milestones:
  "*": {pass: 95%, slip-days: [0, 10, 60]}
  stable-90-days: {pass: 85%}
costs: {overrun: [0%, 5%, 40%]}
flows:
  avoided downtime: {scale: [50%, 100%, 130%]}
"""


def problems_of(text: str) -> list[Diagnostic]:
    loaded = load_assumptions(text, "risk.yml")
    assert isinstance(loaded, list), "the file was accepted"
    return loaded


@pytest.mark.parametrize(
    ("old", "new", "line", "key", "words"),
    [
        ("pass: 85%", "pass: 195%", 5, "pass", "between 0% and 100%"),
        ("pass: 95%", "pass: -5%", 4, "pass", "between 0% and 100%"),
        ("[0, 10, 60]", "[0, 70, 60]", 4, "slip-days", "min ≤ mode ≤ max"),
        ("[0, 10, 60]", "[-3, 10, 60]", 4, "slip-days", "0 ≤ min"),
        ("[0%, 5%, 40%]", "[0%, 50%, 40%]", 6, "overrun", "min ≤ mode ≤ max"),
        ("[0%, 5%, 40%]", "[-150%, 5%, 40%]", 6, "overrun", "-100%"),
        ("[50%, 100%, 130%]", "[50%, 140%, 130%]", 8, "scale", "min ≤ mode ≤ max"),
        ("[50%, 100%, 130%]", "[-20%, 100%, 130%]", 8, "scale", "0% ≤ min"),
    ],
)
def test_an_impossible_assumption_is_an_error_at_its_key(
    old: str, new: str, line: int, key: str, words: str
) -> None:
    text = GOOD.replace(old, new, 1)
    (problem,) = problems_of(text)
    assert problem.code == "E002" and problem.path == "risk.yml"
    assert words in problem.message
    assert problem.line == line
    assert text.splitlines()[line - 1][problem.column - 1 :].startswith(key)


def test_the_example_assumptions_are_accepted() -> None:
    assert isinstance(load_assumptions(GOOD, "risk.yml"), Assumptions)
    loaded = load_assumptions((EXAMPLES / "hybrid-dc1.risk.yml").read_text(), "risk.yml")
    assert isinstance(loaded, Assumptions)


@given(st.decimals(min_value=-500, max_value=500, places=2))
def test_a_probability_is_accepted_exactly_when_it_is_between_0_and_100_percent(
    points: Decimal,
) -> None:
    loaded = load_assumptions(f'milestones: {{"*": {{pass: {points}%}}}}\n', "risk.yml")
    assert isinstance(loaded, Assumptions) == (0 <= points <= 100)


def test_simulate_reports_the_place_and_exits_1(tmp_path: Path) -> None:
    risk = tmp_path / "risk.yml"
    risk.write_text(GOOD.replace("pass: 85%", "pass: 195%"))
    result = CliRunner().invoke(
        app, ["simulate", str(EXAMPLES / "hybrid-dc1.yaml"), "--assumptions", str(risk)]
    )
    assert result.exit_code == 1
    assert f"{risk}:5:20: E002 milestones.stable-90-days.pass: " in result.stderr
    assert "help:" in result.stderr
    assert "Traceback" not in result.output
