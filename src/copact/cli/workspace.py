"""`copact init`, `copact deal add|list` and `copact journal import|export|verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from copact.cli.console import err, fail, now, out, read_text, unwritable
from copact.errors import CopactError, RefusedCommand
from copact.services.workspace import ImportRefused, Workspace, default_workspace
from copact.store.checkpoint import Checkpoint, CheckpointError
from copact.store.files import write_whole

__all__ = ["WorkspaceOption", "deal_app", "open_workspace", "register"]

deal_app = typer.Typer(help="Deals registered in the workspace.", no_args_is_help=True)
journal_app = typer.Typer(
    help="A deal's journal: import, export, verify, checkpoint.", no_args_is_help=True
)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="The workspace folder (default: $COPACT_WORKSPACE or ./copact-workspace).",
    ),
]


def open_workspace(path: Path | None, *, readonly: bool = False) -> Workspace:
    """The workspace at ``path`` (or the default), or a clear error and exit 2.

    Read commands pass ``readonly``: they open the database read-only and write nothing, so
    they work on a read-only copy and beside a running import. Any command opens a workspace
    this process may not write read-only, and one that then writes says so (exit 2)."""
    try:
        return Workspace.open(path or default_workspace(), clock=now, readonly=readonly)
    except CopactError as exc:
        fail(str(exc))


def init(
    directory: Annotated[
        Path | None, typer.Argument(help="Where (default ./copact-workspace).")
    ] = None,
    database: Annotated[
        str | None, typer.Option(help="A database URL, e.g. postgresql+psycopg://user@host/db.")
    ] = None,
) -> None:
    """Create a workspace: a database (SQLite by default) and an evidence store.

    Example: `copact init` or `copact init shared --database postgresql+psycopg://postgres@127.0.0.1/test`
    """
    root = directory or default_workspace()
    try:
        ws = Workspace.init(root, database=database, clock=now)
    except CopactError as exc:
        fail(str(exc))
    except OSError as exc:
        if unwritable(exc):
            raise  # said by the root command group
        fail(f"{exc.filename or root}: {exc.strerror or exc}")
    out().print(
        f"Workspace ready in {root} ({ws.engine.url.render_as_string(hide_password=True)})",
        markup=False,
    )


@deal_app.command("add")
def deal_add(
    path: Annotated[Path, typer.Argument(metavar="DEAL")], workspace: WorkspaceOption = None
) -> None:
    """Register a deal file (its text and hash are kept as the next version).

    Example: `copact deal add examples/hybrid-dc1.yaml`
    """
    ws = open_workspace(workspace)
    try:
        deal, version = ws.add_deal(read_text(path), str(path))
    except OSError as exc:
        fail(f"{path}: {exc.strerror or 'cannot be read'}")
    except CopactError as exc:
        fail(str(exc), 1)
    out().print(f"{deal.id}: version {version}", markup=False)


@deal_app.command("list")
def deal_list(workspace: WorkspaceOption = None) -> None:
    """The deals of the workspace, with their latest version and journal length.

    Example: `copact deal list -w demo-workspace`
    """
    table = Table()
    for column in ("deal", "title", "version", "events"):
        table.add_column(column)
    for deal_id, title, version, count in open_workspace(workspace, readonly=True).deals():
        table.add_row(deal_id, title, str(version), str(count))
    out().print(table)


@journal_app.command("import")
def journal_import(
    file: Annotated[Path, typer.Argument(help="JSON Lines, one event a line.")],
    deal: Annotated[str, typer.Option(help="The deal id.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Append events through the same guards as the commands: all or nothing.

    Stops at the first event the deal's state refuses, with its line number (exit 1).

    Example: `copact journal import examples/journals/heat-sensor-housing.jsonl --deal
    heat-sensor-housing`
    """
    ws = open_workspace(workspace)
    try:
        count = ws.import_journal(deal, read_text(file), str(file))
    except OSError as exc:
        fail(f"{file}: {exc.strerror or 'cannot be read'}")
    except ImportRefused as exc:
        fail(f"{file}:{exc.line}: {exc.reason}; nothing was imported", 1)
    except CopactError as exc:
        fail(str(exc))
    already = " (the journal already held the rest of the file)" if count == 0 else ""
    out().print(f"{count} events appended to {deal}{already}", markup=False)


@journal_app.command("export")
def journal_export(
    deal: Annotated[str, typer.Option(help="The deal id.")], workspace: WorkspaceOption = None
) -> None:
    """Print the journal as JSON Lines (canonical JSON, in order): what `journal import`
    takes back, into this workspace or another.

    Example: `copact journal export --deal hybrid-dc1 > hybrid-dc1.jsonl`
    """
    try:
        typer.echo(open_workspace(workspace, readonly=True).export_journal(deal), nl=False)
    except CopactError as exc:
        fail(str(exc))


@journal_app.command("verify")
def journal_verify(
    deal: Annotated[str, typer.Option(help="The deal id.")],
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="A checkpoint file kept from `copact journal checkpoint`."),
    ] = None,
    evidence: Annotated[
        bool,
        typer.Option(
            "--evidence/--no-evidence",
            help="Re-hash every evidence file (the default; --no-evidence skips reading them "
            "on a big store, checking the journal and the deal versions only).",
        ),
    ] = True,
    workspace: WorkspaceOption = None,
) -> None:
    """Recompute the hash chain, re-hash every deal version's text and every evidence file;
    name the first event that does not match, each altered deal version and each evidence
    file missing, altered or not held (exit 1).

    With `--checkpoint`, also prove the journal still extends what the checkpoint vouched for,
    and that every deal version it signed still has its hash: that catches a journal cut short
    or rewritten from the start, or a deal text rewritten with its hash, which the database
    alone cannot.

    Example: `copact journal verify --deal hybrid-dc1 --checkpoint hybrid-dc1.checkpoint.json`
    """
    ws = open_workspace(workspace, readonly=True)
    try:
        if checkpoint is None:
            result = ws.verify(deal, evidence=evidence)
        else:
            kept = Checkpoint.from_json(read_text(checkpoint))
            result = ws.verify_against(deal, kept, evidence=evidence)
    except OSError as exc:
        fail(f"{checkpoint}: {exc.strerror or 'cannot be read'}")
    except CheckpointError as exc:
        fail(f"{checkpoint}: {exc}", 1)
    except CopactError as exc:
        fail(str(exc))
    if not result.ok:
        for problem in result.evidence_problems:
            err().print(f"  {problem.describe()}", markup=False)
        where = f"event {result.first_bad}" if result.first_bad else "the journal"
        fail(f"{deal}: {where} does not verify: {result.reason}", 1)
    versions = f"{result.versions} deal version{'s' if result.versions != 1 else ''}"
    if result.evidence_skipped:
        rehashed = f"{versions} re-hashed; evidence files not checked (--no-evidence)"
    else:
        rehashed = f"{versions} and {result.evidence_checked} evidence files re-hashed"
        if result.remetered:
            periods = "s" if result.remetered != 1 else ""
            rehashed += f"; {result.remetered} settled period{periods} metered again: the same"
    extends = ""
    if checkpoint is not None:
        extends = f"; extends the checkpoint of event {kept.seq}"
        if kept.versions is None:
            extends += " (an older checkpoint: it vouches for the events, not the deal versions)"
    out().print(
        f"{deal}: {result.count} events verified; head {result.head}; {rehashed}{extends}",
        markup=False,
    )


@journal_app.command("checkpoint")
def journal_checkpoint(
    deal: Annotated[str, typer.Option(help="The deal id.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write it here (default: stdout).")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Print a signed statement of the journal's length and head hash now, for the other
    party to keep; `journal verify --checkpoint` later proves the journal still extends it.

    Example: `copact journal checkpoint --deal hybrid-dc1 -o hybrid-dc1.checkpoint.json`
    """
    try:
        made = open_workspace(workspace, readonly=True).checkpoint(deal)
    except RefusedCommand as exc:
        fail(f"{deal}: {exc}", 1)
    except CopactError as exc:
        fail(str(exc))
    if output is None:
        typer.echo(made.to_json(), nl=False)
        return
    write_whole(output, made.to_json())
    out().print(
        f"{deal}: checkpoint of event {made.seq} (head {made.head[:16]}…) written to {output}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.add_typer(deal_app, name="deal")
    app.add_typer(journal_app, name="journal")
