"""Returns on dated flows: XNPV, XIRR, peak exposure and payback (DESIGN §7).

Discounting is a spreadsheet's XNPV: DF = (1 + r)^(−days/365), days counted from the deal's
``effective`` date. Rates and NPVs are floats (they are measures, not amounts anyone pays);
the flows they are computed from stay exact until this point::

    >>> xnpv(0.10, [(date(2026, 1, 1), -100.0), (date(2027, 1, 1), 110.0)], start=date(2026, 1, 1))
    0.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from itertools import groupby

import numpy as np

__all__ = ["end_of_day_positions", "irr_of_days", "payback", "peak_exposure", "xirr", "xnpv"]

Dated = Sequence[tuple[date, float]]


def _days(flows: Dated, start: date) -> np.ndarray:
    return np.array([(d - start).days for d, _ in flows], dtype=float)


def xnpv(rate: float, flows: Dated, *, start: date) -> float:
    """The net present value of dated flows at an annual effective ``rate``."""
    if not flows:
        return 0.0
    amounts = np.array([a for _, a in flows], dtype=float)
    return float(np.sum(amounts * (1.0 + rate) ** (-_days(flows, start) / 365.0)))


def xirr(flows: Dated, *, start: date) -> float | None:
    """The annual rate at which the XNPV is zero; None when the flows never change sign
    (or no rate between −99.99 % and 10⁶ % solves it)."""
    amounts = np.array([a for _, a in flows], dtype=float)
    return irr_of_days(amounts, _days(flows, start))


def irr_of_days(amounts: np.ndarray, days: np.ndarray) -> float | None:
    """:func:`xirr` on arrays: amounts and their days from the start date."""
    if amounts.size == 0 or not (np.any(amounts > 0) and np.any(amounts < 0)):
        return None
    years = days / 365.0

    def npv(r: float) -> float:
        return float(np.sum(amounts * np.exp(-years * np.log1p(r))))

    grid = np.concatenate([np.linspace(-0.9999, 1.0, 400), np.geomspace(1.0, 1e4, 200)[1:]])
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.exp(-np.outer(np.log1p(grid), years)) @ amounts
    values = np.nan_to_num(values, nan=0.0, posinf=np.inf, neginf=-np.inf)
    signs = np.sign(values)
    change = np.nonzero(signs[:-1] * signs[1:] < 0)[0]
    if change.size == 0:
        return None
    lo, hi = float(grid[change[0]]), float(grid[change[0] + 1])
    f_lo = npv(lo)
    for _ in range(200):  # bisection: slow but certain, on a bracket that is already tight
        mid = (lo + hi) / 2
        f_mid = npv(mid)
        if abs(f_mid) < 1e-9 or hi - lo < 1e-12:
            return mid
        if (f_mid < 0) == (f_lo < 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return (lo + hi) / 2


def end_of_day_positions(flows: Dated) -> list[tuple[date, float]]:
    """The cumulative undiscounted position at the end of each day with a flow, in day order.

    A day's flows are summed with :func:`math.fsum` (exactly rounded), so the order in which
    they are listed changes neither the positions nor anything read from them: a fee and a
    benefit on the same day are one net movement, not a dip and a recovery::

        >>> end_of_day_positions([(date(2027, 5, 1), 6000.0), (date(2027, 5, 1), -4000.0)])
        [(datetime.date(2027, 5, 1), 2000.0)]
    """
    positions: list[tuple[date, float]] = []
    total = 0.0
    for day, same_day in groupby(sorted(flows, key=lambda f: f[0]), key=lambda f: f[0]):
        total += math.fsum(a for _, a in same_day)
        positions.append((day, total))
    return positions


def peak_exposure(flows: Dated) -> float:
    """The most negative position at the end of a day (0 when it never goes negative)."""
    return min([0.0, *(p for _, p in end_of_day_positions(flows))])


def payback(flows: Dated) -> date | None:
    """The first day whose closing position is non-negative after one that was negative."""
    been_negative = False
    for day, position in end_of_day_positions(flows):
        if position < 0:
            been_negative = True
        elif been_negative:
            return day
    return None
