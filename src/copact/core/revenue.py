"""Revenue share: the reporting party's sales per period, the share invoiced, late reports
flagged, and the audit that corrects a past report with a new invoice or a credit note
(issue 15 §5).

``revenue-share: {party, share, of, reporting, audit}`` gives ``party`` (the share party,
usually the supplier) ``share`` of what the **other** party (the reporting party) sells of
``of``. Periods follow ``reporting``: ``2027-03`` monthly, ``2027-Q1`` quarterly (the default),
``2027`` annual.

1. :func:`report_sales`: a person of the reporting party reports a period's sales once the
   period has ended. A report is due within :data:`REPORT_DAYS` days of the period's end; a
   later one is recorded and flagged late on the read side (it still counts).
2. :func:`invoice_revenue`: the share party invoices share × sales (half-even to the minor
   unit, once on the period's sales), less what it already billed for the period.
3. With ``audit: true``, a person of the share party may audit a reported period
   (:func:`report_sales` with ``audit=True``, the audit report as evidence): the audited sales
   replace the report. The difference is then invoiced (:func:`invoice_revenue`, a line
   ``revenue:2027-Q1:audit``) or credited (:func:`credit_revenue`, a credit note
   ``for: revenue-share`` of the period, correcting the period's first invoice).

Worked example (5% of net sales, quarterly, no VAT): Q1 2027 reported 412,000.00 → invoice
20,600.00; the audit finds 436,500.00 → a second invoice of 5% × 24,500.00 = 1,225.00. Had it
found 400,000.00: share 20,000.00, a credit note of 600.00.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from copact.core.deal import Deal
from copact.core.events import (
    CreditNote,
    EvidenceRef,
    Invoice,
    InvoiceLine,
    SalesReported,
    day_of,
)
from copact.core.invoicing import line_for, period_credit_note, period_invoice, person_of
from copact.core.mechanisms import RevenueShare
from copact.core.money import Money
from copact.errors import NothingToDo, RefusedCommand

if TYPE_CHECKING:
    from copact.core.state import DealState

__all__ = [
    "REPORT_DAYS",
    "RevenuePeriod",
    "credit_revenue",
    "invoice_revenue",
    "period_bounds",
    "report_sales",
    "reporting_party",
    "share_owed",
]

At = date | datetime

REPORT_DAYS = 30
"""Days after a period's end within which its sales report is due (the deal names none)."""


@dataclass(frozen=True, slots=True)
class RevenuePeriod:
    """A reported period: the first report, the audit that replaced it (if any), and the net
    the share party has billed for it (invoices less credit notes), with those documents."""

    period: str
    report: SalesReported
    audited: SalesReported | None = None
    billed: Decimal = Decimal(0)
    documents: tuple[str, ...] = ()

    @property
    def sales(self) -> Decimal:
        return (self.audited or self.report).sales


def _terms(deal: Deal) -> RevenueShare:
    if deal.revenue_share is None:
        raise RefusedCommand(f"{deal.id} has no revenue share")
    return deal.revenue_share


def reporting_party(deal: Deal) -> str:
    """The party that reports its sales: the one party other than the share party."""
    terms = _terms(deal)
    others = [p.id for p in deal.parties if p.id != terms.party]
    if len(others) != 1:
        raise RefusedCommand(
            f"{deal.id} has {len(others)} parties besides {terms.party}: say which one reports"
        )
    return others[0]


def period_bounds(deal: Deal, period: str) -> tuple[date, date]:
    """The first day of ``period`` and the first day after it, or a refusal when ``period``
    is not one of the deal's reporting periods."""
    every = _terms(deal).reporting or "quarterly"
    shape = {"monthly": "2027-03", "quarterly": "2027-Q1", "annual": "2027"}[every]
    try:
        year = int(period[:4])
        if every == "annual" and len(period) == 4:
            return date(year, 1, 1), date(year + 1, 1, 1)
        if every == "quarterly" and period[4:6] == "-Q" and len(period) == 7:
            first = 3 * (int(period[6]) - 1) + 1
            months = 3
        elif every == "monthly" and len(period) == 7 and period[4] == "-":
            first, months = int(period[5:7]), 1
        else:
            raise ValueError(period)
        after = first - 1 + months
        return date(year, first, 1), date(year + after // 12, after % 12 + 1, 1)
    except ValueError:
        raise RefusedCommand(
            f"{period!r} is not a {every} reporting period of {deal.id} (write it as {shape})"
        ) from None


def share_owed(deal: Deal, sales: Decimal) -> Money:
    """share × sales, rounded half-even to the minor unit once."""
    return Money.of(sales, deal.currency).times(_terms(deal).share.fraction).quantize()


def report_sales(
    deal: Deal,
    state: DealState,
    *,
    period: str,
    sales: Decimal,
    evidence: list[EvidenceRef],
    by: str,
    at: At,
    audit: bool = False,
) -> list[SalesReported]:
    terms = _terms(deal)
    reporter = reporting_party(deal)
    _, after = period_bounds(deal, period)
    party = person_of(deal, by)
    if Money.of(sales, deal.currency).quantize().amount != sales or sales < 0:
        raise RefusedCommand(f"sales of {sales} are not whole minor units of {deal.currency}")
    earlier = state.revenue.get(period)
    if not audit:
        if party != reporter:
            raise RefusedCommand(f"{by} of {party} cannot report {reporter}'s sales")
        if day_of(at) < after:
            raise RefusedCommand(
                f"{period} runs until {after - timedelta(days=1)}: report it after"
            )
        if earlier is not None:
            raise RefusedCommand(
                f"{period} was reported on {earlier.report.day} ({earlier.report.sales:,}): a "
                "report is corrected by the share party's audit"
                + ("" if terms.audit else ", which this deal does not grant")
            )
    else:
        if not terms.audit:
            raise RefusedCommand(f"{deal.id} grants no audit right over the sales reports")
        if party != terms.party:
            raise RefusedCommand(f"{by} of {party} cannot audit; {terms.party} audits")
        if earlier is None:
            raise RefusedCommand(f"{period} has no sales report to audit")
        if not evidence:
            raise RefusedCommand("an audit carries its report as evidence")
        if sales == earlier.sales:
            raise NothingToDo(f"the audit of {period} confirms {earlier.sales:,}")
    return [
        SalesReported(
            at=at, deal=deal.id, period=period, sales=sales, evidence=evidence, by=by, audit=audit
        )
    ]


def _difference(deal: Deal, state: DealState, period: str) -> tuple[RevenuePeriod, Money]:
    standing = state.revenue.get(period)
    if standing is None:
        raise RefusedCommand(f"{period} has no sales report yet")
    owed = share_owed(deal, standing.sales)
    return standing, owed - Money.of(standing.billed, deal.currency)


def invoice_revenue(
    deal: Deal, state: DealState, *, period: str, number: str, at: At
) -> list[Invoice]:
    """The share of ``period`` not yet billed, invoiced by the share party."""
    standing, due = _difference(deal, state, period)
    if due.is_zero:
        raise NothingToDo(f"{period}'s share is billed ({', '.join(standing.documents)})")
    if due.amount < 0:
        raise RefusedCommand(
            f"{period} is billed {(-due).amount:,} above its share after the audit: credit it"
        )
    if number in state.invoice_numbers:
        raise RefusedCommand(f"invoice number {number} is already used")
    part = "audit" if standing.documents else None
    return [
        period_invoice(
            deal,
            number=number,
            from_=_terms(deal).party,
            to=reporting_party(deal),
            lines=[InvoiceLine(for_=line_for("revenue", period, part), amount=due.amount)],
            at=at,
        )
    ]


def credit_revenue(
    deal: Deal, state: DealState, *, period: str, number: str, at: At
) -> list[CreditNote]:
    """The credit note of what an audit found billed above the period's share."""
    standing, due = _difference(deal, state, period)
    if due.amount >= 0:
        raise NothingToDo(f"{period} is not billed above its share: nothing to credit")
    if number in state.invoice_numbers:
        raise RefusedCommand(f"number {number} is already used")
    note = period_credit_note(
        deal, number=number, from_=_terms(deal).party, to=reporting_party(deal),
        for_="revenue-share", period=period, amount=-due, at=at,
        preceding=standing.documents[0] if standing.documents else None,
    )  # fmt: skip
    return [note]


def with_report(periods: Mapping[str, RevenuePeriod], e: SalesReported) -> RevenuePeriod:
    """The period after a report (the fold's step)."""
    earlier = periods.get(e.period)
    if earlier is None:
        return RevenuePeriod(e.period, e)
    return RevenuePeriod(e.period, earlier.report, e, earlier.billed, earlier.documents)


def with_document(earlier: RevenuePeriod, number: str, net: Decimal) -> RevenuePeriod:
    """The period after an invoice (``net`` > 0) or a credit note (``net`` < 0) for it."""
    return RevenuePeriod(
        earlier.period,
        earlier.report,
        earlier.audited,
        earlier.billed + net,
        (*earlier.documents, number),
    )
