"""Gainshare months in the journal: settled against the locked baseline, invoiced every month,
trued up at each contract year's end (DESIGN §6.5, issue 15 §6).

A month (``2027-03``) goes through two steps, and each contract year through a third; each is a
guard here that returns the events it causes:

1. :func:`settle_savings`: the month's predicted baseline use, its actual use and the savings
   ``S = predicted − actual`` (negative in a bad month), fitted to the baseline whose hash the
   deal locks (``gainshare.baseline.hash``: a refit with another hash is refused), with the
   hash of the data files and the files as evidence. The month has ended and is on or after
   ``gainshare.from``; it is settled once (the same inputs again are nothing to do, other
   inputs are refused).
2. :func:`invoice_gainshare`: the month's invoice from the share party to the buyer, a line
   ``gainshare:2027-03:base`` (the base fee) and a line ``gainshare:2027-03:share``
   (``share × max(0, S) × price``, half-even to the minor unit, limited so that the share lines
   of the contract year never exceed ``cap``); a zero line is left out; VAT by the deal's rule.
3. :func:`true_up`: after the contract year's twelfth month, the year's
   ``min(cap, share × max(0, ΣS) × price)`` less the share lines billed that year: an invoice
   line ``gainshare:2027:true-up`` when positive, a credit note ``for: true-up`` (``period``
   ``2027``, VAT on it at the deal's rate, as on the share lines it gives back, correcting the
   year's last invoice with a share line) when negative, nothing when zero.

Contract years run from the month of ``gainshare.from`` and are named by the calendar year they
start in (hybrid-dc1: from 2027-01-01, contract year ``2027`` is January to December 2027).

Worked example (hybrid-dc1: base fee 1,500.00, price 1.45, voltworks 30%, cap 60,000.00, no
VAT; the ten other months of 2027 save nothing)::

    2027-03  S =  2,000 L   30% × 2,000 × 1.45 = 870.00   invoice 1,500.00 + 870.00 = 2,370.00
    2027-04  S = −1,000 L   max(0, S) = 0                  invoice 1,500.00
    2027     ΣS = 1,000 L   30% × 1,000 × 1.45 = 435.00; billed 870.00
             true-up 435.00 − 870.00 = −435.00: a credit note of 435.00

Pure: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from copact.core.bounds import check_reach
from copact.core.deal import Deal
from copact.core.events import (
    CreditNote,
    EvidenceRef,
    Invoice,
    InvoiceLine,
    SavingsSettled,
    day_of,
)
from copact.core.gainshare import GainshareTerms, share_of
from copact.core.invoicing import (
    buyer_of,
    line_for,
    period_credit_note,
    period_invoice,
    person_of,
)
from copact.core.money import Money
from copact.errors import NothingToDo, RefusedCommand

if TYPE_CHECKING:
    from copact.core.state import DealState

__all__ = [
    "INPUT_KINDS",
    "GainshareMonth",
    "GainshareTrueUp",
    "YearFigures",
    "contract_year",
    "credit_true_up",
    "gainshare_line",
    "invoice_gainshare",
    "month_lines",
    "settle_savings",
    "true_up",
    "with_line",
    "year_figures",
    "year_months",
]

At = date | datetime

INPUT_KINDS = ("baseline-data", "reporting-data")
"""What the evidence of a settled month is: the baseline's data and the month's data."""


@dataclass(frozen=True, slots=True)
class GainshareMonth:
    """A settled month: its settlement, the invoice that billed it and its share line."""

    settled: SavingsSettled
    invoice: str | None = None
    share: Decimal = Decimal(0)  # the amount of its share line (0: none)


@dataclass(frozen=True, slots=True)
class GainshareTrueUp:
    """A contract year's true-up document: an invoice (``amount`` > 0) or a credit note
    (``amount`` < 0, what it credits before VAT)."""

    number: str
    amount: Decimal


def gainshare_line(period: str, part: str) -> str:
    """An invoice line ``for`` a gainshare month or year: ``gainshare:2027-03:share``."""
    return line_for("gainshare", period, part)


def with_line(month: GainshareMonth, number: str, part: str, amount: Decimal) -> GainshareMonth:
    """The month after an invoice line ``part`` (``base`` or ``share``) billed it (the fold)."""
    share = month.share + amount if part == "share" else month.share
    return GainshareMonth(month.settled, number, share)


# -- months and contract years --


def _terms(deal: Deal) -> GainshareTerms:
    return GainshareTerms.from_deal(deal)


def _first(deal: Deal) -> date:
    g = deal.gainshare
    if g is None or g.from_ is None:
        raise RefusedCommand(f"{deal.id} has no gainshare with a start (gainshare.from)")
    return g.from_.replace(day=1)


def _month(period: str) -> date:
    try:
        year, month = period.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise RefusedCommand(f"{period!r} is not a month like 2027-03") from None


def _plus(first: date, months: int) -> date:
    n = first.month - 1 + months
    return date(first.year + n // 12, n % 12 + 1, 1)


def contract_year(deal: Deal, period: str) -> str:
    """The contract year a month falls in, named by the year it starts in: from 2027-04-01,
    ``2028-02`` is in contract year ``2027`` (April 2027 to March 2028)."""
    first, month = _first(deal), _month(period)
    check_reach(deal, month, what="the month starting")
    index = (month.year - first.year) * 12 + month.month - first.month
    if index < 0:
        raise RefusedCommand(
            f"the gainshare of {deal.id} runs from {first:%Y-%m}: {period} is before it"
        )
    return str(_plus(first, 12 * (index // 12)).year)


def year_months(deal: Deal, year: str) -> list[str]:
    """The twelve months of contract year ``year``, or a refusal when it is none of the deal's."""
    first = _first(deal)
    if not (len(year) == 4 and year.isascii() and year.isdigit()) or int(year) < first.year:
        raise RefusedCommand(
            f"contract years of {deal.id} start in {first:%B} from {first.year}: "
            f"{year!r} is not one of them"
        )
    start = first.replace(year=int(year))
    check_reach(deal, start, what=f"contract year {year}, starting")
    return [f"{_plus(start, i):%Y-%m}" for i in range(12)]


# -- 1. settling a month --


def settle_savings(
    deal: Deal,
    state: DealState,
    *,
    period: str,
    predicted: Decimal,
    actual: Decimal,
    savings: Decimal,
    baseline: str,
    inputs: str,
    by: str,
    at: At,
    evidence: list[EvidenceRef] | None = None,
) -> list[SavingsSettled]:
    """Record the savings of ``period`` (see the module docstring for what is checked)."""
    _terms(deal)
    person_of(deal, by)
    odd = [e.kind for e in evidence or [] if e.kind not in INPUT_KINDS]
    if odd:
        raise RefusedCommand(
            f"a gainshare month's evidence is its data ({', '.join(INPUT_KINDS)}), not {odd[0]}"
        )
    contract_year(deal, period)
    after = _plus(_month(period), 1)
    if day_of(at) < after:
        raise RefusedCommand(f"{period} runs until {after - timedelta(days=1)}: settle it after")
    g = deal.gainshare
    locked = g.baseline.hash if g is not None and g.baseline is not None else None
    if locked is None:
        raise RefusedCommand(
            f"{deal.id} locks no baseline (gainshare.baseline.hash): savings are settled only "
            "against a baseline both sides locked"
        )
    if baseline != locked:
        raise RefusedCommand(
            f"{period} was computed from baseline {baseline[:19]}…, not the {locked[:19]}… "
            "locked in the deal; a re-baseline is a change order both sides approve"
        )
    earlier = state.gainshare.get(period)
    if earlier is not None:
        if earlier.settled.inputs == inputs:
            raise NothingToDo(f"{period} is already settled from these inputs")
        raise RefusedCommand(
            f"{period} was settled on {earlier.settled.day} by {earlier.settled.by} from other "
            f"inputs ({earlier.settled.inputs[:19]}…): a month is settled once; agree a "
            "correction as a change order"
        )
    if savings != predicted - actual:
        raise RefusedCommand(
            f"{period}: savings {savings} are not the predicted {predicted} less the actual "
            f"{actual} ({predicted - actual})"
        )
    return [
        SavingsSettled(
            at=at,
            deal=deal.id,
            period=period,
            predicted=predicted,
            actual=actual,
            savings=savings,
            baseline=baseline,
            inputs=inputs,
            by=by,
            evidence=evidence or [],
        )
    ]


# -- 2. the month's invoice --


def _billed(state: DealState, months: list[str], *, but: str | None = None) -> Money:
    """What the share lines of ``months`` (all but ``but``) billed."""
    total = Decimal(0)
    for period in months:
        month = state.gainshare.get(period)
        if month is not None and period != but:
            total += month.share
    return Money.of(total, state.deal.currency)


def month_lines(deal: Deal, state: DealState, period: str) -> list[InvoiceLine]:
    """The lines the invoice of a settled ``period`` bills: the base fee and the share of its
    savings within what is left of the contract year's cap (zero lines left out)."""
    month = state.gainshare.get(period)
    if month is None:
        raise RefusedCommand(f"{period} is not settled yet: record its savings first")
    terms = _terms(deal)
    earned = share_of(terms, month.settled.savings)
    share = earned
    if terms.cap is not None:
        billed = _billed(state, year_months(deal, contract_year(deal, period)), but=period)
        room = max(Money.zero(terms.currency), terms.cap - billed)
        share = min(earned, room)
    lines = [
        InvoiceLine(for_=gainshare_line(period, "base"), amount=terms.base_fee.quantize().amount),
        InvoiceLine(for_=gainshare_line(period, "share"), amount=share.amount),
    ]
    return [line for line in lines if line.amount > 0]


def _share_party(deal: Deal) -> str:
    g = deal.gainshare
    parties = list(g.share) if g is not None else []
    if len(parties) != 1:
        raise RefusedCommand("the gainshare names several parties: say which one")
    return parties[0]


def _invoice(deal: Deal, *, number: str, lines: list[InvoiceLine], at: At) -> Invoice:
    to = buyer_of(deal)
    return period_invoice(deal, number=number, from_=_share_party(deal), to=to, lines=lines, at=at)


def invoice_gainshare(
    deal: Deal, state: DealState, *, period: str, number: str, at: At
) -> list[Invoice]:
    """The invoice of a settled month (``2027-03``), once; for a contract year (``2027``), the
    true-up's invoice when the year's true-up is one (:func:`true_up`)."""
    if len(period) == 4:
        events = true_up(deal, state, year=period, number=number, at=at)
        if not isinstance(events[0], Invoice):
            raise RefusedCommand(f"{period}'s true-up is a credit note, not an invoice")
        return [events[0]]
    month = state.gainshare.get(period)
    if month is not None and month.invoice is not None:
        raise NothingToDo(f"{period} is already invoiced ({month.invoice})")
    lines = month_lines(deal, state, period)
    if not lines:
        raise NothingToDo(f"{period} bills nothing: no base fee and no share of savings")
    if number in state.invoice_numbers:
        raise RefusedCommand(f"invoice number {number} is already used")
    return [_invoice(deal, number=number, lines=lines, at=at)]


# -- 3. the contract year's true-up --


@dataclass(frozen=True, slots=True)
class YearFigures:
    """A contract year's money so far: ΣS of its settled months, its capped share on them,
    the share lines billed, and the true-up they make (``year_share − billed``)."""

    year: str
    months: tuple[str, ...]
    savings: Decimal
    year_share: Money
    billed: Money

    @property
    def due(self) -> Money:
        return self.year_share - self.billed


def year_figures(deal: Deal, state: DealState, year: str) -> YearFigures:
    """The figures of contract year ``year`` from the months settled so far."""
    terms = _terms(deal)
    months = year_months(deal, year)
    settled = [state.gainshare[m] for m in months if m in state.gainshare]
    total = sum((m.settled.savings for m in settled), Decimal(0))
    year_share = share_of(terms, total)
    if terms.cap is not None:
        year_share = min(year_share, terms.cap)
    billed = _billed(state, months)
    return YearFigures(year, tuple(months), total, year_share, billed)


def _last_share_invoice(state: DealState, months: tuple[str, ...]) -> str | None:
    numbers = [m.invoice for p in months if (m := state.gainshare.get(p)) and m.share > 0]
    return numbers[-1] if numbers else None


def true_up(
    deal: Deal, state: DealState, *, year: str, number: str, at: At
) -> list[Invoice] | list[CreditNote]:
    """The true-up of contract year ``year`` once it has ended and every month of it is settled
    and invoiced: an invoice when positive, a credit note when negative (see the module)."""
    figures = year_figures(deal, state, year)
    after = _plus(_month(figures.months[-1]), 1)
    if day_of(at) < after:
        raise RefusedCommand(
            f"contract year {year} runs until {after - timedelta(days=1)}: true it up after"
        )
    done = state.gainshare_true_ups.get(year)
    if done is not None:
        raise NothingToDo(f"contract year {year} is already trued up ({done.number})")
    for period in figures.months:
        month = state.gainshare.get(period)
        if month is None:
            raise RefusedCommand(f"{period} is not settled yet: settle every month of {year} first")
        if month.invoice is None and month_lines(deal, state, period):
            raise RefusedCommand(f"{period} is not invoiced yet: invoice it before the true-up")
    if number in state.invoice_numbers:
        raise RefusedCommand(f"number {number} is already used")
    due = figures.due
    if due.amount == 0:
        raise NothingToDo(f"contract year {year} was billed exactly its share: nothing to true up")
    if due.amount > 0:
        line = InvoiceLine(for_=gainshare_line(year, "true-up"), amount=due.amount)
        return [_invoice(deal, number=number, lines=[line], at=at)]
    note = period_credit_note(
        deal, number=number, from_=_share_party(deal), to=buyer_of(deal), for_="true-up",
        period=year, amount=-due, at=at, preceding=_last_share_invoice(state, figures.months),
    )  # fmt: skip
    return [note]


def credit_true_up(
    deal: Deal, state: DealState, *, period: str, number: str, at: At
) -> list[CreditNote]:
    """The credit note of contract year ``period``'s true-up, when the true-up is one (the
    guard an imported ``credit-note for: true-up`` is held to)."""
    events = true_up(deal, state, year=period, number=number, at=at)
    if not isinstance(events[0], CreditNote):
        raise RefusedCommand(f"{period}'s true-up is an invoice, not a credit note")
    return [events[0]]
