"""The planned payment schedule: who pays whom, how much and when, if everything goes to plan.

``copact schedule`` prints it. A milestone is paid ``payment-terms`` calendar days after its due
date (DESIGN §7); its gross is the invoice amount (§8) and its cash what the prepaid advance does
not cover. On ``examples/hybrid-dc1.yaml`` (payment terms 30 days)::

    date        kind       ref                payer  payee         gross   cash
    2026-08-14  milestone  design-approval    acme   voltworks      0.00      0.00
    2026-10-31  milestone  hardware-delivery  acme   voltworks  88200.00  88200.00
    2026-12-31  milestone  installation       acme   voltworks  88200.00  88200.00
    2027-01-19  milestone  commissioning      acme   voltworks  29400.00  29400.00
    2027-04-30  milestone  stable-90-days     acme   voltworks  42000.00  42000.00

A ``prepaid`` line falls on ``prepaid.due`` and is all cash; the milestone lines then show what
they draw from it in ``from_advance``. Lines are in date order (a prepaid line before milestones
of the same day, otherwise file order); lines without a date come last. A milestone the buyer is
invoiced nothing for still has its line, because its evidence is still owed. Recurring SLA and
gainshare fees are not in the schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from copact.core.deal import Deal, Milestone
from copact.core.invoicing import (
    advance_amount,
    advance_payee,
    buyer_of,
    payee_of,
    prepaid_drawdown,
)
from copact.core.money import Money
from copact.errors import MoneyError

__all__ = [
    "LineKind",
    "ScheduleLine",
    "ScheduleTotals",
    "payment_date",
    "planned_schedule",
    "schedule_totals",
]

LineKind = Literal["prepaid", "milestone"]


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    """One planned payment; ``gross − from_advance = cash`` (the constructor refuses otherwise)."""

    date: dt.date | None
    kind: LineKind
    ref: str
    label: str
    payer: str
    payee: str
    gross: Money
    from_advance: Money
    cash: Money
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.gross - self.from_advance != self.cash:
            raise MoneyError(
                f"{self.ref}: {self.gross} less {self.from_advance} from the advance "
                f"is not {self.cash} in cash"
            )


@dataclass(frozen=True, slots=True)
class ScheduleTotals:
    """What one payer pays one payee over the schedule.

    ``gross`` adds the advance and the invoices it settles, so it counts the advance twice when
    there is one; ``cash`` is what actually changes hands.
    """

    gross: Money
    from_advance: Money
    cash: Money


def payment_date(deal: Deal, milestone: Milestone) -> dt.date | None:
    """The milestone's due date plus the deal's ``payment-terms`` days (2026-07-15 → 2026-08-14)."""
    if milestone.due is None:
        return None
    return milestone.due + dt.timedelta(days=deal.payment_terms)


def planned_schedule(deal: Deal) -> list[ScheduleLine]:
    """The planned payments of a deal: the prepaid advance and one line per milestone."""
    payer = buyer_of(deal)
    lines: list[ScheduleLine] = []
    if deal.prepaid is not None:
        advance = advance_amount(deal)
        lines.append(
            ScheduleLine(
                date=deal.prepaid.due,
                kind="prepaid",
                ref="prepaid",
                label="prepaid advance",
                payer=payer,
                payee=advance_payee(deal),
                gross=advance,
                from_advance=Money.zero(advance.currency).quantize(),
                cash=advance,
            )
        )
    drawdowns = prepaid_drawdown(deal)
    for m in deal.milestones:
        drawdown = drawdowns[m.id]
        lines.append(
            ScheduleLine(
                date=payment_date(deal, m),
                kind="milestone",
                ref=m.id,
                label=m.description or m.id,
                payer=payer,
                payee=payee_of(deal, m),
                gross=drawdown.invoice,
                from_advance=drawdown.from_advance,
                cash=drawdown.cash,
                evidence=tuple(m.acceptance.evidence) if m.acceptance else (),
            )
        )
    # The sort is stable: the prepaid line was added first, milestones follow in file order.
    return sorted(lines, key=lambda line: (line.date is None, line.date or dt.date.min))


def schedule_totals(lines: Iterable[ScheduleLine]) -> dict[tuple[str, str], ScheduleTotals]:
    """Gross, advance and cash per ``(payer, payee)``, in the order the pairs first appear."""
    totals: dict[tuple[str, str], ScheduleTotals] = {}
    for line in lines:
        key = (line.payer, line.payee)
        so_far = totals.get(key)
        if so_far is None:
            totals[key] = ScheduleTotals(line.gross, line.from_advance, line.cash)
        else:
            totals[key] = ScheduleTotals(
                so_far.gross + line.gross,
                so_far.from_advance + line.from_advance,
                so_far.cash + line.cash,
            )
    return totals
