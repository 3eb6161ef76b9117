"""A problem found in user input, as a value: code, severity, message, hint and place.

Diagnostics are collected, never raised, so that one run reports every problem of a file.
``pointer`` is the RFC 6901 JSON pointer of the offending key in the deal (``/milestones/0``);
``line`` and ``column`` are 1-based and point at that key in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = ["Diagnostic", "Severity", "escape_pointer"]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


def escape_pointer(token: str | int) -> str:
    """Escape one reference token of a JSON pointer (``~`` → ``~0``, ``/`` → ``~1``)."""
    return str(token).replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    hint: str
    pointer: str = ""
    path: str = ""
    line: int = 1
    column: int = 1

    def at(self, *, path: str, line: int, column: int) -> Diagnostic:
        return replace(self, path=path, line=line, column=column)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
