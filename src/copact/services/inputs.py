"""The files metering and baseline fitting read, given by path (the command line) or as bytes
(an upload), and the exceptions that say what is wrong with them or with an option.

An upload is an :class:`InputFile`: its ``name`` is what its problems are reported under
(``march.csv:3:2: M102 …``), never a path; its bytes are spooled into a private temporary
folder under a name copact picks, because the readers of :mod:`copact.metering` read files.
Afterwards every place the reader wrote that temporary path says the name instead::

    with spooled([InputFile("march.csv", b"site,ts,signal,value\\n…")], "telemetry") as files:
        read_telemetry([f.path for f in files], sites)  # problems name "march.csv"

Exceptions (all :class:`copact.errors.CopactError`; none is a traceback for the user)::

    MeteringError
     ├── BadOption         an option that cannot run (a period that is no month): exit 2 / 422
     │    └── MissingInput a file that is not there or cannot be read
     ├── MalformedInput    rows of an input are wrong; ``problems`` names each file and line
     └── MissingTerms      the deal lacks the section the use case needs (also RefusedCommand)
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from copact.core.diagnostic import Diagnostic, Severity
from copact.errors import CopactError, RefusedCommand

__all__ = [
    "BadOption",
    "InputFile",
    "MalformedInput",
    "MeteringError",
    "MissingInput",
    "MissingTerms",
    "Source",
    "Spooled",
    "problem_line",
    "read_text",
    "relabel",
    "relabelled",
    "require_files",
    "source_name",
    "spooled",
]


class MeteringError(CopactError):
    """An input or an option metering or baseline fitting cannot use; the message says which."""


class BadOption(MeteringError, ValueError):
    """An option that cannot run. ``template`` names options as ``{period}``, so each edge
    says them its own way: ``--period`` on the command line, ``period`` in the API (the
    message, ``str(exc)``). Values the user gave are filled in as given, never parsed again."""

    def __init__(self, option: str, template: str, /, **values: str) -> None:
        self.option = option
        self.template = template
        self.values = values
        super().__init__(self.said(lambda name: name))

    def said(self, flag: Callable[[str], str]) -> str:
        """The message with each option written as ``flag(name)``."""
        return self.template.format_map(_Fill(self.values, flag))


class _Fill(dict[str, str]):
    def __init__(self, values: Mapping[str, str], flag: Callable[[str], str]) -> None:
        super().__init__(values)
        self.flag = flag

    def __missing__(self, key: str) -> str:
        return self.flag(key)


class MissingInput(BadOption):
    """An input file that is not there or cannot be read (nothing was read or settled)."""

    def __init__(self, option: str, path: str, reason: str, *, naming: bool = False) -> None:
        template = "{path}: {reason}" + (f" ({{{option}}})" if naming else "")
        super().__init__(option, template, path=path, reason=reason)
        self.path = path
        self.reason = reason


class MalformedInput(MeteringError, ValueError):
    """Rows of an input are wrong, so nothing was computed. ``problems`` holds every problem
    found (warnings too) with its file, line and column; ``summary`` says how many."""

    def __init__(self, summary: str, problems: Sequence[Diagnostic] = ()) -> None:
        self.summary = summary
        self.problems = tuple(problems)
        first = next((d for d in self.problems if d.severity is Severity.ERROR), None)
        where = f" (first: {problem_line(first)})" if first is not None else ""
        super().__init__(summary + where)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.problems if d.severity is Severity.ERROR)


def problem_line(d: Diagnostic) -> str:
    """``path:line:col: CODE message``, the one line a problem is said in."""
    return f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}"


class MissingTerms(MeteringError, RefusedCommand):
    """The deal has no section for this (an ``sla`` with sites to meter, a gainshare model
    to fit); ``reason`` says which, without the deal's name."""

    def __init__(self, deal: str, reason: str) -> None:
        super().__init__(f"{deal}: {reason}")
        self.deal = deal
        self.reason = reason


@dataclass(frozen=True, slots=True)
class InputFile:
    """An input given as bytes, an upload: ``name`` is only the label its problems carry."""

    name: str
    content: bytes | BinaryIO


Source = Path | InputFile
"""A file by path (read in place) or by its bytes (spooled to a temporary file first)."""


def source_name(source: Source) -> str:
    return str(source) if isinstance(source, Path) else source.name


@dataclass(frozen=True, slots=True)
class Spooled:
    """An input as a file the readers can open: ``path`` is its own for a path, a temporary
    file for an upload."""

    name: str
    path: Path


_SUFFIXES = (".parquet", ".pq", ".csv")


def _suffix(name: str) -> str:
    """The upload's kind, from a short list: the name never picks the path."""
    lower = name.lower()
    return next((s for s in _SUFFIXES if lower.endswith(s)), ".csv")


def _write(content: bytes | BinaryIO, path: Path) -> None:
    with path.open("wb") as out:
        if isinstance(content, bytes):
            out.write(content)
            return
        if content.seekable():
            content.seek(0)
        shutil.copyfileobj(content, out, 1 << 20)


def require_files(sources: Sequence[Source], role: str) -> None:
    """Refuse a path that is not a file (:class:`MissingInput`); uploads are there."""
    for source in sources:
        if isinstance(source, Path) and not source.is_file():
            raise MissingInput(role, str(source), "no such file", naming=True)


@contextmanager
def spooled(sources: Sequence[Source], role: str) -> Iterator[list[Spooled]]:
    """Each source as a readable file, a missing path refused (:class:`MissingInput`); the
    temporary copies of uploads are removed on leaving."""
    require_files(sources, role)
    uploads = [s for s in sources if isinstance(s, InputFile)]
    if not uploads:
        yield [Spooled(str(s), s) for s in sources if isinstance(s, Path)]
        return
    with tempfile.TemporaryDirectory(prefix="copact-input-") as folder:
        files = []
        for i, source in enumerate(sources):
            if isinstance(source, Path):
                files.append(Spooled(str(source), source))
                continue
            path = Path(folder) / f"{role}-{i}{_suffix(source.name)}"
            _write(source.content, path)
            files.append(Spooled(source.name, path))
        yield files


def relabel(files: Sequence[Spooled]) -> Callable[[str], str]:
    """A function that writes each spooled file's temporary path in a text as its name."""
    renamed = {str(f.path): f.name for f in files if str(f.path) != f.name}

    def text(value: str) -> str:
        for path, name in renamed.items():
            value = value.replace(path, name)
        return value

    return text


def relabelled(problems: Sequence[Diagnostic], files: Sequence[Spooled]) -> list[Diagnostic]:
    """Problems that name each spooled file by its name, in their path and their message."""
    text = relabel(files)
    return [replace(d, path=text(d.path), message=text(d.message)) for d in problems]


def read_text(source: Source, option: str) -> str:
    """A small text input (a baseline CSV, a journal), refused when it cannot be read
    (:class:`MissingInput`) or is not UTF-8 (:class:`MalformedInput`)."""
    name = source_name(source)
    try:
        if isinstance(source, Path):
            return source.read_text(encoding="utf-8")
        content = source.content
        if not isinstance(content, bytes):
            if content.seekable():
                content.seek(0)
            content = content.read()
        return content.decode("utf-8")
    except OSError as exc:
        raise MissingInput(option, name, exc.strerror or "cannot be read") from None
    except UnicodeDecodeError:
        raise MalformedInput(f"{name}: not UTF-8 text") from None
