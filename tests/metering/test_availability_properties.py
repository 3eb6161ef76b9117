"""Properties of availability over random telemetry and windows, run through DuckDB.

0 ≤ A_low ≤ A_high ≤ 1 whatever the data; and a period cut in two gives numerators and
denominators that add up to the whole period's exactly (which is why results combine by
summing them, never by averaging ratios).
"""

from __future__ import annotations

from fractions import Fraction

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.metering.engines import DuckDBEngine
from copact.metering.metrics import SitePeriod, availability, load_inputs
from copact.metering.periods import Period, month_period
from copact.metering.results import MetricResult, combine
from copact.metering.telemetry import telemetry_from_table
from copact.metering.windows import Window

ZONE = "America/New_York"
MARCH = month_period("America/New_York", "2027-03")  # 743 hours
P0 = MARCH.start_ms
MINUTE = 60_000
MONTH_MIN = MARCH.ms // MINUTE  # the minutes of the month
TOL = 5 * MINUTE
ENGINE = DuckDBEngine(threads=1)

samples = st.lists(
    st.tuples(
        st.integers(-15, MONTH_MIN + 15),  # minute of the sample, a little outside the month too
        st.sampled_from(["supply_ok", "capability"]),
        st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    ),
    max_size=60,
)
windows = st.lists(
    st.tuples(
        st.integers(-30, MONTH_MIN), st.integers(1, 3000), st.sampled_from(["planned", "excluded"])
    ),
    max_size=3,
)


def _run(
    rows: list[tuple[int, str, float]], wins: list[tuple[int, int, str]], periods: list[Period]
) -> list[MetricResult]:
    table = pa.table(
        {
            "site": pa.array(["dc1"] * len(rows), pa.string()),
            "t": pa.array([P0 + m * MINUTE for m, _, _ in rows], pa.int64()),
            "signal": pa.array([s for _, s, _ in rows], pa.string()),
            "value": pa.array([v if s == "capability" else float(v >= 0.5) for _, s, v in rows]),
        }
    )
    tel = telemetry_from_table(table, {"dc1": ZONE})
    window_list = [
        Window("dc1", P0 + a * MINUTE, P0 + (a + n) * MINUTE, kind)  # type: ignore[arg-type]
        for a, n, kind in wins
    ]
    sps = [SitePeriod("dc1", p) for p in periods]
    load_inputs(ENGINE, tel, window_list, sps)
    results = availability(ENGINE, sps, tolerance_ms=TOL)
    return [results[("dc1", p.month)] for p in periods]


@settings(max_examples=40, deadline=None)
@given(samples, windows)
def test_availability_is_between_0_and_1_and_a_low_never_exceeds_a_high(
    rows: list[tuple[int, str, float]], wins: list[tuple[int, int, str]]
) -> None:
    (a,) = _run(rows, wins, [MARCH])
    low, high = a.details["a_low"], a.details["a_high"]
    if a.denominator == 0:  # the whole month was inside windows
        assert low is None and high is None
        return
    assert isinstance(low, Fraction) and isinstance(high, Fraction)
    assert 0 <= low <= high <= 1
    assert a.value == low  # unknown: down
    parts = sum(
        Fraction(a.details[k])  # type: ignore[arg-type]
        for k in ("excluded_s", "planned_s", "forced_s", "degraded_s")
    )
    assert parts + a.unknown_s <= Fraction(MONTH_MIN * 60)


@settings(max_examples=40, deadline=None)
@given(samples, windows, st.integers(1, MONTH_MIN - 1))
def test_a_month_cut_in_two_adds_up_to_the_whole_month(
    rows: list[tuple[int, str, float]], wins: list[tuple[int, int, str]], cut: int
) -> None:
    whole = MARCH
    first = Period(P0, P0 + cut * MINUTE, "first", ZONE)
    second = Period(P0 + cut * MINUTE, P0 + MONTH_MIN * MINUTE, "second", ZONE)
    (w,) = _run(rows, wins, [whole])
    a, b = _run(rows, wins, [first, second])
    assert a.numerator + b.numerator == w.numerator
    assert a.denominator + b.denominator == w.denominator
    assert a.unknown_s + b.unknown_s == w.unknown_s
    both = combine([a, b], site="dc1", period="2027-03")
    assert both.value == (w.value if w.denominator else None)
    assert both.coverage == w.coverage
    for key in ("forced_s", "degraded_weighted_s", "planned_s", "excluded_s"):
        assert Fraction(a.details[key]) + Fraction(b.details[key]) == w.details[key]  # type: ignore[arg-type]
