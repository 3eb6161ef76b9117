"""An invoice as a document: HTML for the screen, PDF (WeasyPrint) for people to file.

The figures are the journal's invoice event as it was issued; the deal supplies names,
addresses of the parties and the milestone descriptions; each line lists the SHA-256 of the
evidence it was accepted on, so the PDF can be checked against the journal later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from copact.core.deal import Deal
from copact.core.events import Invoice

__all__ = ["INVOICE_CSS", "InvoiceDocument", "render_invoice_html", "render_invoice_pdf"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: the invoice's styles: inlined in the PDF, linked from the web page (whose CSP allows no
#: inline style)
INVOICE_CSS = (_TEMPLATES / "invoice.css").read_text(encoding="utf-8")
_ENV = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(["html"]),
)


@dataclass(frozen=True)
class InvoiceDocument:
    deal: Deal
    invoice: Invoice
    on: date  # the day the document is printed (for "overdue")
    evidence: dict[str, list[tuple[str, str]]]  # milestone → (name, sha256) of its evidence

    @property
    def overdue(self) -> bool:
        return self.invoice.due < self.on


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def render_invoice_html(doc: InvoiceDocument, *, standalone: bool = True) -> str:
    deal = doc.deal
    supplier = deal.party(doc.invoice.from_)
    buyer = deal.party(doc.invoice.to)
    descriptions = {m.id: m.description for m in deal.milestones if m.description}
    return _ENV.get_template("invoice.html").render(
        doc=doc,
        deal=deal,
        invoice=doc.invoice,
        supplier=supplier,
        buyer=buyer,
        descriptions=descriptions,
        amount=_amount,
        standalone=standalone,
        css=INVOICE_CSS,
    )


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    from weasyprint import HTML  # heavy: only for a PDF

    pdf = HTML(string=render_invoice_html(doc), base_url=None).write_pdf()
    assert pdf is not None
    return bytes(pdf)
