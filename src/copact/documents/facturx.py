"""The invoice as a Factur-X file: the PDF people read (PDF/A-3b, from
:func:`~copact.documents.invoice.render_invoice_pdf`) with the machine-readable invoice
embedded in it, the UN/CEFACT CII XML of :func:`~copact.documents.cii.cii_xml` at the Factur-X
EN 16931 profile, as ``factur-x.xml`` with the relationship ``Data``.

Both are made from the same :class:`~copact.documents.legal.LegalInvoice`, so what the page
says and what the buyer's accounting system reads agree to the cent. The ``factur-x``
library checks the XML against the profile's XSD before it embeds it (no network: the
Schematron check is :func:`copact.documents.einvoice_check.check_einvoice`'s) and writes the
XMP metadata that names the profile.
"""

from __future__ import annotations

from copact.documents.cii import cii_xml
from copact.documents.invoice import InvoiceDocument, render_invoice_pdf

__all__ = ["facturx_pdf"]


def facturx_pdf(doc: InvoiceDocument) -> bytes:
    """The Factur-X PDF/A-3 of ``doc``: its PDF with its CII XML (EN 16931) embedded."""
    from facturx import generate_from_binary  # heavy: only here

    legal = doc.legal
    seller = legal.seller.legal_name
    metadata = {
        "author": seller,
        "keywords": "Factur-X, Invoice",
        "title": f"{seller}: {doc.title} {legal.number}",
        "subject": f"Factur-X {doc.title.lower()} {legal.number} dated "
        f"{legal.issued.isoformat()} issued by {seller}",
    }
    pdf = generate_from_binary(
        render_invoice_pdf(doc),
        cii_xml(legal),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata=metadata,
        lang="en-GB",
    )
    return bytes(pdf)
