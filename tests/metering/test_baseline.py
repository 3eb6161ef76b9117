"""Baselines as worked examples: a fit a person can check, the data rules, the hash."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from copact.core.diagnostic import Severity
from copact.core.mechanisms import BaselineModel
from copact.core.quantities import Percent
from copact.metering.baseline import baseline_hash, baseline_to_json, fit_baseline
from copact.metering.baseline_data import BaselineData, read_baseline_data
from copact.metering.caltrack import DAILY, fit_caltrack

LINEAR = BaselineModel(kind="linear", drivers=["outage-hours"], grain="month")
DAILY_MODEL = BaselineModel(kind="caltrack-daily")


def _read(text: str, model: BaselineModel = LINEAR, **kw: object) -> BaselineData:
    data, problems = read_baseline_data(text, "fuel.csv", model, **kw)  # type: ignore[arg-type]
    assert problems == [], problems
    assert data is not None
    return data


FOUR_MONTHS = """start,end,observed,outage-hours
2025-01-01,2025-02-01,1,0
2025-02-01,2025-03-01,3,1
2025-03-01,2025-04-01,5,2
2025-04-01,2025-05-01,8,3
"""


def test_a_linear_fit_checked_by_hand() -> None:
    """Litres y = 1, 3, 5, 8 against outage hours x = 0, 1, 2, 3:

    x̄ = 1.5, ȳ = 4.25, Sxx = 5, Sxy = 11.5 → slope 11.5 / 5 = 2.3, intercept 4.25 − 2.3 × 1.5 = 0.8
    fitted 0.8, 3.1, 5.4, 7.7 → residuals 0.2, −0.1, −0.4, 0.3 → SSR 0.30; SST 26.75
    R² = 1 − 0.30/26.75; adjusted = 1 − (0.30/26.75)·3/2; CV(RMSE) = √(0.30/3) / 4.25 = 7.44%
    """
    fitted = fit_baseline(_read(FOUR_MONTHS), LINEAR)
    assert fitted.form == "linear"
    assert fitted.intercept == pytest.approx(0.8, rel=1e-12)
    assert fitted.coefficients == {"outage-hours": pytest.approx(2.3, rel=1e-12)}
    assert fitted.predicted == pytest.approx((0.8, 3.1, 5.4, 7.7), rel=1e-12)
    stats = fitted.stats
    assert stats is not None and stats.n == 4
    assert stats.r2 == pytest.approx(1 - 0.30 / 26.75, rel=1e-12)
    assert stats.adj_r2 == pytest.approx(1 - 0.30 / 26.75 * 3 / 2, rel=1e-12)
    assert stats.cvrmse == pytest.approx(math.sqrt(0.1) / 4.25, rel=1e-12)
    assert stats.nmbe == pytest.approx(0, abs=1e-12)
    assert fitted.accepted  # the model sets no limits


def test_daily_rows_are_summed_per_month_at_month_grain() -> None:
    """January: 2 + 3 litres, 1 + 0 hours; February: 7 litres, 2 hours; March: 4, 0; April 9, 3."""
    text = "date,observed,outage-hours\n" + "\n".join(
        [
            "2025-01-01,2,1",
            "2025-01-17,3,0",
            "2025-02-03,7,2",
            "2025-03-09,4,0",
            "2025-04-30,9,3",
        ]
    )
    fitted = fit_baseline(_read(text), LINEAR)
    assert fitted.labels == (date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1))
    assert fitted.observed == (5.0, 7.0, 4.0, 9.0)
    # by hand: x = 1, 2, 0, 3; y = 5, 7, 4, 9 → x̄ 1.5, ȳ 6.25, Sxx 5, Sxy 8.5 → slope 1.7
    assert fitted.coefficients["outage-hours"] == pytest.approx(1.7, rel=1e-12)
    assert fitted.intercept == pytest.approx(6.25 - 1.7 * 1.5, rel=1e-12)


def test_limits_from_the_deal_decide_acceptance() -> None:
    strict = LINEAR.model_copy(update={"max_cvrmse": Percent.parse("5%")})
    fitted = fit_baseline(_read(FOUR_MONTHS), strict)
    assert not fitted.accepted
    assert [f.code for f in fitted.findings] == ["B925"]
    assert "7.44%" in fitted.findings[0].message
    loose = LINEAR.model_copy(
        update={"max_cvrmse": Percent.parse("10%"), "max_nmbe": Percent.parse("1%")}
    )
    assert fit_baseline(_read(FOUR_MONTHS), loose).accepted


def test_too_few_points_for_the_drivers() -> None:
    text = "start,end,observed,outage-hours\n2025-01-01,2025-02-01,1,0\n2025-02-01,2025-03-01,3,1\n"
    fitted = fit_baseline(_read(text), LINEAR)
    assert not fitted.accepted and fitted.findings[0].code == "B927"
    assert baseline_to_json("d", fitted)["model"]["form"] is None


# --- reading: every fault has its line ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ("", "B901", 1, 1),
        ("start,end,observed\n", "B902", 1, 1),
        ("start,end,observed,outage-hours\n2025-01-01,2025-02-01,x,1\n", "B904", 2, 3),
        ("start,end,observed,outage-hours\n2025-01-01,2025-02-01,nan,1\n", "B904", 2, 3),
        ("start,end,observed,outage-hours\n2025-1-1,2025-02-01,1,1\n", "B903", 2, 1),
        ("start,end,observed,outage-hours\n2025-02-01,2025-01-01,1,1\n", "B907", 2, 1),
        ("start,end,observed,outage-hours\n2025-01-01,2025-02-01,1\n", "B906", 2, 1),
        ("start,end,observed,outage-hours\n2025-01-01,2025-02-01,,1\n", "B910", 2, 3),
        (
            "start,end,observed,outage-hours\n2025-02-01,2025-03-01,1,1\n2025-01-01,2025-02-01,1,1\n",
            "B905",
            3,
            1,
        ),
    ],
)
def test_a_bad_row_is_reported_with_its_place_and_nothing_is_fitted(
    text: str, code: str, line: int, column: int
) -> None:
    data, problems = read_baseline_data(text, "fuel.csv", LINEAR)
    assert data is None
    assert [(p.code, p.path, p.line, p.column) for p in problems] == [
        (code, "fuel.csv", line, column)
    ]
    assert all(p.severity == Severity.ERROR for p in problems)


def test_rows_outside_the_deals_baseline_period_are_refused() -> None:
    text = FOUR_MONTHS + "2025-12-01,2026-01-01,4,1\n2026-01-01,2026-02-01,4,1\n"
    data, problems = read_baseline_data(
        text, "fuel.csv", LINEAR, period=(date(2025, 1, 1), date(2025, 12, 31))
    )
    assert data is None
    assert [(p.code, p.line) for p in problems] == [("B909", 7)]
    assert "2025-01-01 to 2025-12-31" in problems[0].message


def test_caltrack_daily_wants_daily_rows_and_a_temperature() -> None:
    _, problems = read_baseline_data(FOUR_MONTHS, "m.csv", DAILY_MODEL)
    assert [p.code for p in problems] == ["B902"]
    assert "temperature_f" in problems[0].message
    text = "start,end,observed,temperature_f\n2025-01-01,2025-02-01,1,40\n"
    _, problems = read_baseline_data(text, "m.csv", DAILY_MODEL)
    assert [p.code for p in problems] == ["B908"]


# --- the hash ------------------------------------------------------------------------------------


def test_the_hash_sees_values_not_spelling() -> None:
    base = baseline_hash(_read(FOUR_MONTHS), LINEAR)
    assert base.startswith("sha256:") and len(base) == 7 + 64
    respelled = FOUR_MONTHS.replace(",8,3", ",8.00,3.0")
    assert baseline_hash(_read(respelled), LINEAR) == base
    changed = FOUR_MONTHS.replace(",8,3", ",8.01,3")
    assert baseline_hash(_read(changed), LINEAR) != base
    by_day = LINEAR.model_copy(update={"grain": "day"})
    assert baseline_hash(_read(FOUR_MONTHS), by_day) != base


# --- CalTRACK data sufficiency ------------------------------------------------------------------


def _daily_csv(
    days: int, *, start: date = date(2023, 1, 1), blank: int = 0, negative: bool = False
) -> str:
    """A heating meter: 20 + 1.5 × max(55 − T, 0) with a seeded wobble; ``blank`` days empty."""
    rng = np.random.default_rng(3)
    lines = ["date,observed,temperature_f"]
    for i in range(days):
        temp = 55 + 25 * math.sin(2 * math.pi * (i - 105) / 365) + float(rng.normal(0, 5))
        usage = 20 + 1.5 * max(55 - temp, 0) + float(rng.normal(0, 2))
        if negative and i == 40:
            usage = -3
        observed = "" if i < blank else f"{usage:.3f}"
        lines.append(f"{start + timedelta(days=i)},{observed},{temp:.1f}")
    return "\n".join(lines) + "\n"


def test_a_full_year_of_daily_data_is_sufficient() -> None:
    fitted = fit_baseline(_read(_daily_csv(365), DAILY_MODEL), DAILY_MODEL)
    assert fitted.accepted, fitted.findings
    assert fitted.form == "heating" and fitted.heating_balance_point is not None
    assert fitted.beta_hdd == pytest.approx(1.5, rel=0.1)


def test_less_than_a_year_or_too_many_gaps_cannot_settle() -> None:
    short = fit_baseline(_read(_daily_csv(300), DAILY_MODEL), DAILY_MODEL)
    assert not short.accepted
    assert [f.code for f in short.findings if f.severity == Severity.ERROR] == ["B920"]
    assert "300 days" in short.findings[0].message
    gappy = fit_baseline(_read(_daily_csv(365, blank=40), DAILY_MODEL), DAILY_MODEL)
    assert not gappy.accepted
    # 325 of 365 days (89.0%) have usage, so usage-and-temperature and usage both fail
    assert [f.code for f in gappy.findings if f.severity == Severity.ERROR] == ["B921", "B921"]
    assert "325 of 365" in gappy.findings[0].message


def test_negative_usage_is_an_error_on_its_line() -> None:
    fitted = fit_baseline(_read(_daily_csv(365, negative=True), DAILY_MODEL), DAILY_MODEL)
    negative = [f for f in fitted.findings if f.code == "B922"]
    assert len(negative) == 1 and negative[0].line == 42  # header is line 1, day 40 is line 42
    assert not fitted.accepted


def test_the_deal_period_counts_missing_days_at_either_end() -> None:
    data = _read(_daily_csv(365), DAILY_MODEL, period=(date(2022, 12, 1), date(2023, 12, 31)))
    fitted = fit_baseline(data, DAILY_MODEL)
    assert [f.code for f in fitted.findings] == ["B920"]
    assert "396 days (2022-12-01 to 2023-12-31)" in fitted.findings[0].message


def test_extreme_values_are_flagged_for_review_but_do_not_block() -> None:
    """CalTRACK 2.3.6: usage above median + 3 × IQR is flagged; the baseline still settles."""
    lines = _daily_csv(365).splitlines()
    day, _, temp = lines[152].split(",")  # line 153 of the file: 2023-06-01
    lines[152] = f"{day},9999,{temp}"
    fitted = fit_baseline(_read("\n".join(lines) + "\n", DAILY_MODEL), DAILY_MODEL)
    flagged = [f for f in fitted.findings if f.code == "B923"]
    assert [(f.severity, f.line) for f in flagged] == [(Severity.WARNING, 153)]
    assert "1 extreme value(s)" in flagged[0].message
    assert fitted.accepted


def test_a_flat_line_has_no_model_when_the_mean_is_negative() -> None:
    usage = np.full(365, -1.0)
    temp = np.linspace(20, 95, 365)
    assert fit_caltrack(usage, temp, settings=DAILY) is None
