"""DuckDB and Spark run the same metric definitions and must agree to the last unit.

The data is copact's own synthetic telemetry (two sites, February and March 2027 in New York,
so the spring-forward month is in), with its maintenance windows. Every telemetry measure is
computed on both engines and the results compared exactly, as fractions.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from copact.metering.definitions import availability_sql
from copact.metering.demo import DemoSpec, site_ids, write_demo
from copact.metering.engines import DuckDBEngine, Engine, SparkEngine, spark_missing
from copact.metering.metrics import (
    SitePeriod,
    availability,
    battery_cycles,
    fuel_efficiency,
    load_inputs,
    monitoring_uptime,
    peak_demand,
    ride_through,
    signals_present,
)
from copact.metering.periods import local_period, month_period
from copact.metering.results import MetricResult
from copact.metering.telemetry import read_telemetry
from copact.metering.windows import read_windows

ZONE = "America/New_York"
SPEC = DemoSpec(
    sites=2,
    start=date(2027, 2, 20),
    days=30,
    interval_s=300,
    seed=11,
    signals=(
        "supply_ok",
        "capability",
        "utility_ok",
        "load_kw",
        "heartbeat",
        "batt_discharge_kwh",
        "gen_running",
        "gen_kw",
        "fuel_l",
    ),
)


def _all_metrics(engine: Engine, out: Path) -> dict[str, dict[tuple[str, str], MetricResult]]:
    files = write_demo(out, SPEC, format="parquet")
    sites = dict.fromkeys(site_ids(SPEC), ZONE)
    telemetry, problems = read_telemetry(list(files.telemetry), sites)
    windows, more = read_windows(files.windows, sites)
    assert not problems + more
    periods = [SitePeriod(s, month_period(ZONE, m)) for s in sites for m in ("2027-02", "2027-03")]
    load_inputs(engine, telemetry, windows, periods)
    tol = 5 * 60_000
    lo = min(p.period.start_ms for p in periods)
    hi = max(p.period.end_ms for p in periods)
    sweep = engine.query(
        availability_sql(signals=signals_present(engine), tolerance_ms=tol, lo_ms=lo, hi_ms=hi)
    )  # one sweep feeds both availability and ride-through, as in copact meter
    return {
        "availability": availability(engine, periods, tolerance_ms=tol, rows=sweep),
        "ride-through": ride_through(engine, periods, tolerance_ms=tol, rows=sweep),
        "peak-demand": peak_demand(engine, periods),
        "monitoring-uptime": monitoring_uptime(engine, periods),
        "battery-cycles": battery_cycles(engine, periods, usable_kwh=dict.fromkeys(sites, 500)),
        "fuel-efficiency": fuel_efficiency(engine, periods, tolerance_ms=tol),
        "peak-demand-quarter": peak_demand(  # the quarter's months keyed to its first
            engine, [SitePeriod(s, local_period(ZONE, "2027-Q1")) for s in sites]
        ),
    }


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.skipif(spark_missing() is not None, reason=f"Spark cannot run: {spark_missing()}")
def test_duckdb_and_spark_give_identical_results(tmp_path: Path) -> None:
    duck = DuckDBEngine()
    expected = _all_metrics(duck, tmp_path / "duck")
    spark = SparkEngine()
    try:
        got = _all_metrics(spark, tmp_path / "spark")
    finally:
        spark.close()
    assert got == expected
    # and the data was not trivial: outages, planned work and degraded hours all happened
    a = expected["availability"]
    assert sum(r.details["forced_s"] for r in a.values()) > 0  # type: ignore[misc]
    assert sum(r.details["planned_s"] for r in a.values()) > 0  # type: ignore[misc]
    assert sum(r.details["degraded_s"] for r in a.values()) > 0  # type: ignore[misc]
    assert any(r.unknown_s > 0 for r in a.values())
    assert any(r.value is not None for r in expected["ride-through"].values())
    assert any(r.value is not None for r in expected["fuel-efficiency"].values())
    assert any(r.value for r in expected["battery-cycles"].values())
    quarter = expected["peak-demand-quarter"][("site-001", "2027-Q1")].value
    assert quarter == max(
        expected["peak-demand"][("site-001", m)].value for m in ("2027-02", "2027-03")
    )
    march = expected["peak-demand"][("site-001", "2027-03")]
    assert march.details["blocks"] == 743 * 4
