"""Monte Carlo of a deal (DESIGN §7), vectorised with numpy over runs.

Per run, milestone i (in due-date order) passes with probability pᵢ and slips by a triangular
number of days; slips carry forward. The first failed milestone triggers the missed-milestone
exit: it and everything after it is cancelled, the supplier keeps the cost of the failed work,
and the unused advance is refunded less min(that cost, deduction-cap × unused) (§8). Costs scale
by one triangular overrun per run, business-case flows by a triangular multiplier per label.

How it stays fast: a flow's present value in a run is its planned value, discounted once,
times a factor that depends only on the run's draws — the discount of its milestone's slip,
whether it survives the exit, and its cost or benefit multiplier. So flows are summed into a
few groups that share those factors, and each run costs a handful of operations per group, not
per flow. Peak exposure and IRR need each run's whole time line; they are computed flow by flow
on up to 2,000 evenly spaced runs (the same draws), which the tests check against the groups.

Modelling choices where the design is silent:
- recurring fees and business-case benefits shift by the last milestone's slip and are paid
  only when the deal completes (the upside depends on the deliverable);
- a failed milestone's cost is incurred (it is the claimed work), later ones are not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from copact.core.deal import Deal
from copact.core.invoicing import advance_amount, invoice_amounts, settlement_order
from copact.finance.assumptions import Assumptions
from copact.finance.flows import Flow, planned_flows
from copact.finance.returns import irr_of_days

__all__ = [
    "Model",
    "PartyStats",
    "SimulationResult",
    "build_model",
    "end_of_day_lows",
    "simulate",
]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]
Tri = tuple[float, float, float]
_CHUNK = 50_000
_SAMPLE = 2_000

# how a flow survives the exit: always, before the failure, up to and including the failure
# (the failed milestone's cost), or only when the deal completes
ALWAYS, BEFORE, THROUGH, COMPLETION = range(4)


@dataclass(frozen=True)
class PartyFlows:
    amount: Floats
    day: Floats  # days from effective, before slips
    milestone: Ints  # the milestone a flow depends on, −1 for none
    survival: Ints  # ALWAYS, BEFORE, THROUGH or COMPLETION
    is_cost: Bools
    scale: Ints  # index of its label's multiplier, −1 for none
    # the groups: one row per distinct (milestone, survival, is_cost, scale)
    g_value: Floats  # Σ amount × planned discount factor
    g_milestone: Ints
    g_survival: Ints
    g_cost: Bools
    g_scale: Ints


@dataclass(frozen=True)
class Model:
    """The arrays of one deal that every run reuses."""

    deal: Deal
    rate: float
    due: Floats
    p_pass: Floats
    slip: Floats  # (M, 3) min, mode, max days
    overrun: Tri
    scales: list[Tri]
    parties: dict[str, PartyFlows]
    buyer: str
    supplier: str
    advance: float
    invoice: Floats
    cost: Floats
    deduction_cap: float | None


def _survival(flow: Flow, linked: bool) -> int:
    if flow.kind in ("fee", "benefit"):
        return COMPLETION
    if not linked:
        return ALWAYS
    return THROUGH if flow.kind == "cost" else BEFORE


def _party(
    deal: Deal, items: list[Flow], index: dict[str, int], labels: list[str], k: float
) -> PartyFlows:
    amount = np.array([float(f.amount.amount) for f in items])
    day = np.array([(f.date - deal.effective).days for f in items], dtype=float)
    milestone = np.array([index.get(f.milestone or "", -1) for f in items], dtype=np.int64)
    survival = np.array([_survival(f, f.milestone in index) for f in items], dtype=np.int64)
    is_cost = np.array([f.kind == "cost" for f in items], dtype=bool)
    scale = np.array(
        [labels.index(f.label) if f.label in labels else -1 for f in items], dtype=np.int64
    )
    keys = (
        np.stack([milestone, survival, is_cost.astype(np.int64), scale], axis=1)
        if items
        else np.zeros((0, 4), dtype=np.int64)
    )
    groups, inverse = np.unique(keys, axis=0, return_inverse=True)
    value = np.zeros(len(groups))
    np.add.at(value, inverse.reshape(-1), amount * np.exp(-day * k))
    return PartyFlows(
        amount,
        day,
        milestone,
        survival,
        is_cost,
        scale,
        value,
        groups[:, 0],
        groups[:, 1],
        groups[:, 2].astype(bool),
        groups[:, 3],
    )


def build_model(deal: Deal, assumptions: Assumptions) -> Model:
    """Everything about ``deal`` a run needs, as arrays."""
    order = [m for m in settlement_order(deal) if m.due is not None]
    index = {m.id: i for i, m in enumerate(order)}
    specs = [assumptions.for_milestone(m.id) for m in order]
    labels = sorted(assumptions.flows)
    rate_pct = deal.business_case.discount_rate if deal.business_case else None
    rate = float(rate_pct.fraction) if rate_pct else 0.0
    k = float(np.log1p(rate)) / 365.0
    flows = planned_flows(deal)
    cost = np.zeros(len(order))
    for items in flows.values():
        for f in items:
            if f.kind == "cost" and f.milestone in index:
                cost[index[f.milestone]] += -float(f.amount.amount)
    invoices = invoice_amounts(deal) if deal.milestones else {}
    refund = deal.exit.prepaid_refund if deal.exit else None
    return Model(
        deal=deal,
        rate=rate,
        due=np.array([float((m.due - deal.effective).days) for m in order if m.due]),
        p_pass=np.array([float(s.pass_.fraction) for s in specs]),
        slip=np.array([s.slip_days for s in specs], dtype=float).reshape(len(order), 3),
        overrun=assumptions.overrun,
        scales=[assumptions.flows[label] for label in labels],
        parties={p: _party(deal, items, index, labels, k) for p, items in flows.items()},
        buyer=deal.buyers[0].id,
        supplier=deal.suppliers[0].id,
        advance=float(advance_amount(deal).amount) if deal.prepaid else 0.0,
        invoice=np.array([float(invoices[m.id].amount) for m in order]),
        cost=cost,
        deduction_cap=float(refund.deduction_cap.fraction)
        if refund and refund.deduction_cap
        else None,
    )


def _triangular(rng: np.random.Generator, spec: Tri, size: int) -> Floats:
    lo, mode, hi = spec
    if hi <= lo:
        return np.full(size, lo)
    return rng.triangular(lo, mode, hi, size=size)


@dataclass(frozen=True)
class Draws:
    """One chunk of runs: what happened to each milestone, and the multipliers."""

    cum: Floats  # (R, M) cumulative slip days
    first_fail: Ints  # (R,) index of the first failed milestone, M when none failed
    failed: Bools
    fail_day: Floats
    overrun: Floats  # (R,) cost multiplier
    scales: Floats  # (R, L)
    refund: Floats  # (R,) supplier → buyer on failure

    @property
    def total_slip(self) -> Floats:
        return self.cum[:, -1] if self.cum.shape[1] else np.zeros(len(self.failed))


def draw(model: Model, rng: np.random.Generator, runs: int) -> Draws:
    m = len(model.due)
    passed = rng.random((runs, m)) < model.p_pass
    slips = np.empty((runs, m))
    for i in range(m):
        lo, mode, hi = model.slip[i]
        slips[:, i] = _triangular(rng, (lo, mode, hi), runs)
    cum = np.cumsum(slips, axis=1)
    failed: Bools = np.asarray(~passed.all(axis=1), dtype=bool)
    first_fail = np.where(failed, np.argmax(~passed, axis=1), m).astype(np.int64)
    overrun = 1.0 + _triangular(rng, model.overrun, runs)
    scales = np.empty((runs, len(model.scales)))
    for j, spec in enumerate(model.scales):
        scales[:, j] = _triangular(rng, spec, runs)
    rows = np.arange(runs)
    at = np.minimum(first_fail, max(m - 1, 0))
    fail_day = np.where(failed, model.due[at] + cum[rows, at], 0.0) if m else np.zeros(runs)
    done = np.arange(m)[None, :] < first_fail[:, None]
    unused = model.advance - np.minimum(model.advance, done.astype(float) @ model.invoice)
    claimed = np.where(failed, model.cost[at] * overrun, 0.0) if m else np.zeros(runs)
    limit = unused * model.deduction_cap if model.deduction_cap is not None else unused
    refund = np.where(failed, unused - np.minimum(claimed, limit), 0.0)
    return Draws(cum, first_fail, failed, fail_day, overrun, scales, refund)


def _alive(survival: Ints, milestone: Ints, d: Draws) -> Bools:
    """(R, N) whether each of N flows (or groups) survives in each run."""
    ff = d.first_fail[:, None]
    pos = milestone[None, :]
    return np.select(
        [survival == ALWAYS, survival == BEFORE, survival == THROUGH],
        [np.ones_like(ff + pos, dtype=bool), pos < ff, pos <= ff],
        default=~d.failed[:, None] & np.ones_like(pos, dtype=bool),
    )


def _shift(survival: Ints, milestone: Ints, d: Draws) -> Floats:
    cum = np.concatenate([np.zeros((len(d.failed), 1)), d.cum], axis=1)  # column 0: no shift
    shift = cum[:, milestone + 1]
    return np.where(survival[None, :] == COMPLETION, d.total_slip[:, None], shift)


def _multiplier(is_cost: Bools, scale: Ints, d: Draws) -> Floats:
    factor = np.where(is_cost[None, :], d.overrun[:, None], 1.0)
    if d.scales.shape[1]:
        factor = factor * np.where(scale >= 0, d.scales[:, np.maximum(scale, 0)], 1.0)
    return factor


def _refund_sign(model: Model, party: str) -> float:
    return 1.0 if party == model.buyer else (-1.0 if party == model.supplier else 0.0)


def npv_by_groups(model: Model, d: Draws) -> dict[str, Floats]:
    """Each party's NPV in each run of ``d``, from the flow groups."""
    k = np.log1p(model.rate) / 365.0
    out = {}
    for party, pf in model.parties.items():
        factor = (
            _alive(pf.g_survival, pf.g_milestone, d)
            * np.exp(-_shift(pf.g_survival, pf.g_milestone, d) * k)
            * _multiplier(pf.g_cost, pf.g_scale, d)
        )
        npv = factor @ pf.g_value
        npv += _refund_sign(model, party) * d.refund * np.exp(-d.fail_day * k)
        out[party] = npv
    return out


def flows_by_run(model: Model, d: Draws, party: str) -> tuple[Floats, Floats]:
    """(amount, day) of every flow of ``party`` in each run of ``d``, the refund last."""
    pf = model.parties[party]
    amount = _alive(pf.survival, pf.milestone, d) * _multiplier(pf.is_cost, pf.scale, d) * pf.amount
    day = pf.day[None, :] + _shift(pf.survival, pf.milestone, d)
    sign = _refund_sign(model, party)
    amount = np.concatenate([amount, (sign * d.refund)[:, None]], axis=1)
    day = np.concatenate([day, d.fail_day[:, None]], axis=1)
    return amount, day


def _subset(d: Draws, rows: Ints) -> Draws:
    return Draws(
        d.cum[rows],
        d.first_fail[rows],
        d.failed[rows],
        d.fail_day[rows],
        d.overrun[rows],
        d.scales[rows],
        d.refund[rows],
    )


@dataclass(frozen=True)
class PartyStats:
    mean: float
    std: float
    p5: float
    p50: float
    p95: float
    p_loss: float
    irr_p50: float | None
    peak_exposure_p95: float


@dataclass(frozen=True)
class SimulationResult:
    runs: int
    seed: int
    completion: float
    parties: dict[str, PartyStats]
    npv: dict[str, Floats]


def end_of_day_lows(amount: Floats, day: Floats) -> Floats:
    """Per run (row), the lowest position at the end of a day, or 0 when it never goes negative
    (DESIGN §7). A slipped flow falls on the day its fractional day number is in, and a day's
    flows count together, so a fee and a benefit on the same day never dip in between."""
    if amount.shape[1] == 0:
        return np.zeros(amount.shape[0])
    key = np.floor(day)
    order = np.argsort(key, axis=1, kind="stable")
    key = np.take_along_axis(key, order, axis=1)
    position = np.cumsum(np.take_along_axis(amount, order, axis=1), axis=1)
    closes = np.ones(key.shape, dtype=bool)  # the last flow of its day closes that day
    closes[:, :-1] = key[:, :-1] != key[:, 1:]
    lows = np.where(closes, position, np.inf).min(axis=1)
    return np.asarray(np.minimum(lows, 0.0), dtype=np.float64)


def simulate(model: Model, *, runs: int, rng: np.random.Generator, seed: int) -> SimulationResult:
    """Run ``model`` ``runs`` times with ``rng``, in chunks that bound the memory used."""
    npv: dict[str, list[Floats]] = {p: [] for p in model.parties}
    peaks: dict[str, list[float]] = {p: [] for p in model.parties}
    irrs: dict[str, list[float]] = {p: [] for p in model.parties}
    completed = 0.0
    step = max(1, runs // _SAMPLE)
    done = 0
    while done < runs:
        size = min(_CHUNK, runs - done)
        d = draw(model, rng, size)
        for p, values in npv_by_groups(model, d).items():
            npv[p].append(values)
        completed += float((~d.failed).sum())
        rows = np.arange((-done) % step, size, step)
        sample = _subset(d, rows)
        for p in model.parties:
            amount, day = flows_by_run(model, sample, p)
            peaks[p].extend(end_of_day_lows(amount, day).tolist())
            for r in range(0, len(rows), max(1, len(rows) // 100)):
                rate = irr_of_days(amount[r], day[r])
                if rate is not None:
                    irrs[p].append(rate)
        done += size
    stats = {}
    all_npv = {p: np.concatenate(v) for p, v in npv.items()}
    for p, values in all_npv.items():
        stats[p] = PartyStats(
            mean=float(values.mean()),
            std=float(values.std()),
            p5=float(np.percentile(values, 5)),
            p50=float(np.percentile(values, 50)),
            p95=float(np.percentile(values, 95)),
            p_loss=float((values < 0).mean()),
            irr_p50=float(np.median(irrs[p])) if irrs[p] else None,
            peak_exposure_p95=float(np.percentile(peaks[p], 5)) if peaks[p] else 0.0,
        )
    return SimulationResult(runs, seed, completed / runs, stats, all_npv)
