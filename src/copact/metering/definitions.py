"""The telemetry metrics as SQL that DuckDB and Spark SQL both run unchanged (DESIGN §6.3).

Everything is integer arithmetic on milliseconds, so both engines give the same figures to the
last unit: capability is carried in thousandths, power in watts, counters in watt-hours.

Availability is a sweep in time order over each site's *state changes*: a sample holds its
value until the next sample of its signal, for at most the gap tolerance, so a signal changes
state only where a sample differs from the one before, comes after a gap, or is the last before
a gap (UNKNOWN from ``t + tolerance``). Period bounds and window edges join these events as
marker rows; each row starts a segment that lasts until the next row, and a running maximum
carries each signal's latest state, encoded with its time so that the largest code is the
latest event (and, at the same instant, the worse state)::

    supply: t * 4 + (0 up | 1 down | 3 unknown)     capability: t * 1002 + (1000 − c‰ | 1001)

Each segment then splits into FORCED, DEGRADED, UNKNOWN and UP by the precedence of §6.3;
inside an excluded or planned window the whole segment is that window's.

The tables the queries read: ``tel`` (the telemetry of :data:`copact.metering.telemetry.SCHEMA`),
``per`` (``sid, p0, p1, month``: the periods asked for, UTC ms), ``wn`` (``sid, start_ms,
end_ms, kind``) and ``mark``. Sites are ``sid``, their index among the deal's sorted site ids.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

__all__ = [
    "PER_MILLE",
    "SIGNALS_SQL",
    "SITES_SQL",
    "availability_sql",
    "battery_sql",
    "fuel_sql",
    "heartbeat_sql",
    "peak_demand_sql",
    "timeline_sql",
]

_W = "(PARTITION BY sid ORDER BY t, ord)"
_WR = "(PARTITION BY sid ORDER BY t, ord ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
PER_MILLE = 1000


SIGNALS_SQL = "SELECT DISTINCT signal FROM tel"
SITES_SQL = "SELECT sid, site FROM sites"
"""The sites of ``tel`` by ``sid``, to name the rows the queries return."""
"""The signals present in ``tel``: the sweep leaves out the carries of absent ones."""


def _int(x: int) -> str:
    if not isinstance(x, int) or isinstance(x, bool):
        raise TypeError("only integers are written into the SQL text")
    return str(x)


def _sweep(*, signals: Collection[str], tolerance_ms: int, lo_ms: int, hi_ms: int) -> str:
    """The common table expressions up to ``parts``: one row per segment, with its period.

    First each signal's samples become *events*, with one cheap pass of ``lag``/``lead``: a
    sample starts a new state when it is the first, differs from the one before, or comes more
    than the tolerance after it; a sample followed by nothing within the tolerance makes the
    signal UNKNOWN from ``t + tolerance``. A month of one-minute samples that never change is
    two events. Then the sweep runs over the events and the ``mark`` rows (``sid, t, ord``:
    period bounds, ord 0 for an end and 1 for a start, and window edges), carrying each
    signal's latest event as a running maximum of ``t * base + state``, where a larger state is
    worse, so simultaneous samples settle on the worse one (UNKNOWN is the largest). Between two
    rows nothing changes, so each segment has one state per signal. ``per`` names the period a
    segment lies in and ``wn`` (the windows made disjoint, excluded over planned) its window.
    A signal with no rows at all (``signals``) carries a constant null instead of a window."""
    tol, lo, hi = _int(tolerance_ms), _int(lo_ms), _int(hi_ms)
    k = PER_MILLE
    cap_base, cap_unknown = k + 2, k + 1

    def carry(column: str, signal: str) -> str:
        if signal not in signals:
            return f"CAST(NULL AS BIGINT) AS {column}"
        return f"max({column}) OVER {_WR} AS {column}"

    def code(at: str, state: str) -> str:
        return f"""CASE signal WHEN 'supply_ok' THEN {at} * 4 + {state} END AS s_e,
    CASE signal WHEN 'capability' THEN {at} * {cap_base} + {state} END AS c_e,
    CASE signal WHEN 'utility_ok' THEN {at} * 4 + {state} END AS u_e"""

    unknown = f"CASE signal WHEN 'capability' THEN {cap_unknown} ELSE 3 END"
    return f"""
WITH raw AS (
  SELECT sid, signal, t,
    CASE WHEN signal = 'capability' THEN {k} - CAST(ROUND(value * {k}) AS BIGINT)
      ELSE 1 - CAST(value AS BIGINT) END AS v
  FROM tel
  WHERE signal IN ('supply_ok', 'capability', 'utility_ok') AND t >= {lo} - {tol} AND t < {hi}
),
nav AS (
  SELECT sid, signal, t, v,
    lag(t) OVER (PARTITION BY sid, signal ORDER BY t, v) AS pt,
    lag(v) OVER (PARTITION BY sid, signal ORDER BY t, v) AS pv,
    lead(t) OVER (PARTITION BY sid, signal ORDER BY t, v) AS nt
  FROM raw
),
ev AS (
  SELECT sid, t, 2 AS ord, {code("t", "v")}
  FROM nav WHERE pt IS NULL OR v <> pv OR t - pt > {tol}
  UNION ALL
  SELECT sid, t + {tol} AS t, 2 AS ord, {code(f"(t + {tol})", unknown)}
  FROM nav WHERE nt IS NULL OR nt - t > {tol}
  UNION ALL
  SELECT sid, t, ord, CAST(NULL AS BIGINT) AS s_e, CAST(NULL AS BIGINT) AS c_e,
    CAST(NULL AS BIGINT) AS u_e
  FROM mark
),
sw AS (
  SELECT sid, t,
    lead(t) OVER {_W} - t AS len,
    {carry("s_e", "supply_ok")},
    {carry("c_e", "capability")},
    {carry("u_e", "utility_ok")}
  FROM ev
),
seg AS (
  SELECT sid, t, len,
    CASE WHEN s_e IS NULL OR s_e % 4 = 3 THEN 0 ELSE len END AS ks, 1 - s_e % 4 AS s,
    CASE WHEN c_e IS NULL OR c_e % {cap_base} = {cap_unknown} THEN 0 ELSE len END AS kc,
    {k} - c_e % {cap_base} AS c,
    CASE WHEN u_e IS NULL OR u_e % 4 = 3 THEN 0 ELSE len END AS ku, 1 - u_e % 4 AS u
  FROM sw
  WHERE len > 0
),
st AS (
  SELECT seg.sid, seg.t, per.p0, seg.len, seg.ks, seg.s, seg.ku, seg.u, seg.c,
    CASE WHEN seg.s = 0 AND seg.ks > 0 THEN seg.ks ELSE 0 END AS forced,
    CASE WHEN seg.kc > 0 AND seg.c < {k} THEN seg.kc ELSE 0 END AS kd,
    COALESCE(wn.kind, '') AS kind
  FROM seg
  JOIN per ON per.sid = seg.sid AND seg.t >= per.p0 AND seg.t < per.p1
  LEFT JOIN wn ON wn.sid = seg.sid AND seg.t >= wn.start_ms AND seg.t < wn.end_ms
),
parts AS (
  SELECT sid, t, p0, len, kind, forced, ks, s, ku, u,
    GREATEST(0, kd - forced) AS degraded,
    GREATEST(0, kd - forced) * ({k} - COALESCE(c, {k})) AS degraded_w,
    len - GREATEST(ks, kd) AS unknown
  FROM st
)"""


def availability_sql(*, signals: Collection[str], tolerance_ms: int, lo_ms: int, hi_ms: int) -> str:
    """Per ``(sid, p0)``: total, excluded, planned, forced, degraded, degraded-weighted
    (ms x per-mille of capability missing), unknown milliseconds, and the utility outage /
    served / unknown times of ride-through. ``[lo_ms, hi_ms)`` bounds the periods asked for."""
    return (
        _sweep(signals=signals, tolerance_ms=tolerance_ms, lo_ms=lo_ms, hi_ms=hi_ms)
        + """
SELECT sid, p0,
  CAST(sum(len) AS BIGINT) AS total_ms,
  CAST(sum(CASE WHEN kind = 'excluded' THEN len ELSE 0 END) AS BIGINT) AS excluded_ms,
  CAST(sum(CASE WHEN kind = 'planned' THEN len ELSE 0 END) AS BIGINT) AS planned_ms,
  CAST(sum(CASE WHEN kind = '' THEN forced ELSE 0 END) AS BIGINT) AS forced_ms,
  CAST(sum(CASE WHEN kind = '' THEN degraded ELSE 0 END) AS BIGINT) AS degraded_ms,
  CAST(sum(CASE WHEN kind = '' THEN degraded_w ELSE 0 END) AS BIGINT) AS degraded_w,
  CAST(sum(CASE WHEN kind = '' THEN unknown ELSE 0 END) AS BIGINT) AS unknown_ms,
  CAST(sum(CASE WHEN u = 0 THEN ku ELSE 0 END) AS BIGINT) AS outage_ms,
  CAST(sum(CASE WHEN u = 0 AND s = 1 THEN LEAST(ku, ks) ELSE 0 END) AS BIGINT) AS served_ms,
  CAST(sum(CASE WHEN u = 0 THEN ku - LEAST(ku, ks) ELSE 0 END) AS BIGINT) AS outage_unknown_ms,
  CAST(sum(len - ku) AS BIGINT) AS utility_unknown_ms
FROM parts
GROUP BY sid, p0
"""
    )


def timeline_sql(*, signals: Collection[str], tolerance_ms: int, lo_ms: int, hi_ms: int) -> str:
    """Every segment of the periods with its time split by state, in time order (for plots)."""
    return (
        _sweep(signals=signals, tolerance_ms=tolerance_ms, lo_ms=lo_ms, hi_ms=hi_ms)
        + """
SELECT sid, t, p0, len,
  CASE WHEN kind = 'excluded' THEN len ELSE 0 END AS excluded,
  CASE WHEN kind = 'planned' THEN len ELSE 0 END AS planned,
  CASE WHEN kind = '' THEN forced ELSE 0 END AS forced,
  CASE WHEN kind = '' THEN degraded ELSE 0 END AS degraded,
  CASE WHEN kind = '' THEN unknown ELSE 0 END AS unknown
FROM parts
ORDER BY sid, t
"""
    )


def peak_demand_sql(*, months: Mapping[int, int]) -> str:
    """Per ``(sid, month)``: valid 15-minute blocks of ``load_kw`` (at least 80% of the
    expected samples, the expected count being the site's most common count in the period),
    the peak block's watt sum and sample count, the sums for the mean, and the two neighbours
    of the p95 and p99 positions (linear interpolation between order statistics).

    ``months`` maps each month key asked for to the key of its period: itself for monthly
    periods, the quarter's first month for quarterly ones; ``month`` in the result is that."""
    month_list = ", ".join(_int(m) for m in sorted(months)) or "NULL"
    if all(m == k for m, k in months.items()):
        key = "month"
    else:
        key = (
            "CASE month "
            + " ".join(f"WHEN {_int(m)} THEN {_int(k)}" for m, k in sorted(months.items()))
            + " END"
        )
    return f"""
WITH b AS (
  SELECT sid, month, block, count(*) AS n,
    CAST(sum(CAST(ROUND(value * 1000) AS BIGINT)) AS BIGINT) AS w
  FROM (
    SELECT sid, {key} AS month, block, value
    FROM tel WHERE signal = 'load_kw' AND month IN ({month_list})
  ) load
  GROUP BY sid, month, block
),
counts AS (SELECT sid, month, n, count(*) AS k FROM b GROUP BY sid, month, n),
expect AS (
  SELECT sid, month, n AS expected FROM (
    SELECT sid, month, n,
      row_number() OVER (PARTITION BY sid, month ORDER BY k DESC, n DESC) AS r
    FROM counts) ranked
  WHERE r = 1
),
v AS (
  SELECT b.sid, b.month, b.block, b.n, b.w, e.expected
  FROM b JOIN expect e ON b.sid = e.sid AND b.month = e.month
  WHERE b.n * 5 >= e.expected * 4
),
r AS (
  SELECT sid, month, block, n, w, expected,
    row_number() OVER (PARTITION BY sid, month ORDER BY CAST(w AS DOUBLE) / n, block) - 1 AS i,
    count(*) OVER (PARTITION BY sid, month) AS m
  FROM v
),
k AS (
  SELECT sid, month, block, n, w, i, m, expected,
    CAST(FLOOR(95 * (m - 1) / 100.0) AS BIGINT) AS k95,
    CAST(FLOOR(99 * (m - 1) / 100.0) AS BIGINT) AS k99
  FROM r
)
SELECT sid, month, max(m) AS m, max(expected) AS expected,
  CAST(sum(w) AS BIGINT) AS sum_w, CAST(sum(n) AS BIGINT) AS sum_n,
  max(CASE WHEN i = m - 1 THEN w END) AS peak_w, max(CASE WHEN i = m - 1 THEN n END) AS peak_n,
  max(CASE WHEN i = m - 1 THEN block END) AS peak_block,
  max(CASE WHEN i = k95 THEN w END) AS p95_lo_w, max(CASE WHEN i = k95 THEN n END) AS p95_lo_n,
  max(CASE WHEN i = LEAST(k95 + 1, m - 1) THEN w END) AS p95_hi_w,
  max(CASE WHEN i = LEAST(k95 + 1, m - 1) THEN n END) AS p95_hi_n,
  max(CASE WHEN i = k99 THEN w END) AS p99_lo_w, max(CASE WHEN i = k99 THEN n END) AS p99_lo_n,
  max(CASE WHEN i = LEAST(k99 + 1, m - 1) THEN w END) AS p99_hi_w,
  max(CASE WHEN i = LEAST(k99 + 1, m - 1) THEN n END) AS p99_hi_n
FROM k
GROUP BY sid, month
"""


def heartbeat_sql(*, lo_ms: int, hi_ms: int) -> str:
    """Per ``(sid, p0)``: the heartbeat interval (the most common gap between beats) and the
    number of distinct slots of the UTC grid at that interval that received a beat."""
    lo, hi = _int(lo_ms), _int(hi_ms)
    return f"""
WITH hb AS (
  SELECT sid, t FROM tel
  WHERE signal = 'heartbeat' AND value = 1 AND t >= {lo} AND t < {hi}
),
gaps AS (
  SELECT sid, t - lag(t) OVER (PARTITION BY sid ORDER BY t) AS d FROM hb
),
iv AS (
  SELECT sid, d FROM (
    SELECT sid, d, row_number() OVER (PARTITION BY sid ORDER BY k DESC, d) AS r
    FROM (SELECT sid, d, count(*) AS k FROM gaps WHERE d > 0 GROUP BY sid, d) c) ranked
  WHERE r = 1
)
SELECT per.sid, per.p0, iv.d AS interval_ms,
  CAST(count(DISTINCT hb.t - (hb.t % iv.d)) AS BIGINT) AS received
FROM per
JOIN iv ON per.sid = iv.sid
LEFT JOIN hb ON hb.sid = per.sid AND hb.t >= per.p0 AND hb.t < per.p1
GROUP BY per.sid, per.p0, iv.d
"""


def battery_sql(*, lo_ms: int, hi_ms: int, max_gap_ms: int = 15 * 60 * 1000) -> str:
    """Per ``(sid, p0)``: discharge watt-hours from the cumulative counter, counting only
    increases between samples at most ``max_gap_ms`` apart, and the time lost to longer gaps."""
    lo, hi, gap = _int(lo_ms), _int(hi_ms), _int(max_gap_ms)
    return f"""
WITH c AS (
  SELECT sid, t, CAST(ROUND(value * 1000) AS BIGINT) AS wh FROM tel
  WHERE signal = 'batt_discharge_kwh' AND t >= {lo} - {gap} AND t < {hi}
),
d AS (
  SELECT sid, t, wh,
    lag(t) OVER (PARTITION BY sid ORDER BY t) AS pt,
    lag(wh) OVER (PARTITION BY sid ORDER BY t) AS pwh
  FROM c
)
SELECT per.sid, per.p0,
  CAST(sum(CASE WHEN d.t - d.pt <= {gap} AND d.wh >= d.pwh THEN d.wh - d.pwh ELSE 0 END)
    AS BIGINT) AS discharged_wh,
  CAST(sum(CASE WHEN d.t - d.pt > {gap} THEN d.t - d.pt ELSE 0 END) AS BIGINT) AS gap_ms,
  CAST(count(d.t) AS BIGINT) AS samples
FROM per
JOIN d ON d.sid = per.sid AND d.t >= per.p0 AND d.t < per.p1 AND d.pt IS NOT NULL
GROUP BY per.sid, per.p0
"""


def fuel_sql(*, tolerance_ms: int, lo_ms: int, hi_ms: int, min_run_ms: int = 10 * 60_000) -> str:
    """Per ``(sid, p0)``: generator runs of at least ``min_run_ms`` that start in the period,
    the energy they generated (W x ms, ``gen_kw`` held like any sample) and the fuel they
    burned (ml: the falls of ``fuel_l`` between consecutive readings inside a run; a rise is a
    refuel and is left out)."""
    tol, lo, hi, least = (
        _int(tolerance_ms),
        _int(lo_ms),
        _int(hi_ms),
        _int(min_run_ms),
    )
    return f"""
WITH g AS (
  SELECT sid, t, CAST(value AS BIGINT) AS on_,
    lag(CAST(value AS BIGINT)) OVER (PARTITION BY sid ORDER BY t) AS prev_on,
    lag(t) OVER (PARTITION BY sid ORDER BY t) AS prev_t,
    lead(t) OVER (PARTITION BY sid ORDER BY t) AS next_t
  FROM tel
  WHERE signal = 'gen_running' AND t >= {lo} - 86400000 AND t < {hi} + 86400000
),
starts AS (
  SELECT sid, t, on_, next_t,
    CASE WHEN on_ = 1 AND (prev_on IS NULL OR prev_on = 0 OR t - prev_t > {tol})
      THEN 1 ELSE 0 END AS is_start
  FROM g
),
numbered AS (
  SELECT sid, t, on_, next_t,
    sum(is_start) OVER (PARTITION BY sid ORDER BY t
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
  FROM starts
),
runs AS (
  SELECT sid, run, min(t) AS r0,
    max(CASE WHEN next_t IS NULL THEN t + {tol} ELSE LEAST(next_t, t + {tol}) END) AS r1
  FROM numbered
  WHERE on_ = 1
  GROUP BY sid, run
),
long_runs AS (
  SELECT runs.sid, runs.run, runs.r0, runs.r1, per.p0
  FROM runs JOIN per ON per.sid = runs.sid AND runs.r0 >= per.p0 AND runs.r0 < per.p1
  WHERE runs.r1 - runs.r0 >= {least}
),
kw AS (
  SELECT sid, t, CAST(ROUND(value * 1000) AS BIGINT) AS w,
    lead(t) OVER (PARTITION BY sid ORDER BY t) AS next_t
  FROM tel WHERE signal = 'gen_kw' AND t >= {lo} - 86400000 AND t < {hi} + 86400000
),
energy AS (
  SELECT r.sid, r.p0, r.run,
    CAST(sum(kw.w * GREATEST(0, LEAST(COALESCE(kw.next_t, kw.t + {tol}), kw.t + {tol}, r.r1)
      - kw.t)) AS BIGINT) AS wms
  FROM long_runs r JOIN kw ON kw.sid = r.sid AND kw.t >= r.r0 AND kw.t < r.r1
  GROUP BY r.sid, r.p0, r.run
),
fuel AS (
  SELECT r.sid, r.p0, r.run, f.t, CAST(ROUND(f.value * 1000) AS BIGINT) AS ml
  FROM long_runs r JOIN tel f ON f.sid = r.sid AND f.signal = 'fuel_l'
    AND f.t >= r.r0 AND f.t <= r.r1
),
burned AS (
  SELECT sid, p0, run,
    CAST(sum(CASE WHEN prev_ml > ml THEN prev_ml - ml ELSE 0 END) AS BIGINT) AS ml
  FROM (SELECT sid, p0, run, ml,
          lag(ml) OVER (PARTITION BY sid, run ORDER BY t) AS prev_ml FROM fuel) x
  GROUP BY sid, p0, run
)
SELECT r.sid, r.p0, CAST(count(*) AS BIGINT) AS runs,
  CAST(sum(r.r1 - r.r0) AS BIGINT) AS run_ms,
  CAST(sum(COALESCE(e.wms, 0)) AS BIGINT) AS wms,
  CAST(sum(COALESCE(b.ml, 0)) AS BIGINT) AS ml
FROM long_runs r
LEFT JOIN energy e ON e.sid = r.sid AND e.run = r.run
LEFT JOIN burned b ON b.sid = r.sid AND b.run = r.run
GROUP BY r.sid, r.p0
"""
