"""A gainshare month computed from its data and recorded in the journal (issue 15 §6).

:func:`record_month` fits the deal's baseline on its data exactly as ``copact baseline`` does
(:func:`copact.services.baselines.fit_deal_baseline`: a fit whose hash is not the one the deal
locks is refused), predicts the month from the reporting data
(:func:`copact.metering.baseline_savings.monthly_savings`), keeps both files in the deal's
evidence store (kinds ``baseline-data`` and ``reporting-data``, so ``journal verify
--evidence`` checks their bytes), and records the month's savings; the guard is
:func:`copact.core.gainshare_periods.settle_savings`. Invoicing and the true-up are commands of
their own (:class:`~copact.services.operations.IssueGainshareInvoice`,
:class:`~copact.services.operations.TrueUpGainshare`)::

    request = SavingsRequest(data=Path("hybrid-dc1-fuel.csv"),
                             reporting=Path("hybrid-dc1-2027.csv"), period="2027-03")
    month, outcome = record_month(ws, "hybrid-dc1", request, by="sam", clock=clock)
    month.savings.savings            # Decimal("264.703"): predicted 1,264.703 L, actual 1,000.0

:func:`gainshare_view` is the read side of the gainshare page: per month the figures and what
was billed, per contract year the share so far against the cap and its true-up.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from copact.core.deal import Deal
from copact.core.events import Event
from copact.core.gainshare import GainshareTerms, MonthSavings
from copact.core.gainshare_periods import contract_year, month_lines, year_figures, year_months
from copact.core.money import Money
from copact.core.state import DealState, deal_state
from copact.errors import RefusedCommand
from copact.metering.baseline_data import read_baseline_data
from copact.metering.baseline_savings import monthly_savings
from copact.services import operations as ops
from copact.services.baselines import BaselineResult, fit_deal_baseline
from copact.services.inputs import (
    BadOption,
    InputFile,
    MalformedInput,
    MissingInput,
    MissingTerms,
    Source,
    source_name,
)
from copact.services.uow import Outcome
from copact.services.workspace import Workspace

__all__ = [
    "GainshareView",
    "MonthResult",
    "MonthRow",
    "SavingsRequest",
    "YearRow",
    "compute_month",
    "gainshare_view",
    "keep_data",
    "record_month",
    "savings_command",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SavingsRequest:
    """What to settle: the baseline's data (the file the locked fit was made on), the
    reporting data of the month (the same CSV format: ``observed`` is the actual use) and the
    month ``YYYY-MM``."""

    data: Source
    reporting: Source
    period: str


@dataclass(frozen=True, slots=True)
class MonthResult:
    """The month computed: the baseline it was predicted with, its savings, and the SHA-256 of
    each data file (``baseline-data``, ``reporting-data``)."""

    deal: str
    period: str
    baseline: BaselineResult
    savings: MonthSavings
    files: tuple[tuple[str, str, InputFile], ...]  # (role, SHA-256, the bytes read)

    @property
    def inputs_hash(self) -> str:
        """One hash of the data files and the month: equal inputs, equal hash."""
        text = "|".join(f"{role}:{digest}" for role, digest, _ in self.files)
        return "sha256:" + hashlib.sha256(f"{text}|period:{self.period}".encode()).hexdigest()


def _read(source: Source, role: str) -> InputFile:
    name = source_name(source)
    try:
        if isinstance(source, Path):
            return InputFile(source.name, source.read_bytes())
        content = source.content
        if not isinstance(content, bytes):
            if content.seekable():
                content.seek(0)
            content = content.read()
        return InputFile(name, content)
    except OSError as exc:
        raise MissingInput(role, name, exc.strerror or "cannot be read", naming=True) from None


def _month(period: str) -> date:
    try:
        year, month = period.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise BadOption(
            "period", "{period}: {given} is not a month like 2027-03", given=period
        ) from None


def compute_month(deal: Deal, request: SavingsRequest) -> MonthResult:
    """Fit the baseline (held to its lock), predict ``request.period`` from the reporting data
    and return its savings; a baseline that is not accepted cannot settle (RefusedCommand)."""
    first = _month(request.period)
    data = _read(request.data, "data")
    reporting = _read(request.reporting, "reporting")
    baseline = fit_deal_baseline(deal, data)
    if not baseline.accepted:
        why = "; ".join(f.message for f in baseline.fitted.findings) or "outside the deal's limits"
        raise RefusedCommand(f"the baseline is not accepted ({why}): it cannot settle savings")
    text = reporting.content.decode("utf-8") if isinstance(reporting.content, bytes) else ""
    rows, problems = read_baseline_data(text, reporting.name, baseline.model)
    if rows is None:
        raise MalformedInput(
            f"{reporting.name}: {len(problems)} problem(s); nothing settled", problems
        )
    months, problems = monthly_savings(baseline.fitted, rows, grain=baseline.model.grain)
    if problems:
        raise MalformedInput(
            f"{reporting.name}: {len(problems)} problem(s); nothing settled", problems
        )
    month = next((m for m in months if m.month == first), None)
    if month is None:
        raise BadOption(
            "reporting",
            "{reporting} {name} has no rows in {period}",
            name=reporting.name,
            period=request.period,
        )
    files = tuple(
        (role, hashlib.sha256(f.content if isinstance(f.content, bytes) else b"").hexdigest(), f)
        for role, f in (("baseline-data", data), ("reporting-data", reporting))
    )
    return MonthResult(deal.id, request.period, baseline, month, files)


def keep_data(
    workspace: Workspace, deal_id: str, month: MonthResult, *, by: str
) -> tuple[str, ...]:
    """Store the data files of ``month`` in the deal's evidence store (kind: their role);
    returns their SHA-256, in order."""
    hashes = []
    for role, _, f in month.files:
        content = f.content if isinstance(f.content, bytes) else b""
        record = workspace.add_evidence(
            deal_id, io.BytesIO(content), name=Path(f.name).name, kind=role, by=by
        )
        hashes.append(record.sha256)
    return tuple(dict.fromkeys(hashes))


def savings_command(
    month: MonthResult, *, by: str, key: str | None = None, evidence: tuple[str, ...] = ()
) -> ops.SettleSavings:
    """The command that records ``month`` as the period's savings."""
    s = month.savings
    return ops.SettleSavings(
        deal=month.deal,
        period=month.period,
        predicted=s.predicted,
        actual=s.actual,
        savings=s.savings,
        baseline=month.baseline.fitted.hash,
        inputs=month.inputs_hash,
        by=by,
        key=key,
        evidence=evidence,
    )


def record_month(
    workspace: Workspace,
    deal_id: str,
    request: SavingsRequest,
    *,
    by: str,
    clock: Callable[[], datetime],
    key: str | None = None,
) -> tuple[MonthResult, Outcome]:
    """Compute ``request.period``'s savings and record them (see the module)."""
    deal = workspace.deal(deal_id)
    if deal.gainshare is None:
        raise MissingTerms(deal_id, "the deal has no gainshare")
    month = compute_month(deal, request)
    kept = keep_data(workspace, deal_id, month, by=by)
    command = savings_command(month, by=by, key=key, evidence=kept)
    return month, ops.execute(command, uow=workspace, clock=clock)


# -- the read side --


@dataclass(frozen=True, slots=True)
class MonthRow:
    period: str
    year: str
    predicted: Decimal
    actual: Decimal
    savings: Decimal
    settled_on: date
    by: str
    invoice: str | None
    billed: Money  # the month's invoice net (base fee and share), or what it would bill
    share: Money  # its share line
    year_to_date: Money  # the year's share lines up to this month


@dataclass(frozen=True, slots=True)
class YearRow:
    year: str
    months_settled: int
    savings: Decimal
    year_share: Money  # min(cap, share × max(0, ΣS) × price) of the months so far
    billed: Money  # the share lines billed
    cap: Money | None
    due: Money  # the true-up they make
    true_up: str | None  # its document
    ended: bool  # the year is over (the true-up may be made once its months are invoiced)


@dataclass(frozen=True, slots=True)
class GainshareView:
    deal: str
    terms: GainshareTerms
    months: tuple[MonthRow, ...]
    years: tuple[YearRow, ...]


def _rows(deal: Deal, state: DealState) -> list[MonthRow]:
    rows = []
    running: dict[str, Money] = {}
    zero = Money.zero(deal.currency)
    for period in sorted(state.gainshare):
        month = state.gainshare[period]
        year = contract_year(deal, period)
        lines = [] if month.invoice else month_lines(deal, state, period)
        billed = sum((line.amount for line in lines), Decimal(0))
        if month.invoice is not None:
            invoice = next(i for i in state.invoices if i.number == month.invoice)
            billed = sum(
                (ln.amount for ln in invoice.lines if ln.for_.startswith(f"gainshare:{period}:")),
                Decimal(0),
            )
        share = Money.of(month.share, deal.currency)
        running[year] = running.get(year, zero) + share
        s = month.settled
        rows.append(
            MonthRow(
                period,
                year,
                s.predicted,
                s.actual,
                s.savings,
                s.day,
                s.by,
                month.invoice,
                Money.of(billed, deal.currency),
                share,
                running[year],
            )
        )
    return rows


def gainshare_view(deal: Deal, events: Sequence[Event], *, today: date) -> GainshareView:
    """The deal's gainshare months and contract years as of ``today`` (one fold)."""
    terms = GainshareTerms.from_deal(deal)
    state = deal_state(deal, events, on=today)
    rows = _rows(deal, state)
    years = []
    for year in dict.fromkeys(r.year for r in rows):
        figures = year_figures(deal, state, year)
        last = year_months(deal, year)[-1]
        ended = today >= _after(last)
        done = state.gainshare_true_ups.get(year)
        years.append(
            YearRow(
                year,
                sum(1 for r in rows if r.year == year),
                figures.savings,
                figures.year_share,
                figures.billed,
                terms.cap,
                figures.due,
                done.number if done else None,
                ended,
            )
        )
    return GainshareView(deal.id, terms, tuple(rows), tuple(years))


def _after(period: str) -> date:
    first = _month(period)
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
