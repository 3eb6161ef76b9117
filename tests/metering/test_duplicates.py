"""Telemetry given twice: a sample repeated with the same value is dropped and counted; samples
of one site, signal and instant with different values are named by file and line, left out
whatever their order, and put the settlement up for review. Row numbers count blank lines."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copact.cli.app import app
from copact.core.diagnostic import Severity
from copact.metering.engines import DuckDBEngine
from copact.metering.meter import meter_month
from copact.metering.telemetry import read_telemetry
from tests.conftest import EXAMPLES
from tests.metering.telemetry_cases import Row, every, hybrid, write_csv

runner = CliRunner()
DEAL = str(EXAMPLES / "hybrid-dc1.yaml")
SITES = {"dc1": "America/New_York"}
HEADER = ["site", "ts", "signal", "value"]

MARCH = every("2027-03-01T00:00:00-05:00", "2027-04-01T00:00:00-04:00", signal="supply_ok", value=1)
# a second export that says the supply was down for two hours on 10 March, where the first says
# it was up: 24 samples at the same instants with the other value
SECOND_EXPORT = every(
    "2027-03-10T10:00:00-05:00", "2027-03-10T12:00:00-05:00", signal="supply_ok", value=0
)


def test_a_blank_line_does_not_shift_the_line_named_in_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "site,ts,signal,value\n"  # 1
        "dc1,2027-03-01T00:00:00-05:00,supply_ok,1\n"  # 2
        "\n"  # 3
        "dc1,2027-03-01T00:05:00-05:00,supply_ok,1,extra\n"  # 4 five fields
        "\n"  # 5
        "\n"  # 6
        "dc1,yesterday,supply_ok,1\n"  # 7 not an instant
        "dc1,2027-03-01T00:10:00-05:00,temperature,21\n"  # 8 unknown signal
        "\n"  # 9
        "dc1,2027-03-01T00:15:00-05:00,capability,7\n",  # 10 out of range
        encoding="utf-8",
    )
    telemetry, problems = read_telemetry([path], SITES)
    assert sorted((p.line, p.code) for p in problems) == [
        (4, "M104"),
        (7, "M101"),
        (8, "M106"),
        (10, "M105"),
    ]
    lines = path.read_text().splitlines()
    assert "yesterday" in lines[7 - 1] and "capability,7" in lines[10 - 1]
    assert telemetry.rows == 1


def test_conflicting_samples_are_named_by_file_and_line(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", HEADER, MARCH)
    second = write_csv(tmp_path / "b.csv", HEADER, SECOND_EXPORT)
    _, problems = read_telemetry([first, second], SITES)
    conflicts = [p for p in problems if p.code == "M108"]
    assert len(conflicts) == 24 and all(p.severity is Severity.WARNING for p in conflicts)
    # 10 March 10:00 New York is the 9 days × 288 + 120th sample of a.csv: line 2 + 2712
    (at_ten,) = [p for p in conflicts if "2027-03-10T15:00:00Z" in p.message]
    assert (at_ten.path, at_ten.line, at_ten.column) == (str(first), 2 + 9 * 288 + 120, 4)
    assert f"{second}:2" in at_ten.message  # where the other value is
    assert "value 1 here" in at_ten.message and "0 at" in at_ten.message


def _settle(tmp: Path, rows: list[Row]) -> tuple[str, tuple[str, ...]]:
    deal = hybrid()
    data, problems = read_telemetry([write_csv(tmp / "t.csv", HEADER, rows)], SITES)
    assert all(p.severity is Severity.WARNING for p in problems)
    report = meter_month(
        deal, telemetry=data, windows=[], tickets=[], month="2027-03", engine=DuckDBEngine()
    )
    (site,) = report.sites
    return f"{site.settlement.amount.amount:.2f}", site.settlement.flags


@pytest.mark.parametrize("order", ["first export first", "second export first", 1, 2, 3])
def test_the_fee_of_conflicting_samples_does_not_depend_on_their_order(
    order: str | int,
) -> None:
    import tempfile

    rows = [*SECOND_EXPORT, *MARCH] if order == "second export first" else [*MARCH, *SECOND_EXPORT]
    if isinstance(order, int):
        random.Random(order).shuffle(rows)
    with tempfile.TemporaryDirectory() as tmp:
        amount, flags = _settle(Path(tmp), rows)
    # both values left out: two hours without a sample are unknown, which the deal counts as
    # down: 2 h of 743 h is 99.73 % availability, a 5 % credit on the 4,000 fee
    assert amount == "3800.00"
    assert any(f.startswith("review: 24 telemetry samples conflict") for f in flags)


def test_identical_repeats_are_dropped_and_counted_and_change_nothing(tmp_path: Path) -> None:
    once, flags = _settle(tmp_path, MARCH)
    twice, flags_twice = _settle(tmp_path, [*MARCH, *MARCH[:100]])
    assert twice == once and flags_twice == flags
    _, problems = read_telemetry(
        [write_csv(tmp_path / "t.csv", HEADER, [*MARCH, *MARCH[:100]])], SITES
    )
    (repeat,) = [p for p in problems if p.code == "M109"]
    assert "100 rows repeat" in repeat.message and repeat.line == 2 + len(MARCH)


def test_meter_json_counts_the_duplicates_of_each_site_and_flags_the_settlement(
    tmp_path: Path,
) -> None:
    rows = [*MARCH, *SECOND_EXPORT, *MARCH[:3]]
    path = write_csv(tmp_path / "t.csv", HEADER, rows)
    result = runner.invoke(
        app, ["meter", DEAL, "-t", str(path), "--period", "2027-03", "-f", "json"]
    )
    # conflicting samples put the period up for review: reported in full, but not a clean run
    assert result.exit_code == 1, result.output
    assert "needs review" in result.stderr and "24 telemetry samples conflict" in result.stderr
    (site,) = json.loads(result.stdout)["sites"]
    duplicates = site["duplicates"]
    assert duplicates["identical"] == 3
    assert duplicates["conflicting"] == 24
    first_line = 2 + 9 * 288 + 120
    assert duplicates["first_rows"][0] == f"{path}:{first_line}"
    assert len(duplicates["first_rows"]) <= 10
    assert any("24 telemetry samples conflict" in f for f in site["settlement"]["flags"])
    assert f"{path}:{first_line}:4: M108" in result.stderr
    text = runner.invoke(app, ["meter", DEAL, "-t", str(path), "--period", "2027-03"])
    assert text.exit_code == 1
    assert "24 telemetry samples conflict" in text.stdout
    assert "3 repeated" in text.stdout
