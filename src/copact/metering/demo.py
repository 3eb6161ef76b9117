"""Synthetic telemetry for demos, tests and the benchmark (``copact demo-data``).

Each site gets a load curve with a daily shape, rare utility outages the backup mostly rides
through (and sometimes does not: a forced outage and a ticket), a monthly planned maintenance
window that now and then runs over, degraded hours at reduced capability, and telemetry gaps
longer than the gap tolerance. Everything comes from one seeded generator, so the same seed
writes the same files. Sites are written a group at a time, so 200 sites × 90 days of 1-minute
samples never sit in memory at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

__all__ = ["DemoFiles", "DemoSpec", "site_ids", "write_demo"]

MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class DemoSpec:
    sites: int = 1
    start: date = date(2027, 3, 1)
    days: int = 31
    interval_s: int = 60
    timezone: str = "America/New_York"
    seed: int = 7
    signals: tuple[str, ...] = ("supply_ok", "capability", "utility_ok", "load_kw", "heartbeat")
    site_prefix: str = "site"


@dataclass(frozen=True, slots=True)
class DemoFiles:
    telemetry: tuple[Path, ...]
    windows: Path
    tickets: Path
    rows: int


def site_ids(spec: DemoSpec) -> list[str]:
    if spec.sites == 1 and spec.site_prefix != "site":
        return [spec.site_prefix]
    return [f"{spec.site_prefix}-{i + 1:03d}" for i in range(spec.sites)]


def _iso(ms: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class _Site:
    table: pa.Table
    windows: list[tuple[int, int, str]]
    tickets: list[tuple[str, int, int, int | None, int | None, int]]


def _events(
    rng: np.random.Generator, n: int, per_day: float, days: int, lo: int, hi: int
) -> list[tuple[int, int]]:
    """Random [start, end) index spans: a Poisson count, uniform starts, durations in [lo, hi]."""
    count = int(rng.poisson(per_day * days))
    starts = rng.integers(0, max(1, n - hi), size=count)
    lengths = rng.integers(lo, hi + 1, size=count)
    return sorted((int(s), int(min(n, s + d))) for s, d in zip(starts, lengths, strict=True))


def _site(spec: DemoSpec, site: str, t: npt.NDArray[np.int64], rng: np.random.Generator) -> _Site:
    n = len(t)
    step = spec.interval_s * 1000
    per_minute = 60_000 / step  # samples per minute

    def minutes(m: float) -> int:
        return max(1, round(m * per_minute))

    supply = np.ones(n, dtype=np.float64)
    capability = np.ones(n, dtype=np.float64)
    utility = np.ones(n, dtype=np.float64)
    keep = np.ones(n, dtype=bool)
    windows: list[tuple[int, int, str]] = []
    tickets: list[tuple[str, int, int, int | None, int | None, int]] = []

    # the load: a base, a daily shape peaking mid-afternoon (UTC-5), noise, 0.1 kW resolution
    base = rng.uniform(120, 320)
    hours = ((t // 3_600_000) - 5) % 24
    shape = 0.75 + 0.25 * np.sin((hours - 9) / 24 * 2 * np.pi)
    load = np.round(base * shape + rng.normal(0, base * 0.03, n), 1).clip(0)

    # utility outages of 10 to 40 minutes, about one a month; one in four is not ridden through
    for s, e in _events(rng, n, 1 / 30, spec.days, minutes(10), minutes(40)):
        utility[s:e] = 0
        if rng.random() < 0.25:
            down = min(e, s + minutes(int(rng.integers(2, 12))))
            supply[s:down] = 0
            tickets.append(_ticket(rng, f"{site}-u{s}", t, s, down, step))
    # independent equipment faults, rarer and longer
    for s, e in _events(rng, n, 1 / 45, spec.days, minutes(5), minutes(90)):
        supply[s:e] = 0
        tickets.append(_ticket(rng, f"{site}-f{s}", t, s, e, step))
    # degraded hours: part of the backup unavailable
    for s, e in _events(rng, n, 1 / 20, spec.days, minutes(60), minutes(360)):
        capability[s:e] = rng.choice([0.5, 0.75])
    # one planned maintenance window a month, 2 h from 02:00 local; one in three runs over
    for month_start in range(0, n, minutes(30 * 1440)):
        day = int(rng.integers(3, 25))
        s = month_start + minutes(day * 1440 + 2 * 60)
        if s + minutes(180) >= n:
            continue
        w_end = s + minutes(120)
        work_end = w_end + (minutes(int(rng.integers(10, 40))) if rng.random() < 1 / 3 else 0)
        supply[s + minutes(10) : work_end] = 0
        windows.append((int(t[s]), int(t[w_end]), "planned"))
    # telemetry gaps longer than a 5-minute tolerance
    for s, e in _events(rng, n, 1 / 15, spec.days, minutes(10), minutes(90)):
        keep[s:e] = False

    # the battery carries the load while the grid is out: a cumulative discharge counter in kWh
    hours_per_sample = spec.interval_s / 3600
    discharge = np.round(np.cumsum(np.where(utility == 0, load * hours_per_sample, 0.0)), 3)
    # the generator starts a minute into each utility outage; about 0.3 l a kWh from a tank
    # that is topped up to 1,000 l whenever it falls under 400 l
    running = np.zeros(n)
    for s, e in np.flatnonzero(np.diff(np.concatenate([[1], utility, [1]])) != 0).reshape(-1, 2):
        running[min(e, s + minutes(1)) : e] = 1
    gen_kw = np.round(running * load, 1)
    burn = gen_kw * hours_per_sample * 0.3
    tank = np.empty(n)
    level = 1000.0
    for i in np.flatnonzero(burn) if burn.any() else []:
        level -= burn[i]
        if level < 400:
            level = 1000.0
        tank[i] = level
    tank = _held(tank, burn > 0, 1000.0)
    columns = {
        "gen_running": running,
        "gen_kw": gen_kw,
        "fuel_l": np.round(tank, 2),
        "batt_discharge_kwh": discharge,
        "supply_ok": supply,
        "capability": capability,
        "utility_ok": utility,
        "load_kw": load,
        "heartbeat": np.ones(n),
    }
    names = [s for s in spec.signals if s in columns]
    tk = t[keep]
    k = len(tk)
    table = pa.table(
        {
            "site": pa.array([site] * (k * len(names)), pa.string()),
            "ts": pa.array(np.repeat(tk, len(names)), pa.timestamp("ms", tz="UTC")),
            "signal": pa.array(np.tile(np.array(names, dtype=object), k), pa.string()),
            "value": pa.array(np.column_stack([columns[s][keep] for s in names]).ravel()),
        }
    )
    return _Site(table, windows, tickets)


def _held(
    values: npt.NDArray[np.float64], set_: npt.NDArray[np.bool_], first: float
) -> npt.NDArray[np.float64]:
    """``values`` where ``set_``, else the last set value before (``first`` before any)."""
    index = np.where(set_, np.arange(len(values)), -1)
    np.maximum.accumulate(index, out=index)
    return np.where(index >= 0, values[np.maximum(index, 0)], first)


def _ticket(
    rng: np.random.Generator,
    ident: str,
    t: npt.NDArray[np.int64],
    start: int,
    end: int,
    step: int,
) -> tuple[str, int, int, int | None, int | None, int]:
    fault = int(t[start])
    alert = fault + int(rng.integers(1, 4)) * MINUTE_MS
    ack = alert + int(rng.integers(5, 40)) * MINUTE_MS
    restored = int(t[end - 1]) + step if end < len(t) else None
    hold = int(rng.choice([0, 0, 0, 15])) * MINUTE_MS
    if restored is not None and restored - fault < hold:
        hold = 0
    return ident, fault, alert, ack, restored, hold


def _groups(spec: DemoSpec, ids: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def write_demo(
    out: Path,
    spec: DemoSpec,
    *,
    format: Literal["csv", "parquet"] = "parquet",
    group: int = 20,
) -> DemoFiles:
    """Write ``telemetry.{csv,parquet}``, ``windows.csv`` and ``tickets.csv`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    zone = ZoneInfo(spec.timezone)
    start = datetime(spec.start.year, spec.start.month, spec.start.day, tzinfo=zone)
    end_day = date.fromordinal(spec.start.toordinal() + spec.days)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)
    step = spec.interval_s * 1000
    t0, t1 = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    t = np.arange(t0, t1, step, dtype=np.int64)
    rng = np.random.default_rng(spec.seed)
    ids = site_ids(spec)
    path = out / f"telemetry.{format}"
    windows: list[tuple[str, int, int, str]] = []
    tickets: list[tuple[str, str, int, int, int | None, int | None, int]] = []
    rows = 0
    writer: pq.ParquetWriter | None = None
    csv_writer: pa_csv.CSVWriter | None = None
    try:
        for names in _groups(spec, ids, group):
            parts = []
            for site in names:
                made = _site(spec, site, t, rng)
                parts.append(made.table)
                windows.extend((site, *w) for w in made.windows)
                tickets.extend((site, *k) for k in made.tickets)
            table = pa.concat_tables(parts)
            rows += table.num_rows
            if format == "parquet":
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema, compression="zstd")
                writer.write_table(table, row_group_size=1 << 20)
            else:
                text = table.set_column(
                    1,
                    "ts",
                    pa.array(
                        [_iso(int(x), zone) for x in table.column("ts").cast(pa.int64()).to_numpy()]
                    ),
                )
                if csv_writer is None:
                    csv_writer = pa_csv.CSVWriter(
                        path, text.schema, write_options=pa_csv.WriteOptions(quoting_style="none")
                    )
                csv_writer.write_table(text)
    finally:
        if writer is not None:
            writer.close()
        if csv_writer is not None:
            csv_writer.close()
    windows_path = out / "windows.csv"
    with windows_path.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["site", "start", "end", "kind"])
        for site, s, e, kind in sorted(windows):
            w.writerow([site, _iso(s, zone), _iso(e, zone), kind])
    tickets_path = out / "tickets.csv"
    with tickets_path.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["site", "id", "fault_start", "alert", "ack", "restored", "hold_minutes"])
        for site, ident, fault, alert, ack, restored, hold in sorted(tickets, key=lambda x: x[2]):
            w.writerow(
                [
                    site,
                    ident,
                    _iso(fault, zone),
                    _iso(alert, zone),
                    _iso(ack, zone) if ack is not None else "",
                    _iso(restored, zone) if restored is not None else "",
                    hold // MINUTE_MS,
                ]
            )
    return DemoFiles((path,), windows_path, tickets_path, rows)
