"""Authoring commands."""

import typer


def register(app: typer.Typer) -> None:
    """`copact new` and `copact schedule` (filled in below once the helpers land)."""
