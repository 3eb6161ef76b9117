"""A managed service's periods in the journal: settled from metering, reviewed when flagged,
invoiced once (DESIGN §6, issue 15 §6).

A period of the SLA (``2027-03``, or ``2027-Q1`` for an SLA that settles per quarter) goes
through three steps, each a command with its guard here:

1. :func:`settle_service`: the figures ``copact meter`` computed, per site (fee share,
   credits, bonuses, amount), with the run's flags and the hash of its inputs. The guard
   checks what it can without the telemetry: the period has ended and is one of the SLA's,
   every site of the SLA is there once, each site's amount is its fee less its credits plus
   its bonuses, the credits stay within the cap, and the fee shares add up to the SLA's fee
   for the period. A period is settled once: the same inputs again are nothing to do, other
   inputs are refused (the other party would see two truths).
2. :func:`review_service`: a settlement whose flags ask for review (more than 10% of the
   period unknown, a metric with no value) is invoiced only after a person of the **other**
   party than the one who recorded it has reviewed those same inputs.
3. :func:`invoice_service`: the period's service invoice from the supplier to the buyer, one
   line per site (``for: sla:2027-03:dc1``), its VAT from the deal's tax rule.

Worked example (hybrid-dc1, March 2027, one site): fee 4,000.00; availability 99.62% is below
the 99.95% target and earns the buyer a 5% credit, 200.00; no bonus: the invoice bills
3,800.00.

Service invoices are paid like any other but never drawn from the prepaid advance (it funds
the development milestones), and an exit settlement counts them as earned.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from copact.core.bounds import check_reach
from copact.core.deal import Deal
from copact.core.events import (
    EvidenceRef,
    Invoice,
    InvoiceLine,
    ServiceReviewed,
    ServiceSettled,
    SiteSettlement,
    day_of,
)
from copact.core.invoicing import buyer_of, line_for, only_supplier, period_invoice, person_of
from copact.core.mechanisms import Sla
from copact.core.money import Money
from copact.core.sla import period_fee
from copact.core.state import DealState
from copact.errors import NothingToDo, RefusedCommand

__all__ = [
    "INPUT_KINDS",
    "invoice_service",
    "needs_review",
    "period_days",
    "review_service",
    "service_line",
    "settle_service",
]

INPUT_KINDS = ("telemetry", "windows", "tickets", "deliveries")
"""What the evidence of a settlement is: the files metering read."""


def service_line(period: str, site: str) -> str:
    """An invoice line ``for`` a service period: ``sla:2027-03:dc1``."""
    return line_for("sla", period, site)


def needs_review(flags: list[str] | tuple[str, ...]) -> bool:
    """Whether a settlement's flags ask a person to look before it is invoiced: ``review: …``
    (each flag may start with its site, ``dc1: review: …``; telemetry unknown for more than 10%
    of the period, conflicting samples) or a metric that had no value (no credit could be
    earned on it)."""
    return any("review:" in f or "no value this period" in f for f in flags)


def period_days(period: str) -> tuple[date, date]:
    """The first day of ``period`` and the first day after it (``2027-03`` → 1 March, 1 April;
    ``2027-Q1`` → 1 January, 1 April)."""
    year, part = int(period[:4]), period[5:]
    if part.startswith("Q"):
        first_month, months = 3 * (int(part[1]) - 1) + 1, 3
    else:
        first_month, months = int(part), 1
    start = date(year, first_month, 1)
    after = first_month - 1 + months
    return start, date(year + after // 12, after % 12 + 1, 1)


def _sla(deal: Deal) -> Sla:
    if deal.sla is None or not deal.sla.sites:
        raise RefusedCommand(f"{deal.id} has no SLA with sites: there is no service to settle")
    return deal.sla


def settle_service(
    deal: Deal,
    state: DealState,
    *,
    period: str,
    sites: list[SiteSettlement],
    inputs: str,
    flags: list[str],
    by: str,
    at: date | datetime,
    evidence: list[EvidenceRef] | None = None,
) -> list[ServiceSettled]:
    """Record the settlement of ``period`` (see the module docstring for what is checked);
    ``evidence`` are its input files as the evidence store holds them."""
    sla = _sla(deal)
    person_of(deal, by)
    odd = [e.kind for e in evidence or [] if e.kind not in INPUT_KINDS]
    if odd:
        raise RefusedCommand(
            f"a settlement's evidence is its inputs ({', '.join(INPUT_KINDS)}), not {odd[0]}"
        )
    quarter = "Q" in period
    if quarter != (sla.period == "quarter"):
        raise RefusedCommand(
            f"the SLA of {deal.id} settles per {sla.period}: {period} is not one of its periods"
        )
    check_reach(
        deal, date(max(int(period[:4]), 1), 1, 1), what=f"the period {period}, starting on or after"
    )
    start, after = period_days(period)
    if sla.from_ is not None and start < sla.from_.replace(day=1):
        raise RefusedCommand(f"the SLA of {deal.id} runs from {sla.from_}: {period} is before it")
    if day_of(at) < after:
        raise RefusedCommand(f"{period} runs until {after - timedelta(days=1)}: settle it after")
    earlier = state.services.get(period)
    if earlier is not None:
        if earlier.inputs == inputs:
            raise NothingToDo(f"{period} is already settled from these inputs")
        raise RefusedCommand(
            f"{period} was settled on {earlier.day} by {earlier.by} from other inputs "
            f"({earlier.inputs[:19]}…): a period is settled once; agree a correction as a "
            "change order"
        )
    expected = [s.id for s in sla.sites]
    given = [s.site for s in sites]
    if sorted(given) != sorted(expected) or len(set(given)) != len(given):
        raise RefusedCommand(
            f"the settlement names sites {', '.join(given)}; the SLA's are {', '.join(expected)}"
        )
    fee, _ = period_fee(sla, deal.money_currency, months=3 if quarter else 1)
    cap = sla.credit_cap.fraction if sla.credit_cap is not None else Decimal(1)
    total = Decimal(0)
    for s in sites:
        parts = (s.fee, s.credits, s.bonuses, s.amount)
        if any(Money.of(p, deal.currency).quantize().amount != p or p < 0 for p in parts):
            raise RefusedCommand(f"{s.site}: amounts are whole minor units and never negative")
        if s.amount != s.fee - s.credits + s.bonuses:
            raise RefusedCommand(
                f"{s.site}: {s.amount} billed is not the fee {s.fee} less credits {s.credits} "
                f"plus bonuses {s.bonuses}"
            )
        if s.credits > s.fee * cap:
            raise RefusedCommand(f"{s.site}: credits of {s.credits} exceed the SLA's credit cap")
        total += s.fee
    if total != fee.amount:
        raise RefusedCommand(
            f"the sites' fees add up to {total}; the SLA's fee for {period} is {fee.amount}"
        )
    return [
        ServiceSettled(
            at=at,
            deal=deal.id,
            period=period,
            sites=sites,
            inputs=inputs,
            flags=flags,
            by=by,
            evidence=evidence or [],
        )
    ]


def review_service(
    deal: Deal, state: DealState, *, period: str, by: str, at: date | datetime
) -> list[ServiceReviewed]:
    """A person of the party that did not record the settlement of ``period`` reviews it."""
    settled = state.services.get(period)
    if settled is None:
        raise RefusedCommand(f"{period} is not settled yet: nothing to review")
    if period in state.services_reviewed:
        raise NothingToDo(f"{period} is already reviewed")
    if person_of(deal, by) == person_of(deal, settled.by):
        raise RefusedCommand(
            f"{settled.by} of {person_of(deal, by)} recorded {period}: a person of the other party "
            "reviews it"
        )
    return [ServiceReviewed(at=at, deal=deal.id, period=period, inputs=settled.inputs, by=by)]


def invoice_service(
    deal: Deal, state: DealState, *, period: str, number: str, at: date | datetime
) -> list[Invoice]:
    """The service invoice of a settled period, once: a line per site at its amount."""
    settled = state.services.get(period)
    if settled is None:
        raise RefusedCommand(f"{period} is not settled yet: meter it and record the settlement")
    if period in state.services_invoiced:
        raise NothingToDo(f"{period} is already invoiced ({state.services_invoiced[period]})")
    if needs_review(settled.flags) and period not in state.services_reviewed:
        raise RefusedCommand(
            f"{period}'s settlement is flagged for review ({'; '.join(settled.flags)}): a person "
            f"of the party other than {settled.by}'s reviews it first"
        )
    if number in state.invoice_numbers:
        raise RefusedCommand(f"invoice number {number} is already used")
    if settled.amount <= 0:
        raise NothingToDo(f"{period} bills nothing: its credits took the whole fee")
    lines = [
        InvoiceLine(for_=service_line(period, s.site), amount=s.amount)
        for s in settled.sites
        if s.amount > 0
    ]
    return [
        period_invoice(
            deal,
            number=number,
            from_=only_supplier(deal, "the service invoice"),
            to=buyer_of(deal),
            lines=lines,
            at=at,
        )
    ]
