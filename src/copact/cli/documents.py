"""`copact render`: the term sheet, the scope memo or the contract matrix of a deal file, as
Markdown (stdout or .md), HTML (.html) or PDF (.pdf)."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from copact.cli.authoring import load_for_commands
from copact.cli.console import fail, out
from copact.documents.deal_documents import build_document
from copact.documents.rendering import render_html, render_markdown, render_pdf

__all__ = ["register"]

_FORMATS = {".md": "Markdown", ".html": "HTML", ".pdf": "PDF"}


class Kind(StrEnum):
    term_sheet = "term-sheet"
    scope_memo = "scope-memo"
    matrix = "matrix"


def render(
    deal_path: Annotated[Path, typer.Argument(metavar="DEAL", help="A deal file.")],
    as_: Annotated[
        Kind,
        typer.Option(
            "--as",
            help="term-sheet (every term), scope-memo (one page) or matrix (who owes what when).",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write FILE.md, FILE.html or FILE.pdf (default: Markdown to stdout).",
        ),
    ] = None,
) -> None:
    """A document to negotiate from: the term sheet, the one-page scope memo or the contract
    matrix (each obligation, who owes it to whom, when, and the evidence that proves it).

    The format follows the suffix of `-o`; without it the Markdown goes to stdout. A PDF is A4
    (the matrix landscape) with page numbers and the deal's id and version hash (the SHA-256 of
    the deal file, the hash `copact sign` signs) in every footer.

    Example: `copact render examples/hybrid-dc1.yaml --as term-sheet -o term-sheet.pdf`
    """
    suffix = output.suffix.lower() if output is not None else ".md"
    if suffix not in _FORMATS:
        fail(f"{output}: write a .md, .html or .pdf file (the suffix picks the format)")
    try:
        text = deal_path.read_bytes()
    except OSError as exc:
        fail(f"{deal_path}: {exc.strerror or 'cannot be read'}")
    deal = load_for_commands(deal_path)
    version = hashlib.sha256(text).hexdigest()
    doc = build_document(deal, as_.value, version=version)
    if output is None:
        typer.echo(render_markdown(doc), nl=False)
        return
    if suffix == ".pdf":
        pdf = render_pdf(doc)
        data, pages = pdf.data, pdf.pages
    else:
        body = render_markdown(doc) if suffix == ".md" else render_html(doc)
        data, pages = body.encode("utf-8"), 0
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"{output}: {exc.strerror or 'cannot be written'}")
    length = f", {pages} page{'s' if pages != 1 else ''}" if pages else ""
    out().print(f"Wrote {output} ({doc.name.lower()}, {_FORMATS[suffix]}{length}).", markup=False)


def register(app: typer.Typer) -> None:
    app.command()(render)
