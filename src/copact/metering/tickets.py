"""Service tickets (DESIGN §6.1) and the two metrics computed from them (§6.3).

CSV ``site, id, fault_start, alert, ack, restored, hold_minutes``; ``ack`` and ``restored`` may be
empty while a ticket is open, ``hold_minutes`` (time the clock was stopped, e.g. waiting on the
customer) may be empty for none. A ticket counts in the month it is **restored**:

- time-to-repair = restored − fault_start − hold
- response-time  = ack − alert

A ticket not restored by the end of the period is *censored*: it is reported as open and
settles in the period it is restored. Tickets are a few rows a month, so these metrics are plain
Python over exact integers on every engine.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from copact.core.diagnostic import Diagnostic
from copact.metering.periods import Period
from copact.metering.records import instant, known_site, read_rows
from copact.metering.results import MetricResult

__all__ = ["TICKET_COLUMNS", "Ticket", "read_tickets", "ticket_metric"]

TICKET_COLUMNS = ("site", "id", "fault_start", "alert", "ack", "restored", "hold_minutes")


@dataclass(frozen=True, slots=True, order=True)
class Ticket:
    site: str
    id: str
    fault_start_ms: int
    alert_ms: int
    ack_ms: int | None
    restored_ms: int | None
    hold_ms: int = 0

    @property
    def repair_ms(self) -> int | None:
        if self.restored_ms is None:
            return None
        return self.restored_ms - self.fault_start_ms - self.hold_ms

    @property
    def response_ms(self) -> int | None:
        return None if self.ack_ms is None else self.ack_ms - self.alert_ms


def read_tickets(path: Path, sites: Collection[str]) -> tuple[list[Ticket], list[Diagnostic]]:
    """The tickets of ``path`` and every problem of its rows."""
    problems: list[Diagnostic] = []
    tickets: list[Ticket] = []
    seen: dict[tuple[str, str], int] = {}
    for row in read_rows(path, TICKET_COLUMNS, problems):
        site, ident = row.text("site"), row.text("id")
        fault = instant(row, "fault_start")
        alert = instant(row, "alert")
        ack = instant(row, "ack", required=False)
        restored = instant(row, "restored", required=False)
        hold_ms = 0
        hold_text = row.text("hold_minutes")
        if hold_text:
            try:
                hold = Decimal(hold_text)
                if not hold.is_finite() or hold < 0:
                    raise InvalidOperation
                hold_ms = int((hold * 60_000).to_integral_value())
            except InvalidOperation:
                row.error(
                    "M103",
                    "hold_minutes",
                    f"hold_minutes must be a number of minutes, got {hold_text!r}",
                    "write the minutes the repair clock was stopped, or leave it empty",
                )
        if not ident:
            row.error("M104", "id", "the ticket has no id", "give every ticket an id")
        elif (site, ident) in seen:
            row.error(
                "M303",
                "id",
                f"ticket {ident!r} of {site} also appears on line {seen[(site, ident)]}",
                "one line a ticket; update the line instead of adding another",
            )
        else:
            seen[(site, ident)] = row.line
        if fault is not None and restored is not None:
            if restored < fault:
                row.error(
                    "M301", "restored", "restored before the fault started", "check the instants"
                )
            elif restored - fault < hold_ms:
                row.error(
                    "M302",
                    "hold_minutes",
                    "the hold is longer than the fault",
                    "the hold is the part of fault_start..restored the clock was stopped",
                )
        if alert is not None and ack is not None and ack < alert:
            row.error("M301", "ack", "acknowledged before the alert", "check the instants")
        unknown = known_site(row, site, sites, "ticket")
        if unknown is not None:
            problems.append(unknown)
            continue
        problems.extend(row.problems)
        if not row.problems and fault is not None and alert is not None:
            tickets.append(Ticket(site, ident, fault, alert, ack, restored, hold_ms))
    return sorted(tickets), problems


def _nearest_rank(values: Sequence[int], q: int) -> int:
    """The ``q``-th percentile by nearest rank: an actual ticket's figure, never interpolated."""
    ordered = sorted(values)
    rank = max(1, -(-q * len(ordered) // 100))  # ceil(q/100 * n) in integers
    return ordered[rank - 1]


def ticket_metric(
    tickets: Sequence[Ticket],
    *,
    metric: str,
    measure: str,
    site: str,
    period: Period,
    stat: str = "mean",
) -> MetricResult:
    """time-to-repair or response-time of ``site`` over ``period`` (value in seconds)."""
    mine = [t for t in tickets if t.site == site]
    restored = [
        t
        for t in mine
        if t.restored_ms is not None and period.start_ms <= t.restored_ms < period.end_ms
    ]
    open_ = [
        t
        for t in mine
        if t.fault_start_ms < period.end_ms
        and (t.restored_ms is None or t.restored_ms >= period.end_ms)
    ]
    figures: list[int] = []
    censored = len(open_)
    for t in restored:
        ms = t.repair_ms if measure == "time-to-repair" else t.response_ms
        if ms is None:
            censored += 1  # restored but never acknowledged: no response time to count
        else:
            figures.append(ms)
    total = sum(figures)
    n = len(figures)
    mean = Fraction(total, 1000 * n) if n else None
    p90 = Fraction(_nearest_rank(figures, 90), 1000) if n else None
    worst = Fraction(max(figures), 1000) if n else None
    value = {"mean": mean, "p90": p90, "max": worst}[stat]
    return MetricResult(
        metric=metric,
        measure=measure,
        site=site,
        period=period.month,
        unit="s",
        value=value,
        numerator=Fraction(total, 1000),
        denominator=Fraction(n),
        unknown_s=Fraction(0),
        coverage=None,
        details={"tickets": n, "censored": censored, "mean_s": mean, "p90_s": p90, "max_s": worst},
        stat=stat,
    )
