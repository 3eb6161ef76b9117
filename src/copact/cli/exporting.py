"""`copact export ocds`: a deal for other systems, as an OCDS 1.1 release package (DESIGN §9).

The package is made by ``copact.documents.ocds`` from the deal, its journal and the state
folded to ``--on``; it is JSON on stdout, or written whole to ``-o FILE``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from copact.cli.console import fail, now, out, unwritable
from copact.cli.running import DealArgument, EventsOption, _deal_and_journal
from copact.cli.workspace import WorkspaceOption
from copact.documents.ocds import DEFAULT_OCID_PREFIX, release_package
from copact.errors import CopactError
from copact.services.views import deal_view
from copact.store.files import write_whole

__all__ = ["register"]

export_app = typer.Typer(help="A deal for other systems: OCDS.", no_args_is_help=True)


@export_app.command("ocds")
def ocds(
    deal: DealArgument,
    events: EventsOption = None,
    on: Annotated[
        str | None, typer.Option(help="The day the deal stands on, YYYY-MM-DD (default: today).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write it here (default: stdout).")
    ] = None,
    ocid_prefix: Annotated[
        str,
        typer.Option(
            help="Your OCDS prefix, registered with the Open Contracting Partnership "
            f"(the default, {DEFAULT_OCID_PREFIX}, is a placeholder)."
        ),
    ] = DEFAULT_OCID_PREFIX,
    publisher: Annotated[
        str | None, typer.Option(help="The publisher's name (default: the buyer's legal name).")
    ] = None,
    uri: Annotated[
        str | None, typer.Option(help="The package's URI (default: urn:copact:DEAL:DAY).")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The deal as an OCDS 1.1 release package: its parties, the award, and the contract with
    the milestones (scheduled, met or notMet, with the buyer's payment for each), the confirmed
    payments as transactions and the approved change orders as amendments.

    DEAL is a workspace deal id, or a deal file with its journal given by `--events`.

    Example: `copact export ocds hybrid-dc1 -o hybrid-dc1.ocds.json`, or
    `copact export ocds deal.yaml -e journal.jsonl --on 2026-12-31`
    """
    spec, journal = _deal_and_journal(deal, events, workspace)
    try:
        day = date.fromisoformat(on) if on is not None else now().date()
    except ValueError:
        fail(f"--on must be a date YYYY-MM-DD, got {on!r}")
    try:
        state = deal_view(spec, journal, today=day).state
        package = release_package(
            spec,
            journal,
            state,
            published=now().replace(microsecond=0),
            ocid_prefix=ocid_prefix,
            uri=uri,
            publisher=publisher,
        )
    except CopactError as exc:
        fail(f"{spec.id}: {exc}", 1)
    except ValueError as exc:  # an amount no JSON number carries exactly
        fail(f"{spec.id}: {exc}", 1)
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        write_whole(output, text)
    except OSError as exc:
        if unwritable(exc):
            raise  # said by the root command group
        fail(f"{output}: {exc.strerror or exc}")
    release = package["releases"][0]
    out().print(f"{release['ocid']}: release {release['id']} written to {output}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
