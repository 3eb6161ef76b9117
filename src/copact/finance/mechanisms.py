"""The planned money of the mechanisms beyond milestones and fees (DESIGN §7, issue 15 §10).

:func:`copact.finance.flows.planned_flows` adds these transfers to the milestones, the
advance, the fees, the costs and the business case, each under its own ``kind`` so the output
can label it. The Monte Carlo (:mod:`copact.finance.montecarlo`) draws the uncertain parts
from the same pieces (:func:`volume_years`, :func:`tier_rate`, :func:`bonus_plan`,
:func:`revenue_periods`).

- **volume** (``rebate``): contract years run ``per`` from the first of the month of
  ``volume.from`` (else ``effective``) within ``term-months`` (else the horizon); a last year
  the term cuts short has the commitment and the tiers in proportion to its months, as the
  journal's true-up does (:mod:`copact.core.volume`). The planned purchases of a year are its
  commitment; the rebate of the tier that quantity reaches (the highest ``at-least`` at or
  below it), rate × quantity × ``price`` half-even to the minor unit, flows supplier → buyer on
  the year's last day. The purchases themselves are ordinary trade and are not counted. A
  commitment below every tier earns nothing. Worked example (heat-sensor-housing with a
  commitment of 31,200 a year at 6.85 from 2026-07-01, two years): 31,200 reaches the 3% tier,
  3% × 213,720.00 = 6,411.60 on 2027-06-30 and again on 2028-06-30. With ``shortfall:
  invoice`` a year below its commitment owes (commitment − quantity) × price; the plan buys
  the commitment, so only a simulated run has a shortfall.
- **convertible** (``support``, ``service-credits``, ``conversion``): the support ``amount``
  flows buyer → supplier on ``effective``. At the first window it converts at the formula's
  ratio (:func:`copact.core.conversion.conversion_ratio`) into service credits, half-even
  to the minor unit (without a formula or a window nothing converts, as in the journal).
  The credits settle the buyer's planned milestone payments and fees to that supplier on or
  after the window, in date order, until they are used up: each settled part is a flow
  supplier → buyer ("service credits on …") on that payment's date, tied to its milestone.
  Credits no payment within the horizon uses are worth nothing here. ``converts-to:
  discount`` is modelled the same way (a discount on the later payments); ``cash``: the
  converted amount flows back supplier → buyer on the last window; ``equity``: nothing
  flows back (the buyer's stake is outside the cash flows).
  Worked example (the convertible-support starter at 100,000.00 from 2026-07-01, its first
  window moved to 2026-10-01): 20,000.00 support at 1.15 → 23,000.00 of credits; they settle
  the design-approval payment of 20,000.00 on 2026-10-01 whole and 3,000.00 of the
  validated-sample payment of 30,000.00 on 2026-12-31. At the starter's own first window
  (2027-07-01) only the final-acceptance payment (20,000.00 that day) is left to settle, and
  3,000.00 of credits stay unused.
- **innovation-bonus** (``bonus``): uncertain, so left out of the plan unless the
  assumptions give it a probability; then probability × amount (half-even) flows buyer →
  supplier on the assumption's ``on`` date, else the scope timeline's end (else
  ``effective``). 40% of 25,000.00 → 10,000.00.
- **revenue-share** (``revenue-share``): needs the reporting party's sales, which only the
  assumptions give (``sales`` per ``every`` period from ``from``); share × sales (half-even)
  flows from the reporting party (the other party) to the share party on the day after each
  period. 5% of 412,000.00 a quarter from 2027-01-01 → 20,600.00 on 2027-04-01, 2027-07-01, …
- **cost-plus** (``costs-reimbursed``): where the milestones pay nothing (the starter's
  cost-plus: the costs are the price, :func:`cost_plus_staged`), each milestone's planned
  cost (:func:`milestone_costs`) plus the markup, rounded half-even once, flows buyer →
  supplier on the milestone's payment day (due + payment terms), in due order, until the cap
  is used up. Phases 16,000 / 24,000 / 40,000 at 10% under a 100,000.00 cap → 17,600.00,
  26,400.00, then 44,000.00 of which 20,000 + 20,000 split over validation's two milestones
  at 22,000.00 each. Where the milestones pay a share of value they release the costs
  themselves and nothing more is planned. Either way an overrun only moves money in a
  simulated run, up to what the cap leaves after the planned money (:func:`cost_plus_headroom`).

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from copact.core.conversion import conversion_ratio
from copact.core.deal import Deal
from copact.core.invoicing import buyer_of, invoice_amounts, milestone_amounts, payee_of
from copact.core.money import Money, allocate
from copact.finance.assumptions import Assumptions

__all__ = [
    "MECHANISM_KINDS",
    "Transfer",
    "VolumeYear",
    "bonus_plan",
    "cost_plus_headroom",
    "cost_plus_staged",
    "cost_plus_transfers",
    "mechanism_transfers",
    "milestone_costs",
    "revenue_parties",
    "revenue_periods",
    "service_credits",
    "supplier_of",
    "tier_rate",
    "volume_years",
]

_MONTHS = {"month": 1, "quarter": 3, "year": 12}

MECHANISM_KINDS = {
    "rebate": "rebate",
    "shortfall": "shortfall",
    "costs-reimbursed": "costs reimbursed",
    "overrun-reimbursed": "overrun reimbursed",
    "bonus": "bonus",
    "revenue-share": "revenue share",
    "support": "convertible support",
    "service-credits": "service credits",
    "conversion": "conversion",
}
"""The kind of each mechanism's flows and how the text output names it."""


@dataclass(frozen=True)
class Transfer:
    """Money from ``payer`` to ``payee`` on ``date`` (a positive amount)."""

    payer: str
    payee: str
    date: date
    amount: Money
    label: str
    kind: str
    milestone: str | None = None


def _add_months(day: date, months: int) -> date:
    from copact.finance.flows import add_months

    return add_months(day, months)


def _pct(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f}%"


def supplier_of(deal: Deal) -> str:
    """The supplier a mechanism's money goes to or comes from: the first (usually only) one."""
    return deal.suppliers[0].id


# --- volume ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeYear:
    name: str
    end: date  # the year's last day: its rebate's day
    fraction: Decimal  # months in it ÷ months of a full one
    commitment: Decimal  # in proportion for a short last year


def volume_years(deal: Deal, until: date) -> list[VolumeYear]:
    """The contract years whose last day falls before ``until``."""
    v = deal.volume
    if v is None:
        return []
    start = (v.from_ or deal.effective).replace(day=1)
    step = _MONTHS[v.per]
    stop = _add_months(start, v.term_months) if v.term_months else None
    years: list[VolumeYear] = []
    n = 0
    while True:
        begin = _add_months(start, n * step)
        if stop is not None and begin >= stop:
            return years
        after = _add_months(start, (n + 1) * step)
        if stop is not None and after > stop:
            after = stop
        end = after - timedelta(days=1)
        if end >= until:
            return years
        months = (after.year - begin.year) * 12 + after.month - begin.month
        fraction = Decimal(months) / Decimal(step)
        name = str(begin.year) if v.per == "year" else f"{begin.year}-{begin.month:02}"
        years.append(VolumeYear(name, end, fraction, v.commitment * fraction))
        n += 1


def tier_rate(deal: Deal, quantity: Decimal, fraction: Decimal = Decimal(1)) -> Decimal:
    """The rebate rate of the highest tier ``quantity`` reaches (0 below every tier)."""
    assert deal.volume is not None
    rate = Decimal(0)
    best = None
    for tier in deal.volume.rebate:
        floor = tier.at_least * fraction
        if quantity >= floor and (best is None or floor >= best):
            best, rate = floor, tier.rebate.fraction
    return rate


def _volume(deal: Deal, until: date) -> Iterable[Transfer]:
    v = deal.volume
    if v is None or v.price is None or not deal.buyers or not deal.suppliers:
        return
    for year in volume_years(deal, until):
        rate = tier_rate(deal, year.commitment, year.fraction)
        amount = Money.of(rate * year.commitment * v.price, deal.money_currency).quantize()
        if not amount.is_zero:
            yield Transfer(
                supplier_of(deal),
                buyer_of(deal),
                year.end,
                amount,
                f"volume rebate {year.name} ({_pct(rate)} of {year.commitment:,f} {v.unit})",
                "rebate",
            )


# --- convertible ----------------------------------------------------------------------------


def service_credits(
    credits: Money, payments: Iterable[Transfer], *, window: date
) -> list[Transfer]:
    """The credits settling ``payments`` on or after ``window``, in date order, until used up:
    one transfer back (payee → payer) per payment they reach."""
    left = credits
    out: list[Transfer] = []
    for p in sorted((p for p in payments if p.date >= window), key=lambda p: p.date):
        if left.is_zero:
            break
        used = min(left, p.amount, key=lambda m: m.amount)
        out.append(
            Transfer(
                p.payee,
                p.payer,
                p.date,
                used,
                f"service credits on {p.label}",
                "service-credits",
                p.milestone,
            )
        )
        left = left - used
    return out


def _convertible(deal: Deal, transfers: list[Transfer], until: date) -> Iterable[Transfer]:
    c = deal.convertible
    if c is None or not deal.buyers or not deal.suppliers:
        return
    buyer, supplier, cur = buyer_of(deal), supplier_of(deal), deal.money_currency
    paid = Money.of(c.amount, cur)
    yield Transfer(buyer, supplier, deal.effective, paid, "convertible support", "support")
    windows = sorted(c.windows)
    if not windows or not c.formula or c.converts_to == "equity":
        return
    ratio = conversion_ratio(c.formula)
    converted = paid.times(ratio)
    if c.converts_to == "cash":
        yield Transfer(
            supplier, buyer, windows[-1], converted, "convertible cash back", "conversion"
        )
        return
    payments = [
        t
        for t in transfers
        if t.payer == buyer and t.payee == supplier and t.kind in ("milestone", "fee")
    ]
    yield from service_credits(converted, payments, window=windows[0])


# --- bonuses, revenue share, cost-plus ------------------------------------------------------


def bonus_plan(
    deal: Deal, assumptions: Assumptions | None
) -> list[tuple[str, Money, Decimal, date]]:
    """(id, amount, probability, day) of each bonus the assumptions give a probability."""
    if assumptions is None:
        return []
    timeline = deal.scope.timeline if deal.scope else None
    default = timeline.end if timeline else deal.effective
    out = []
    for b in deal.innovation_bonus:
        spec = assumptions.for_bonus(b.id)
        if spec is not None:
            day = spec.on or default
            out.append(
                (b.id, Money.of(b.amount, deal.money_currency), spec.probability.fraction, day)
            )
    return out


def revenue_parties(deal: Deal) -> tuple[str, str] | None:
    """(reporting party, share party) of the revenue share, or None."""
    rs = deal.revenue_share
    if rs is None or deal.party(rs.party) is None:
        return None
    others = [p.id for p in deal.parties if p.id != rs.party]
    if not others:
        return None
    sharer = deal.party(rs.party)
    assert sharer is not None
    if sharer.role == "supplier" and deal.buyers:
        return buyer_of(deal), rs.party
    if deal.suppliers and deal.suppliers[0].id != rs.party:
        return supplier_of(deal), rs.party
    return others[0], rs.party


def revenue_periods(
    deal: Deal, assumptions: Assumptions | None, until: date
) -> list[tuple[str, date, Money]]:
    """(period, paid on, sales) of each period of the assumptions' sales paid before ``until``."""
    spec = assumptions.revenue_share if assumptions else None
    if spec is None or revenue_parties(deal) is None:
        return []
    step = _MONTHS[spec.every]
    sales = Money.of(spec.sales, deal.money_currency)
    out = []
    k = 1
    while (day := _add_months(spec.from_, k * step)) < until:
        begin = _add_months(spec.from_, (k - 1) * step)
        names = {
            "month": f"{begin.year}-{begin.month:02}",
            "quarter": f"{begin.year}-Q{(begin.month - 1) // 3 + 1}",
            "year": str(begin.year),
        }
        out.append((names[spec.every], day, sales))
        k += 1
    return out


def milestone_costs(deal: Deal) -> dict[str, Money]:
    """Each dated milestone's planned cost to its payee: its phase's ``cost`` split over the
    phase's dated milestones by their amounts (largest remainder, nothing lost), or evenly
    where they pay nothing. Milestones of a phase without a cost, or of no phase, are absent."""
    cur = deal.money_currency
    amounts = milestone_amounts(deal) if deal.milestones else {}
    out: dict[str, Money] = {}
    for phase in deal.phases:
        members = [m for m in deal.milestones if m.phase == phase.id and m.due is not None]
        if not phase.cost or not members:
            continue
        weights = [amounts[m.id].amount for m in members]
        if sum(weights, Decimal(0)) <= 0:
            weights = [Decimal(1)] * len(members)
        for m, part in zip(members, allocate(Money.of(phase.cost, cur), weights), strict=True):
            out[m.id] = part
    return out


def cost_plus_staged(deal: Deal) -> bool:
    """A cost-plus deal whose milestones pay nothing: its verified costs and markup are the
    price, and its milestones are the stages the buyer accepts."""
    amounts = milestone_amounts(deal) if deal.milestones else {}
    return deal.cost_plus is not None and all(a.is_zero for a in amounts.values())


def cost_plus_transfers(deal: Deal, until: date | None = None) -> Iterable[Transfer]:
    """A staged cost-plus deal's planned reimbursements (before ``until``), in due order:
    each milestone's cost plus the markup, until the cap is used up; nothing otherwise."""
    cp = deal.cost_plus
    if cp is None or not cost_plus_staged(deal) or not deal.buyers or not deal.suppliers:
        return
    cur = deal.money_currency
    left = Money.of(cp.cap, cur) if cp.cap is not None else None
    markup = cp.markup.fraction if cp.markup else Decimal(0)
    costs = milestone_costs(deal)
    dated = sorted((m for m in deal.milestones if m.id in costs), key=lambda m: m.due or date.max)
    for m in dated:
        assert m.due is not None  # milestone_costs holds dated milestones only
        claim = costs[m.id].times(1 + markup).quantize()
        if left is not None:
            claim = min(claim, left)
            left = left - claim
        day = m.due + timedelta(days=deal.payment_terms)
        if claim.is_zero or (until is not None and day >= until):
            continue
        label = f"costs of {m.id} + {_pct(markup)} markup"
        payee = payee_of(deal, m)
        yield Transfer(buyer_of(deal), payee, day, claim, label, "costs-reimbursed", m.id)


def cost_plus_headroom(deal: Deal) -> Money:
    """What ``cost-plus.cap`` leaves after the planned money (never below 0): the milestone
    invoices, or where they pay nothing the planned costs and markup; the most an overrun's
    reimbursement may add. Cap 110,000.00 − 100,000.00 of invoices → 10,000.00."""
    cur = deal.money_currency
    cp = deal.cost_plus
    if cp is None or cp.cap is None:
        return Money.of(0, cur)
    invoiced = sum(
        (a.amount for a in (invoice_amounts(deal) if deal.milestones else {}).values()),
        Decimal(0),
    )
    planned = sum((t.amount.amount for t in cost_plus_transfers(deal)), Decimal(0))
    return Money.of(max(Decimal(0), cp.cap - invoiced - planned), cur)


def mechanism_transfers(
    deal: Deal, assumptions: Assumptions | None, transfers: list[Transfer], until: date
) -> list[Transfer]:
    """The planned transfers of volume, cost-plus, convertible, bonuses and revenue share, given the
    deal's other planned ``transfers`` (which the service credits settle)."""
    out = [
        *_volume(deal, until),
        *cost_plus_transfers(deal, until),
        *_convertible(deal, transfers, until),
    ]
    if deal.buyers and deal.suppliers:
        for bonus_id, amount, p, day in bonus_plan(deal, assumptions):
            expected = amount.times(p)
            if not expected.is_zero:
                out.append(
                    Transfer(
                        buyer_of(deal),
                        supplier_of(deal),
                        day,
                        expected,
                        f"bonus {bonus_id} ({_pct(p)} of {amount.amount})",
                        "bonus",
                    )
                )
    parties = revenue_parties(deal)
    rs = deal.revenue_share
    if parties is not None and rs is not None:
        for period, day, sales in revenue_periods(deal, assumptions, until):
            out.append(
                Transfer(
                    parties[0],
                    parties[1],
                    day,
                    sales.times(rs.share.fraction),
                    f"revenue share {period} ({_pct(rs.share.fraction)} of {sales.amount})",
                    "revenue-share",
                )
            )
    return [t for t in out if t.date < until and not t.amount.is_zero]
