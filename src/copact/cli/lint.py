"""`copact check`, `copact rules` and `copact schema`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from copact.cli.console import fail, out
from copact.cli.report import render_json, render_sarif, render_text
from copact.dealfile.schema import deal_schema
from copact.rules.catalogue import all_rules, get_rule
from copact.rules.runner import Selection
from copact.services.lint import MissingPath, lint_paths

__all__ = ["register"]


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _codes(values: list[str] | None) -> list[str]:
    codes: list[str] = []
    for value in values or []:
        codes.extend(c.strip().upper() for c in value.split(",") if c.strip())
    return codes


def check(
    paths: Annotated[
        list[Path], typer.Argument(help="Deal files, or folders searched for *.yaml and *.yml.")
    ],
    format: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="Output: text, json or sarif.")
    ] = CheckFormat.text,
    strict: Annotated[bool, typer.Option(help="Also fail (exit 1) on warnings.")] = False,
    select: Annotated[
        list[str] | None,
        typer.Option(help="Only these codes or prefixes (M2, M202, X), comma-separated."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(help="Skip these codes or prefixes, comma-separated.")
    ] = None,
) -> None:
    """Lint deal files against the rule catalogue (`copact rules` lists it).

    Each finding is printed as `path:line:col: CODE message` with a `help:` line.
    Exit code 0 when no finding is an error, 1 when one is (or a warning with --strict),
    2 when a file cannot be read.

    Example: `copact check examples/ --strict`, `copact check deal.yaml --format sarif`
    """
    selection = Selection(select=_codes(select), ignore=_codes(ignore))
    for code in [*selection.select, *selection.ignore]:
        if code != "ALL" and not any(r.code.startswith(code) for r in all_rules()):
            fail(f"--select/--ignore: no rule code starts with {code!r} (see `copact rules`)")
    try:
        report = lint_paths(paths, selection)
    except MissingPath as exc:
        fail(f"{exc.path}: {exc.reason}")
    if format is CheckFormat.json:
        typer.echo(render_json(report))
    elif format is CheckFormat.sarif:
        typer.echo(render_sarif(report))
    else:
        render_text(report, out())
    raise typer.Exit(1 if report.failed(strict=strict) else 0)


def rules(
    code: Annotated[str | None, typer.Argument(help="A rule code such as M202.")] = None,
) -> None:
    """List the rules, or explain one: what it checks, why, an example and what to write instead.

    Example: `copact rules` or `copact rules M202`
    """
    console = out()
    if code is None:
        table = Table(title="copact rules", show_lines=False)
        for column in ("code", "severity", "name", "checks"):
            table.add_column(column)
        for r in all_rules():
            table.add_row(r.code, r.severity.value, r.name, r.summary)
        console.print(table)
        return
    found = get_rule(code)
    if found is None:
        fail(f"unknown rule code {code!r}; `copact rules` lists them")
    console.print(f"[bold]{found.code}[/] {found.name} ({found.severity.value}, {found.family})")
    console.print(f"{found.summary}\n", markup=False)
    from rich.markdown import Markdown  # 75 ms of markdown-it, for this one page

    console.print(Markdown(found.doc))
    console.print(f"\nhelp: {found.hint}", markup=False)
    console.print(
        f"\nSilence it for one deal with `ignore: [{{code: {found.code}, reason: ...}}]`.",
        markup=False,
    )


def schema() -> None:
    """Print the JSON Schema of deal file format 1, for editors that validate YAML as you type.

    Example: `copact schema > copact-deal.schema.json`, then point your editor's YAML schema
    setting at it.
    """
    typer.echo(json.dumps(deal_schema(), indent=2))


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.command()(rules)
    app.command()(schema)
