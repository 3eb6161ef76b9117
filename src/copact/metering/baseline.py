"""Fit a gainshare baseline (DESIGN §6.5) and judge whether it can settle.

The deal's ``gainshare.model`` picks the method:

* ``caltrack-daily``: the CalTRACK 2.0 daily method (:mod:`copact.metering.caltrack`) on usage
  per day against the day's mean temperature, after CalTRACK's data-sufficiency checks;
* ``caltrack-billing``: the same on billing periods, weighted by days (WLS). With one
  ``temperature_f`` per period copact takes the degree days of the period's mean temperature;
  eemeter averages daily degree days, which is the same when the temperature is constant
  within a period and close otherwise;
* ``linear``: ordinary least squares of the measure on the named drivers, per row
  (``grain: day``) or summed per calendar month (``grain: month``; IPMVP option B/C).

Every fit reports n, R², adjusted R², CV(RMSE) and NMBE as eemeter computes them (on usage per
day for CalTRACK; p = the parameters besides the intercept)::

    CV(RMSE) = √(Σ(ŷ − y)² / (n − p)) / ȳ        NMBE = Σ(ŷ − y) / Σy

A baseline is ``accepted`` when the data are sufficient, a model qualified and CV(RMSE) and
|NMBE| are within the deal's ``max-cvrmse`` and ``max-nmbe``. Its ``hash`` (SHA-256 of the method
and the rows it was fitted on, numbers normalised) identifies it: the baseline is locked by
that hash, and a different hash is a re-baseline (:func:`copact.core.gainshare.admit_baseline`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from copact.core.diagnostic import Diagnostic, Severity
from copact.core.mechanisms import BaselineModel
from copact.metering.baseline_data import BaselineData, BaselineRow
from copact.metering.caltrack import BILLING, DAILY, CaltrackFit, fit_caltrack
from copact.metering.caltrack import predict_usage_per_day as _predict

__all__ = [
    "METHOD",
    "FitStats",
    "FittedBaseline",
    "baseline_hash",
    "baseline_to_json",
    "fit_baseline",
]

METHOD = "copact-baseline/1 (CalTRACK 2.0, eemeter 2.10.11 rules)"
"""Part of every hash: a change of method is a change of baseline."""
Floats = NDArray[np.float64]
BaselineForm = Literal["intercept-only", "heating", "cooling", "heating-cooling", "linear"]


@dataclass(frozen=True, slots=True)
class FitStats:
    n: int
    r2: float
    adj_r2: float
    cvrmse: float
    nmbe: float


@dataclass(frozen=True, slots=True)
class FittedBaseline:
    """A fitted baseline, its statistics, whether it can settle and why not."""

    kind: str
    form: BaselineForm | None
    intercept: float | None
    beta_hdd: float | None
    beta_cdd: float | None
    heating_balance_point: int | None
    cooling_balance_point: int | None
    coefficients: dict[str, float]
    stats: FitStats | None
    accepted: bool
    hash: str
    findings: tuple[Diagnostic, ...]
    """Sufficiency and acceptance findings; any error means not accepted."""
    labels: tuple[date, ...]
    """The start of each fitted point (day, period or month), for plots."""
    observed: tuple[float, ...]
    predicted: tuple[float, ...]


def baseline_hash(data: BaselineData, model: BaselineModel) -> str:
    """``sha256:…`` of the method, the model's kind, drivers and grain and the rows' values."""
    doc = {
        "method": METHOD,
        "kind": model.kind,
        "drivers": list(model.drivers),
        "grain": model.grain,
        "columns": ["start", "end", "observed", *(data.drivers or ["temperature_f"])],
        "rows": [list(r.canonical) for r in data.rows],
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _finding(
    code: str, severity: Severity, message: str, hint: str, path: str, line: int = 1
) -> Diagnostic:
    return Diagnostic(code, severity, message, hint, path=path, line=line)


def _sufficiency(data: BaselineData) -> list[Diagnostic]:
    """CalTRACK 2.0 data sufficiency as eemeter's ``caltrack_sufficiency_criteria`` checks it."""
    rows = data.rows
    start, end = data.period or (rows[0].start, rows[-1].end)
    total = (end - start).days
    found: list[Diagnostic] = []
    if total != 365:
        found.append(
            _finding(
                "B920",
                Severity.ERROR,
                f"the baseline spans {total} days ({start} to {end - timedelta(days=1)}); "
                "CalTRACK needs 365",
                "give a year of data immediately before the project",
                data.path,
            )
        )
    valid = sum(r.days for r in rows if r.observed is not None and r.temperature_f is not None)
    with_usage = sum(r.days for r in rows if r.observed is not None)
    with_temp = sum(r.days for r in rows if r.temperature_f is not None)
    for count, what in (
        (valid, "usage and temperature"),
        (with_usage, "usage"),
        (with_temp, "temperature"),
    ):
        if total > 0 and count / total < 0.9:
            found.append(
                _finding(
                    "B921",
                    Severity.ERROR,
                    f"only {count} of {total} days have {what} ({count / total:.1%}); "
                    "CalTRACK needs 90%",
                    "fill the gaps from the meter's or the weather station's records",
                    data.path,
                )
            )
    negative = [r for r in rows if r.observed is not None and r.observed < 0]
    if negative:
        found.append(
            _finding(
                "B922",
                Severity.ERROR,
                f"{len(negative)} negative observed value(s), which may mean net metering",
                "CalTRACK 2.3.5: a baseline with negative usage cannot settle",
                data.path,
                negative[0].line,
            )
        )
    per_day = np.array([r.observed / r.days for r in rows if r.observed is not None])
    if per_day.size:
        q1, median, q3 = np.quantile(per_day, [0.25, 0.5, 0.75])
        limit = median + 3 * (q3 - q1)
        extreme = [r for r in rows if r.observed is not None and r.observed / r.days > limit]
        if extreme:
            found.append(
                _finding(
                    "B923",
                    Severity.WARNING,
                    f"{len(extreme)} extreme value(s) above median + 3 × IQR ({limit:.3f} a day)",
                    "CalTRACK 2.3.6: flag for manual review before the baseline is locked",
                    data.path,
                    extreme[0].line,
                )
            )
    return found


def _stats(y: Floats, predicted: Floats, n_parameters: int, r2: float, adj_r2: float) -> FitStats:
    n = int(y.shape[0])
    residuals = predicted - y
    mean = float(y.mean())
    dof = n - n_parameters
    rmse = float(np.sqrt((residuals**2).sum() / dof)) if dof > 0 else float("nan")
    cvrmse = rmse / mean if mean else float("nan")
    total = float(y.sum())
    nmbe = float(residuals.sum()) / total if total else float("nan")
    return FitStats(n, r2, adj_r2, cvrmse, nmbe)


def _complete(rows: tuple[BaselineRow, ...]) -> list[BaselineRow]:
    return [r for r in rows if r.observed is not None and r.temperature_f is not None]


def _fit_caltrack(
    data: BaselineData, model: BaselineModel
) -> tuple[CaltrackFit | None, list[BaselineRow], Floats, Floats]:
    rows = _complete(data.rows)
    days = np.array([r.days for r in rows], dtype=np.float64)
    y = np.array([r.observed for r in rows], dtype=np.float64) / days
    temp = np.array([r.temperature_f for r in rows], dtype=np.float64)
    billing = model.kind == "caltrack-billing"
    fit = fit_caltrack(
        y, temp, weights=days if billing else None, settings=BILLING if billing else DAILY
    )
    return fit, rows, y, temp


def _month_rows(data: BaselineData, grain: str | None) -> tuple[list[date], Floats, Floats]:
    """The linear model's points: rows as they are, or summed per calendar month."""
    keys: list[date] = []
    sums: dict[date, list[float]] = {}
    for r in data.rows:
        key = r.start.replace(day=1) if grain == "month" else r.start
        values = [r.observed or 0.0, *(d or 0.0 for d in r.drivers)]
        if key not in sums:
            keys.append(key)
            sums[key] = values
        else:
            sums[key] = [a + b for a, b in zip(sums[key], values, strict=True)]
    table = np.array([sums[k] for k in keys], dtype=np.float64).reshape(len(keys), -1)
    return keys, table[:, 0], table[:, 1:]


def fit_baseline(data: BaselineData, model: BaselineModel) -> FittedBaseline:
    """Fit the deal's baseline model on clean data (see :func:`read_baseline_data`)."""
    digest = baseline_hash(data, model)
    findings: list[Diagnostic] = []
    coefficients: dict[str, float] = {}
    if model.kind == "linear":
        labels, y, x = _month_rows(data, model.grain)
        n, p = x.shape
        design = np.column_stack([np.ones(n), x])
        if n < p + 2:
            findings.append(
                _finding(
                    "B927",
                    Severity.ERROR,
                    f"{n} points for {p} driver(s) and an intercept: too few to judge a fit",
                    "give at least p + 2 points (a year of months for one driver is 12)",
                    data.path,
                )
            )
            return FittedBaseline(
                model.kind, None, None, None, None, None, None, {}, None, False, digest,
                tuple(findings), tuple(labels), tuple(y.tolist()), (),
            )  # fmt: skip
        solution, *_ = np.linalg.lstsq(design, y, rcond=None)
        predicted = design @ solution
        ssr = float(((y - predicted) ** 2).sum())
        sst = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - ssr / sst if sst else 0.0
        adj = 1.0 - (1.0 - r2) * (n - 1) / (n - p - 1)
        stats = _stats(y, predicted, p, r2, adj)
        coefficients = {d: float(b) for d, b in zip(model.drivers, solution[1:], strict=True)}
        form: BaselineForm | None = "linear"
        intercept: float | None = float(solution[0])
        beta_hdd = beta_cdd = None
        hbp = cbp = None
        fitted_labels = labels
    else:
        findings += _sufficiency(data)
        fit, rows, y, temp = _fit_caltrack(data, model)
        fitted_labels = [r.start for r in rows]
        if fit is None:
            findings.append(
                _finding(
                    "B924",
                    Severity.ERROR,
                    "no CalTRACK candidate model qualified",
                    "check the usage: is it negative, or does no coefficient come out positive?",
                    data.path,
                )
            )
            return FittedBaseline(
                model.kind, None, None, None, None, None, None, {}, None, False, digest,
                tuple(findings), tuple(fitted_labels), tuple(y.tolist()), (),
            )  # fmt: skip
        predicted = _predict(fit, temp)
        stats = _stats(y, predicted, fit.n_parameters, fit.r2, fit.adj_r2)
        form = fit.form
        intercept = fit.intercept
        beta_hdd, beta_cdd = fit.beta_hdd, fit.beta_cdd
        hbp, cbp = fit.heating_balance_point, fit.cooling_balance_point
    if model.max_cvrmse is not None and not stats.cvrmse <= float(model.max_cvrmse.fraction):
        findings.append(
            _finding(
                "B925",
                Severity.ERROR,
                f"CV(RMSE) {stats.cvrmse:.2%} is above the deal's max-cvrmse {model.max_cvrmse}",
                "a baseline this noisy cannot settle: add drivers or data, or renegotiate",
                data.path,
            )
        )
    if model.max_nmbe is not None and not abs(stats.nmbe) <= float(model.max_nmbe.fraction):
        findings.append(
            _finding(
                "B926",
                Severity.ERROR,
                f"NMBE {stats.nmbe:.2%} is outside the deal's max-nmbe ±{model.max_nmbe}",
                "the model is biased over the baseline period",
                data.path,
            )
        )
    accepted = not any(f.severity == Severity.ERROR for f in findings)
    return FittedBaseline(
        model.kind, form, intercept, beta_hdd, beta_cdd, hbp, cbp, coefficients, stats,
        accepted, digest, tuple(findings), tuple(fitted_labels), tuple(y.tolist()),
        tuple(predicted.tolist()),
    )  # fmt: skip


def _number(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else value


def baseline_to_json(deal: str, fitted: FittedBaseline) -> dict[str, Any]:
    """The ``copact baseline --format json`` document (DESIGN §11)."""
    stats = fitted.stats
    return {
        "deal": deal,
        "model": {
            "kind": fitted.kind,
            "form": fitted.form,
            "intercept": _number(fitted.intercept),
            "beta_hdd": _number(fitted.beta_hdd),
            "beta_cdd": _number(fitted.beta_cdd),
            "heating_balance_point": fitted.heating_balance_point,
            "cooling_balance_point": fitted.cooling_balance_point,
            "coefficients": {k: _number(v) for k, v in fitted.coefficients.items()},
        },
        "fit": {
            "n": stats.n if stats else len(fitted.observed),
            "r2": _number(stats.r2) if stats else None,
            "adj_r2": _number(stats.adj_r2) if stats else None,
            "cvrmse": _number(stats.cvrmse) if stats else None,
            "nmbe": _number(stats.nmbe) if stats else None,
        },
        "accepted": fitted.accepted,
        "hash": fitted.hash,
    }
