"""`copact invoice show` and `copact invoice export` as a user runs them, on a workspace deal
with the parties' legal details and 19% VAT (tests/fixtures/einvoice-pump.yaml, pump-retrofit):

Mill pays its 50,000.00 advance; PumpCo's design (20% of 200,000 = 40,000.00 net) is accepted
and invoiced as PC-2026-0001. The advance settles the 40,000.00 the journal invoiced; the VAT
of 19% = 7,600.00 is what is left to pay: 47,600.00 gross − 40,000.00 prepaid = 7,600.00.

Each format is written (PDF, Factur-X PDF with its CII XML embedded, UBL XML), and the two
e-invoices pass the EN 16931 checks (XSD and Schematron) of ``copact invoice check``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from facturx import get_facturx_xml_from_pdf
from lxml import etree
from typer.testing import CliRunner

from copact.cli.app import app
from copact.documents.einvoice_check import check_einvoice
from tests.conftest import cli_ok, cli_sign
from tests.documents.einvoice_deals import FIXTURE

runner = CliRunner()
NUMBER = "PC-2026-0001"
DEAL = "pump-retrofit"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("invoice")
    ws = str(root / "ws")
    cli_ok("init", ws)
    cli_ok("deal", "add", str(FIXTURE), "-w", ws)
    cli_sign(ws, DEAL)
    pay = ["--from", "mill", "--to", "pumpco", "--amount", "50000", "--ref", "PP-1"]
    cli_ok("pay", DEAL, *pay, "--for", "prepaid", "--by", "ann", "-w", ws)
    cli_ok("confirm", DEAL, "PP-1", "--by", "bo", "-w", ws)
    drawing = root / "drawing.pdf"
    drawing.write_bytes(b"%PDF-1.7\n" + b"retrofit drawing " * 40)
    cli_ok("submit", DEAL, "design", "--by", "bo", "--evidence", f"drawing={drawing}", "-w", ws)
    accepted = cli_ok("accept", DEAL, "design", "--by", "ann", "-w", ws)
    assert f"invoice {NUMBER}" in accepted
    return ws


def test_show_prints_the_legal_invoice(ws: str) -> None:
    shown = cli_ok("invoice", "show", NUMBER, "--deal", DEAL, "-w", ws)
    for expected in (
        f"Invoice {NUMBER}",
        "PumpCo Antriebstechnik GmbH",
        "Industriering 4",
        "44147 Dortmund",
        "VAT id: DE987654321",
        "Mill Company GmbH",
        "VAT id: DE123456789",
        "Retrofit design and drawings",
        "S Standard rate",
        "IBAN DE89 3704 0044 0532 0130 00",
        f"reference {NUMBER}",
        "drawing.pdf",
    ):
        assert expected in shown, expected
    lines = {line.split("  ")[0]: line.split()[-1] for line in shown.splitlines() if "  " in line}
    assert lines["Total net"] == "40,000.00"
    assert lines["VAT"] == "7,600.00"
    assert lines["Total incl. VAT"] == "47,600.00"
    # the advance settles what the buyer is billed, VAT and all: nothing is left to pay
    assert lines["Prepaid advance deducted"] == "−47,600.00"
    assert lines["Amount due"] == "0.00"
    assert shown.count("Amount due") == 1


def test_export_writes_the_pdf_named_after_the_number(
    ws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    said = cli_ok("invoice", "export", NUMBER, "--deal", DEAL, "--as", "pdf", "-w", ws)
    written = tmp_path / f"{NUMBER}.pdf"
    assert f"written to {written.name}" in said
    assert written.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(written), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Mill Company GmbH" in text and "47,600.00" in text


def test_the_facturx_pdf_embeds_its_cii_xml_and_passes_en16931(
    ws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cli_ok("invoice", "export", NUMBER, "--deal", DEAL, "--as", "facturx", "-w", ws)
    data = (tmp_path / f"{NUMBER}.facturx.pdf").read_bytes()
    name, xml = get_facturx_xml_from_pdf(data, check_xsd=False)
    assert name == "factur-x.xml"
    root = etree.fromstring(xml)
    ram = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    guideline = root.findtext(".//{*}GuidelineSpecifiedDocumentContextParameter/{*}ID")
    assert guideline == "urn:cen.eu:en16931:2017"
    assert root.findtext(f".//{{{ram}}}GrandTotalAmount") == "47600.00"
    assert root.findtext(f".//{{{ram}}}DuePayableAmount") == "0.00"  # all from the advance
    report = check_einvoice(data)
    assert report.from_pdf and report.ok, (report.xsd_errors, report.fatal)
    checked = cli_ok("invoice", "check", str(tmp_path / f"{NUMBER}.facturx.pdf"))
    assert "OK" in checked


def test_the_ubl_xml_is_written_where_asked_and_passes_en16931(ws: str, tmp_path: Path) -> None:
    target = tmp_path / "out" / "invoice.xml"
    target.parent.mkdir()
    cli_ok("invoice", "export", NUMBER, "--deal", DEAL, "--as", "ubl", "-o", str(target), "-w", ws)
    data = target.read_bytes()
    root = etree.fromstring(data)
    assert etree.QName(root).localname == "Invoice"
    assert root.findtext("{*}ID") == NUMBER
    assert root.findtext(".//{*}LegalMonetaryTotal/{*}PrepaidAmount") == "47600.00"
    assert root.findtext(".//{*}LegalMonetaryTotal/{*}PayableAmount") == "0.00"
    report = check_einvoice(data)
    assert report.ok, (report.xsd_errors, report.fatal)


def test_an_unknown_invoice_is_one_line_naming_the_ones_there_are(ws: str) -> None:
    result = runner.invoke(app, ["invoice", "show", "PC-9", "--deal", DEAL, "-w", ws])
    assert result.exit_code == 2
    assert f"pump-retrofit has no invoice 'PC-9' (its invoices: {NUMBER})" in result.output
    assert "Traceback" not in result.output
    bad = runner.invoke(app, ["invoice", "show", NUMBER, "--deal", DEAL, "--on", "May", "-w", ws])
    assert bad.exit_code == 2 and "--on must be a date YYYY-MM-DD" in bad.output


def test_every_command_has_help_with_an_example() -> None:
    for command in ("show", "export"):
        shown = cli_ok("invoice", command, "--help")
        assert f"copact invoice {command}" in shown
