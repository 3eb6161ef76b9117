"""Running a workspace deal from the command line: evidence, submit, accept, reject, pay,
claim, gate, change orders, invoices, and `deal show`. Each command calls one service of
``copact.services.operations``, the same functions the web app calls.

Every command that moves money or state takes ``--key``: pass the same key when you retry a
command whose outcome you did not see (a dropped connection, a killed script) and copact
returns the first outcome instead of doing it twice. Without ``--key`` a fresh one is used.
"""

from __future__ import annotations

import inspect
import json
import re
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, get_origin

import typer
from rich.table import Table

from copact.cli.console import OutputFormat, fail, now, out, read_text
from copact.cli.running import exit_line, invoice_table
from copact.cli.workspace import WorkspaceOption, deal_app, open_workspace
from copact.core.events import (
    GateDecided,
    dump_event,
)
from copact.errors import CopactError, NothingToDo, RefusedCommand
from copact.services import operations as ops
from copact.services.views import deal_view, describe
from copact.services.views_json import invoice_json, invoice_summary_json, state_json
from copact.services.workspace import Outcome, Workspace

__all__ = ["register"]

change_app = typer.Typer(help="Change orders: propose, approve, reject.", no_args_is_help=True)
evidence_app = typer.Typer(help="Evidence files of a deal: add, list.", no_args_is_help=True)


DealId = Annotated[str, typer.Argument(metavar="DEAL", help="The deal id in the workspace.")]
By = Annotated[str, typer.Option("--by", help="The person acting (an id of the deal's people).")]
Key = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="Idempotency key: the same key again returns the first outcome, never a second "
        "event (default: a fresh key).",
    ),
]
Format = Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")]
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _about(command: type[ops.Command], field: str) -> str | None:
    """A command line argument's help: its field's description in the command's definition."""
    return command.model_fields[field].description


def _call(
    ws: Workspace, format: OutputFormat, command: type[ops.Command], **fields: Any
) -> Outcome:
    """Run one command of ``copact.services.operations`` (a fresh idempotency key unless
    ``--key`` gave one) and print what it recorded."""
    try:
        made = command(**{**fields, "key": _key(fields.get("key"))})
        outcome = ops.execute(made, uow=ws, clock=now)
    except RefusedCommand as exc:
        fail(f"{fields['deal']}: {exc}", 1)
    except CopactError as exc:
        fail(str(exc))
    if format is OutputFormat.json:
        typer.echo(
            json.dumps(
                {
                    "deal": outcome.deal,
                    "replayed": outcome.replayed,
                    "version": outcome.version,
                    "events": [
                        {"seq": seq, **dump_event(e)}
                        for seq, e in zip(outcome.seqs, outcome.events, strict=True)
                    ],
                },
                indent=2,
            )
        )
        return outcome
    console = out()
    if outcome.replayed:
        console.print("[yellow]replayed:[/] this key was used before; nothing new was recorded")
    for seq, event in zip(outcome.seqs, outcome.events, strict=True):
        console.print(f"[green]✓[/] {describe(event)} [dim](event {seq})[/]")
    if outcome.version is not None:
        console.print(f"[green]✓[/] {outcome.deal} is now at version {outcome.version}")
    for event in outcome.events:
        if isinstance(event, GateDecided):
            console.print(f"  {_gate_standing(ws, outcome.deal, event.phase)}")
    return outcome


def _gate_standing(ws: Workspace, deal_id: str, phase: str) -> str:
    """Where a gate stands after a vote: decided, or whose decision it still waits for."""
    deal = ws.deal(deal_id)
    state = deal_view(deal, ws.events(deal_id), today=now().date()).state
    votes = state.gate_votes.get(phase, {})
    spec = deal.phase(phase)
    deciders = spec.gate.deciders if spec is not None and spec.gate else []
    waiting = [p for p in deciders if p not in votes]
    if not votes and phase in state.gates:
        return f"the gate of {phase} is decided: {state.gates[phase]}"
    if waiting:
        return f"the gate of {phase} waits for {', '.join(waiting)}"
    return f"the gate of {phase} is not decided: its deciders disagree ({votes})"


def _key(key: str | None) -> str:
    return key or uuid.uuid4().hex


def _evidence_hashes(ws: Workspace, deal: str, items: list[str], by: str) -> tuple[str, ...]:
    """`KIND=FILE` adds the file first; a SHA-256 names a file already in the store."""
    hashes = []
    for item in items:
        if SHA256.match(item):
            hashes.append(item)
            continue
        kind, sep, path = item.partition("=")
        if not sep or not kind or not path:
            fail(f"--evidence takes KIND=FILE or a SHA-256, got {item!r}")
        hashes.append(_add_file(ws, deal, Path(path), kind=kind, by=by, confidential=False).sha256)
    return tuple(hashes)


def _add_file(
    ws: Workspace, deal: str, path: Path, *, kind: str, by: str, confidential: bool
) -> Any:
    try:
        with path.open("rb") as stream:
            return ws.add_evidence(
                deal, stream, name=path.name, kind=kind, by=by, confidential=confidential
            )
    except OSError as exc:
        fail(f"{path}: {exc.strerror or 'cannot be read'}")
    except RefusedCommand as exc:
        fail(f"{path}: {exc}", 1)
    except CopactError as exc:
        fail(str(exc))


# -- evidence --


@evidence_app.command("add")
def evidence_add(
    deal: DealId,
    file: Annotated[Path, typer.Argument(help="The file (stored by its SHA-256).")],
    kind: Annotated[str, typer.Option(help="Its evidence kind, e.g. test-report, photo.")],
    by: By,
    confidential: Annotated[bool, typer.Option(help="Visible to your own party only.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Store a file as evidence: content-addressed, size-limited, its kind checked against its
    content (a `photo` must be an image, `report.pdf` must be a PDF).

    Example: `copact evidence add hybrid-dc1 sld.pdf --kind drawing --by sam`
    """
    ws = open_workspace(workspace)
    record = _add_file(ws, deal, file, kind=kind, by=by, confidential=confidential)
    secret = f" (confidential to {record.confidential_to})" if record.confidential_to else ""
    out().print(
        f"{record.sha256}  {record.name}  {record.kind}  {record.media_type}  "
        f"{record.size:,} bytes{secret}",
        markup=False,
    )


@evidence_app.command("list")
def evidence_list(
    deal: DealId,
    party: Annotated[
        str | None, typer.Option(help="Show what a person of this party may see.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The deal's evidence files: hash, name, kind, type, size, who may see it.

    Example: `copact evidence list hybrid-dc1 --party acme`
    """
    try:
        records = open_workspace(workspace).evidence(deal, party=party)
    except CopactError as exc:
        fail(str(exc))
    table = Table()
    for column in ("sha256", "name", "kind", "type", "bytes", "visible to"):
        table.add_column(column, justify="right" if column == "bytes" else "left")
    for r in records:
        table.add_row(
            r.sha256[:16] + "…",
            r.name,
            r.kind,
            r.media_type,
            f"{r.size:,}",
            r.confidential_to or "both parties",
        )
    out().print(table)


# -- milestones --


def submit(
    deal: DealId,
    milestone: Annotated[str, typer.Argument(help=_about(ops.Submit, "milestone"))],
    by: By,
    evidence: Annotated[
        list[str],
        typer.Option(help="KIND=FILE (stored first) or the SHA-256 of stored evidence; repeat."),
    ],
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Submit a milestone for review with its evidence (every kind the deal requires).

    Example: `copact submit hybrid-dc1 design-approval --by sam --evidence drawing=sld.pdf
    --evidence test-report=load-study.pdf --evidence signed-acceptance=signed.pdf`
    """
    ws = open_workspace(workspace)
    hashes = _evidence_hashes(ws, deal, evidence, by)
    _call(ws, format, ops.Submit, deal=deal, milestone=milestone, by=by, evidence=hashes, key=key)


def accept(
    deal: DealId,
    milestone: Annotated[str, typer.Argument(help=_about(ops.Accept, "milestone"))],
    by: By,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Accept a submitted milestone (its sign-off person only); its invoice is issued with it.

    Example: `copact accept hybrid-dc1 design-approval --by ana`
    """
    ws = open_workspace(workspace)
    _call(ws, format, ops.Accept, deal=deal, milestone=milestone, by=by, key=key)


def reject(
    deal: DealId,
    milestone: Annotated[str, typer.Argument(help=_about(ops.Reject, "milestone"))],
    by: By,
    reason: Annotated[list[str], typer.Option(help="Why; repeat for several reasons.")],
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Reject a submitted milestone with reasons; its cure period starts.

    Example: `copact reject hybrid-dc1 design-approval --by ana --reason "no load study"`
    """
    ws = open_workspace(workspace)
    _call(ws, format, ops.Reject, deal=deal, milestone=milestone, by=by, reasons=reason, key=key)


def pay(
    deal: DealId,
    payer: Annotated[str, typer.Option("--from", help="The paying party.")],
    payee: Annotated[str, typer.Option("--to", help="The party paid.")],
    amount: Annotated[str, typer.Option(help="The amount, e.g. 12000.00.")],
    ref: Annotated[str, typer.Option(help="The bank reference (used once).")],
    by: Annotated[str, typer.Option("--by", help="The payer's person recording it.")],
    for_: Annotated[
        str | None,
        typer.Option(
            "--for",
            help=(
                "A milestone id, an invoice number, a credit note number (its issuer pays it "
                "out), `prepaid`, `convertible` (the support) or `exit`."
            ),
        ),
    ] = None,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a payment your party made; it counts once the payee confirms it
    (`copact confirm`). A supplier pays out a credit note (a rebate, a true-up, a corrected
    revenue report, an exit refund) with `--for` its number, up to what is outstanding on it.

    Example: `copact pay hybrid-dc1 --from acme --to voltworks --amount 50000 --ref PP-1
    --for prepaid --by raj`, or `copact pay heat-sensor-housing --from kestrel --to ridgeline
    --amount 6411.60 --ref RB-1 --for heat-sensor-housing-001 --by luis`
    """
    ws = open_workspace(workspace)
    fields = {"payer": payer, "payee": payee, "amount": amount, "ref": ref, "for_": for_}
    _call(ws, format, ops.RecordPayment, deal=deal, by=by, key=key, **fields)


def confirm(
    deal: DealId,
    ref: Annotated[str, typer.Argument(help=_about(ops.ConfirmPayment, "ref"))],
    by: Annotated[str, typer.Option("--by", help="The payee's person confirming it.")],
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Confirm that a recorded payment arrived; from then on it counts in balances, invoices
    and an exit settlement.

    Example: `copact confirm hybrid-dc1 PP-1 --by sam`
    """
    ws = open_workspace(workspace)
    _call(ws, format, ops.ConfirmPayment, deal=deal, ref=ref, by=by, key=key)


def claim(
    deal: DealId,
    amount: Annotated[str, typer.Option(help="What the completed work is worth.")],
    for_: Annotated[str, typer.Option("--for", help="What work, in words.")],
    by: By,
    evidence: Annotated[
        list[str] | None, typer.Option(help="KIND=FILE or a SHA-256; repeat.")
    ] = None,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Claim completed but unaccepted work (it counts in an exit settlement).

    Example: `copact claim hybrid-dc1 --amount 9000 --for "cabinet wiring" --by sam
    --evidence photo=wiring.jpg`
    """
    ws = open_workspace(workspace)
    hashes = _evidence_hashes(ws, deal, evidence or [], by)
    fields = {"amount": amount, "for_": for_, "evidence": hashes}
    _call(ws, format, ops.ClaimWork, deal=deal, by=by, key=key, **fields)


def gate(
    deal: DealId,
    phase: Annotated[str, typer.Argument(help=_about(ops.DecideGate, "phase"))],
    decision: Annotated[str, typer.Option(help="proceed, adjust or pause.")],
    by: Annotated[str, typer.Option("--by", help="The decider recording their own decision.")],
    change: Annotated[
        str | None, typer.Option(help="With adjust: the change order the phase waits for.")
    ] = None,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Record your own decision on a phase gate; the gate is decided when every one of its
    deciders has recorded the same decision. A pause stops the phase's milestones until a later
    proceed; an adjust names the change order (`--change`) they wait for.

    Example: `copact gate hybrid-dc1 design --decision proceed --by ana`, then
    `copact gate hybrid-dc1 design --decision proceed --by sam`
    """
    ws = open_workspace(workspace)
    fields = {"phase": phase, "decision": decision, "change": change}
    _call(ws, format, ops.DecideGate, deal=deal, by=by, key=key, **fields)


def decide(
    deal: DealId,
    decision: Annotated[str, typer.Argument(help="What was decided, in one sentence.")],
    by: Annotated[str, typer.Option("--by", help="The person recording it (their own entry).")],
    topic: Annotated[
        str | None, typer.Option(help="What it was about (a milestone, a risk…).")
    ] = None,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Enter a decision in the deal's decision log.

    Example: `copact decide hybrid-dc1 "pre-order cells" --by ana --topic lead-time`
    """
    ws = open_workspace(workspace)
    fields = {"decision": decision, "topic": topic}
    _call(ws, format, ops.LogDecision, deal=deal, by=(by,), key=key, **fields)


def risk(
    deal: DealId,
    risk_id: Annotated[str, typer.Argument(metavar="RISK", help="The risk's id (a slug).")],
    by: Annotated[str, typer.Option(help="The person recording it.")],
    description: Annotated[str | None, typer.Option(help="What could go wrong.")] = None,
    likelihood: Annotated[str | None, typer.Option(help="low, medium or high.")] = None,
    impact: Annotated[str | None, typer.Option(help="low, medium or high.")] = None,
    owner: Annotated[str | None, typer.Option(help="The person who owns it.")] = None,
    mitigation: Annotated[str | None, typer.Option(help="What is done about it.")] = None,
    status: Annotated[str | None, typer.Option(help="open, mitigated, realised or closed.")] = None,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a risk to the register, or change one (only the fields given change).

    Example: `copact risk hybrid-dc1 battery-lead-time --by sam --status mitigated`
    """
    ws = open_workspace(workspace)
    given = {
        "description": description,
        "likelihood": likelihood,
        "impact": impact,
        "owner": owner,
        "mitigation": mitigation,
        "status": status,
    }
    _call(ws, format, ops.UpdateRisk, deal=deal, risk=risk_id, by=by, key=key, **given)


def window(
    deal: DealId,
    site: Annotated[
        str, typer.Argument(metavar="SITE", help="The SLA site, as in the deal's sla.sites.")
    ],
    start: Annotated[str, typer.Option(help="ISO 8601 with its offset: 2027-03-14T02:00-04:00.")],
    end: Annotated[
        str, typer.Option(help="Its end (not included in the window), with its offset.")
    ],
    by: Annotated[str, typer.Option(help="The buyer's person approving it.")],
    kind: Annotated[
        str, typer.Option(help="planned (approved maintenance) or excluded (force majeure…).")
    ] = "planned",
    note: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a maintenance window or an exclusion of an SLA site in the journal.

    Only its span is taken out of availability: an outage running past `--end` is forced.
    `copact meter --workspace` reads these with any windows CSV.

    Example: `copact window hybrid-dc1 dc1 --start 2027-03-10T02:00-05:00 --end
    2027-03-10T04:00-05:00 --by ana --note "battery firmware"`
    """
    ws = open_workspace(workspace)
    fields = {"site": site, "start": start, "end": end, "kind": kind, "note": note}
    _call(ws, format, ops.RecordWindow, deal=deal, by=by, key=key, **fields)


# -- change orders --


def _patch(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    source = text
    if not text.lstrip().startswith("{"):
        source = read_text(Path(text))
    try:
        patch = json.loads(source, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        fail(f"--patch: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", 1)
    if not isinstance(patch, dict):
        fail('--patch: a JSON Merge Patch is an object, e.g. {"payment-terms": 45}', 1)
    return patch


@change_app.command("propose")
def change_propose(
    deal: DealId,
    change: Annotated[str, typer.Argument(help="A new change id, e.g. co-3.")],
    by: By,
    amount: Annotated[
        str | None, typer.Option(help="What the change costs (compared with the threshold).")
    ] = None,
    patch: Annotated[
        str | None,
        typer.Option(help="JSON Merge Patch of the deal file, inline or a file name."),
    ] = None,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Propose an amendment. Above the change-control threshold it needs every named approver,
    and so does any patch of what the deal prices or who decides (anything but its title,
    scope, business case, risks, risk controls and ignored findings), whatever amount it gives;
    otherwise someone of each party. The patch is checked now: it must give a deal that loads.

    Example: `copact change propose hybrid-dc1 co-1 --by sam --amount 7500
    --patch '{"payment-terms": 45}'`
    """
    ws = open_workspace(workspace)
    fields = {"change": change, "amount": amount, "patch": _patch(patch)}
    _call(ws, format, ops.ProposeChange, deal=deal, by=by, key=key, **fields)


@change_app.command("approve")
def change_approve(
    deal: DealId,
    change: Annotated[str, typer.Argument(help=_about(ops.ApproveChange, "change"))],
    by: By,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Approve a change order; the last approval it needs makes the deal's next version.

    Example: `copact change approve hybrid-dc1 co-1 --by ana`
    """
    ws = open_workspace(workspace)
    _call(ws, format, ops.ApproveChange, deal=deal, change=change, by=by, key=key)


@change_app.command("reject")
def change_reject(
    deal: DealId,
    change: Annotated[str, typer.Argument(help=_about(ops.RejectChange, "change"))],
    by: By,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Turn down a pending change order (or withdraw your own).

    Example: `copact change reject hybrid-dc1 co-1 --by ana`
    """
    ws = open_workspace(workspace)
    _call(ws, format, ops.RejectChange, deal=deal, change=change, by=by, key=key)


# -- invoices and the deal --


def invoices(
    deal: DealId,
    issue: Annotated[
        bool, typer.Option("--issue", help="First bill every accepted milestone not yet invoiced.")
    ] = False,
    key: Key = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """A deal's invoices: number, what for, who bills whom, amount, due date, overdue or not;
    then its credit notes (exit refunds, volume rebates, true-ups, corrected reports).

    Deemed acceptances (nobody answered within the review period) are billed by `--issue`;
    they follow from the date, nobody has to record them.

    Example: `copact invoices hybrid-dc1 --issue`
    """
    ws = open_workspace(workspace)
    if issue:
        try:
            command = ops.IssueInvoices(deal=deal, key=_key(key))
            ops.execute(command, uow=ws, clock=now)
        except NothingToDo:
            pass  # every accepted milestone is already invoiced: the list says so
        except RefusedCommand as exc:
            fail(f"{deal}: {exc}", 1)
        except CopactError as exc:
            fail(str(exc))
    try:
        spec = ws.deal(deal)
    except CopactError as exc:
        fail(str(exc))
    v = deal_view(spec, ws.events(deal), today=now().date())
    billed = [v.prepayment, *v.invoices] if v.prepayment else v.invoices  # the advance's first
    if format is OutputFormat.json:
        body = {
            "deal": deal,
            "on": v.today.isoformat(),
            "invoices": [invoice_summary_json(i) for i in billed],
            "credit_notes": [invoice_json(n) for n in v.credit_notes],
        }
        typer.echo(json.dumps(body, indent=2))
        return
    console = out()
    console.print(invoice_table(f"{spec.title}: invoices ({spec.currency})", billed))
    if v.credit_notes:  # refunds, rebates, true-ups and corrections the supplier issued
        console.print(invoice_table(f"credit notes ({spec.currency})", v.credit_notes))


@deal_app.command("show")
def deal_show(
    deal: DealId,
    version: Annotated[
        int | None, typer.Option(help="Print the text of this version of the deal file.")
    ] = None,
    format: Format = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """A workspace deal: its versions (each with its hash), journal, milestones, change
    orders and, once one is recorded, its exit with the settlement; `--version N` prints that
    version's deal file.

    Example: `copact deal show hybrid-dc1` or `copact deal show hybrid-dc1 --version 1`
    """
    ws = open_workspace(workspace)
    try:
        versions = ws.versions(deal)
        spec = ws.deal(deal)
    except CopactError as exc:
        fail(str(exc))
    if version is not None:
        texts = {v: text for v, _, text, _ in versions}
        if version not in texts:
            fail(f"{deal} has versions 1 to {len(versions)}, not {version}")
        typer.echo(texts[version], nl=False)
        return
    events = ws.events(deal)
    today: date = now().date()
    shown = deal_view(spec, events, today=today)
    state = shown.state
    if format is OutputFormat.json:
        doc = state_json(shown)
        doc["title"] = spec.title
        doc["versions"] = [
            {"version": n, "sha256": sha, "created": created.isoformat()}
            for n, sha, _, created in versions
        ]
        doc["events"] = len(events)
        doc["changes"] = [
            {
                "id": c.id,
                "status": c.status,
                "amount": None if c.amount is None else str(c.amount),
                "approvals": list(c.approvals),
            }
            for c in state.changes.values()
        ]
        typer.echo(json.dumps(doc, indent=2))
        return
    console = out()
    console.print(f"[bold]{spec.title}[/] ({deal}), {len(events)} events, on {today}")
    ended = shown.exit
    console.print("  running" if ended is None else f"  [bold red]{exit_line(ended)}[/]")
    for n, sha, _, created in versions:
        console.print(f"  version {n}  sha256 {sha[:16]}…  {created:%Y-%m-%d %H:%M}")
    table = Table(title="milestones")
    for column in ("milestone", "state", "accepted", "invoiced"):
        table.add_column(column)
    for m in state.milestones.values():
        accepted = f"{m.accepted_on}{' (deemed)' if m.deemed else ''}" if m.accepted_on else ""
        table.add_row(m.id, m.state, accepted, "yes" if m.invoiced else "")
    console.print(table)
    if state.changes:
        changes = Table(title="change orders")
        for column in ("change", "status", "amount", "approved by"):
            changes.add_column(column)
        for c in state.changes.values():
            amount = f"{c.amount:,.2f}" if c.amount is not None else ""
            changes.add_row(c.id, c.status, amount, ", ".join(c.approvals))
        console.print(changes)
    if state.risks:
        risks = Table(title="risks")
        for column in ("risk", "likelihood", "impact", "owner", "status"):
            risks.add_column(column)
        for r in state.risks.values():
            risks.add_row(r.id, r.likelihood, r.impact, r.owner or "", r.status)
        console.print(risks)
    if state.windows:
        windows = Table(title="SLA windows")
        for column in ("site", "kind", "span (local offset)", "by", "note"):
            windows.add_column(column, no_wrap=column != "note")
        for w in state.windows:
            end = w.end.astimezone(w.start.tzinfo)
            until = f"{end:%H:%M}" if end.date() == w.start.date() else f"{end:%Y-%m-%d %H:%M}"
            z = f"{w.start:%z}"
            offset = f"{z[:3]}:{z[3:5]}"
            span = f"{w.start:%Y-%m-%d %H:%M}–{until} ({offset})"
            windows.add_row(w.site, w.kind, span, w.by, w.note or "")
        console.print(windows)
    for d in state.decisions:
        console.print(f"  decided {d.day}: {d.decision} [dim]({', '.join(d.by)})[/]")


#: the command of the command line that sends each command of ``copact.services.operations``
#: (written by hand for its help and examples; a test checks its options cover the fields)
WRITTEN: dict[type[ops.Command], str] = {
    ops.Submit: "submit",
    ops.Accept: "accept",
    ops.Reject: "reject",
    ops.IssueInvoices: "invoices",
    ops.RecordPayment: "pay",
    ops.ConfirmPayment: "confirm",
    ops.ClaimWork: "claim",
    ops.DecideGate: "gate",
    ops.ProposeChange: "change propose",
    ops.ApproveChange: "change approve",
    ops.RejectChange: "change reject",
    ops.TriggerExit: "exit",
    ops.LogDecision: "decide",
    ops.RecordWindow: "window",
    ops.UpdateRisk: "risk",
}


def cli_name(command: type[ops.Command]) -> str:
    """``RecordPayment`` → ``record-payment``: the name of a command made from its definition."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", command.__name__).lower()


def derived(command: type[ops.Command]) -> Callable[..., None]:
    """A command of the command line made from a command's definition: ``DEAL`` and the
    fields of its API path as arguments, every other field an option (a repeatable one for a
    list), ``--key``, ``--format`` and ``--workspace``; its help is the command's docstring."""
    P = inspect.Parameter
    path = command.path()
    params = [P("deal", P.KEYWORD_ONLY, annotation=DealId)]
    for name in path:
        about = typer.Argument(help=_about(command, name))
        params.append(P(name, P.KEYWORD_ONLY, annotation=Annotated[str, about]))
    field_of: dict[str, str] = {}  # the option's name → the command's field
    for name, info in command.model_fields.items():
        if name in ("deal", "key", *path):
            continue
        many = get_origin(info.annotation) is tuple
        # a repeatable option is named for one of its values: --reason A --reason B
        param = name.removesuffix("s") if many and name.endswith("s") else name
        if many and name.endswith("ies"):  # --quantity 7000 --quantity 7500
            param = name.removesuffix("ies") + "y"
        field_of[param] = name
        flag = "--" + param.rstrip("_").replace("_", "-")
        kind: Any = list[str] if many else str
        option = typer.Option(flag, help=info.description or name.rstrip("_").replace("_", " "))
        if info.is_required() and not many:
            params.append(P(param, P.KEYWORD_ONLY, annotation=Annotated[kind, option]))
        else:
            optional = Annotated[kind | None, option]
            params.append(P(param, P.KEYWORD_ONLY, annotation=optional, default=None))
    params += [
        P("key", P.KEYWORD_ONLY, annotation=Key, default=None),
        P("format", P.KEYWORD_ONLY, annotation=Format, default=OutputFormat.text),
        P("workspace", P.KEYWORD_ONLY, annotation=WorkspaceOption, default=None),
    ]

    def run(**given: Any) -> None:
        ws = open_workspace(given.pop("workspace"))
        format = given.pop("format")
        fields = {field_of.get(k, k): v for k, v in given.items() if v is not None}
        _call(ws, format, command, **fields)

    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__doc__ = command.__doc__
    run.__name__ = cli_name(command).replace("-", "_")
    return run


def register(app: typer.Typer) -> None:
    for made in ops.COMMANDS:
        if made not in WRITTEN:
            app.command(cli_name(made))(derived(made))
    for command in (
        submit,
        accept,
        reject,
        pay,
        confirm,
        claim,
        gate,
        decide,
        risk,
        window,
        invoices,
    ):
        app.command()(command)
    app.add_typer(change_app, name="change")
    app.add_typer(evidence_app, name="evidence")
