"""An invoice as a document: HTML for the screen, PDF (WeasyPrint, PDF/A-3b) for people to
file and for Factur-X to embed its XML in.

The document prints the legal invoice (``documents.legal.LegalInvoice``, EN 16931): seller and
buyer with their addresses and tax registrations, the number from the seller's series, the
issue and due dates, the lines with quantity, unit price, net and VAT, the VAT breakdown per
category and rate, the totals, how to pay (the number as the payment reference) and the
evidence each line was accepted on as supporting documents (SHA-256), so the PDF can be checked
against the journal later.

Below the totals it says where the invoice stands on the day it is printed, from the state
fold (``core.invoicing.InvoiceStanding``): what the prepaid advance settled, what was paid,
what is outstanding, open / part-paid / paid, overdue only when something is outstanding after
the due date. The journal settles invoices in the amounts it issued them in; where those are
net of VAT the section says so, and the one *amount due* is the legal one::

    Total net                   60,000.00
    VAT 19% on 60,000.00        11,400.00
    Total incl. VAT             71,400.00
    Prepaid advance deducted   −10,000.00
    Amount due                  61,400.00
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from babel import Locale
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from copact.core.deal import Address, Deal
from copact.core.events import Invoice
from copact.core.invoicing import InvoiceStanding
from copact.core.money import Money
from copact.documents.legal import LegalInvoice, legal_invoice

__all__ = [
    "INVOICE_CSS",
    "TYPE_TITLES",
    "VAT_CATEGORIES",
    "InvoiceDocument",
    "address_lines",
    "iban_groups",
    "rate_text",
    "render_invoice_html",
    "render_invoice_pdf",
]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: the invoice's styles: inlined in the PDF, linked from the web page (whose CSP allows no
#: inline style)
INVOICE_CSS = (_TEMPLATES / "invoice.css").read_text(encoding="utf-8")
_ENV = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(["html"]),
)

#: UNCL 1001 document type → the document's title
TYPE_TITLES = {380: "Invoice", 381: "Credit note", 386: "Prepayment invoice"}
#: UNCL 5305 VAT category → what it means, as the breakdown prints it
VAT_CATEGORIES = {
    "S": "Standard rate",
    "Z": "Zero rated",
    "E": "Exempt from VAT",
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export outside the EU",
    "O": "Not subject to VAT",
}


@dataclass(frozen=True)
class InvoiceDocument:
    deal: Deal
    invoice: Invoice
    on: date  # the day the document is printed (for "overdue")
    evidence: dict[str, list[tuple[str, str]]]  # milestone → (name, sha256) of its evidence
    standing: InvoiceStanding  # what settled it by ``on``: the advance, payments
    type_code: int = 380  # UNCL 1001: 380 invoice, 386 prepayment invoice, 381 credit note
    preceding: Invoice | None = None  # the invoice a credit note corrects (BT-25, BT-26)
    netted: Money | None = None  # what an exit's settlement netted: not overdue any more

    @property
    def overdue(self) -> bool:
        """As the invoices page says it: something outstanding, less what an exit netted,
        after the due date."""
        left = self.standing.outstanding - self.netted if self.netted else self.standing.outstanding
        return not left.is_zero and self.standing.due < self.on

    @cached_property
    def legal(self) -> LegalInvoice:
        """The invoice as EN 16931 has it: what the PDF, the CII and the UBL all print."""
        return legal_invoice(
            self.deal,
            self.invoice,
            self.standing,
            self.evidence,
            type_code=self.type_code,
            preceding=self.preceding,
        )

    @property
    def title(self) -> str:
        return TYPE_TITLES.get(self.legal.type_code, "Invoice")

    @property
    def standing_basis(self) -> str:
        """What the journal's figures below the totals are: ``gross`` when they include the
        VAT charged (or none is), else ``net`` (of VAT)."""
        legal = self.legal
        if legal.tax_total == 0 or self.standing.total.amount == legal.tax_inclusive:
            return "gross"
        return "net"


def _amount(value: Decimal | Money) -> str:
    amount = value.quantize().amount if isinstance(value, Money) else value
    return f"{amount:,.2f}"


def rate_text(value: Decimal) -> str:
    """``Decimal("19.00")`` → ``19%``, ``Decimal("5.5")`` → ``5.5%``."""
    text = f"{value.normalize():f}"
    return f"{text}%"


#: countries whose post writes ``City, REGION POSTCODE`` on one line
_CITY_REGION_CODE = frozenset({"US", "CA", "AU"})


def _country(code: str) -> str:
    name = Locale.parse("en").territories.get(code)
    return str(name) if name else code


def address_lines(address: Address | None) -> list[str]:
    """The address as the post of its country prints it: its lines, then the place (``Dayton,
    OH 45414`` in North America and Australia, the town then the postcode in the UK, else
    ``20457 Hamburg`` and the region), then the country."""
    if address is None:
        return []
    city, code, region = address.city, address.postcode, address.region
    rows = list(address.lines)
    if address.country in _CITY_REGION_CODE:
        rows.append(f"{city}, {' '.join(p for p in (region, code) if p)}".rstrip(", "))
    elif address.country == "GB":
        rows += [p for p in (city, region, code) if p]
    else:
        rows.append(" ".join(p for p in (code, city) if p))
        if region:
            rows.append(region)
    rows.append(_country(address.country))
    return rows


def iban_groups(iban: str) -> str:
    """An IBAN in groups of four, as it is read out and typed."""
    compact = iban.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string that cannot end the string or the ``<style>``."""
    escaped = "".join(c if c.isalnum() or c in " .,-·/:()" else f"\\{ord(c):x} " for c in text)
    return Markup(f'"{escaped}"')


def render_invoice_html(doc: InvoiceDocument, *, standalone: bool = True) -> str:
    return _ENV.get_template("invoice.html").render(
        doc=doc,
        deal=doc.deal,
        inv=doc.legal,
        st=doc.standing,
        amount=_amount,
        rate=rate_text,
        address=address_lines,
        iban=iban_groups,
        quantity=_quantity,
        vat_names=VAT_CATEGORIES,
        standalone=standalone,
        css=INVOICE_CSS,
        css_string=_css_string,
    )


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as a PDF/A-3b file (so Factur-X can embed its XML in it)."""
    from weasyprint import HTML  # heavy: only for a PDF

    pdf = HTML(string=render_invoice_html(doc), base_url=None).write_pdf(
        pdf_variant="pdf/a-3b",
        pdf_identifier=doc.legal.number.encode(),
    )
    assert pdf is not None
    return bytes(pdf)
