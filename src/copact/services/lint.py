"""Lint deal files: expand paths, load each file, run the rules, collect a report."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from copact.core.diagnostic import Diagnostic, Severity
from copact.dealfile.loader import load_deal
from copact.rules.runner import Selection, check_deal

__all__ = ["FileReport", "LintReport", "MissingPath", "expand_paths", "lint_paths"]

DEAL_SUFFIXES = (".yaml", ".yml")


class MissingPath(Exception):
    """A path given on the command line does not exist or cannot be read."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class FileReport:
    path: str
    findings: list[Diagnostic]


@dataclass(frozen=True)
class LintReport:
    files: list[FileReport] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.files for d in f.findings if d.severity == severity)

    @property
    def summary(self) -> dict[str, int]:
        return {s.value: self.count(s) for s in Severity}

    def failed(self, *, strict: bool) -> bool:
        if self.count(Severity.ERROR):
            return True
        return strict and self.count(Severity.WARNING) > 0


_OTHER_KIND = re.compile(rb"^copact-[a-z]+:", re.MULTILINE)


def _other_copact_file(path: Path) -> bool:
    """A file that says at its top level it is another copact file (``copact-evaluation: 1``,
    a supplier evaluation), not a deal; read only in part, and a file that cannot be read is
    left to the linter to report."""
    try:
        with path.open("rb") as f:
            head = f.read(64 * 1024)
    except OSError:
        return False
    return _OTHER_KIND.search(head) is not None and re.search(rb"^copact:", head, re.M) is None


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders searched recursively for ``*.yaml``/``*.yml``, sorted, leaving
    out the files that declare another copact kind (a supplier evaluation)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = (
                p
                for p in path.rglob("*")
                if p.suffix in DEAL_SUFFIXES and p.is_file() and not _other_copact_file(p)
            )
            out.extend(sorted(found))
        elif path.is_file():
            out.append(path)
        else:
            raise MissingPath(path, "no such file or folder")
    return out


def lint_paths(paths: Sequence[Path], selection: Selection | None = None) -> LintReport:
    """Check every deal file under ``paths``. Raises :class:`MissingPath` for a missing path."""
    files = []
    for path in expand_paths(paths):
        try:
            loaded = load_deal(path)
        except OSError as exc:
            raise MissingPath(path, exc.strerror or "cannot be read") from None
        files.append(FileReport(str(path), check_deal(loaded, selection or Selection())))
    return LintReport(files)
