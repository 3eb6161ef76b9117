"""The `copact` command line: thin commands that call services and render with rich.

Exit codes: 0 done, 1 the input has errors (findings, refused trigger), 2 could not run
(missing file, bad option). Errors name the file, line and column and never show a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from copact import __version__
from copact.cli import (
    authoring,
    baselines,
    documents,
    exporting,
    invoicing,
    lint,
    metering,
    operating,
    running,
    selection,
    serving,
    simulation,
    workspace,
)
from copact.cli.console import fail, unwritable

__all__ = ["app", "main"]


class _Commands(TyperGroup):
    """The root group: a write the machine refused (a full disk, a read-only workspace) is said
    in one line with exit 2, whichever command it came from, never as an internal error."""

    def invoke(self, ctx: Any) -> Any:  # typer's own vendored click Context
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = unwritable(exc)
            if message is None:
                raise
            fail(message)


app = typer.Typer(
    cls=_Commands,
    name="copact",
    help=(
        "Structure, check, simulate, run and settle a supplier co-investment partnership.\n\n"
        "Start with `copact new -o deal.yaml`, then `copact check deal.yaml` and "
        "`copact schedule deal.yaml`."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"copact {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """copact: co-investment partnerships you can check, simulate, run and settle."""


lint.register(app)
authoring.register(app)
running.register(app)
simulation.register(app)
workspace.register(app)
operating.register(app)
metering.register(app)
baselines.register(app)
serving.register(app)
documents.register(app)
exporting.register(app)
invoicing.register(app)
selection.register(app)  # supplier selection


def main() -> None:
    """Entry point: run the app; an unexpected error becomes a one-line message and exit 2."""
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("copact: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # the last guard: no traceback reaches a user
        message = unwritable(exc)
        if message is not None:
            sys.stderr.write(f"copact: {message}\n")
            sys.exit(2)
        sys.stderr.write(f"copact: internal error: {type(exc).__name__}: {exc}\n")
        sys.stderr.write("copact: please report this with the command and the file used\n")
        sys.exit(2)
