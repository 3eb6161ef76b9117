"""Deliveries against their due dates (issue 15 §9) and the metric computed from them,
``on-time-delivery``.

CSV ``site, id, due, delivered``: one line a delivery (a call-off, a wave, a truck). ``due`` and
``delivered`` are ISO 8601 instants with their offset or plain dates; a date means **the end of
that local day at the site** (in the site's IANA zone, so a 25-hour day when the clocks go
back). ``delivered`` is empty while the delivery has not arrived.

A delivery is on time when it was delivered no later than its due instant, so one due on a date
is on time when delivered before the next local midnight. It counts in the period its **due**
falls in, whenever it was delivered; one due in the period and not delivered by the period's
end is *open* and late::

    due 2026-10-25 at tilburg-dc (Europe/Amsterdam; the clocks go back that night)
    the due day ends at 2026-10-26T00:00+01:00 = 2026-10-25T23:00Z, 25 hours after it began
    delivered 2026-10-25T23:30+01:00  on time
    delivered 2026-10-26T00:00+01:00  late

on-time-delivery = on time / due in the period, a ratio (so ``target: 97%`` and percent tiers
compare); a period with no delivery due has no value (no credit, and the run says so). Deliveries
are a few rows a month, so the metric is plain Python over exact integers on every engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from copact.core.diagnostic import Diagnostic
from copact.metering.periods import Period
from copact.metering.records import Row, instant, known_site, read_rows
from copact.metering.results import MetricResult

__all__ = [
    "DELIVERY_COLUMNS",
    "NONE_DUE",
    "Delivery",
    "delivery_metric",
    "end_of_local_day",
    "read_deliveries",
]

DELIVERY_COLUMNS = ("site", "id", "due", "delivered")
NONE_DUE = "no delivery was due in the period, so on-time delivery has no value and no credit"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True, order=True)
class Delivery:
    """One delivery: ``due_ms`` is the last instant it is on time at (UTC ms, inclusive), so a
    date's is the millisecond before the next local midnight; ``delivered_ms`` when it was
    delivered (``None``: not yet), a date read as the end of that local day too."""

    site: str
    id: str
    due_ms: int
    delivered_ms: int | None

    @property
    def on_time(self) -> bool:
        return self.delivered_ms is not None and self.delivered_ms <= self.due_ms


def end_of_local_day(day: date, timezone: str) -> int:
    """The last millisecond of ``day`` in ``timezone`` (UTC ms): the next local midnight less
    one. Where midnight does not exist (a zone that springs forward at 00:00) the day begins at
    the first instant there is, which is what ``fold=0`` gives."""
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone))
    return int(midnight.timestamp() * 1000) - 1


def _moment(row: Row, name: str, timezone: str | None, *, required: bool) -> int | None:
    """The field ``name`` as UTC ms: an instant with its offset, or a date as the end of that
    local day at the site (``timezone``; ``None`` for a site the deal does not declare)."""
    text = row.text(name)
    if not _DATE.match(text):
        return instant(row, name, required=required)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        row.error(
            "M101",
            name,
            f"{name} is not a date: {text!r}",
            "write a date like 2026-10-05 or an instant like 2026-10-05T14:00:00+02:00",
        )
        return None
    return None if timezone is None else end_of_local_day(day, timezone)


def read_deliveries(
    path: Path, sites: Mapping[str, str]
) -> tuple[list[Delivery], list[Diagnostic]]:
    """The deliveries of ``path`` and every problem of its rows; ``sites`` maps each site of
    the deal to its IANA zone (the zone a date is a local day of)."""
    problems: list[Diagnostic] = []
    deliveries: list[Delivery] = []
    seen: dict[tuple[str, str], int] = {}
    for row in read_rows(path, DELIVERY_COLUMNS, problems):
        site, ident = row.text("site"), row.text("id")
        zone = sites.get(site)
        due = _moment(row, "due", zone, required=True)
        delivered = _moment(row, "delivered", zone, required=False)
        if not ident:
            row.error("M104", "id", "the delivery has no id", "give every delivery an id")
        elif (site, ident) in seen:
            row.error(
                "M401",
                "id",
                f"delivery {ident!r} of {site} also appears on line {seen[(site, ident)]}",
                "one line a delivery; write its delivered instant on that line instead",
            )
        else:
            seen[(site, ident)] = row.line
        unknown = known_site(row, site, sites, "delivery")
        if unknown is not None:
            problems.append(unknown)
            continue
        problems.extend(row.problems)
        if not row.problems and due is not None:
            deliveries.append(Delivery(site, ident, due, delivered))
    return sorted(deliveries), problems


def delivery_metric(
    deliveries: Sequence[Delivery], *, metric: str, site: str, period: Period
) -> MetricResult:
    """on-time-delivery of ``site`` over ``period``: the deliveries due in it, on time over
    all (see the module). ``details``: ``due``, ``on_time``, ``late`` (delivered after its due
    instant, within the period) and ``open`` (not delivered by the period's end); on time,
    late and open add up to due."""
    due = [d for d in deliveries if d.site == site and period.start_ms <= d.due_ms < period.end_ms]
    on_time = sum(1 for d in due if d.on_time)
    open_ = sum(1 for d in due if d.delivered_ms is None or d.delivered_ms >= period.end_ms)
    late = len(due) - on_time - open_
    details: dict[str, int | str] = {
        "due": len(due),
        "on_time": on_time,
        "late": late,
        "open": open_,
    }
    if not due:
        details["note"] = NONE_DUE
    return MetricResult(
        metric=metric,
        measure="on-time-delivery",
        site=site,
        period=period.month,
        unit="ratio",
        value=Fraction(on_time, len(due)) if due else None,
        numerator=Fraction(on_time),
        denominator=Fraction(len(due)),
        unknown_s=Fraction(0),
        coverage=None,
        details=details,
    )
