"""Small CSV inputs read row by row: the header check and the problems of a row, shared by
the windows and tickets readers."""

from __future__ import annotations

import csv
from collections.abc import Container, Iterator, Sequence
from pathlib import Path

from copact.core.diagnostic import Diagnostic, Severity
from copact.metering.instants import parse_instant

__all__ = ["Row", "instant", "known_site", "read_rows"]


class Row:
    """One data row of a CSV file with its line, collecting its own problems."""

    def __init__(self, path: str, line: int, fields: dict[str, str], columns: Sequence[str]):
        self.path = path
        self.line = line
        self.fields = fields
        self.columns = list(columns)
        self.problems: list[Diagnostic] = []

    def text(self, name: str) -> str:
        return self.fields.get(name, "").strip()

    def error(self, code: str, name: str, message: str, hint: str) -> None:
        column = self.columns.index(name) + 1 if name in self.columns else 1
        self.problems.append(
            Diagnostic(
                code, Severity.ERROR, message, hint, path=self.path, line=self.line, column=column
            )
        )


def known_site(row: Row, site: str, sites: Container[str], what: str) -> Diagnostic | None:
    """Check the row's site: a missing one is an error of the row (M104); one the deal does not
    declare is a warning (M107), returned so the caller can report it and skip the row."""
    if not site:
        row.error("M104", "site", "row has no site", f"name the site of the {what}")
        return None
    if site in sites:
        return None
    return Diagnostic(
        "M107",
        Severity.WARNING,
        f"unknown site {site!r}: the {what} is ignored",
        "declare the site in the deal's sla.sites",
        path=row.path,
        line=row.line,
        column=1,
    )


def instant(row: Row, name: str, *, required: bool = True) -> int | None:
    """The field ``name`` as UTC milliseconds, recording why not when it is not one."""
    text = row.text(name)
    if not text:
        if required:
            row.error("M104", name, f"{name} is empty", f"write {name} as an ISO 8601 instant")
        return None
    parsed = parse_instant(text)
    if parsed == "naive":
        row.error(
            "M102",
            name,
            f"{name} {text!r} has no UTC offset",
            "write instants with their offset, e.g. 2027-03-14T02:30:00-04:00 or ...Z",
        )
        return None
    if isinstance(parsed, str):
        row.error(
            "M101",
            name,
            f"{name} is not an ISO 8601 instant: {text!r}",
            "write instants like 2027-03-01T00:00:00-05:00",
        )
        return None
    return parsed


def read_rows(path: Path, columns: Sequence[str], problems: list[Diagnostic]) -> Iterator[Row]:
    """The rows of a CSV file with the given header; a wrong header is one problem at line 1."""
    name = str(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != list(columns):
            problems.append(
                Diagnostic(
                    "M100",
                    Severity.ERROR,
                    f"the header must be {','.join(columns)}, got {','.join(header or [])!r}",
                    f"write the header line {','.join(columns)}",
                    path=name,
                    line=1,
                    column=1,
                )
            )
            return
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(columns):
                problems.append(
                    Diagnostic(
                        "M104",
                        Severity.ERROR,
                        f"row has {len(fields)} fields, expected {len(columns)}",
                        f"each line is {','.join(columns)}",
                        path=name,
                        line=line,
                        column=1,
                    )
                )
                continue
            yield Row(name, line, dict(zip(columns, fields, strict=True)), columns)
