"""`copact invoice …`: the invoices as documents. `copact invoice check FILE…` checks
e-invoices (Factur-X PDF, CII or UBL XML) against their XSD and the official EN 16931
Schematron.

Exit codes: 0 every file passed, 1 a file failed its XSD or has a fatal Schematron finding,
2 a file could not be read (missing, or no e-invoice at all).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from copact.cli import invoice_export
from copact.cli.console import OutputFormat, err, out
from copact.documents.einvoice_check import CheckReport, UnreadableInvoice, check_einvoice

__all__ = ["invoice_app", "register"]

invoice_app = typer.Typer(
    help="Invoices as documents: check e-invoices against EN 16931.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

#: the Schematron repeats its rule id at the start of its message: ``[BR-CO-15]-Invoice …``
_RULE_PREFIX = re.compile(r"^\[[^\]]*\]\s*-?\s*")


def _message(text: str) -> str:
    return _RULE_PREFIX.sub("", text)


def _as_json(path: Path, report: CheckReport) -> dict[str, Any]:
    return {
        "file": str(path),
        "kind": report.kind,
        "from_pdf": report.from_pdf,
        "ok": report.ok,
        "xsd_errors": list(report.xsd_errors),
        "findings": [
            {
                "flag": f.flag,
                "rule": f.rule,
                "message": _message(f.message),
                "location": f.location,
            }
            for f in report.findings
        ],
    }


def _print(path: Path, report: CheckReport) -> None:
    console = out()
    what = report.schema + (", read from the PDF" if report.from_pdf else "")
    warnings = len(report.findings) - len(report.fatal)
    name = escape(str(path))
    if report.ok:
        tail = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
        console.print(f"{name}: [green]OK[/] ({what}: XSD and EN 16931 Schematron{tail})")
    else:
        problems = len(report.xsd_errors) + len(report.fatal)
        console.print(f"{name}: [bold red]{problems} error{'s' * (problems != 1)}[/] ({what})")
    for x in report.xsd_errors:
        console.print(f"  [red]xsd[/]      {escape(x)}")
    for f in report.findings:
        colour = "red" if f.fatal else "yellow"
        console.print(f"  [{colour}]{f.flag:<8}[/] {escape(f.rule)}  {escape(_message(f.message))}")
        if f.location:
            console.print(f"           [dim]at {escape(f.location)}[/]")


@invoice_app.command("check")
def check(
    files: Annotated[
        list[Path], typer.Argument(help="E-invoices: Factur-X PDF, CII XML or UBL XML files.")
    ],
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output: text or json.")
    ] = OutputFormat.text,
) -> None:
    """Check e-invoices against their XSD and the official EN 16931 Schematron (offline).

    Prints OK per file, or each XSD error and each failed assert with its flag (fatal or
    warning), rule id, message and location. Exit 1 when a file fails its XSD or has a fatal
    finding, 2 when a file cannot be read.

    Example: `copact invoice check invoice-PC-0001.pdf invoice-PC-0001.ubl.xml`
    """
    results: list[dict[str, Any]] = []
    code = 0
    for path in files:
        try:
            report = check_einvoice(path.read_bytes())
        except (OSError, UnreadableInvoice) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            if format is OutputFormat.json:
                results.append({"file": str(path), "error": reason})
            else:
                err().print(f"[bold red]copact:[/] {escape(str(path))}: {escape(reason)}")
            code = 2
            continue
        if not report.ok and code == 0:
            code = 1
        if format is OutputFormat.json:
            results.append(_as_json(path, report))
        else:
            _print(path, report)
    if format is OutputFormat.json:
        typer.echo(json.dumps(results, indent=2))
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    invoice_export.register(invoice_app)  # show, export
    app.add_typer(invoice_app, name="invoice")
