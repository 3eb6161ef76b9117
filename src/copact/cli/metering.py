"""copact meter and copact demo-data: telemetry into SLA metrics and settlements (DESIGN §6)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app (filled in as the feature lands)."""
