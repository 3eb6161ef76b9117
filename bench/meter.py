"""Benchmark: availability and peak demand for every site and month of 1-minute telemetry,
against two references measured in the same run on the same Parquet file:

- floor: a plain DuckDB group-by of the file (site, signal, local month: count, sum, max), the
  least any engine must do to touch every row once;
- pandas: a straightforward pandas implementation of the same two metrics (the same sweep, the
  same 15-minute blocks), checked to give the same figures as copact.

copact's time is the whole path: read and check the file (row diagnostics, local calendar
fields), then the availability sweep and peak demand on DuckDB. Goal (issue 5): within 3× of
the floor and at least 10× faster than pandas.

    .venv/bin/python bench/meter.py [--sites 200] [--days 90] [--runs 3] [--pandas-runs 1]

200 sites × 90 days × 1,440 minutes is 25.9M site-minutes; with supply_ok, capability and
load_kw each a row, the long-form file holds 77.8M rows (``--sites 67`` gives ~26M rows).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from copact.metering.demo import DemoSpec, site_ids, write_demo
from copact.metering.engines import DuckDBEngine
from copact.metering.metrics import SitePeriod, availability, load_inputs, peak_demand
from copact.metering.periods import month_period
from copact.metering.telemetry import read_telemetry

ZONE = "America/New_York"
MONTHS = ("2027-01", "2027-02", "2027-03")  # March has the spring-forward night
TOLERANCE_MS = 5 * 60_000


def copact_run(path: Path, sites: list[str]) -> dict[str, dict[tuple[str, str], float | None]]:
    telemetry, problems = read_telemetry([path], dict.fromkeys(sites, ZONE))
    assert not problems, problems[:3]
    periods = [SitePeriod(s, month_period(ZONE, m)) for s in sites for m in MONTHS]
    engine = DuckDBEngine()
    load_inputs(engine, telemetry, [], periods)
    avail = availability(engine, periods, tolerance_ms=TOLERANCE_MS)
    peak = peak_demand(engine, periods)
    engine.close()
    return {
        "availability": {
            k: float(v.value) if v.value is not None else None for k, v in avail.items()
        },
        "peak": {k: float(v.value) if v.value is not None else None for k, v in peak.items()},
    }


def floor_run(path: Path) -> int:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{ZONE}'")
    rows = con.sql(
        f"""SELECT site, signal, epoch_ms(date_trunc('month', ts)) AS month,
                   count(*), sum(value), max(value)
            FROM read_parquet('{path}') GROUP BY ALL"""
    ).fetchall()
    con.close()
    return len(rows)


def pandas_run(path: Path, sites: list[str]) -> dict[str, dict[tuple[str, str], float | None]]:
    """The same two metrics the way a pandas user would write them, one site at a time."""
    df = pd.read_parquet(path, columns=["site", "ts", "signal", "value"])
    df["t"] = (
        df["ts"].astype("int64") // 1_000
        if str(df["ts"].dtype).startswith("datetime64[us")
        else df["ts"].astype("int64")
    )
    local = df["ts"].dt.tz_convert(ZONE)
    df["month"] = (local.dt.year * 100 + local.dt.month).astype("int64")
    bounds = {m: month_period(ZONE, m) for m in MONTHS}
    avail: dict[tuple[str, str], float | None] = {}
    peak: dict[tuple[str, str], float | None] = {}
    for site, g in df.groupby("site", sort=False, observed=True):
        # availability: samples and period bounds in time order, the latest sample carried
        st = g[g["signal"].isin(["supply_ok", "capability"])]
        supply = st["signal"] == "supply_ok"
        cap = np.round(st["value"] * 1000)
        ev = pd.DataFrame(
            {
                "t": st["t"],
                "ord": 2,
                "tb": np.where(supply, 1 - st["value"], 1000 - cap),
                "s_e": np.where(supply, st["t"] * 2 + (1 - st["value"]), np.nan),
                "c_e": np.where(~supply, st["t"] * 1001 + (1000 - cap), np.nan),
                "pe": np.nan,
            }
        )
        marks = []
        for p in bounds.values():
            marks.append((p.start_ms, 1, 0, np.nan, np.nan, p.start_ms * 2 + 1))
            marks.append((p.end_ms, 0, 0, np.nan, np.nan, p.end_ms * 2))
        ev = pd.concat([ev, pd.DataFrame(marks, columns=ev.columns)], ignore_index=True)
        ev = ev.sort_values(["t", "ord", "tb"], kind="stable").reset_index(drop=True)
        ev["len"] = ev["t"].shift(-1) - ev["t"]
        for column in ("s_e", "c_e", "pe"):
            ev[column] = ev[column].cummax().ffill()  # cummax leaves NaN rows NaN
        ev = ev[(ev["len"] > 0) & (ev["pe"] % 2 == 1)]
        s_t = (ev["s_e"] - ev["s_e"] % 2) / 2
        c_t = (ev["c_e"] - ev["c_e"] % 1001) / 1001
        ks = (s_t + TOLERANCE_MS - ev["t"]).clip(lower=0).fillna(0).clip(upper=ev["len"])
        kc = (c_t + TOLERANCE_MS - ev["t"]).clip(lower=0).fillna(0).clip(upper=ev["len"])
        s = 1 - ev["s_e"] % 2
        c = 1000 - ev["c_e"] % 1001
        forced = np.where(s == 0, ks, 0)
        kd = np.where(c < 1000, kc, 0)
        degraded = np.maximum(0, kd - forced)
        frame = pd.DataFrame(
            {
                "p0": (ev["pe"] - 1) // 2,
                "len": ev["len"],
                "down": forced * 1000
                + degraded * (1000 - c.fillna(1000))
                + (ev["len"] - np.maximum(ks, kd)) * 1000,
            }
        )
        sums = frame.groupby("p0").sum()

        for month, p in bounds.items():
            if p.start_ms in sums.index:
                row = sums.loc[p.start_ms]
                avail[(str(site), month)] = 1 - row["down"] / (row["len"] * 1000)
        # peak demand: 15-minute blocks (New York's offsets are whole hours, so UTC blocks)
        load = g[g["signal"] == "load_kw"]
        blocks = (
            pd.DataFrame(
                {
                    "month": load["month"],
                    "block": load["t"] // 900_000,
                    "w": np.round(load["value"] * 1000),
                }
            )
            .groupby(["month", "block"])["w"]
            .agg(["count", "sum"])
            .reset_index()
        )
        for month in MONTHS:
            code = int(month.replace("-", ""))
            b = blocks[blocks["month"] == code]
            if b.empty:
                peak[(str(site), month)] = None
                continue
            counts = b["count"].value_counts()
            expected = max(k for k, v in counts.items() if v == counts.max())
            valid = b[b["count"] * 5 >= expected * 4]
            peak[(str(site), month)] = float((valid["sum"] / valid["count"] / 1000).max())
    return {"availability": avail, "peak": peak}


def pandas_grid_run(path: Path, sites: list[str]) -> dict[str, dict[tuple[str, str], float | None]]:
    """The idiomatic pandas way: pivot each site wide, put it on the 1-minute grid, hold each
    sample for the tolerance with ``ffill(limit=4)`` and count minutes by state; peak demand
    by ``resample("15min")`` of the load (New York's offsets are whole hours, so UTC blocks
    are the local clock's). Exact here because every sample sits on the minute grid."""
    df = pd.read_parquet(path, columns=["site", "ts", "signal", "value"])
    bounds = {m: month_period(ZONE, m) for m in MONTHS}
    first = pd.Timestamp(
        min(p.start_ms for p in bounds.values()) - TOLERANCE_MS, unit="ms", tz="UTC"
    )
    last = pd.Timestamp(max(p.end_ms for p in bounds.values()), unit="ms", tz="UTC")
    grid = pd.date_range(first, last, freq="1min", inclusive="left")
    avail: dict[tuple[str, str], float | None] = {}
    peak: dict[tuple[str, str], float | None] = {}
    for site, g in df.groupby("site", sort=False, observed=True):
        wide = g.pivot_table(index="ts", columns="signal", values="value", aggfunc="min")
        # the same milliwatt rounding copact settles with, so the two agree exactly
        load = (wide["load_kw"].dropna() * 1000).round()
        blocks = load.resample("15min").agg(["count", "sum"])
        local = blocks.index.tz_convert(ZONE)
        blocks["month"] = [f"{y:04d}-{m:02d}" for y, m in zip(local.year, local.month, strict=True)]
        for month in MONTHS:
            b = blocks[(blocks["month"] == month) & (blocks["count"] > 0)]
            if b.empty:
                peak[(str(site), month)] = None
                continue
            counts = b["count"].value_counts()
            expected = max(k for k, v in counts.items() if v == counts.max())
            valid = b[b["count"] * 5 >= expected * 4]
            peak[(str(site), month)] = float((valid["sum"] / valid["count"] / 1000).max())
        held = wide.reindex(grid)[["supply_ok", "capability"]].ffill(limit=4)
        supply, cap = held["supply_ok"], np.round(held["capability"] * 1000)
        forced = supply == 0
        degraded = (cap < 1000) & ~forced
        unknown = supply.isna() & ~degraded
        down = forced * 1000 + degraded * (1000 - cap.fillna(1000)) + unknown * 1000
        for month, p in bounds.items():
            window = down[
                (down.index >= pd.Timestamp(p.start_ms, unit="ms", tz="UTC"))
                & (down.index < pd.Timestamp(p.end_ms, unit="ms", tz="UTC"))
            ]
            avail[(str(site), month)] = 1 - window.sum() / (len(window) * 1000)
    return {"availability": avail, "peak": peak}


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pandas-runs", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the file here and keep it")
    args = parser.parse_args()
    console = Console()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="copact-meter-bench-"))
    spec = DemoSpec(
        sites=args.sites,
        start=date(2027, 1, 1),
        days=args.days,
        interval_s=60,
        seed=1,
        signals=("supply_ok", "capability", "load_kw"),
    )
    sites = site_ids(spec)
    path = folder / "telemetry.parquet"
    try:
        if not path.exists():
            start = time.perf_counter()
            files = write_demo(folder, spec, format="parquet")
            console.print(
                f"generated {files.rows:,} rows ({args.sites} sites × {args.days} days × 1 min × "
                f"3 signals), {path.stat().st_size / 1e6:,.0f} MB, in "
                f"{time.perf_counter() - start:.1f} s"
            )
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(path).metadata.num_rows
        # warm the imports and the page cache so every contender starts equal
        floor_run(path)
        t_floor, _ = timed(lambda: floor_run(path), args.runs)
        t_copact, ours = timed(lambda: copact_run(path, sites), args.runs)
        t_pandas, theirs = timed(lambda: pandas_run(path, sites), args.pandas_runs)
        t_grid, grid = timed(lambda: pandas_grid_run(path, sites), args.pandas_runs)
        for reference in (theirs, grid):
            for metric in ("availability", "peak"):
                for key, value in ours[metric].items():
                    other = reference[metric].get(key)
                    assert (value is None) == (other is None), (metric, key, value, other)
                    if value is not None and other is not None:
                        assert abs(value - other) < 1e-9, (metric, key, value, other)
        table = Table(
            title=f"availability + peak demand, {len(sites)} sites × {len(MONTHS)} months"
        )
        for column in ("contender", "median s", "rows/s", "vs floor", "copact speed-up"):
            table.add_column(column, justify="left" if column == "contender" else "right")
        for name, t, n in (
            ("DuckDB group-by (floor)", t_floor, args.runs),
            ("copact meter (DuckDB)", t_copact, args.runs),
            ("pandas, the same sweep", t_pandas, args.pandas_runs),
            ("pandas, grid + ffill + resample", t_grid, args.pandas_runs),
        ):
            table.add_row(
                f"{name} ×{n}",
                f"{t:.2f}",
                f"{rows / t / 1e6:.1f}M",
                f"{t / t_floor:.1f}×",
                "" if name.startswith("copact") else f"{t / t_copact:.2f}×",
            )
        console.print(table)
        console.print("copact and both pandas versions agree on every site-month (|Δ| < 1e-9)")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
