"""The planned cash flows of a deal, per party (DESIGN §7).

Each flow is dated money seen from one party (positive in, negative out):

- buyer → supplier: the prepaid advance on its date; each milestone's invoice, less what the
  advance covers, on its due date plus ``payment-terms``; the SLA fee and the gainshare base
  fee every month from ``sla.from`` / ``gainshare.from``;
- the supplier's cost to deliver: each phase's ``cost`` spread over the phase's milestones in
  proportion to their amounts, on their due dates (a phase without milestones at the end of
  the scope timeline). The buyer's funding share is already in what it is invoiced;
- each party's ``business-case.flows``;
- the other mechanisms' money (volume rebates, convertible support and its service credits,
  bonuses and revenue share with the assumptions' probability and sales), each with its own
  ``kind``: see :mod:`copact.finance.mechanisms` for what each models, with worked examples.

Only flows before ``effective`` + ``horizon-months`` count. Recurring flows fall on their
``from`` date, then the same day of each following period (the last day of a shorter month).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from copact.core.deal import Deal
from copact.core.invoicing import advance_payee, buyer_of, payee_of
from copact.core.money import Money
from copact.core.schedule import planned_schedule
from copact.finance.assumptions import Assumptions
from copact.finance.mechanisms import Transfer, mechanism_transfers, milestone_costs

__all__ = ["Flow", "add_months", "horizon_end", "planned_flows", "recurring_dates"]

_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Flow:
    date: date
    amount: Money
    label: str
    kind: str = "other"  # prepaid, milestone, cost, fee, benefit, refund, or a mechanism's
    # (rebate, support, service-credits, conversion, bonus, revenue-share: see mechanisms.py)
    milestone: str | None = None


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def horizon_end(deal: Deal) -> date:
    months = deal.business_case.horizon_months if deal.business_case else 60
    return add_months(deal.effective, months)


def recurring_dates(start: date, every: str, *, until: date, end: date | None = None) -> list[date]:
    """``start``, then the same day of each following period, before ``until`` (and ≤ ``end``)."""
    if every == "once":
        return [start] if start < until and (end is None or start <= end) else []
    step = _MONTHS[every]
    days: list[date] = []
    n = 0
    while True:
        day = add_months(start, n * step)
        if day >= until or (end is not None and day > end):
            return days
        days.append(day)
        n += 1


def planned_flows(deal: Deal, assumptions: Assumptions | None = None) -> dict[str, list[Flow]]:
    """Every party's planned flows, sorted by date (bonuses and revenue share only with the
    ``assumptions`` that give their probability and sales)."""
    flows: dict[str, list[Flow]] = {p.id: [] for p in deal.parties}
    until = horizon_end(deal)
    cur = deal.money_currency
    transfers: list[Transfer] = []

    def move(
        payer: str,
        payee: str,
        day: date,
        amount: Money,
        label: str,
        kind: str,
        milestone: str | None = None,
    ) -> None:
        if amount.is_zero or day >= until:
            return
        flows[payer].append(Flow(day, -amount, label, kind, milestone))
        flows[payee].append(Flow(day, amount, label, kind, milestone))
        transfers.append(Transfer(payer, payee, day, amount, label, kind, milestone))

    for line in planned_schedule(deal):
        if line.date is None:
            continue
        kind = "prepaid" if line.kind == "prepaid" else "milestone"
        move(
            line.payer,
            line.payee,
            line.date,
            line.cash,
            line.label,
            kind,
            line.ref if kind == "milestone" else None,
        )
    if deal.suppliers and deal.buyers:
        buyer = buyer_of(deal)
        for section, fee_start in (("sla", deal.sla), ("gainshare", deal.gainshare)):
            if fee_start is None:
                continue
            fee = fee_start.fee if section == "sla" else fee_start.base_fee  # type: ignore[union-attr]
            start = fee_start.from_
            if fee is None or start is None:
                continue
            payee = advance_payee(deal) if len(deal.suppliers) == 1 else deal.suppliers[0].id
            for day in recurring_dates(start, fee.every, until=until):
                move(buyer, payee, day, Money.of(fee.amount, cur), f"{section} fee", "fee")
    for t in mechanism_transfers(deal, assumptions, list(transfers), until):
        if t.payer in flows and t.payee in flows:
            move(t.payer, t.payee, t.date, t.amount, t.label, t.kind, t.milestone)
    costs = milestone_costs(deal)
    for phase in deal.phases:
        if not phase.cost:
            continue
        members = [m for m in deal.milestones if m.id in costs and m.phase == phase.id]
        if members:
            for m in members:
                assert m.due is not None  # milestone_costs holds dated milestones only
                if m.due < until:
                    part = costs[m.id]
                    flows[payee_of(deal, m)].append(
                        Flow(m.due, -part, f"cost of {m.id}", "cost", m.id)
                    )
        elif deal.suppliers:
            end = deal.scope.timeline.end if deal.scope and deal.scope.timeline else deal.effective
            if end < until:
                flows[deal.suppliers[0].id].append(
                    Flow(end, -Money.of(phase.cost, cur), f"cost of phase {phase.id}", "cost")
                )
    if deal.business_case:
        for f in deal.business_case.flows:
            if f.party not in flows:
                continue
            for day in recurring_dates(f.from_, f.every, until=until, end=f.to):
                flows[f.party].append(Flow(day, Money.of(f.amount, cur), f.label, "benefit"))
    return {party: sorted(items, key=lambda x: x.date) for party, items in flows.items()}
