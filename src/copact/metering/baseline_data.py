"""Baseline data files (DESIGN §6.5): CSV rows read into typed values, every fault reported.

A file has ``date`` (daily rows) or ``start,end`` (billing periods, half-open ``[start, end)``),
``observed`` (the measure over the row), ``temperature_f`` (daily mean, for the CalTRACK kinds)
and one column per driver the deal's model names::

    date,observed,temperature_f          start,end,observed,outage-hours
    2023-01-01,41.250,31.4               2025-01-01,2025-02-01,702.5,3.5
    2023-01-02,,30.9       ← missing     2025-02-01,2025-03-01,512.0,0

For the CalTRACK kinds an empty ``observed`` or ``temperature_f`` is a missing day: CalTRACK's
data-sufficiency rules count it (at most 10% may be missing). Anything else that does not fit
(a bad date, a word where a number goes, a row out of order, a period outside the baseline
period the deal names) is a :class:`Diagnostic` with the file and row's line, and no fit is
attempted until the file is clean: a row is never dropped silently.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from copact.core.diagnostic import Diagnostic, Severity
from copact.core.mechanisms import BaselineModel

__all__ = ["BaselineData", "BaselineRow", "read_baseline_data"]

CALTRACK_KINDS = ("caltrack-daily", "caltrack-billing")


@dataclass(frozen=True, slots=True)
class BaselineRow:
    """One row: the period ``[start, end)``, its values (None = missing) and its file line."""

    line: int
    start: date
    end: date
    observed: float | None
    temperature_f: float | None
    drivers: tuple[float | None, ...]
    canonical: tuple[str, ...]
    """The row's values as normalised decimal text, for the baseline's hash."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True, slots=True)
class BaselineData:
    path: str
    billing: bool
    drivers: tuple[str, ...]
    rows: tuple[BaselineRow, ...]
    period: tuple[date, date] | None
    """The deal's baseline period ``[from, to + 1 day)``, when the deal names one."""


def _problem(
    code: str, message: str, hint: str, path: str, line: int, column: int = 1
) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, hint, path=path, line=line, column=column)


def _canonical(text: str) -> str:
    """``1.50`` and ``1.5`` are the same number and hash the same; missing is ``""``."""
    if text == "":
        return ""
    value = Decimal(text).normalize()
    return f"{value:f}"


def read_baseline_data(
    text: str,
    path: str,
    model: BaselineModel,
    *,
    period: tuple[date, date] | None = None,
) -> tuple[BaselineData | None, list[Diagnostic]]:
    """The rows of a baseline CSV and the problems found; data is None unless there are none.

    ``period`` is the deal's baseline ``from`` and ``to`` (inclusive); rows outside it are refused
    (CalTRACK 2.2.4: data outside the baseline period is not part of the baseline).
    """
    problems: list[Diagnostic] = []
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return None, [_problem("B901", "the file is empty", "write a header line", path, 1)]
    caltrack = model.kind in CALTRACK_KINDS
    billing = "start" in header or "end" in header
    needed = ["start", "end"] if billing else ["date"]
    needed.append("observed")
    if caltrack:
        needed.append("temperature_f")
    needed += [d for d in model.drivers if not caltrack]
    missing = [c for c in needed if c not in header]
    if missing:
        return None, [
            _problem(
                "B902",
                f"missing column(s): {', '.join(missing)}",
                f"a {model.kind} baseline needs the columns {', '.join(needed)}",
                path,
                1,
            )
        ]
    if billing and "date" in header:
        problems.append(
            _problem("B902", "both date and start,end columns", "use one of the two", path, 1)
        )
    if model.kind == "caltrack-daily" and billing:
        problems.append(
            _problem(
                "B908",
                "caltrack-daily needs daily rows (a date column), not billing periods",
                "use kind caltrack-billing for start,end periods",
                path,
                1,
            )
        )
    if model.kind == "linear" and model.grain == "day" and billing:
        problems.append(
            _problem(
                "B908",
                "grain: day needs daily rows (a date column)",
                "use grain: month for billing periods",
                path,
                1,
            )
        )
    index = {name: i for i, name in enumerate(header)}
    value_columns = ["observed", *(["temperature_f"] if caltrack else []), *model.drivers]
    if caltrack:
        value_columns = value_columns[:2]
    rows: list[BaselineRow] = []
    previous_end: date | None = None
    first_day = period[0] if period else None
    end_day = period[1] + timedelta(days=1) if period else None
    last_day = period[1] if period else None
    for number, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                _problem(
                    "B906",
                    f"{len(cells)} cells where the header has {len(header)}",
                    "every row has one cell per column (an empty cell is a missing value)",
                    path,
                    number,
                )
            )
            continue
        cells = [c.strip() for c in cells]
        bad = False
        days: list[date] = []
        for name in needed[: 2 if billing else 1]:
            try:
                days.append(date.fromisoformat(cells[index[name]]))
            except ValueError:
                problems.append(
                    _problem(
                        "B903",
                        f"{name} {cells[index[name]]!r} is not a date",
                        "write dates as YYYY-MM-DD",
                        path,
                        number,
                        index[name] + 1,
                    )
                )
                bad = True
        values: list[float | None] = []
        canonical: list[str] = []
        for name in value_columns:
            cell = cells[index[name]]
            if cell == "":
                if not caltrack:
                    problems.append(
                        _problem(
                            "B910",
                            f"{name} is empty",
                            "a linear baseline needs every value (CalTRACK kinds allow gaps)",
                            path,
                            number,
                            index[name] + 1,
                        )
                    )
                    bad = True
                values.append(None)
                canonical.append("")
                continue
            try:
                number_value = Decimal(cell)
                if not number_value.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(
                    _problem(
                        "B904",
                        f"{name} {cell!r} is not a number",
                        "write a decimal number such as 41.25, or leave the cell empty",
                        path,
                        number,
                        index[name] + 1,
                    )
                )
                bad = True
                continue
            values.append(float(number_value))
            canonical.append(_canonical(cell))
        if bad:
            continue
        start = days[0]
        end = days[1] if billing else start + timedelta(days=1)
        if end <= start:
            problems.append(
                _problem(
                    "B907",
                    f"the period ends ({end}) on or before it starts ({start})",
                    "end is the first day after the period ([start, end))",
                    path,
                    number,
                )
            )
            continue
        if previous_end is not None and start < previous_end:
            problems.append(
                _problem(
                    "B905",
                    f"{start} overlaps or comes before the previous row",
                    "rows are in time order, one per day or period, without overlaps",
                    path,
                    number,
                )
            )
            continue
        if first_day is not None and end_day is not None and (start < first_day or end > end_day):
            problems.append(
                _problem(
                    "B909",
                    f"{start} is outside the baseline period {first_day} to {last_day}",
                    "the deal's gainshare.baseline from/to bound the data; remove rows outside it",
                    path,
                    number,
                )
            )
            continue
        previous_end = end
        key = (start.isoformat(), end.isoformat(), *canonical)
        rows.append(
            BaselineRow(
                number,
                start,
                end,
                values[0],
                values[1] if caltrack else None,
                tuple(values[1:]) if not caltrack else (),
                key,
            )
        )
    if not rows and not problems:
        problems.append(_problem("B901", "the file has no data rows", "add rows", path, 1))
    if problems:
        return None, problems
    bounds = (first_day, end_day) if first_day is not None and end_day is not None else None
    drivers = tuple(model.drivers) if not caltrack else ()
    return BaselineData(path, billing, drivers, tuple(rows), bounds), []
