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

The other mechanisms (issue 15 §10; their planned money is in :mod:`copact.finance.mechanisms`)
are drawn per run as arrays of shape (runs, periods), rounded half-even to the minor unit as
an invoice would round them, with no loop over runs:

- **volume**: each contract year's quantity = its commitment × a triangular draw of
  ``volume.quantity`` (one per year and run); the tier that quantity reaches gives the rebate,
  rate × quantity × price, supplier → buyer on the year's last day; with ``shortfall:
  invoice`` the shortfall (commitment − quantity) × price flows buyer → supplier. Like the
  fees, volume money depends on the deliverable: paid only when the deal completes, shifted
  by the last milestone's slip. Worked example: commitment 31,200 at 6.85, a year drawing
  80% buys 24,960 (no tier: no rebate; shortfall 6,240 × 6.85 = 42,744.00), one drawing
  120% buys 37,440 (5% × 256,464.00 = 12,823.20).
- **cost-plus**: the run's overrun of each passed milestone's cost (the cost × (multiplier
  − 1), nothing for an underrun) is reimbursed by the buyer with the markup on the
  milestone's payment day, in milestone order, until what ``cost-plus.cap`` leaves after the
  planned invoices is used up; an overrun above it would need a change order, so the
  supplier absorbs it. A failed milestone releases nothing. Worked example: cap 110,000.00,
  invoices 100,000.00, costs 80,000.00, markup 10%: a 20% overrun is 16,000.00 + 1,600.00 =
  17,600.00 claimed, 10,000.00 reimbursed, 7,600.00 absorbed.
- **bonuses**: each bonus with a probability in the assumptions is paid whole with that
  probability (one draw per bonus and run), on its day shifted by the last slip, when the
  deal completes.
- **revenue share**: share × sales of each period × one triangular ``scale`` draw per run,
  from the reporting party to the share party, when the deal completes.
- **convertible**: the support and its service credits are planned flows like the others; a
  credit goes with the payment it settles in the plan (paid when that payment is, shifted
  with it), so a cancelled payment's credits are not used and never more are used than issued.

Each party's mean money per mechanism (undiscounted, signed as the party sees it) is in
:attr:`SimulationResult.mechanisms`, so two structures side by side show where it differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from copact.core.deal import Deal, Milestone
from copact.core.invoicing import advance_amount, invoice_amounts, settlement_order
from copact.core.quantities import Percent
from copact.finance.assumptions import Assumptions
from copact.finance.flows import Flow, horizon_end, planned_flows
from copact.finance.mechanisms import (
    MECHANISM_KINDS,
    bonus_plan,
    cost_plus_headroom,
    cost_plus_staged,
    cost_plus_transfers,
    revenue_parties,
    revenue_periods,
    volume_years,
)
from copact.finance.returns import irr_of_days

__all__ = [
    "MECHANISMS",
    "Extra",
    "Model",
    "PartyStats",
    "SimulationResult",
    "build_model",
    "end_of_day_lows",
    "extra_flows",
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
MECHANISMS = list(MECHANISM_KINDS)  # a flow's mechanism index, −1 for none
_MECHS = MECHANISMS
_DRAWN = ("rebate", "bonus", "revenue-share")  # planned flows a run draws anew


@dataclass(frozen=True)
class PartyFlows:
    amount: Floats
    day: Floats  # days from effective, before slips
    milestone: Ints  # the milestone a flow depends on, −1 for none
    survival: Ints  # ALWAYS, BEFORE, THROUGH or COMPLETION
    is_cost: Bools
    scale: Ints  # index of its label's multiplier, −1 for none
    mech: Ints  # index of its mechanism in MECHANISMS, −1 for none
    # the groups: one row per distinct (milestone, survival, is_cost, scale, mechanism)
    g_value: Floats  # Σ amount × planned discount factor
    g_milestone: Ints
    g_survival: Ints
    g_cost: Bools
    g_scale: Ints
    g_mech: Ints  # index in _MECHS, −1 for none
    g_amount: Floats  # Σ amount, undiscounted


def _none() -> Floats:
    return np.zeros(0)


@dataclass(frozen=True)
class VolumeModel:
    commitment: Floats  # (Y,)
    floors: Floats  # (Y, T) each tier's at-least, in proportion for a short year
    rates: Floats  # (T,) in ascending order of at-least
    price: float
    day: Floats  # (Y,)
    quantity: Tri
    shortfall: bool


@dataclass(frozen=True)
class Extra:
    """Money a run draws anew: (R, K) amounts from payer to payee on (R, K) days."""

    payer: str
    payee: str
    mechanism: str
    amount: Floats
    day: Floats


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
    digits: int = 2
    volume: VolumeModel | None = None
    bonus_amount: Floats = field(default_factory=_none)
    bonus_p: Floats = field(default_factory=_none)
    bonus_day: Floats = field(default_factory=_none)
    revenue: tuple[str, str] | None = None  # (reporting party, share party)
    revenue_amount: Floats = field(default_factory=_none)  # share × planned sales of each period
    revenue_day: Floats = field(default_factory=_none)
    revenue_scale: Tri = (1.0, 1.0, 1.0)
    markup: float = 0.0
    headroom: float | None = None  # what the cost-plus cap leaves; None without cost-plus
    staged: bool = False  # cost-plus whose milestones pay nothing: the costs are the price
    reimbursed: Floats = field(default_factory=_none)  # staged: the plan's costs + markup so far
    pay_day: Floats = field(
        default_factory=_none
    )  # each milestone's payment day (due + payment terms)

    @property
    def mechanisms(self) -> list[str]:
        """The mechanisms whose money this model moves, in :data:`_MECHS` order."""
        have = {_MECHS[i] for pf in self.parties.values() for i in pf.g_mech if i >= 0}
        if self.volume is not None:
            have.add("rebate")
            if self.volume.shortfall:
                have.add("shortfall")
        if self.bonus_amount.size:
            have.add("bonus")
        if self.revenue_amount.size:
            have.add("revenue-share")
        if self.headroom is not None:
            have.add("overrun-reimbursed")
        return [m for m in _MECHS if m in have]


def _survival(flow: Flow, linked: bool) -> int:
    if flow.kind == "service-credits":  # with the payment it settles
        return BEFORE if linked else COMPLETION
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
    mech = np.array(
        [_MECHS.index(f.kind) if f.kind in _MECHS else -1 for f in items], dtype=np.int64
    )
    keys = (
        np.stack([milestone, survival, is_cost.astype(np.int64), scale, mech], axis=1)
        if items
        else np.zeros((0, 5), dtype=np.int64)
    )
    groups, inverse = np.unique(keys, axis=0, return_inverse=True)
    value = np.zeros(len(groups))
    np.add.at(value, inverse.reshape(-1), amount * np.exp(-day * k))
    undiscounted = np.zeros(len(groups))
    np.add.at(undiscounted, inverse.reshape(-1), amount)
    return PartyFlows(
        amount,
        day,
        milestone,
        survival,
        is_cost,
        scale,
        mech,
        value,
        groups[:, 0],
        groups[:, 1],
        groups[:, 2].astype(bool),
        groups[:, 3],
        groups[:, 4],
        undiscounted,
    )


def _days(deal: Deal, days: list[date]) -> Floats:
    return np.array([float((d - deal.effective).days) for d in days])


def _volume_model(deal: Deal, assumptions: Assumptions) -> VolumeModel | None:
    v = deal.volume
    years = volume_years(deal, horizon_end(deal))
    if v is None or v.price is None or not years or not deal.buyers or not deal.suppliers:
        return None
    tiers = sorted(v.rebate, key=lambda t: t.at_least)
    return VolumeModel(
        commitment=np.array([float(y.commitment) for y in years]),
        floors=np.array([[float(t.at_least * y.fraction) for t in tiers] for y in years]).reshape(
            len(years), len(tiers)
        ),
        rates=np.array([float(t.rebate.fraction) for t in tiers]),
        price=float(v.price),
        day=_days(deal, [y.end for y in years]),
        quantity=assumptions.volume_quantity,
        shortfall=getattr(v, "shortfall", None) == "invoice",
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
    flows = {
        p: [f for f in items if f.kind not in _DRAWN] for p, items in planned_flows(deal).items()
    }
    cost = np.zeros(len(order))
    for items in flows.values():
        for f in items:
            if f.kind == "cost" and f.milestone in index:
                cost[index[f.milestone]] += -float(f.amount.amount)
    invoices = invoice_amounts(deal) if deal.milestones else {}
    refund = deal.exit.prepaid_refund if deal.exit else None
    until = horizon_end(deal)
    two_sided = bool(deal.buyers and deal.suppliers)
    bonuses = [b for b in bonus_plan(deal, assumptions) if b[3] < until] if two_sided else []
    periods = revenue_periods(deal, assumptions, until)
    share = deal.revenue_share.share.fraction if deal.revenue_share else 0
    spec = assumptions.revenue_share
    cp = deal.cost_plus
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
        digits=deal.money_currency.digits,
        volume=_volume_model(deal, assumptions),
        bonus_amount=np.array([float(b[1].amount) for b in bonuses]),
        bonus_p=np.array([float(b[2]) for b in bonuses]),
        bonus_day=_days(deal, [b[3] for b in bonuses]),
        revenue=revenue_parties(deal) if periods else None,
        revenue_amount=np.array([float(sales.amount * share) for _, _, sales in periods]),
        revenue_day=_days(deal, [day for _, day, _ in periods]),
        revenue_scale=_scale(spec.scale) if spec else (1.0, 1.0, 1.0),
        markup=float(cp.markup.fraction) if cp and cp.markup else 0.0,
        headroom=float(cost_plus_headroom(deal).amount)
        if cp and cp.cap is not None and two_sided
        else None,
        staged=cost_plus_staged(deal),
        reimbursed=_reimbursed(deal, order),
        pay_day=np.array(
            [float((m.due - deal.effective).days + deal.payment_terms) for m in order if m.due]
        ),
    )


def _reimbursed(deal: Deal, order: list[Milestone]) -> Floats:
    """Per milestone in ``order``, the planned costs + markup a staged cost-plus deal has
    reimbursed up to and including it (zeros otherwise): the floor of an underrun's claw-back."""
    planned = {t.milestone: float(t.amount.amount) for t in cost_plus_transfers(deal)}
    return np.cumsum(np.array([planned.get(m.id, 0.0) for m in order], dtype=float))


def _scale(v: tuple[Percent, Percent, Percent]) -> Tri:
    return (float(v[0].fraction), float(v[1].fraction), float(v[2].fraction))


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
    volume: Floats  # (R, Y) each contract year's quantity ÷ its commitment
    bonus: Bools  # (R, B) whether each bonus is paid
    revenue: Floats  # (R,) the sales' scale

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
    # the other mechanisms' draws come after, and only when the deal has them, so a deal
    # without them draws exactly what it drew before
    years = len(model.volume.day) if model.volume is not None else 0
    volume = np.empty((runs, years))
    for j in range(years):
        assert model.volume is not None
        volume[:, j] = _triangular(rng, model.volume.quantity, runs)
    bonus = (
        rng.random((runs, model.bonus_p.size)) < model.bonus_p
        if model.bonus_p.size
        else np.zeros((runs, 0), dtype=bool)
    )
    revenue = (
        _triangular(rng, model.revenue_scale, runs) if model.revenue_amount.size else np.ones(runs)
    )
    return Draws(cum, first_fail, failed, fail_day, overrun, scales, refund, volume, bonus, revenue)


def _round(model: Model, x: Floats) -> Floats:
    return np.asarray(np.round(x, model.digits), dtype=np.float64)


def extra_flows(model: Model, d: Draws) -> list[Extra]:
    """The money each run of ``d`` draws anew: volume rebates and shortfalls, cost-plus
    overruns reimbursed under the cap, bonuses and revenue share (see the module docstring)."""
    out: list[Extra] = []
    done = (~d.failed)[:, None]
    late = d.total_slip[:, None]
    buyer, supplier = model.buyer, model.supplier
    v = model.volume
    if v is not None:
        quantity = v.commitment[None, :] * d.volume
        rate = np.zeros_like(quantity)
        for t in range(v.rates.size):  # tiers in ascending order: the highest reached wins
            rate = np.where(quantity >= v.floors[None, :, t], v.rates[t], rate)
        day = v.day[None, :] + late
        rebate = _round(model, rate * quantity * v.price) * done
        out.append(Extra(supplier, buyer, "rebate", rebate, day))
        if v.shortfall:
            short = np.maximum(v.commitment[None, :] - quantity, 0.0) * v.price
            out.append(Extra(buyer, supplier, "shortfall", _round(model, short) * done, day))
    if model.headroom is not None and model.cost.size:
        passed = np.arange(model.cost.size)[None, :] < d.first_fail[:, None]
        change = d.overrun - 1.0 if model.staged else np.maximum(d.overrun - 1.0, 0.0)
        over = change[:, None] * model.cost[None, :] * passed
        claimed = np.cumsum(_round(model, over * (1.0 + model.markup)), axis=1)
        # an underrun of a staged deal's costs is reimbursed less, never below nothing
        paid = np.maximum(np.minimum(claimed, model.headroom), -model.reimbursed)
        reimbursed = np.diff(paid, axis=1, prepend=0.0)
        day = model.pay_day[None, :] + d.cum
        out.append(Extra(buyer, supplier, "overrun-reimbursed", reimbursed, day))
    if model.bonus_amount.size:
        amount = d.bonus * model.bonus_amount[None, :] * done
        out.append(Extra(buyer, supplier, "bonus", amount, model.bonus_day[None, :] + late))
    if model.revenue is not None:
        payer, payee = model.revenue
        amount = _round(model, model.revenue_amount[None, :] * d.revenue[:, None]) * done
        day = model.revenue_day[None, :] + late
        out.append(Extra(payer, payee, "revenue-share", amount, day))
    return out


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
    for e in extra_flows(model, d):
        value = (e.amount * np.exp(-e.day * k)).sum(axis=1)
        if e.payer in out:
            out[e.payer] = out[e.payer] - value
        if e.payee in out:
            out[e.payee] = out[e.payee] + value
    return out


def mechanism_sums(model: Model, d: Draws) -> dict[str, dict[str, float]]:
    """Per party, each mechanism's money summed over the runs of ``d`` (undiscounted, signed
    as the party sees it)."""
    names = model.mechanisms
    out = {p: dict.fromkeys(names, 0.0) for p in model.parties}
    for party, pf in model.parties.items():
        if not (pf.g_mech >= 0).any():
            continue
        factor = _alive(pf.g_survival, pf.g_milestone, d) * _multiplier(pf.g_cost, pf.g_scale, d)
        totals = factor.sum(axis=0) * pf.g_amount
        for i, total in zip(pf.g_mech, totals, strict=True):
            if i >= 0:
                out[party][_MECHS[i]] += float(total)
    for e in extra_flows(model, d):
        total = float(e.amount.sum())
        if e.payer in out:
            out[e.payer][e.mechanism] -= total
        if e.payee in out:
            out[e.payee][e.mechanism] += total
    return out


def flows_by_run(model: Model, d: Draws, party: str) -> tuple[Floats, Floats]:
    """(amount, day) of every flow of ``party`` in each run of ``d``, the refund last."""
    pf = model.parties[party]
    amount = _alive(pf.survival, pf.milestone, d) * _multiplier(pf.is_cost, pf.scale, d) * pf.amount
    day = pf.day[None, :] + _shift(pf.survival, pf.milestone, d)
    sign = _refund_sign(model, party)
    amounts, days = [amount], [day]
    for e in extra_flows(model, d):
        for who, s in ((e.payer, -1.0), (e.payee, 1.0)):
            if who == party:
                amounts.append(s * e.amount)
                days.append(e.day)
    amounts.append((sign * d.refund)[:, None])
    days.append(d.fail_day[:, None])
    return np.concatenate(amounts, axis=1), np.concatenate(days, axis=1)


def _subset(d: Draws, rows: Ints) -> Draws:
    return Draws(
        d.cum[rows],
        d.first_fail[rows],
        d.failed[rows],
        d.fail_day[rows],
        d.overrun[rows],
        d.scales[rows],
        d.refund[rows],
        d.volume[rows],
        d.bonus[rows],
        d.revenue[rows],
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
    mechanisms: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per party, each mechanism's mean money per run (undiscounted, signed)."""


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
    sums = {p: dict.fromkeys(model.mechanisms, 0.0) for p in model.parties}
    step = max(1, runs // _SAMPLE)
    done = 0
    while done < runs:
        size = min(_CHUNK, runs - done)
        d = draw(model, rng, size)
        for p, values in npv_by_groups(model, d).items():
            npv[p].append(values)
        completed += float((~d.failed).sum())
        for p, by in mechanism_sums(model, d).items():
            for name, total in by.items():
                sums[p][name] += total
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
    means = {p: {name: total / runs for name, total in by.items()} for p, by in sums.items()}
    return SimulationResult(runs, seed, completed / runs, stats, all_npv, means)
