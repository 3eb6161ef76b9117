"""The invoice as a document says what the journal says, and what a legal invoice must:

- a paid invoice is not overdue; an invoice settled from the advance shows what the advance
  covered and what is due in cash (pump-retrofit, tests/core/money_deals.py, no VAT);
- with the parties' legal details and 19% VAT (tests/fixtures/einvoice-pump.yaml), the PDF a
  person files shows seller and buyer with their addresses and VAT ids, the VAT breakdown, how
  to pay, and one amount due: the journal's invoice total plus VAT less the advance, to the
  cent. The PDF is read back as text with ``pdftotext``, as a person would read it.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from copact.documents.invoice import InvoiceDocument, render_invoice_html, render_invoice_pdf
from tests.core.money_deals import Journal
from tests.documents.einvoice_deals import FIXTURE, fixture_deal, invoice_inputs

VAT_DEAL = fixture_deal()


def _doc(j: Journal, number: str, on: date) -> InvoiceDocument:
    invoice, standing, evidence = invoice_inputs(j, number, on)
    return InvoiceDocument(j.deal, invoice, on, evidence, standing)


def _document(j: Journal, number: str, on: date) -> str:
    return render_invoice_html(_doc(j, number, on))


def _text(pdf: bytes, tmp_path: Path, *, layout: bool = True) -> str:
    """The PDF's text as poppler's ``pdftotext`` reads it: with ``layout`` each printed row is
    a line (spaces squeezed), else the text flows block by block (all white space one space)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    mode = ["-layout"] if layout else []
    text = subprocess.run(
        ["pdftotext", *mode, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"[ \t]+", " ", text) if layout else re.sub(r"\s+", " ", text)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def test_a_paid_invoice_printed_after_its_due_date_is_not_overdue() -> None:
    j = Journal()
    design = j.deliver("design", date(2026, 3, 1))  # due 2026-03-31
    j.pay("40000", "ACH-1", date(2026, 3, 20), for_=design)
    html = _document(j, design, date(2026, 5, 1))
    assert "(overdue)" not in html
    assert 'status-paid">paid' in html


def test_an_unpaid_invoice_printed_after_its_due_date_is_overdue() -> None:
    j = Journal()
    design = j.deliver("design", date(2026, 3, 1))
    assert "(overdue)" in _document(j, design, date(2026, 5, 1))


def test_an_invoice_shows_what_the_advance_settled_and_what_is_due_in_cash() -> None:
    j = Journal()
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    j.deliver("design", date(2026, 3, 1))
    install = j.deliver("install", date(2026, 6, 1))
    html = _document(j, install, date(2026, 6, 2))
    assert "60,000.00" in html  # the amount
    assert "Prepaid advance deducted" in html and "From the prepaid advance" in html
    assert "10,000.00" in html
    assert "Due in cash" in html and "50,000.00" in html
    assert 'status-part-paid">part-paid' in html
    # no VAT is charged (pump-retrofit has no tax rule): the amount due is the cash due
    assert "Not subject to VAT" in html
    assert "Amount due" in html and "USD 50,000.00" in html
    assert "net of VAT" not in html


def test_the_pdf_names_seller_and_buyer_with_their_addresses_and_tax_ids(tmp_path: Path) -> None:
    j = Journal(VAT_DEAL)
    design = j.deliver("design", date(2026, 3, 1))
    text = _text(render_invoice_pdf(_doc(j, design, date(2026, 3, 2))), tmp_path)
    for expected in (
        "PumpCo Antriebstechnik GmbH",  # the seller's legal name
        "Industriering 4",
        "44147 Dortmund",
        "DE987654321",  # its VAT id
        "315/5802/1234",  # its tax number
        "HRB 98765",
        "billing@pumpco.example",
        "Mill Company GmbH",  # the buyer
        "Hafenstraße 12",
        "20457 Hamburg",
        "Germany",
        "DE123456789",
        "Invoice number PC-1",
        "Issue date 2026-03-01",
        "Due date 2026-03-31",
        "DE89 3704 0044 0532 0130 00",  # the IBAN, in groups of four
        "COBADEFFXXX",
    ):
        assert expected in text, expected
    assert "Retrofit design and drawings" in text  # the line is named by its milestone


def test_the_amount_due_is_the_journal_total_plus_vat_less_the_advance(tmp_path: Path) -> None:
    """install: 60,000.00 net; VAT 19% = 11,400.00, carried by the journal's invoice, so its
    total is 71,400.00; the advance of 50,000.00 settled design's 47,600.00 (40,000.00 + VAT)
    and has 2,400.00 left for install: 69,000.00 due, and the state says the same."""
    j = Journal(VAT_DEAL)
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    j.deliver("design", date(2026, 3, 1))
    install = j.deliver("install", date(2026, 6, 1))
    doc = _doc(j, install, date(2026, 6, 2))
    assert doc.invoice.net == Decimal("60000.00") and doc.invoice.tax == Decimal("11400.00")
    journal_total = doc.invoice.total
    assert journal_total == Decimal("71400.00")
    pdf = render_invoice_pdf(doc)
    text = _text(pdf, tmp_path)
    assert re.search(r"S · Standard rate 19% 60,000.00 11,400.00", text)  # the VAT breakdown
    assert re.search(r"Total net 60,000.00", text)
    assert re.search(r"Total incl. VAT 71,400.00", text)
    assert re.search(r"Prepaid advance deducted −2,400.00", text)
    due = journal_total - Decimal("2400.00")
    assert due == Decimal("69000.00") == doc.standing.outstanding.amount
    assert re.search(rf"Amount due EUR {_money(due)}", text)
    assert text.count("Amount due") == 1  # one amount due, however the journal settles it
    assert re.search(r"IBAN DE89 3704 0044 0532 0130 00", text)
    assert re.search(rf"Outstanding {_money(due)}", text)  # where it stands: the same figure
    flow = _text(pdf, tmp_path, layout=False)
    assert f"Please pay EUR {_money(due)} by 2026-07-01" in flow
    assert "quoting the payment reference PC-2" in flow
    assert "net of VAT" not in flow  # the journal carries the VAT: nothing to explain


def test_the_pdf_is_pdf_a_3b_and_lists_the_evidence_hashes(tmp_path: Path) -> None:
    j = Journal(VAT_DEAL)
    design = j.deliver("design", date(2026, 3, 1))
    pdf = render_invoice_pdf(_doc(j, design, date(2026, 3, 2)))
    catalog = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data()  # PDF/A's identification is in the XMP
    assert re.search(rb"pdfaid:part(=\"|>)3", xmp) and re.search(rb"conformance(=\"|>)B", xmp)
    assert "/OutputIntents" in catalog  # with its colour profile, as PDF/A asks
    text = _text(pdf, tmp_path)
    sha = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"  # sha256(b"x")
    assert "SUPPORTING DOCUMENTS" in text  # headings print in capitals
    assert re.search(rf"drawing.pdf sha256 {sha}", text)


@settings(max_examples=30, deadline=None)
@given(
    value=st.integers(min_value=1, max_value=10**9).map(lambda c: Decimal(c) / 100),
    rate=st.sampled_from(["5.5", "7", "19", "20", "21", "25"]),
)
def test_the_printed_amount_due_is_net_plus_vat_to_the_cent(value: Decimal, rate: str) -> None:
    """Whatever the deal's value and VAT rate: the page's amount due is the journal's net
    amount plus its VAT (net × rate, half-even to the cent), and it is printed once."""
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace("value: 200000", f"value: {value}").replace("rate: 19%", f"rate: {rate}%")
    text = text.replace("prepaid: {amount: 50000, due: 2026-01-15}\n", "")
    j = Journal(fixture_deal(text))
    design = j.deliver("design", date(2026, 3, 1))
    doc = _doc(j, design, date(2026, 3, 2))
    net = doc.invoice.net
    vat = (net * Decimal(rate) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    assert doc.invoice.total == net + vat  # the journal's invoice carries the same VAT
    html = render_invoice_html(doc)
    assert f"EUR {_money(net + vat)}</td>" in html  # the amount due
    assert html.count("Amount due") == 1
    assert f'<td class="num">{_money(vat)}</td>' in html  # the VAT, in the breakdown and totals


def test_addresses_print_as_the_post_of_their_country_writes_them() -> None:
    from copact.core.deal import Address
    from copact.documents.invoice import address_lines

    us = Address(lines=["2500 Industrial Parkway"], city="Dayton", postcode="45414",
                 region="OH", country="US")  # fmt: skip
    de = Address(lines=["Hafenstraße 12"], city="Hamburg", postcode="20457", country="DE")
    assert address_lines(us) == ["2500 Industrial Parkway", "Dayton, OH 45414", "United States"]
    assert address_lines(de) == ["Hafenstraße 12", "20457 Hamburg", "Germany"]
