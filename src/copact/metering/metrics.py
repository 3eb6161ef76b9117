"""Telemetry, windows and tickets into metric results for sites and periods (DESIGN §6.3).

The engine runs the SQL of :mod:`copact.metering.definitions`; the rows it returns are turned
into exact :class:`MetricResult` values here, by code both engines share::

    engine = DuckDBEngine()
    load_inputs(engine, telemetry, windows, periods)
    results = availability(engine, periods, tolerance_ms=300_000, unknown="down")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import pyarrow as pa

from copact.metering import definitions as sql
from copact.metering.engines import Engine
from copact.metering.periods import BLOCK_MS, Period
from copact.metering.results import MetricResult
from copact.metering.telemetry import Telemetry
from copact.metering.windows import Window, disjoint_windows

__all__ = [
    "SitePeriod",
    "availability",
    "battery_cycles",
    "fuel_efficiency",
    "load_inputs",
    "monitoring_uptime",
    "peak_demand",
    "ride_through",
    "signals_present",
    "site_names",
]

PER_MILLE = sql.PER_MILLE


@dataclass(frozen=True, slots=True)
class SitePeriod:
    site: str
    period: Period


def _bounds(periods: Sequence[SitePeriod]) -> tuple[int, int]:
    return min(p.period.start_ms for p in periods), max(p.period.end_ms for p in periods)


def load_inputs(
    engine: Engine, telemetry: Telemetry, windows: Sequence[Window], periods: Sequence[SitePeriod]
) -> None:
    """Give the engine the tables the queries read: ``tel``, ``sites`` (``sid`` → site id),
    ``per`` (the periods), ``wn`` (the windows made disjoint) and ``mark`` (period bounds and
    window edges, which cut the sweep's segments)."""
    engine.load("tel", telemetry.table)
    ids = {site: i for i, site in enumerate(telemetry.site_ids)}
    missing = sorted({p.site for p in periods} - set(ids))
    if missing:
        raise ValueError(f"the telemetry was not read for site(s) {', '.join(missing)}")
    disjoint = [w for w in disjoint_windows(windows) if w.site in ids]
    engine.load(
        "sites",
        pa.table(
            {
                "sid": pa.array(list(ids.values()), pa.int32()),
                "site": pa.array(list(ids), pa.string()),
            }
        ),
    )
    engine.load(
        "wn",
        pa.table(
            {
                "sid": pa.array([ids[w.site] for w in disjoint], pa.int32()),
                "start_ms": pa.array([w.start_ms for w in disjoint], pa.int64()),
                "end_ms": pa.array([w.end_ms for w in disjoint], pa.int64()),
                "kind": pa.array([w.kind for w in disjoint], pa.string()),
            }
        ),
    )
    engine.load(
        "per",
        pa.table(
            {
                "sid": pa.array([ids[p.site] for p in periods], pa.int32()),
                "p0": pa.array([p.period.start_ms for p in periods], pa.int64()),
                "p1": pa.array([p.period.end_ms for p in periods], pa.int64()),
                "month": pa.array([p.period.code for p in periods], pa.int32()),
            }
        ),
    )
    marks: list[tuple[int, int, int]] = []
    for p in periods:
        marks.append((ids[p.site], p.period.start_ms, 1))
        marks.append((ids[p.site], p.period.end_ms, 0))
    for w in disjoint:
        marks.append((ids[w.site], w.start_ms, 1))
        marks.append((ids[w.site], w.end_ms, 1))
    engine.load(
        "mark",
        pa.table(
            {
                "sid": pa.array([m[0] for m in marks], pa.int32()),
                "t": pa.array([m[1] for m in marks], pa.int64()),
                "ord": pa.array([m[2] for m in marks], pa.int32()),
            }
        ),
    )


def signals_present(engine: Engine) -> set[str]:
    """The signals ``tel`` has rows of."""
    return {str(r["signal"]) for r in engine.query(sql.SIGNALS_SQL)}


def site_names(engine: Engine) -> dict[int, str]:
    """``sid`` → site id, as :func:`load_inputs` numbered them."""
    return {int(r["sid"]): str(r["site"]) for r in engine.query(sql.SITES_SQL)}


def _by_start(engine: Engine, rows: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    names = site_names(engine)
    return {(names[int(r["sid"])], int(r["p0"])): r for r in rows}


def _seconds(ms: int) -> Fraction:
    return Fraction(ms, 1000)


def availability(
    engine: Engine,
    periods: Sequence[SitePeriod],
    *,
    tolerance_ms: int,
    unknown: Literal["down", "up"] = "down",
    metric: str = "availability",
    rows: list[dict[str, Any]] | None = None,
) -> dict[tuple[str, str], MetricResult]:
    """Availability per (site, month): A_low when unknown time counts as down, else A_high."""
    if rows is None:
        lo, hi = _bounds(periods)
        rows = engine.query(
            sql.availability_sql(
                signals=signals_present(engine), tolerance_ms=tolerance_ms, lo_ms=lo, hi_ms=hi
            )
        )
    found = _by_start(engine, rows)
    results = {}
    for sp in periods:
        r = found.get((sp.site, sp.period.start_ms))
        period_ms = sp.period.ms
        excluded = int(r["excluded_ms"]) if r else 0
        planned = int(r["planned_ms"]) if r else 0
        forced = int(r["forced_ms"]) if r else 0
        degraded = int(r["degraded_ms"]) if r else 0
        degraded_w = int(r["degraded_w"]) if r else 0
        unknown_ms = int(r["unknown_ms"]) if r else period_ms - excluded - planned
        d = period_ms - excluded - planned
        down_high = forced * PER_MILLE + degraded_w
        down_low = down_high + unknown_ms * PER_MILLE
        a_high = 1 - Fraction(down_high, d * PER_MILLE) if d else None
        a_low = 1 - Fraction(down_low, d * PER_MILLE) if d else None
        down = down_low if unknown == "down" else down_high
        results[(sp.site, sp.period.month)] = MetricResult(
            metric=metric,
            measure="availability",
            site=sp.site,
            period=sp.period.month,
            unit="ratio",
            value=a_low if unknown == "down" else a_high,
            numerator=Fraction(d * PER_MILLE - down, 1000 * PER_MILLE),
            denominator=_seconds(d),
            unknown_s=_seconds(unknown_ms),
            coverage=1 - Fraction(unknown_ms, period_ms),
            details={
                "a_high": a_high,
                "a_low": a_low,
                "unknown_counts_as": unknown,
                "period_s": _seconds(period_ms),
                "excluded_s": _seconds(excluded),
                "planned_s": _seconds(planned),
                "forced_s": _seconds(forced),
                "degraded_s": _seconds(degraded),
                "degraded_weighted_s": Fraction(degraded_w, 1000 * PER_MILLE),
            },
        )
    return results


def ride_through(
    engine: Engine,
    periods: Sequence[SitePeriod],
    *,
    tolerance_ms: int,
    metric: str = "ride-through",
    rows: list[dict[str, Any]] | None = None,
) -> dict[tuple[str, str], MetricResult]:
    """Share of utility-outage time the critical load was served; ``None`` with no outage."""
    if rows is None:
        lo, hi = _bounds(periods)
        rows = engine.query(
            sql.availability_sql(
                signals=signals_present(engine), tolerance_ms=tolerance_ms, lo_ms=lo, hi_ms=hi
            )
        )
    found = _by_start(engine, rows)
    results = {}
    for sp in periods:
        r = found.get((sp.site, sp.period.start_ms))
        outage = int(r["outage_ms"]) if r else 0
        served = int(r["served_ms"]) if r else 0
        lost = int(r["outage_unknown_ms"]) if r else 0
        utility_unknown = int(r["utility_unknown_ms"]) if r else sp.period.ms
        results[(sp.site, sp.period.month)] = MetricResult(
            metric=metric,
            measure="ride-through",
            site=sp.site,
            period=sp.period.month,
            unit="ratio",
            value=Fraction(served, outage) if outage else None,
            numerator=_seconds(served),
            denominator=_seconds(outage),
            unknown_s=_seconds(lost),
            coverage=1 - Fraction(utility_unknown, sp.period.ms),
            details={"period_s": _seconds(sp.period.ms), "outage_s": _seconds(outage)},
        )
    return results


def _kw(w: int | None, n: int | None) -> Fraction | None:
    if w is None or not n:
        return None
    return Fraction(int(w), int(n) * 1000)


def _percentile(r: Mapping[str, Any], q: int) -> Fraction | None:
    m = r.get("m")
    lo = _kw(r.get(f"p{q}_lo_w"), r.get(f"p{q}_lo_n"))
    hi = _kw(r.get(f"p{q}_hi_w"), r.get(f"p{q}_hi_n"))
    if not m or lo is None or hi is None:
        return None
    position = q * (int(m) - 1)
    frac = Fraction(position % 100, 100)
    return lo + (hi - lo) * frac


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def peak_demand(
    engine: Engine,
    periods: Sequence[SitePeriod],
    *,
    metric: str = "peak-demand",
) -> dict[tuple[str, str], MetricResult]:
    """The largest 15-minute average of ``load_kw`` per (site, period), with p95, p99 and the
    load factor (mean of the valid blocks over the peak)."""
    months = {m: sp.period.code for sp in periods for m in sp.period.months}
    rows = engine.query(sql.peak_demand_sql(months=months))
    names = site_names(engine)
    found = {(names[int(r["sid"])], int(r["month"])): r for r in rows}
    results = {}
    for sp in periods:
        r = found.get((sp.site, sp.period.code), {})
        blocks = sp.period.ms // BLOCK_MS
        valid = int(r.get("m") or 0)
        peak = _kw(r.get("peak_w"), r.get("peak_n"))
        mean = _kw(r.get("sum_w"), r.get("sum_n"))
        peak_at = r.get("peak_block")
        results[(sp.site, sp.period.month)] = MetricResult(
            metric=metric,
            measure="peak-demand",
            site=sp.site,
            period=sp.period.month,
            unit="kW",
            value=peak,
            numerator=Fraction(int(r.get("peak_w") or 0), 1000),
            denominator=Fraction(int(r.get("peak_n") or 0)),
            unknown_s=Fraction((blocks - valid) * BLOCK_MS, 1000),
            coverage=Fraction(valid, blocks) if blocks else None,
            details={
                "p95": _percentile(r, 95),
                "p99": _percentile(r, 99),
                "load_factor": mean / peak if peak and mean is not None else None,
                "mean_kw": mean,
                "peak_at": _iso(int(peak_at)) if peak_at is not None else None,
                "valid_blocks": valid,
                "blocks": blocks,
                "expected_samples": int(r["expected"]) if r.get("expected") else None,
                "period_s": _seconds(sp.period.ms),
            },
        )
    return results


def monitoring_uptime(
    engine: Engine,
    periods: Sequence[SitePeriod],
    *,
    metric: str = "monitoring-uptime",
    default_interval_ms: int = 60_000,
) -> dict[tuple[str, str], MetricResult]:
    """Heartbeats received over heartbeats expected on the UTC grid of the heartbeat interval
    (the most common gap between beats; one minute when there are too few beats to tell)."""
    lo, hi = _bounds(periods)
    found = _by_start(engine, engine.query(sql.heartbeat_sql(lo_ms=lo, hi_ms=hi)))
    results = {}
    for sp in periods:
        r = found.get((sp.site, sp.period.start_ms))
        interval = int(r["interval_ms"]) if r and r["interval_ms"] else default_interval_ms
        received = int(r["received"]) if r else 0
        first = sp.period.start_ms // interval
        last = -(-sp.period.end_ms // interval)
        expected = last - first
        results[(sp.site, sp.period.month)] = MetricResult(
            metric=metric,
            measure="monitoring-uptime",
            site=sp.site,
            period=sp.period.month,
            unit="ratio",
            value=Fraction(received, expected) if expected else None,
            numerator=Fraction(received),
            denominator=Fraction(expected),
            unknown_s=Fraction((expected - received) * interval, 1000),
            coverage=Fraction(received, expected) if expected else None,
            details={"interval_s": Fraction(interval, 1000), "period_s": _seconds(sp.period.ms)},
        )
    return results


def battery_cycles(
    engine: Engine,
    periods: Sequence[SitePeriod],
    *,
    usable_kwh: Mapping[str, Decimal | None],
    metric: str = "battery-cycles",
) -> dict[tuple[str, str], MetricResult]:
    """Equivalent full cycles: discharged kWh from the counter over the site's usable kWh."""
    lo, hi = _bounds(periods)
    found = _by_start(engine, engine.query(sql.battery_sql(lo_ms=lo, hi_ms=hi)))
    results = {}
    for sp in periods:
        r = found.get((sp.site, sp.period.start_ms))
        wh = int(r["discharged_wh"]) if r else 0
        gap = int(r["gap_ms"]) if r else sp.period.ms
        usable = usable_kwh.get(sp.site)
        kwh = Fraction(wh, 1000)
        results[(sp.site, sp.period.month)] = MetricResult(
            metric=metric,
            measure="battery-cycles",
            site=sp.site,
            period=sp.period.month,
            unit="cycles",
            value=kwh / Fraction(usable) if usable else None,
            numerator=kwh,
            denominator=Fraction(usable) if usable else Fraction(0),
            unknown_s=_seconds(gap),
            coverage=1 - Fraction(min(gap, sp.period.ms), sp.period.ms),
            details={"discharged_kwh": kwh, "period_s": _seconds(sp.period.ms)},
        )
    return results


def fuel_efficiency(
    engine: Engine,
    periods: Sequence[SitePeriod],
    *,
    tolerance_ms: int,
    metric: str = "fuel-efficiency",
) -> dict[tuple[str, str], MetricResult]:
    """kWh generated per litre burned over the generator runs of at least 10 minutes that start
    in the period; ``None`` when no such run burned fuel."""
    lo, hi = _bounds(periods)
    found = _by_start(
        engine, engine.query(sql.fuel_sql(tolerance_ms=tolerance_ms, lo_ms=lo, hi_ms=hi))
    )
    results = {}
    for sp in periods:
        r = found.get((sp.site, sp.period.start_ms))
        kwh = Fraction(int(r["wms"]), 3_600_000_000) if r else Fraction(0)
        litres = Fraction(int(r["ml"]), 1000) if r else Fraction(0)
        results[(sp.site, sp.period.month)] = MetricResult(
            metric=metric,
            measure="fuel-efficiency",
            site=sp.site,
            period=sp.period.month,
            unit="kWh/l",
            value=kwh / litres if litres else None,
            numerator=kwh,
            denominator=litres,
            unknown_s=Fraction(0),
            coverage=None,
            details={
                "runs_count": int(r["runs"]) if r else 0,
                "run_s": _seconds(int(r["run_ms"])) if r else Fraction(0),
                "period_s": _seconds(sp.period.ms),
            },
        )
    return results
