"""`copact state` and `copact exit`: a deal's journal folded to a date, and its exit settlement."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from copact.cli.authoring import load_for_commands
from copact.cli.console import OutputFormat, err, fail, now, out, read_text
from copact.cli.workspace import WorkspaceOption, open_workspace
from copact.core.convertible import SupportStanding
from copact.core.deal import Deal
from copact.core.events import Event, parse_events
from copact.core.settlement import TRIGGERS, settle_exit, settlement_of
from copact.core.state import RunningFold
from copact.errors import CopactError, RefusedCommand
from copact.services import operations as ops
from copact.services.operations import admit
from copact.services.views import ExitView, InvoiceView, deal_view, money_text
from copact.services.views_json import settlement_json, state_json

__all__ = ["exit_line", "invoice_table", "register"]


@dataclass(frozen=True)
class Refusal:
    """An event of a journal file that `copact journal import` would refuse, and why."""

    line: int
    type: str
    reason: str


def _refusals(deal: Deal, events: list[Event], lines: list[int]) -> list[Refusal]:
    """Each event the import's guards would refuse, judged on the events before it as written
    (so one bad event is named once, not again through every event after it)."""
    found: list[Refusal] = []
    latest: date | None = None
    for line, event in zip(lines, events, strict=True):
        if latest is not None and event.day < latest:
            found.append(Refusal(line, event.type, "events must come in date order"))
        latest = event.day if latest is None else max(latest, event.day)
    history: list[Event] = []
    running = RunningFold(deal)
    # the fold's order: by day, same-day events as written
    for line, event in sorted(zip(lines, events, strict=True), key=lambda pair: pair[1].day):
        try:
            admit(deal, history, event, state=running.state_on(event.day))
        except RefusedCommand as exc:
            found.append(Refusal(line, event.type, str(exc)))
        history.append(event)
        running.push(event)
    return sorted(found, key=lambda r: r.line)


def _warn(path: Path, refused: list[Refusal]) -> None:
    if not refused:
        return
    console = err()
    for r in refused:
        message = f"{path}:{r.line}: warning: {r.type} event refused by the guards: {r.reason}"
        console.print(message, markup=False)
    console.print(
        f"  help: {len(refused)} event{'s' if len(refused) > 1 else ''} above are folded as "
        "written, but `copact journal import` would refuse the file at the first of them",
        markup=False,
    )


def _events(path: Path) -> tuple[list[Event], list[int]]:
    """The journal file's events and the line each is on."""
    text = read_text(path)
    events, problems = parse_events(text, str(path))
    if problems:
        console = err()
        for p in problems:
            console.print(f"{p.path}:{p.line}:{p.column}: {p.code} {p.message}", markup=False)
            console.print(f"  help: {p.hint}", markup=False)
        fail(f"{path}: {len(problems)} bad event line(s); nothing was computed", 1)
    lines = [n for n, raw in enumerate(text.split("\n"), start=1) if raw.strip()]
    return events, lines


def _day(text: str | None, option: str) -> date:
    if text is None:
        return date.today()  # the edge reads the clock; the core never does
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a date YYYY-MM-DD, got {text!r}")


EventsOption = Annotated[
    Path | None,
    typer.Option(
        "--events",
        "-e",
        help="The journal as JSON Lines (DESIGN §4). Without it, DEAL is a workspace deal id.",
    ),
]
DealArgument = Annotated[
    str, typer.Argument(metavar="DEAL", help="A deal file (with --events) or a workspace deal id.")
]


def _deal_and_journal(
    deal_arg: str, events: Path | None, workspace: Path | None
) -> tuple[Deal, list[Event]]:
    """A deal file and a journal file, or a workspace deal and its stored journal."""
    deal, journal, _ = _deal_journal_lines(deal_arg, events, workspace)
    return deal, journal


def _deal_journal_lines(
    deal_arg: str, events: Path | None, workspace: Path | None
) -> tuple[Deal, list[Event], list[int] | None]:
    """:func:`_deal_and_journal` with the line of each event of a journal file (``None`` for
    a workspace's journal, whose events went in through the guards)."""
    if events is not None:
        deal = load_for_commands(Path(deal_arg))
        return deal, *_events(events)
    if Path(deal_arg).suffix in (".yaml", ".yml") and Path(deal_arg).is_file():
        fail(f"{deal_arg} is a deal file: give its journal with --events, or `copact deal add` it")
    ws = open_workspace(workspace)
    try:
        return ws.deal(deal_arg), ws.events(deal_arg), None
    except CopactError as exc:
        fail(str(exc))


FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")]


def invoice_table(title: str, invoices: list[InvoiceView]) -> Table:
    """Invoices as a table: what was billed, what the advance settled, what was paid, what is
    outstanding, and open / part-paid / paid, or netted by an exit's settlement (overdue in
    red)."""
    table = Table(title=title)
    money = ("amount", "from advance", "paid", "outstanding")
    for column in ("number", "for", "from → to", *money, "due", "status"):
        table.add_column(column, justify="right" if column in money else "left")
    styles = {"paid": "green", "part-paid": "yellow", "open": "", "netted": "cyan"}
    for i in invoices:
        status = f"[{styles[i.status]}]{i.status}[/]" if styles[i.status] else i.status
        table.add_row(
            i.number,
            ", ".join(i.milestones),
            f"{i.from_} → {i.to}",
            *(money_text(m) for m in (i.total, i.from_advance, i.paid, i.outstanding)),
            str(i.due),
            status
            + (f" ({money_text(i.netted)} netted)" if i.netted and not i.netted.is_zero else "")
            + (" [bold red]overdue[/]" if i.overdue else ""),
        )
    return table


def exit_line(e: ExitView) -> str:
    """``ended on 2026-07-01 by an insolvency exit (ana, 2026-07-01): voltworks owes acme
    USD 50,000.00``: the line the text output prints under the tables, and, while some of the
    refund has no credit note, how much and the command that issues it."""
    article = "an" if e.trigger[0] in "aeiou" else "a"
    when = "ended" if e.ended else "ends"
    line = f"{when} on {e.effective} by {article} {e.trigger} exit ({e.by}, {e.on}): {e.owed}"
    if e.to_credit is not None and not e.to_credit.is_zero:
        line += (
            f"; {money_text(e.to_credit)} of the refund has no credit note yet "
            f"(`copact credit-exit-refund {e.settlement.deal}`)"
        )
    return line


def state(
    deal_path: DealArgument,
    events: EventsOption = None,
    on: Annotated[str | None, typer.Option(help="The date, YYYY-MM-DD (default: today).")] = None,
    format: FormatOption = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """Milestone states, deadlines, invoices and balances on a date, folded from the journal.

    Deemed acceptances (no answer within the review period, in business days) and missed
    milestones (cure period over) follow from the dates; nothing has to record them.

    A journal file is folded as written, but each event that `copact journal import` would
    refuse (a rejection after the review period, a submission missing an evidence kind, a
    payment by someone outside the deal…) is a warning on stderr with its line, and is listed
    under `refused` in the JSON (`line`, `type`, `reason`); the exit code stays 0.

    Example: `copact state examples/hybrid-dc1.yaml --events journal.jsonl --on 2026-12-31`,
    or on a workspace deal: `copact state hybrid-dc1`
    """
    deal, journal, lines = _deal_journal_lines(deal_path, events, workspace)
    day = _day(on, "--on")
    refused = _refusals(deal, journal, lines) if lines is not None else []
    if events is not None:
        _warn(events, refused)
    v = deal_view(deal, journal, today=day)
    if format is OutputFormat.json:
        doc = state_json(v)
        doc["refused"] = [{"line": r.line, "type": r.type, "reason": r.reason} for r in refused]
        typer.echo(json.dumps(doc, indent=2))
        return
    table = Table(title=f"{deal.title} on {day}")
    table.add_column("milestone", overflow="fold")
    table.add_column("state", no_wrap=True, min_width=9)
    for column in ("accepted", "review by", "cure by"):
        table.add_column(column, overflow="fold")
    table.add_column("invoice", justify="right", no_wrap=True)
    styles = {"accepted": "green", "rejected": "yellow", "missed": "bold red", "submitted": "cyan"}
    for m in v.milestones:
        accepted = f"{m.accepted_on}{' (deemed)' if m.deemed else ''}" if m.accepted_on else ""
        table.add_row(
            m.id,
            f"[{styles.get(m.state, 'dim')}]{m.state}[/]",
            accepted,
            str(m.review_until or "") if m.state == "submitted" else "",
            str(m.cure_until or "") if m.state in ("rejected", "missed") else "",
            f"{m.invoice_amount.amount:,.2f}",
        )
    console = out()
    console.print(table)
    if v.invoices:
        console.print(invoice_table(f"invoices ({deal.currency})", v.invoices))
    balances = Table(title=f"payments up to {day} ({deal.currency})")
    for column in ("party", "paid", "received"):
        balances.add_column(column, justify="left" if column == "party" else "right")
    for b in v.balances:
        balances.add_row(b.party, f"{b.paid.amount:,.2f}", f"{b.received.amount:,.2f}")
    console.print(balances)
    if v.support is not None:
        console.print(support_line(v.support))
    if v.exit is not None:
        console.print(f"[bold red]{exit_line(v.exit)}[/]")


def support_line(s: SupportStanding) -> str:
    """The convertible support in one line: 'support 100,000.00 paid of 100,000.00, 60,000.00
    converted (1.15 credit per 1.00 paid), credits 19,000.00 left of 69,000.00; next window
    2028-01-01'."""
    where = (
        f"window {s.window} open"
        if s.window
        else f"next window {s.next_window}"
        if s.next_window
        else f"windows over: {s.refundable.amount:,.2f} owed back"
    )
    formula = f" ({s.formula})" if s.formula else ""
    waiting = f", {s.waiting.amount:,.2f} asked for" if s.waiting.amount else ""
    return (
        f"support {s.paid.amount:,.2f} paid of {s.amount.amount:,.2f}, "
        f"{s.converted.amount:,.2f} converted{formula}{waiting}, credits "
        f"{s.credits_left.amount:,.2f} left of {s.credits_issued.amount:,.2f}; {where}"
    )


def exit_(
    deal_path: DealArgument,
    trigger: Annotated[str, typer.Option(help=f"One of: {', '.join(TRIGGERS)}.")],
    events: EventsOption = None,
    on: Annotated[
        str | None, typer.Option(help="The date the exit is invoked, YYYY-MM-DD (default: today).")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(help="The invoking party or person (default: the buyer)."),
    ] = None,
    invoke: Annotated[
        bool,
        typer.Option(
            "--invoke", help="Record the exit in the workspace journal today (needs --by PERSON)."
        ),
    ] = False,
    key: Annotated[str | None, typer.Option("--key", help="Idempotency key for --invoke.")] = None,
    format: FormatOption = OutputFormat.text,
    workspace: WorkspaceOption = None,
) -> None:
    """The exit settlement (DESIGN §8): refunds, deductions and what happens to IP and assets.

    Refused with exit code 1 when the trigger is not open on that date (a missed-milestone exit
    before any milestone is missed, a convenience exit by a party the deal does not name).

    Without `--invoke` this is a preview; `--invoke --by PERSON` on a workspace deal records
    the exit in its journal (refused, exit 1, unless the trigger is open today).

    Example: `copact exit deal.yaml -e journal.jsonl --trigger missed-milestone --on 2026-12-28`,
    or `copact exit hybrid-dc1 --trigger convenience --invoke --by ana`
    """
    if invoke:
        if events is not None or on is not None or by is None:
            fail(
                "--invoke records an exit today on a workspace deal: "
                "give --by PERSON, and neither --events nor --on"
            )
        ws = open_workspace(workspace)
        try:
            command = ops.TriggerExit(
                deal=deal_path, trigger=trigger, by=by, key=key or uuid.uuid4().hex
            )
            recorded = ops.execute(command, uow=ws, clock=now)
        except RefusedCommand as exc:
            fail(f"{deal_path}: {exc}", 1)
        except CopactError as exc:
            fail(str(exc))
        if format is OutputFormat.text:
            again = " (replayed: recorded before)" if recorded.replayed else ""
            out().print(
                f"[green]✓[/] {trigger} exit invoked by {by} (event {recorded.seqs[0]}){again}"
            )
    deal, journal = _deal_and_journal(deal_path, events, workspace)
    day = _day(on, "--on")
    person = deal.person(by) if by else None
    party = person.party if person is not None else by
    recorded_exit = settlement_of(deal, journal)
    try:
        if recorded_exit is None:
            settled = settle_exit(deal, journal, trigger=trigger, on=day, by=party)
        elif recorded_exit.trigger == trigger:
            settled = recorded_exit  # the exit the journal records, as it settles
        else:
            raise RefusedCommand(
                f"{trigger} exit refused: the journal records a {recorded_exit.trigger} exit "
                f"on {recorded_exit.on} (effective {recorded_exit.effective}); the deal has ended"
            )
    except RefusedCommand as exc:
        fail(str(exc), 1)
    doc = settlement_json(settled)
    if format is OutputFormat.json:
        typer.echo(json.dumps(doc, indent=2))
        return
    table = Table(title=f"{deal.title}: {trigger} exit by {settled.by}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    table.add_row("invoked", doc["on"])
    table.add_row("takes effect", doc["effective"])
    for key in ("paid", "earned", "unused", "claimed", "deduction", "refund"):
        table.add_row(key, f"{doc[key]} {deal.currency}")
    owed = doc["owed"]
    table.add_row("owed", f"{owed['from']} → {owed['to']}: {owed['amount']} {deal.currency}")
    if settled.credit_notes_open and settled.credit_notes_open.amount > 0:
        table.add_row(
            "and credit notes",
            f"{doc['credit_notes_open']} {deal.currency} still to pay out by their numbers",
        )
    if settled.invoices_open and settled.invoices_open.amount > 0:
        table.add_row(
            "and invoices",
            f"{doc['invoices_open']} {deal.currency} earned and still to pay by their numbers",
        )
    console = out()
    console.print(table)
    for key, value in doc["on_exit"].items():
        console.print(f"  {key}: {value}", markup=False)


def register(app: typer.Typer) -> None:
    app.command()(state)
    app.command("exit")(exit_)
