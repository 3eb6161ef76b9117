"""Metering and baseline fitting as services, called as the API and the pages call them: the
sample month of hybrid-dc1 settles to the same figures as `copact meter` prints, whether the
files are given by path or as uploaded bytes; a bad row is refused with the name it was
uploaded under and its line; nothing of a refused request is half done."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copact.cli.app import app
from copact.errors import RefusedCommand
from copact.services.baselines import fit_deal_baseline
from copact.services.inputs import BadOption, InputFile, MalformedInput, MissingInput, MissingTerms
from copact.services.metering import MeterRequest, check_request, meter_period
from copact.services.workspace import Workspace, WorkspaceError
from tests.conftest import EXAMPLES, load_example
from tests.metering.telemetry_cases import every, write_csv

SAMPLE = EXAMPLES / "telemetry"
TELEMETRY = SAMPLE / "dc1-2027-03.parquet"
WINDOWS = SAMPLE / "dc1-2027-03-windows.csv"
TICKETS = SAMPLE / "dc1-2027-03-tickets.csv"
FUEL = EXAMPLES / "baseline" / "hybrid-dc1-fuel.csv"
MARCH = (TELEMETRY,)


def _cli(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def _sample(**given: Any) -> MeterRequest:
    request = MeterRequest(telemetry=MARCH, period="2027-03", windows=WINDOWS, tickets=TICKETS)
    return replace(request, **given)


def test_the_sample_month_settles_as_copact_meter_prints_it() -> None:
    deal = load_example("hybrid-dc1.yaml")
    result = meter_period(deal, _sample())
    printed = _cli(
        "meter",
        str(EXAMPLES / "hybrid-dc1.yaml"),
        *("-t", str(TELEMETRY), "--windows", str(WINDOWS), "--tickets", str(TICKETS)),
        *("--period", "2027-03"),
    )
    assert result.to_json() == printed
    (site,) = result.report.sites
    # 99.5% ≤ availability < 99.95%: the 5% credit on the 4,000 fee
    assert str(site.settlement.fee.amount) == "4000.00"
    assert str(site.settlement.amount.amount) == "3800.00"
    assert [role for role, _ in result.inputs] == ["telemetry", "windows", "tickets"]
    assert result.inputs_hash.startswith("sha256:")
    assert result.warnings == ()


def test_uploaded_bytes_settle_as_the_same_files_on_disk() -> None:
    deal = load_example("hybrid-dc1.yaml")
    by_path = meter_period(deal, _sample())
    with TELEMETRY.open("rb") as handle:  # a file object, as an upload hands it over
        uploaded = meter_period(
            deal,
            MeterRequest(
                telemetry=(InputFile("march.parquet", handle),),
                period="2027-03",
                windows=InputFile("windows.csv", WINDOWS.read_bytes()),
                tickets=InputFile("tickets.csv", TICKETS.read_bytes()),
            ),
        )
    assert uploaded.to_json() == by_path.to_json()  # the inputs hashes are of the bytes
    assert uploaded.inputs == by_path.inputs and uploaded.inputs_hash == by_path.inputs_hash


def test_a_bad_uploaded_row_is_named_by_its_upload_name_and_line() -> None:
    bad = (
        b"site,ts,signal,value\n"
        b"dc1,2027-03-01T00:00:00-05:00,supply_ok,1\n"
        b"dc1,2027-03-14T02:30:00,supply_ok,1\n"
    )
    request = MeterRequest(telemetry=(InputFile("march.csv", bad),), period="2027-03")
    with pytest.raises(MalformedInput) as refused:
        meter_period(load_example("hybrid-dc1.yaml"), request)
    (problem,) = [p for p in refused.value.problems if p.code == "M102"]
    assert (problem.path, problem.line, problem.column) == ("march.csv", 3, 2)
    assert refused.value.errors == 1
    assert "nothing was settled" in str(refused.value)
    assert "march.csv:3:2: M102" in str(refused.value)  # the first error, as the API says it


def test_repeated_samples_of_an_upload_are_named_by_the_upload(tmp_path: Path) -> None:
    day = every(
        "2027-03-01T00:00:00-05:00", "2027-03-02T00:00:00-05:00", signal="supply_ok", value=1
    )
    other = [(s, ts, sig, 0) for s, ts, sig, _ in day[:3]]
    path = write_csv(tmp_path / "t.csv", ("site", "ts", "signal", "value"), [*day, *other])
    request = MeterRequest(telemetry=(InputFile("dc1.csv", path.read_bytes()),), period="2027-03")
    result = meter_period(load_example("hybrid-dc1.yaml"), request)
    (site,) = result.report.sites
    assert site.duplicates is not None and site.duplicates.conflicting == 3
    assert site.duplicates.first_rows[0] == "dc1.csv:2"
    assert any("first at dc1.csv:2" in f for f in site.settlement.flags)
    assert {w.path for w in result.warnings} == {"dc1.csv"}
    assert all(str(tmp_path) not in w.message for w in result.warnings)


def test_options_that_cannot_run_are_refused_before_anything_is_read() -> None:
    with pytest.raises(BadOption) as period:
        check_request(_sample(period="March"))
    assert period.value.option == "period"
    assert period.value.said(lambda name: f"--{name}").startswith("--period: ")
    assert str(period.value).startswith("period: ")  # the API's words
    with pytest.raises(MissingInput) as missing:
        check_request(_sample(tickets=Path("nope.csv")))
    assert str(missing.value) == "nope.csv: no such file (tickets)"
    with pytest.raises(BadOption, match="engine must be one of duckdb, spark"):
        check_request(_sample(engine="excel"))
    with pytest.raises(BadOption, match=r"\.png, \.svg or \.pdf"):
        check_request(_sample(plot=Path("timeline.gif")))
    with pytest.raises(BadOption, match="settles per month"):
        meter_period(load_example("hybrid-dc1.yaml"), _sample(period="2027-Q1"))
    with pytest.raises(MissingTerms, match="no sla section") as no_sla:
        meter_period(load_example("heat-sensor-housing.yaml"), _sample())
    assert isinstance(no_sla.value, RefusedCommand)


def test_a_workspace_that_does_not_hold_the_deal_is_refused(tmp_path: Path) -> None:
    ws = Workspace.init(
        tmp_path / "ws", database=None, clock=lambda: datetime(2027, 4, 1, tzinfo=UTC)
    )
    try:
        with pytest.raises(WorkspaceError, match="no deal 'hybrid-dc1'"):
            meter_period(load_example("hybrid-dc1.yaml"), _sample(), workspace=ws)
    finally:
        ws.engine.dispose()


def test_the_example_baseline_fits_to_the_hash_locked_in_the_deal() -> None:
    deal = load_example("hybrid-dc1.yaml")
    result = fit_deal_baseline(deal, FUEL)
    assert result.accepted and result.locked == result.fitted.hash
    assert result.to_json() == _cli("baseline", str(EXAMPLES / "hybrid-dc1.yaml"), "-d", str(FUEL))
    uploaded = fit_deal_baseline(deal, InputFile("fuel.csv", FUEL.read_bytes()))
    assert uploaded.fitted.hash == result.fitted.hash


def test_a_baseline_with_other_data_is_refused_and_bad_rows_are_named() -> None:
    deal = load_example("hybrid-dc1.yaml")
    rows = FUEL.read_text().splitlines()
    rows[3] = rows[3].replace("253.0", "254.0")
    changed = InputFile("fuel.csv", ("\n".join(rows) + "\n").encode())
    with pytest.raises(RefusedCommand, match=r"gainshare\.baseline\.hash"):
        fit_deal_baseline(deal, changed)
    bad = InputFile("fuel.csv", b"start,end,observed,outage-hours\n2025-01-01,2025-02-01,lots,1\n")
    with pytest.raises(MalformedInput) as refused:
        fit_deal_baseline(deal, bad)
    (problem,) = refused.value.problems
    assert (problem.path, problem.line, problem.code) == ("fuel.csv", 2, "B904")
    with pytest.raises(MalformedInput, match="not UTF-8"):
        fit_deal_baseline(deal, InputFile("fuel.csv", b"\xff\xfe"))
    with pytest.raises(MissingTerms, match="no gainshare model"):
        fit_deal_baseline(load_example("saas-integration.yaml"), FUEL)
    with pytest.raises(BadOption) as change:
        fit_deal_baseline(deal, FUEL, change="rebase-2026", on=date(2026, 7, 1))
    assert change.value.said(lambda n: f"--{n}") == (
        "--change needs the journal that approved it: --events FILE"
    )
