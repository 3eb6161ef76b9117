"""`copact new` (a starter deal per structure) and `copact schedule` (the planned payments)."""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.prompt import Prompt
from rich.table import Table

from copact.cli.console import OutputFormat, err, fail, out
from copact.core.deal import Deal, Structure
from copact.core.diagnostic import Severity
from copact.core.money import Money
from copact.core.schedule import ScheduleLine, planned_schedule
from copact.dealfile.loader import load_deal
from copact.dealfile.starters import starter_deal
from copact.rules.runner import check_deal

__all__ = ["register"]


def _ask(label: str, default: str) -> str:
    return Prompt.ask(label, default=default, console=err())


def new(
    structure: Annotated[
        Structure | None,
        typer.Option("--structure", "-s", help="The deal's headline model (DESIGN §3.2)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    buyer: Annotated[str | None, typer.Option(help="The buyer's legal name.")] = None,
    supplier: Annotated[str | None, typer.Option(help="The supplier's legal name.")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217 code, e.g. USD.")] = None,
    value: Annotated[str | None, typer.Option(help="Contract value, e.g. 250000.")] = None,
    start: Annotated[
        str | None, typer.Option(help="Effective date YYYY-MM-DD (default: today).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output file.")] = False,
) -> None:
    """Write a starter deal that passes `copact check` without errors.

    On a terminal it asks for what it needs; otherwise it takes the flags (or defaults).
    Fill in the parts marked in the comments, then run `copact check`.

    Example: `copact new -s milestone-funding --buyer "Acme LLC" --supplier "Volt Inc" -o deal.yaml`
    """
    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    if interactive:
        if structure is None:
            names = [s.value for s in Structure]
            err().print("Structures: " + ", ".join(names), markup=False)
            choice = Prompt.ask(
                "Structure",
                choices=names,
                default=Structure.MILESTONE_FUNDING.value,
                show_choices=False,
                console=err(),
            )
            structure = Structure(choice)
        buyer = buyer or _ask("Buyer (legal name)", "Buyer LLC")
        supplier = supplier or _ask("Supplier (legal name)", "Supplier Inc.")
        currency = currency or _ask("Currency", "USD")
        value = value or _ask("Contract value", "100000")
        start = start or _ask("Effective date", date.today().isoformat())
    try:
        amount = Decimal(value or "100000")
        effective = date.fromisoformat(start) if start else date.today()
    except (InvalidOperation, ValueError):
        fail("--value must be a decimal number and --start a date YYYY-MM-DD")
    try:
        text = starter_deal(
            structure or Structure.MILESTONE_FUNDING,
            buyer=buyer or "Buyer LLC",
            supplier=supplier or "Supplier Inc.",
            currency=(currency or "USD").upper(),
            value=amount,
            start=effective,
        )
    except ValueError as exc:
        fail(str(exc))
    if output is None:
        typer.echo(text, nl=False)
        return
    if output.exists() and not force:
        fail(f"{output} exists; use --force to overwrite it")
    output.write_text(text)
    err().print(f"Wrote {output}. Next: copact check {output}", markup=False)


def _money(m: Money) -> str:
    return f"{m.quantize().amount:,.{m.currency.digits}f}"


def _line_json(line: ScheduleLine) -> dict[str, Any]:
    return {
        "date": line.date.isoformat() if line.date else None,
        "kind": line.kind,
        "ref": line.ref,
        "label": line.label,
        "payer": line.payer,
        "payee": line.payee,
        "amount": str(line.gross.quantize().amount),
        "from_advance": str(line.from_advance.quantize().amount),
        "cash": str(line.cash.quantize().amount),
        "evidence": list(line.evidence),
    }


def load_for_commands(path: Path) -> Deal:
    try:
        loaded = load_deal(path)
    except OSError as exc:
        fail(f"{path}: {exc.strerror or 'cannot be read'}")
    if loaded.deal is None:
        console = err()
        for d in loaded.diagnostics:
            console.print(f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}", markup=False)
        fail(f"{path} is not a valid deal file; fix the errors above", 1)
    errors = [f for f in check_deal(loaded) if f.severity == Severity.ERROR]
    if errors:
        err().print(
            f"warning: {path} has {len(errors)} error(s) (`copact check {path}`); "
            "what follows takes the file as written",
            style="yellow",
            markup=False,
        )
    return loaded.deal


def schedule(
    deal_path: Annotated[Path, typer.Argument(metavar="DEAL", help="A deal file.")],
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text or json.")
    ] = OutputFormat.text,
) -> None:
    """The planned payment schedule: date, milestone, payer, payee, amount, evidence required.

    Milestone payments fall on the due date plus the deal's payment terms; each is the
    milestone's share of value times the buyer's funding share of its phase, settled first from
    any prepaid advance.

    Example: `copact schedule examples/hybrid-dc1.yaml --format json`
    """
    deal = load_for_commands(deal_path)
    lines = planned_schedule(deal)
    if format is OutputFormat.json:
        typer.echo(
            json.dumps(
                {
                    "deal": deal.id,
                    "currency": deal.currency,
                    "lines": [_line_json(x) for x in lines],
                },
                indent=2,
            )
        )
        return
    zero = Money.zero(deal.currency)
    has_advance = any(not x.from_advance.is_zero for x in lines)
    table = Table(title=f"{deal.title}: planned payments ({deal.currency})")
    table.add_column("date", no_wrap=True)
    table.add_column("for", no_wrap=True)
    table.add_column("payer → payee", no_wrap=True)
    table.add_column("amount", justify="right", no_wrap=True)
    if has_advance:
        table.add_column("from advance", justify="right", no_wrap=True)
        table.add_column("cash", justify="right", no_wrap=True)
    table.add_column("evidence required", overflow="fold")
    total_cash = zero
    for x in lines:
        total_cash = total_cash + x.cash
        money = [_money(x.gross), _money(x.from_advance), _money(x.cash)]
        table.add_row(
            x.date.isoformat() if x.date else "(no date)",
            x.label,
            f"{x.payer} → {x.payee}",
            *(money if has_advance else money[:1]),
            ", ".join(x.evidence),
        )
    table.add_section()
    blanks = ["", ""] if has_advance else []
    table.add_row("", "total cash", "", *blanks, _money(total_cash), "")
    out().print(table)


def register(app: typer.Typer) -> None:
    app.command()(new)
    app.command()(schedule)
