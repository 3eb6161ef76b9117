"""Maintenance and exclusion windows (DESIGN §6.1): CSV ``site, start, end, kind``, or the
``window`` events of a deal's journal (``copact window``).

``planned`` is approved maintenance, ``excluded`` force majeure or customer-caused time. A
window covers exactly ``[start, end)``: when the work runs over, the overrun is forced outage.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from copact.core.diagnostic import Diagnostic
from copact.core.events import Event, WindowRecorded, canonical_json
from copact.metering.records import instant, known_site, read_rows

__all__ = [
    "WINDOW_COLUMNS",
    "Window",
    "disjoint_windows",
    "journal_windows",
    "read_windows",
]

WINDOW_COLUMNS = ("site", "start", "end", "kind")


@dataclass(frozen=True, slots=True, order=True)
class Window:
    site: str
    start_ms: int
    end_ms: int
    kind: Literal["planned", "excluded"]


def read_windows(path: Path, sites: Collection[str]) -> tuple[list[Window], list[Diagnostic]]:
    """The windows of ``path`` and every problem of its rows."""
    problems: list[Diagnostic] = []
    windows: list[Window] = []
    for row in read_rows(path, WINDOW_COLUMNS, problems):
        site = row.text("site")
        start = instant(row, "start")
        end = instant(row, "end")
        kind = row.text("kind")
        if kind not in ("planned", "excluded"):
            row.error(
                "M203",
                "kind",
                f"kind must be planned or excluded, got {kind!r}",
                "planned: approved maintenance; excluded: force majeure or customer-caused",
            )
        if start is not None and end is not None and end <= start:
            row.error("M202", "end", "the window ends before it starts", "end must follow start")
        unknown = known_site(row, site, sites, "window")
        if unknown is not None:
            problems.append(unknown)
            continue
        problems.extend(row.problems)
        if not row.problems and start is not None and end is not None:
            windows.append(Window(site, start, end, "planned" if kind == "planned" else "excluded"))
    return sorted(windows), problems


def disjoint_windows(windows: Sequence[Window]) -> list[Window]:
    """The same coverage as non-overlapping windows: where an excluded and a planned window
    overlap the time is excluded (it outranks planned), and touching windows of a kind merge.

    Every instant then lies in at most one window, so a query can join on the window an
    instant falls in without counting any time twice."""
    result: list[Window] = []
    for site in sorted({w.site for w in windows}):
        mine = [w for w in windows if w.site == site]
        edges = sorted({e for w in mine for e in (w.start_ms, w.end_ms)})
        for a, b in itertools.pairwise(edges):
            kinds = {w.kind for w in mine if w.start_ms <= a and b <= w.end_ms}
            if not kinds:
                continue
            kind: Literal["planned", "excluded"] = "excluded" if "excluded" in kinds else "planned"
            last = result[-1] if result else None
            if last is not None and last.site == site and last.kind == kind and last.end_ms == a:
                result[-1] = Window(site, last.start_ms, b, kind)
            else:
                result.append(Window(site, a, b, kind))
    return result


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def journal_windows(events: Sequence[Event]) -> tuple[list[Window], str]:
    """The windows a journal recorded, and the SHA-256 of their events' canonical text (the
    version of this input that a metric's inputs hash names)."""
    recorded = [e for e in events if isinstance(e, WindowRecorded)]
    digest = hashlib.sha256("\n".join(canonical_json(e) for e in recorded).encode("utf-8"))
    windows = [Window(e.site, _ms(e.start), _ms(e.end), e.kind) for e in recorded]
    return windows, digest.hexdigest()
