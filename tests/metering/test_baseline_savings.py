"""A baseline's predictions become monthly savings, and the savings become gainshare money."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from copact.core.gainshare import GainshareTerms, MonthSavings, settle_gainshare
from copact.core.mechanisms import BaselineModel
from copact.metering.baseline import fit_baseline
from copact.metering.baseline_data import BaselineData, read_baseline_data
from copact.metering.baseline_savings import monthly_savings
from tests.conftest import FIXTURES, load_example, usd

D = Decimal
LINEAR = BaselineModel(kind="linear", drivers=["outage-hours"], grain="month")
# the hand-checked fit of test_baseline.py: litres = 0.8 + 2.3 × outage hours
FOUR_MONTHS = """start,end,observed,outage-hours
2025-01-01,2025-02-01,1,0
2025-02-01,2025-03-01,3,1
2025-03-01,2025-04-01,5,2
2025-04-01,2025-05-01,8,3
"""


def _read(text: str, model: BaselineModel = LINEAR) -> BaselineData:
    data, problems = read_baseline_data(text, "data.csv", model)
    assert data is not None, problems
    return data


def _month(i: int) -> date:
    return date(2027 + i // 12, i % 12 + 1, 1)


def test_a_gainshare_year_from_the_baseline_to_the_true_up() -> None:
    """Every month of 2027: 100 outage hours, 200 litres burnt.

    baseline 0.8 + 2.3 × 100 = 230.8 L → S = 30.8 L a month
    month:  30% × 30.8 × 1.45 = 13.398 → 13.40;   invoice 1,500 + 13.40 = 1,513.40
    year:   ΣS = 369.6 → 30% × 369.6 × 1.45 = 160.776 → 160.78; invoiced 12 × 13.40 = 160.80
    true-up 160.78 − 160.80 = −0.02 (the months' rounding, given back)
    """
    fitted = fit_baseline(_read(FOUR_MONTHS), LINEAR)
    rows = [f"{_month(i)},{_month(i + 1)},200,100" for i in range(12)]
    reporting = _read("start,end,observed,outage-hours\n" + "\n".join(rows) + "\n")
    months, problems = monthly_savings(fitted, reporting, grain="month")
    assert problems == []
    assert months == [MonthSavings(_month(i), D("230.800"), D("200")) for i in range(12)]
    (year,) = settle_gainshare(GainshareTerms.from_deal(load_example("hybrid-dc1.yaml")), months)
    assert {m.total for m in year.months} == {usd("1513.40")}
    assert year.true_up is not None
    assert (year.true_up.year_share, year.true_up.invoiced) == (usd("160.78"), usd("160.80"))
    assert year.true_up.amount == usd("-0.02")


def test_a_monthly_linear_baseline_counts_its_intercept_once_a_month() -> None:
    """Two January days with 4 and 6 outage hours: 0.8 + 2.3 × 10 = 23.8 L, not 2 × 0.8 + …"""
    fitted = fit_baseline(_read(FOUR_MONTHS), LINEAR)
    reporting = _read("date,observed,outage-hours\n2027-01-05,9,4\n2027-01-20,11.5,6\n")
    months, _ = monthly_savings(fitted, reporting, grain="month")
    assert months == [MonthSavings(date(2027, 1, 1), D("23.800"), D("20.5"))]
    assert months[0].savings == D("3.3")


def test_caltrack_savings_sum_the_days_predictions() -> None:
    model = BaselineModel(kind="caltrack-daily")
    fitted = fit_baseline(
        _read((FIXTURES / "eemeter" / "heating-only.csv").read_text(), model), model
    )
    assert fitted.form == "heating" and fitted.intercept is not None and fitted.beta_hdd is not None
    bp = fitted.heating_balance_point
    assert bp is not None
    temps = [30.0, 45.5, 70.0]
    lines = [f"{date(2027, 2, 1) + timedelta(days=i)},25.000,{t}" for i, t in enumerate(temps)]
    reporting = _read("date,observed,temperature_f\n" + "\n".join(lines) + "\n", model)
    months, _ = monthly_savings(fitted, reporting)
    expected = sum(fitted.intercept + fitted.beta_hdd * max(bp - t, 0.0) for t in temps)
    assert months[0].month == date(2027, 2, 1)
    assert months[0].predicted == D(repr(expected)).quantize(D("0.001"))
    assert months[0].actual == D("75.000")


def test_a_reporting_day_without_a_temperature_cannot_be_settled() -> None:
    model = BaselineModel(kind="caltrack-daily")
    fitted = fit_baseline(
        _read((FIXTURES / "eemeter" / "heating-only.csv").read_text(), model), model
    )
    reporting = _read("date,observed,temperature_f\n2027-02-01,25,\n", model)
    months, problems = monthly_savings(fitted, reporting)
    assert months == []
    assert [(p.code, p.line) for p in problems] == [("B931", 2)]


@pytest.mark.parametrize("grain", ["month", "day"])
def test_savings_fall_one_for_one_as_actual_use_rises(grain: str) -> None:
    fitted = fit_baseline(_read(FOUR_MONTHS), LINEAR)
    low = _read("start,end,observed,outage-hours\n2027-01-01,2027-02-01,10,5\n")
    high = _read("start,end,observed,outage-hours\n2027-01-01,2027-02-01,17.25,5\n")
    (a,), _ = monthly_savings(fitted, low, grain=grain)
    (b,), _ = monthly_savings(fitted, high, grain=grain)
    assert a.predicted == b.predicted == D("12.300")
    assert a.savings - b.savings == D("7.25")
