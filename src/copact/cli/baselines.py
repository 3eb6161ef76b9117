"""copact baseline: fit the gainshare baseline and report its statistics (DESIGN §6.5)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app (filled in as the feature lands)."""
