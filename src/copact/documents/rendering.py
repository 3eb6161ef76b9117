"""A deal document (:mod:`.deal_documents`) as Markdown, HTML (Jinja2) or PDF (WeasyPrint).

The three renderers lay out the same sections and blocks; none of them decides what a document
says. The PDF is A4 (the contract matrix A4 landscape, for its six columns), numbered "page 2
of 5", with the deal's id and the SHA-256 of the deal text it was made from in every footer, so
a printed copy names the version both sides sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from copact.documents.layout import Block, Bullets, Cell, Document, Facts, Paragraph, Table

__all__ = ["TERMS_CSS", "RenderedPdf", "render_html", "render_markdown", "render_pdf"]

_TEMPLATES = Path(__file__).resolve().parent / "templates" / "terms"
#: the styles of the three documents, inlined in the HTML and the PDF
TERMS_CSS = (_TEMPLATES / "terms.css").read_text(encoding="utf-8")
_ENV = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


# --- Markdown -------------------------------------------------------------------------------


def _md_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_cell(cell: Cell) -> str:
    if isinstance(cell, str):
        return _md_text(cell)
    return "<br>".join(_md_text(line) for line in cell)


def _md_value(cell: Cell) -> str:
    return cell if isinstance(cell, str) else "; ".join(cell)


def _md_table(table: Table) -> list[str]:
    align = ["---:" if i in table.numeric else "---" for i in range(len(table.columns))]
    lines = [
        "| " + " | ".join(_md_text(c) for c in table.columns) + " |",
        "| " + " | ".join(align) + " |",
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return lines


def _md_block(block: Block) -> list[str]:
    if isinstance(block, Facts):
        return [f"- **{f.label}:** {_md_value(f.value)}" for f in block.items]
    if isinstance(block, Paragraph):
        return [f"**{block.label}.** {block.text}" if block.label else block.text]
    lines = [f"**{block.label}**", ""] if block.label else []
    if isinstance(block, Bullets):
        return lines + [f"- {item}" for item in block.items]
    return lines + _md_table(block)


def render_markdown(doc: Document) -> str:
    """The document as GitHub-flavoured Markdown (a table cell of several lines uses ``<br>``)."""
    out = [f"# {doc.name}: {doc.title}", "", doc.subtitle + "  ", _version_line(doc), ""]
    for number, section in enumerate(doc.sections, start=1):
        out += [f"## {number}. {section.title}", ""]
        for block in section.blocks:
            out += [*_md_block(block), ""]
        if section.note:
            out += [f"*{section.note}*", ""]
    return "\n".join(out).rstrip() + "\n"


def _version_line(doc: Document) -> str:
    version = f", version sha256:{doc.version}" if doc.version else ""
    return f"Deal `{doc.deal_id}`{version}"


# --- HTML and PDF ---------------------------------------------------------------------------


def render_html(doc: Document) -> str:
    """The document as one HTML page with its styles inlined (what the PDF is printed from)."""
    footer = f"{doc.deal_id} · {doc.name}"
    if doc.version:
        footer += f" · version sha256:{doc.version}"
    return _ENV.get_template("document.html").render(
        doc=doc, css=TERMS_CSS, footer=footer, is_text=lambda c: isinstance(c, str)
    )


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    """A PDF and its number of pages (the scope memo must keep to one)."""

    data: bytes
    pages: int


def render_pdf(doc: Document) -> RenderedPdf:
    """The document printed to PDF by WeasyPrint."""
    from weasyprint import HTML  # heavy: only for a PDF

    rendered = HTML(string=render_html(doc), base_url=None).render()
    data = rendered.write_pdf()
    assert data is not None
    return RenderedPdf(bytes(data), len(rendered.pages))
