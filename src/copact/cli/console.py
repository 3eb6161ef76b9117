"""The consoles commands print to: stdout for results, stderr for errors."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

__all__ = ["err", "fail", "out"]


def out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``copact: message`` on stderr and exit with ``code`` (2: could not run)."""
    err().print(f"[bold red]copact:[/] {message}", markup=True)
    raise typer.Exit(code)
