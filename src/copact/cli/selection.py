"""`copact select`: rank the candidate suppliers of an evaluation file, write the one-page
selection report, and record the choice in the deal's ``selection`` section."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from copact.cli.authoring import load_for_commands
from copact.cli.console import err, fail, out
from copact.core.deal import Deal
from copact.core.diagnostic import Diagnostic, Severity
from copact.core.selection import Ranking, shown
from copact.dealfile.evaluation import MAX_BYTES
from copact.dealfile.loader import load_text
from copact.documents.rendering import render_html, render_markdown, render_pdf
from copact.documents.selection_report import choice_reason
from copact.rules.runner import check_deal
from copact.services.selection import (
    Choice,
    Evaluated,
    NotChosen,
    choose,
    evaluate,
    ranking_json,
    report_of,
    write_choice,
)

__all__ = ["register"]

_FORMATS = {".md": "Markdown", ".html": "HTML", ".pdf": "PDF"}


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _print(problems: list[Diagnostic]) -> None:
    console = err()
    for p in problems:
        style = "red" if p.severity == Severity.ERROR else "yellow"
        console.print(
            f"{p.path}:{p.line}:{p.column}: {p.code} {p.message}", style=style, markup=False
        )
        console.print(f"  help: {p.hint}", markup=False)


def _bar(percent: Decimal, width: int = 20) -> str:
    """``83.0`` → 17 of 20 blocks (rounded half-even)."""
    filled = int(shown(percent * width / 100, 0))
    return "█" * filled + "·" * (width - filled)


def _table(evaluated: Evaluated, ranking: Ranking, choice: Choice | None) -> None:
    ev = evaluated.evaluation
    top = f"{ev.scale.max.normalize():f}"
    table = Table(title=ev.title or f"{len(ev.candidates)} candidates", title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("candidate")
    table.add_column(f"score /{top}", justify="right")
    table.add_column("")
    for c in ev.criteria:
        table.add_column(f"{c.id}\n{c.weight}", justify="right")
    split = {(s.candidate, m.criterion) for s, m in ranking.disagreements()}
    for s in ranking.standings:
        means = [
            f"{shown(m.mean):f}" + ("*" if (s.candidate, m.criterion) in split else "")
            for m in s.criteria
        ]
        table.add_row(s.place, s.name, f"{s.score:f}", _bar(ranking.percent(s)), *means)
    console = out()
    console.print(table)
    decider = ranking.decider
    if decider is not None:
        one, two = ranking.standings[0], ranking.standings[1]
        console.print(
            f"Decided by {decider.criterion}: {one.candidate} leads {two.candidate} by "
            f"{shown(decider.lead):f}, {shown(decider.margin):f} of it on {decider.criterion}.",
            markup=False,
        )
    else:
        console.print("Tied first: " + ", ".join(s.candidate for s in ranking.first), markup=False)
    for s, m in ranking.disagreements():
        scores = ", ".join(f"{who} {score.normalize():f}" for who, score, _ in m.scores)
        console.print(
            f"* evaluators disagree on {s.candidate}, {m.criterion}: {scores}", markup=False
        )
    if choice is not None:
        why = choice_reason(evaluated.evaluation, ranking, choice.candidate, choice.reason)
        console.print(f"Chosen: {choice.candidate}: {why}.", markup=False)


def _report(evaluated: Evaluated, choice: Choice, path: Path) -> None:
    suffix = path.suffix.lower()
    doc = report_of(evaluated, choice)
    if suffix == ".pdf":
        pdf = render_pdf(doc)
        data, pages = pdf.data, pdf.pages
    else:
        body = render_markdown(doc) if suffix == ".md" else render_html(doc)
        data, pages = body.encode("utf-8"), 0
    try:
        path.write_bytes(data)
    except OSError as exc:
        fail(f"{path}: {exc.strerror or 'cannot be written'}")
    length = f", {pages} page{'s' if pages != 1 else ''}" if pages else ""
    out().print(f"Wrote {path} (selection report, {_FORMATS[suffix]}{length}).", markup=False)


def _write(deal_path: Path, deal: Deal, evaluated: Evaluated, choice: Choice) -> None:
    text = deal_path.read_text(encoding="utf-8")
    try:
        written = write_choice(text, deal, evaluated, choice)
    except NotChosen as exc:
        fail(str(exc), 1)
    before = {(f.code, f.message) for f in check_deal(load_text(text, str(deal_path)))}
    after = check_deal(load_text(written, str(deal_path)))
    try:
        deal_path.write_text(written, encoding="utf-8")
    except OSError as exc:
        fail(f"{deal_path}: {exc.strerror or 'cannot be written'}")
    out().print(
        f"Wrote the selection into {deal_path}: chosen {choice.candidate}, "
        f"{len(evaluated.evaluation.candidates)} candidates.",
        markup=False,
    )
    new = [f for f in after if (f.code, f.message) not in before]
    if new:
        _print(new)


def select(
    evaluation: Annotated[
        Path, typer.Argument(metavar="EVALUATION", help="An evaluation file (YAML).")
    ],
    deal_path: Annotated[
        Path | None,
        typer.Option("--deal", metavar="DEAL", help="The deal the chosen supplier signs."),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the selection into the --deal file.")
    ] = False,
    choose_: Annotated[
        str | None,
        typer.Option("--choose", metavar="ID", help="Choose this candidate, not the first."),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", metavar="TEXT", help="Why (needed when the choice is not the first)."
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE", help="Write the report: FILE.pdf, .html or .md."),
    ] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text or json.")
    ] = OutputFormat.text,
) -> None:
    """Rank the candidate suppliers of an evaluation file by their weighted score.

    Each candidate's score on a criterion is the mean of the evaluators' scores; its weighted
    score is Σ weight × mean, on the file's scale (out of 5). Prints the ranking, what decided
    between the first two and where the evaluators disagree; `--report` writes the one-page
    selection report, `--write` records `selection: {candidates, criteria, chosen}` in the deal
    file (its comments kept). Problems are printed as `file:line:col: CODE message` (exit 1).
    The format of the file: examples/selection/README.md.

    Example: `copact select examples/selection/hybrid-dc1-evaluation.yaml --deal
    examples/hybrid-dc1.yaml --report selection.pdf --write`
    """
    if report is not None and report.suffix.lower() not in _FORMATS:
        fail(f"{report}: write a .md, .html or .pdf report (the suffix picks the format)")
    if write and deal_path is None:
        fail("--write needs the deal file to write into: --deal DEAL.yaml")
    deal = load_for_commands(deal_path) if deal_path is not None else None
    try:
        with evaluation.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        fail(f"{evaluation}: {exc.strerror or 'cannot be read'}")
    evaluated = evaluate(raw, str(evaluation), deal=deal)
    _print(evaluated.problems)
    if evaluated.ranking is None:
        fail(f"{evaluation} has errors; fix them to rank its candidates", 1)
    ranking = evaluated.ranking
    choice: Choice | None = None
    try:
        choice = choose(ranking, candidate=choose_, reason=reason)
    except NotChosen as exc:
        if choose_ is not None or reason is not None or write or report is not None:
            fail(str(exc), 1)
    if format is OutputFormat.json:
        typer.echo(json.dumps(ranking_json(evaluated, choice), indent=2, ensure_ascii=False))
    else:
        _table(evaluated, ranking, choice)
    if choice is None:
        return
    if report is not None:
        _report(evaluated, choice, report)
    if write and deal_path is not None and deal is not None:
        _write(deal_path, deal, evaluated, choice)


def register(app: typer.Typer) -> None:
    """Add `copact select` to the app."""
    app.command("select")(select)
