"""The CalTRACK 2.0 usage-per-day model, as OpenEEmeter 2.10.11 fits it, batched with numpy.

Usage per day ``u`` is explained by heating and cooling degree days of the day's mean
temperature ``T`` at a balance point ``b``: ``hdd_b = max(b − T, 0)``, ``cdd_b = max(T − b, 0)``.
The candidates are eemeter's, in eemeter's order (the first of equal adjusted R² wins):

=================  ==========================  ============================================
form               formula                     qualifies when
=================  ==========================  ============================================
intercept-only     u = a                       a ≥ 0 (adjusted R² counts as 0)
heating            u = a + β_h·hdd_h           ≥ 10 non-zero hdd days, Σ hdd·days ≥ 20,
                                               a ≥ 0, β_h ≥ 0, p(β_h) ≤ max p
cooling            u = a + β_c·cdd_c           the same for cdd
heating-cooling    u = a + β_h·hdd_h + β_c·cdd_c  both of the above, h ≤ c
=================  ==========================  ============================================

with ``h`` and ``c`` each in 30…90 °F by 1 °F. The qualified candidate with the highest adjusted
R² is the model. The billing variant (``weights`` = days per period) is weighted least squares
with no minimum count of non-zero degree days (CalTRACK 3.2.2.2, eemeter's billing presets).

eemeter fits each of the 1,953 candidates with a statsmodels formula; here every candidate of a
form is solved at once from centred weighted cross products (closed forms of the 1- and
2-regressor normal equations), which is the same arithmetic in a few matrix products.

The p-value limit: CalTRACK 2.0 asks only for positive coefficients; the significance test
(p < 0.1) was CalTRACK 1.0's, and eemeter keeps it as an argument "for backwards compatibility
with CalTRACK 1.0 methods", defaulting to 1 (no test). copact does the same (:data:`DAILY`), so
it agrees with eemeter's defaults on the same data; ``CaltrackSettings`` still takes 0.1 for a
deal that wants the 1.0 screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BILLING",
    "DAILY",
    "CaltrackFit",
    "CaltrackSettings",
    "Form",
    "degree_days",
    "fit_caltrack",
    "predict_usage_per_day",
]

Form = Literal["intercept-only", "heating", "cooling", "heating-cooling"]
Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CaltrackSettings:
    """eemeter's ``fit_caltrack_usage_per_day_model`` arguments, CalTRACK 2.0 defaults."""

    balance_points: tuple[int, ...] = tuple(range(30, 91))
    minimum_non_zero_hdd: int = 10
    minimum_non_zero_cdd: int = 10
    minimum_total_hdd: float = 20.0
    minimum_total_cdd: float = 20.0
    maximum_p_value: float = 1.0
    fit_cdd: bool = True


DAILY = CaltrackSettings()
"""CalTRACK 2.0 daily: eemeter 2.10.11's defaults (positive coefficients, no p-value screen)."""
BILLING = CaltrackSettings(minimum_non_zero_hdd=0, minimum_non_zero_cdd=0)
"""CalTRACK 2.0 billing: eemeter's ``use_billing_presets`` (totals still ≥ 20 degree days)."""


@dataclass(frozen=True, slots=True)
class CaltrackFit:
    """The selected candidate: its coefficients, R² and adjusted R², and the search's size."""

    form: Form
    intercept: float
    beta_hdd: float | None
    beta_cdd: float | None
    heating_balance_point: int | None
    cooling_balance_point: int | None
    r2: float
    adj_r2: float
    n: int
    qualified: int = field(default=1)

    @property
    def n_parameters(self) -> int:
        """Parameters besides the intercept (eemeter's ``num_parameters``)."""
        return (self.beta_hdd is not None) + (self.beta_cdd is not None)


def degree_days(temperature: Floats, balance_points: Floats) -> tuple[Floats, Floats]:
    """Heating and cooling degree days, one column per balance point: shape (n, k) each."""
    diff = balance_points[None, :] - temperature[:, None]
    return np.maximum(diff, 0.0), np.maximum(-diff, 0.0)


def predict_usage_per_day(fit: CaltrackFit, temperature: Floats) -> Floats:
    """Usage per day the model predicts at the given daily mean temperatures."""
    usage = np.full(temperature.shape, fit.intercept, dtype=np.float64)
    if fit.beta_hdd is not None and fit.heating_balance_point is not None:
        usage += fit.beta_hdd * np.maximum(fit.heating_balance_point - temperature, 0.0)
    if fit.beta_cdd is not None and fit.cooling_balance_point is not None:
        usage += fit.beta_cdd * np.maximum(temperature - fit.cooling_balance_point, 0.0)
    return usage


def _p_values(t_stat: Floats, dof: float) -> Floats:
    # imported here: scipy.stats takes a second to import, and every copact command would pay
    # it at start, fitting a baseline or not
    from scipy.stats import t as student_t  # type: ignore[import-untyped]

    result: Floats = 2.0 * student_t.sf(np.abs(t_stat), dof)
    return result


@dataclass(frozen=True, slots=True)
class _Best:
    adj_r2: float
    fit: CaltrackFit


def _better(best: _Best | None, adj: float) -> bool:
    return best is None or adj > best.adj_r2


def fit_caltrack(
    usage_per_day: Floats,
    temperature: Floats,
    *,
    weights: Floats | None = None,
    settings: CaltrackSettings = DAILY,
) -> CaltrackFit | None:
    """The CalTRACK model of complete rows (no NaN), or None when no candidate qualifies.

    ``weights`` are the days of each billing period (WLS); None fits daily rows by OLS.
    """
    y = np.asarray(usage_per_day, dtype=np.float64)
    temp = np.asarray(temperature, dtype=np.float64)
    n = int(y.shape[0])
    if n == 0:
        return None
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    bps = np.asarray(settings.balance_points, dtype=np.float64)
    hdd, cdd = degree_days(temp, bps)

    w_sum = float(w.sum())
    y_mean = float(w @ y) / w_sum
    yc = y - y_mean
    syy = float(w @ (yc * yc))
    best: _Best | None = None
    qualified = 0

    # intercept-only: eemeter gives it an adjusted R² of 0 and rejects a negative mean
    if y_mean >= 0:
        qualified += 1
        best = _Best(
            0.0, CaltrackFit("intercept-only", y_mean, None, None, None, None, 0.0, 0.0, n)
        )

    def usable(dd: Floats, minimum_non_zero: int, minimum_total: float) -> NDArray[np.bool_]:
        non_zero = (dd > 0).sum(axis=0)
        total = w @ dd if weights is not None else dd.sum(axis=0)
        ok: NDArray[np.bool_] = (non_zero >= minimum_non_zero) & (total >= minimum_total)
        return ok

    ok_h = usable(hdd, settings.minimum_non_zero_hdd, settings.minimum_total_hdd)
    ok_c = usable(cdd, settings.minimum_non_zero_cdd, settings.minimum_total_cdd)
    means_h = (w @ hdd) / w_sum
    means_c = (w @ cdd) / w_sum
    hc = hdd - means_h
    cc = cdd - means_c
    wy = w * yc
    s_hy = wy @ hc
    s_cy = wy @ cc
    s_hh = w @ (hc * hc)
    s_cc = w @ (cc * cc)
    max_p = settings.maximum_p_value

    # one regressor: heating candidates, then cooling ones (eemeter's order)
    singles: list[tuple[Form, NDArray[np.bool_], Floats, Floats, Floats]] = [
        ("heating", ok_h, s_hh, s_hy, means_h)
    ]
    if settings.fit_cdd:
        singles.append(("cooling", ok_c, s_cc, s_cy, means_c))
    dof1 = n - 2
    for form, ok, sxx, sxy, means in singles:
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = sxy / sxx
            ssr = np.maximum(syy - beta * sxy, 0.0)
            intercept = y_mean - beta * means
            r2 = 1.0 - ssr / syy
            adj = 1.0 - (n - 1) / dof1 * (1.0 - r2)
            p = _p_values(beta / np.sqrt(ssr / dof1 / sxx), dof1) if dof1 > 0 else beta * np.nan
        good = ok & (sxx > 0) & (beta >= 0) & (intercept >= 0) & ~(p > max_p) & np.isfinite(adj)
        qualified += int(good.sum())
        if good.any():
            i = int(np.flatnonzero(good)[np.argmax(adj[good])])
            if _better(best, float(adj[i])):
                bp = int(bps[i])
                heating = form == "heating"
                best = _Best(
                    float(adj[i]),
                    CaltrackFit(
                        form,
                        float(intercept[i]),
                        float(beta[i]) if heating else None,
                        None if heating else float(beta[i]),
                        bp if heating else None,
                        None if heating else bp,
                        float(r2[i]),
                        float(adj[i]),
                        n,
                    ),
                )

    if settings.fit_cdd:
        best, count = _fit_combined(
            best, n, w, hc, cc, s_hh, s_cc, s_hy, s_cy, syy, y_mean, means_h, means_c,
            ok_h, ok_c, bps, max_p,
        )  # fmt: skip
        qualified += count
    if best is None:
        return None
    fit = best.fit
    return CaltrackFit(
        fit.form,
        fit.intercept,
        fit.beta_hdd,
        fit.beta_cdd,
        fit.heating_balance_point,
        fit.cooling_balance_point,
        fit.r2,
        fit.adj_r2,
        n,
        qualified,
    )


def _fit_combined(
    best: _Best | None,
    n: int,
    w: Floats,
    hc: Floats,
    cc: Floats,
    s_hh: Floats,
    s_cc: Floats,
    s_hy: Floats,
    s_cy: Floats,
    syy: float,
    y_mean: float,
    means_h: Floats,
    means_c: Floats,
    ok_h: NDArray[np.bool_],
    ok_c: NDArray[np.bool_],
    bps: Floats,
    max_p: float,
) -> tuple[_Best | None, int]:
    """Every (heating h, cooling c) pair with h ≤ c at once: the 2×2 normal equations."""
    k = bps.shape[0]
    # rows: cooling balance point (eemeter's outer loop), columns: heating balance point
    s_hc = (cc * w[:, None]).T @ hc  # (k_c, k_h)
    hh = s_hh[None, :]
    ccv = s_cc[:, None]
    det = hh * ccv - s_hc * s_hc
    dof = n - 3
    with np.errstate(divide="ignore", invalid="ignore"):
        beta_h = (ccv * s_hy[None, :] - s_hc * s_cy[:, None]) / det
        beta_c = (hh * s_cy[:, None] - s_hc * s_hy[None, :]) / det
        ssr = np.maximum(syy - beta_h * s_hy[None, :] - beta_c * s_cy[:, None], 0.0)
        intercept = y_mean - beta_h * means_h[None, :] - beta_c * means_c[:, None]
        r2 = 1.0 - ssr / syy
        adj = 1.0 - (n - 1) / dof * (1.0 - r2)
        sigma2 = ssr / dof
        p_h = _p_values(beta_h / np.sqrt(sigma2 * ccv / det), dof)
        p_c = _p_values(beta_c / np.sqrt(sigma2 * hh / det), dof)
    pair_ok = np.tril(np.ones((k, k), dtype=bool))  # heating ≤ cooling
    good = (
        pair_ok
        & ok_c[:, None]
        & ok_h[None, :]
        & (det > 0)
        & (beta_h >= 0)
        & (beta_c >= 0)
        & (intercept >= 0)
        & ~(p_h > max_p)
        & ~(p_c > max_p)
        & np.isfinite(adj)
    )
    count = int(good.sum())
    if dof <= 0 or count == 0:
        return best, 0
    flat = np.where(good, adj, -np.inf).ravel()
    i = int(np.argmax(flat))  # the first maximum in eemeter's (cooling, heating) order
    if not _better(best, float(flat[i])):
        return best, count
    c, h = divmod(i, k)
    return _Best(
        float(flat[i]),
        CaltrackFit(
            "heating-cooling",
            float(intercept[c, h]),
            float(beta_h[c, h]),
            float(beta_c[c, h]),
            int(bps[h]),
            int(bps[c]),
            float(r2[c, h]),
            float(adj[c, h]),
            n,
        ),
    ), count
