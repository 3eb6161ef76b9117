"""An invoice as a document: HTML for the screen, PDF (WeasyPrint) for people to file.

The figures are the journal's invoice event as it was issued; the deal supplies names,
addresses of the parties and the milestone descriptions; each line lists the SHA-256 of the
evidence it was accepted on, so the PDF can be checked against the journal later.

Below the lines the document says where the invoice stands on the day it is printed, from the
state fold (``core.invoicing.InvoiceStanding``): what the prepaid advance settled, what is due
in cash, what was paid and what is outstanding, and open / part-paid / paid. It is overdue only
when something is outstanding after the due date::

    Total                       60,000.00
    From the prepaid advance   −10,000.00
    Due in cash                 50,000.00
    Paid                             0.00
    Outstanding                 50,000.00   part-paid
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from copact.core.deal import Deal
from copact.core.events import Invoice
from copact.core.invoicing import InvoiceStanding
from copact.core.money import Money

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
    standing: InvoiceStanding  # what settled it by ``on``: the advance, payments

    @property
    def overdue(self) -> bool:
        return self.standing.overdue(self.on)


def _amount(value: Decimal | Money) -> str:
    amount = value.quantize().amount if isinstance(value, Money) else value
    return f"{amount:,.2f}"


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
