"""copact serve: the web app and JSON API on a workspace (DESIGN §12)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app (filled in as the feature lands)."""
