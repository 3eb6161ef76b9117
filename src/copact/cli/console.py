"""The consoles commands print to: stdout for results, stderr for errors; what a write the
machine refused (a full disk, a read-only workspace) is said as, in one line; the ``--format``
choice and the one clock of the command line (the machine's, in UTC)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from copact.services.uow import system_clock
from copact.store.engine import is_disk_full, is_read_only

__all__ = ["OutputFormat", "err", "fail", "now", "out", "read_text", "unwritable"]


class OutputFormat(StrEnum):
    """``--format``: a table for people, or JSON for programs."""

    text = "text"
    json = "json"


def now() -> datetime:
    """Now, in UTC: the clock every command of the command line runs on."""
    return system_clock()


def out() -> Console:
    # no emoji codes: a location such as ``journal.jsonl:100:`` would print as a 💯
    return Console(highlight=False, soft_wrap=True, emoji=False)


def err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def read_text(path: Path) -> str:
    """The UTF-8 text of an input file, or a one-line failure naming it: exit 2 when it cannot
    be read, 1 (bad input) with the line of the first byte that is not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"{path}: {exc.strerror or 'cannot be read'}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        fail(f"{path}:{line}: not UTF-8 text (save it as UTF-8)", 1)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``copact: message`` on stderr and exit with ``code`` (2: could not run)."""
    err().print(f"[bold red]copact:[/] {message}", markup=True)
    raise typer.Exit(code)


def unwritable(exc: BaseException) -> str | None:
    """What to tell the user when ``exc`` is a write the machine refused, else None.

    The database rolls the command's transaction back and evidence is renamed into place
    only once whole, so in both cases nothing of the command was kept."""
    if is_disk_full(exc):
        where = getattr(exc, "filename", None) or "the workspace's database"
        return (
            f"disk full: {where} could not be written; nothing of this command was kept. "
            "Free some space and run it again"
        )
    if is_read_only(exc):
        return (
            "the workspace is read-only (its database or its folder may not be written here); "
            "nothing was recorded. Reading it works: `journal verify`, `journal export`, "
            "`deal list`, `state`"
        )
    return None
