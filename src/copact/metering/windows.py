"""Maintenance and exclusion windows (DESIGN §6.1): CSV ``site, start, end, kind``.

``planned`` is approved maintenance, ``excluded`` force majeure or customer-caused time. A
window covers exactly ``[start, end)``: when the work runs over, the overrun is forced outage.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from copact.core.diagnostic import Diagnostic, Severity
from copact.metering.records import instant, read_rows

__all__ = ["WINDOW_COLUMNS", "Window", "read_windows"]

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
        if not site:
            row.error("M104", "site", "row has no site", "name the site of the window")
        elif site not in sites:
            problems.append(
                Diagnostic(
                    "M107",
                    Severity.WARNING,
                    f"unknown site {site!r}: the window is ignored",
                    "declare the site in the deal's sla.sites",
                    path=row.path,
                    line=row.line,
                    column=1,
                )
            )
            continue
        problems.extend(row.problems)
        if not row.problems and start is not None and end is not None:
            windows.append(Window(site, start, end, "planned" if kind == "planned" else "excluded"))
    return sorted(windows), problems
