"""`copact select`: Acme ranks VoltWorks (4.15), GridCo (3.75) and SunBox (3.20) from
examples/selection/hybrid-dc1-evaluation.yaml, writes the one-page report, records the choice in
the deal and the deal still passes `copact check`; a bad evaluation is exit 1 with its lines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copact.cli.app import app
from copact.dealfile.loader import load_deal
from tests.conftest import EXAMPLES

EVALUATION = EXAMPLES / "selection" / "hybrid-dc1-evaluation.yaml"
HYBRID = EXAMPLES / "hybrid-dc1.yaml"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["select", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_the_ranking_as_a_table() -> None:
    code, output = _run(str(EVALUATION))
    assert code == 0, output
    lines = [line for line in output.splitlines() if "│" in line]
    assert "VoltWorks Inc." in lines[0] and "4.15" in lines[0]
    assert "GridCo Power Services" in lines[1] and "3.75" in lines[1] and "3.00*" in lines[1]
    assert "SunBox Energy Systems" in lines[2] and "3.20" in lines[2]
    assert "Decided by data-sharing: voltworks leads gridco by 0.40" in output
    assert "evaluators disagree on gridco, data-sharing: ana 2, raj 4" in output
    assert "Chosen: voltworks: the highest weighted score, 4.15 of 5" in output


def test_the_ranking_as_json() -> None:
    code, output = _run(str(EVALUATION), "-f", "json")
    assert code == 0
    doc = json.loads(output)
    assert [(r["rank"], r["candidate"], r["score"]) for r in doc["ranking"]] == [
        (1, "voltworks", "4.15"),
        (2, "gridco", "3.75"),
        (3, "sunbox", "3.20"),
    ]
    assert doc["ranking"][1]["criteria"]["data-sharing"] == {
        "mean": "3.00",
        "spread": "2",
        "scores": {"ana": "2", "raj": "4"},
    }
    assert doc["decided_by"] == {"criterion": "data-sharing", "margin": "0.40", "lead": "0.40"}
    assert doc["chosen"] == "voltworks"


@pytest.mark.parametrize("suffix", [".pdf", ".html", ".md"])
def test_the_report_is_written(suffix: str, tmp_path: Path) -> None:
    target = tmp_path / f"selection{suffix}"
    code, output = _run(str(EVALUATION), "--report", str(target))
    assert code == 0, output
    data = target.read_bytes()
    if suffix == ".pdf":
        assert data.startswith(b"%PDF") and "(selection report, PDF, 1 page)" in output
    else:
        text = data.decode()
        assert "VoltWorks Inc." in text and "4.15 of 5" in text
        assert "Willingness to share performance data decided between" in text


def test_write_records_the_choice_and_the_deal_still_checks_clean(tmp_path: Path) -> None:
    deal = tmp_path / "hybrid-dc1.yaml"
    shutil.copy(HYBRID, deal)
    code, output = _run(str(EVALUATION), "--deal", str(deal), "--write")
    assert code == 0, output
    assert f"Wrote the selection into {deal}: chosen voltworks, 3 candidates." in output
    text = deal.read_text()
    assert text.startswith(HYBRID.read_text())  # every line and comment kept
    loaded = load_deal(deal)
    assert loaded.deal is not None and loaded.deal.selection is not None
    selection = loaded.deal.selection
    assert [(c.id, str(c.score)) for c in selection.candidates] == [
        ("voltworks", "4.15"),
        ("gridco", "3.75"),
        ("sunbox", "3.20"),
    ]
    assert str(selection.criteria["controls-expertise"]) == "25%"
    assert selection.chosen == "voltworks" and selection.reason is None
    result = CliRunner().invoke(app, ["check", str(deal), "--strict"])
    assert result.exit_code == 0 and "All checks passed" in result.output


def test_choosing_another_needs_a_reason_and_a_party(tmp_path: Path) -> None:
    deal = tmp_path / "hybrid-dc1.yaml"
    shutil.copy(HYBRID, deal)
    code, output = _run(str(EVALUATION), "--choose", "gridco")
    assert code == 1 and "gridco is ranked 2, not first alone: give the buyer's reason" in output
    code, output = _run(str(EVALUATION), "--choose", "brightgen", "--reason", "x")
    assert code == 1 and "'brightgen' is not a candidate" in output
    code, output = _run(
        str(EVALUATION), "--deal", str(deal), "--write", "--choose", "gridco", "--reason", "cheaper"
    )
    assert code == 1 and "gridco is not a party of hybrid-dc1" in output
    assert deal.read_text() == HYBRID.read_text()  # nothing written
    report = tmp_path / "selection.md"
    code, output = _run(
        str(EVALUATION), "--choose", "gridco", "--reason", "local service", "--report", str(report)
    )
    assert code == 0
    assert "**Why:** local service" in report.read_text()


def test_a_bad_evaluation_is_exit_1_with_its_lines(tmp_path: Path) -> None:
    bad = tmp_path / "eval.yaml"
    text = EVALUATION.read_text().replace("weight: 15%}", "weight: 10%}")
    bad.write_text(text.replace("financing: 3,\n", "financing: 7,\n"))
    code, output = _run(str(bad))
    assert code == 1
    assert f"{bad}:11:1: Q852 the criteria's weights add up to 95%, not 100%" in output
    assert f"{bad}:48:" in output and "Q854 raj scores voltworks 7 on financing" in output
    assert "has errors; fix them" in output and "Traceback" not in output
    code, output = _run(str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml" in output


def test_help_shows_an_example() -> None:
    code, output = _run("--help")
    assert code == 0 and "copact select examples/selection/hybrid-dc1-evaluation.yaml" in output
