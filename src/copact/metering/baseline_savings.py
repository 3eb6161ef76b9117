"""From a fitted baseline and a reporting period's data to monthly savings for gainshare.

The reporting data has the baseline's CSV format: ``observed`` is the actual use, the drivers
(or ``temperature_f``) are what the baseline is adjusted for. Per calendar month::

    predicted = Σ over its rows of the baseline at that row's conditions
                (CalTRACK: usage per day at the day's temperature × days in the row;
                 linear: intercept + Σ βᵢ·driverᵢ over the month's summed drivers)
    actual    = Σ observed (exact, from the file's decimal text)

Predictions are floats from the regression, rounded half-even to 0.001 of the measure before
they become the Decimals that :func:`copact.core.gainshare.settle_gainshare` turns into money.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from copact.core.diagnostic import Diagnostic, Severity
from copact.core.gainshare import MonthSavings
from copact.metering.baseline import FittedBaseline
from copact.metering.baseline_data import BaselineData, BaselineRow
from copact.metering.caltrack import CaltrackFit, predict_usage_per_day

__all__ = ["PRECISION", "monthly_savings"]

PRECISION = Decimal("0.001")
"""Predicted use is rounded to this before it becomes a Decimal."""


def _quantity(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(PRECISION, rounding=ROUND_HALF_EVEN)


def _linear(fitted: FittedBaseline, drivers: tuple[float | None, ...]) -> float:
    pairs = zip(fitted.coefficients.values(), drivers, strict=True)
    return (fitted.intercept or 0.0) + sum(b * (x or 0.0) for b, x in pairs)


def _predict_row(fitted: FittedBaseline, row: BaselineRow) -> float:
    if fitted.kind == "linear":
        return _linear(fitted, row.drivers)
    assert fitted.form is not None and fitted.form != "linear" and fitted.intercept is not None
    fit = CaltrackFit(
        fitted.form,
        fitted.intercept,
        fitted.beta_hdd,
        fitted.beta_cdd,
        fitted.heating_balance_point,
        fitted.cooling_balance_point,
        0.0,
        0.0,
        0,
    )
    per_day = predict_usage_per_day(fit, np.array([row.temperature_f], dtype=np.float64))
    return float(per_day[0]) * row.days


def monthly_savings(
    fitted: FittedBaseline, data: BaselineData, *, grain: str | None = None
) -> tuple[list[MonthSavings], list[Diagnostic]]:
    """Predicted and actual use per calendar month of the reporting data (first day of month).

    ``grain`` is the model's: a linear baseline fitted per month predicts once per month from
    the month's summed drivers (its intercept is a month's worth), otherwise row by row.
    A row without an actual or a temperature cannot be settled: it is a finding, not a guess.
    """
    problems: list[Diagnostic] = []
    if fitted.form is None or fitted.intercept is None:
        problems.append(
            Diagnostic(
                "B930",
                Severity.ERROR,
                "the baseline has no model to predict with",
                "fit an accepted baseline first",
                path=data.path,
            )
        )
        return [], problems
    predicted: dict[date, float] = {}
    actual: dict[date, Decimal] = {}
    drivers: dict[date, list[float]] = {}
    monthly = fitted.kind == "linear" and grain == "month"
    for row in data.rows:
        if row.observed is None or (fitted.kind != "linear" and row.temperature_f is None):
            problems.append(
                Diagnostic(
                    "B931",
                    Severity.ERROR,
                    f"{row.start}: no actual or no temperature, so no savings can be computed",
                    "a reporting month needs every day's use and temperature",
                    path=data.path,
                    line=row.line,
                )
            )
            continue
        month = row.start.replace(day=1)
        actual[month] = actual.get(month, Decimal(0)) + Decimal(row.canonical[2])
        if monthly:
            summed = drivers.setdefault(month, [0.0] * len(row.drivers))
            drivers[month] = [a + (b or 0.0) for a, b in zip(summed, row.drivers, strict=True)]
        else:
            predicted[month] = predicted.get(month, 0.0) + _predict_row(fitted, row)
    if problems:
        return [], problems
    for month, sums in drivers.items():
        predicted[month] = _linear(fitted, tuple(sums))
    return [MonthSavings(m, _quantity(predicted[m]), actual[m]) for m in sorted(predicted)], []
