"""`copact invoice check FILE…`: OK per valid e-invoice, each failed assert of a broken one
with its rule id (exit 1), exit 2 for a file that cannot be read; JSON for programs."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copact.cli.app import app
from copact.documents.cii import cii_xml
from copact.documents.legal import LegalInvoice
from copact.documents.ubl import ubl_xml
from tests.core.money_deals import Journal
from tests.documents.einvoice_deals import fixture_deal, legal_of

runner = CliRunner()


@pytest.fixture(scope="module")
def invoice() -> LegalInvoice:
    j = Journal(fixture_deal())
    return legal_of(j, j.deliver("design", date(2026, 3, 1)), date(2026, 3, 1))


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_valid_cii_and_ubl_files_are_ok(tmp_path: Path, invoice: LegalInvoice) -> None:
    cii = _write(tmp_path, "PC-1.cii.xml", cii_xml(invoice))
    ubl = _write(tmp_path, "PC-1.ubl.xml", ubl_xml(invoice))
    result = runner.invoke(app, ["invoice", "check", cii, ubl])
    assert result.exit_code == 0, result.output
    assert "PC-1.cii.xml: OK (Factur-X CII (EN 16931)" in result.output
    assert "PC-1.ubl.xml: OK (UBL 2.1 Invoice" in result.output


def test_a_vat_total_off_by_a_cent_fails_with_its_rule_id(
    tmp_path: Path, invoice: LegalInvoice
) -> None:
    broken = dataclasses.replace(invoice, tax_total=invoice.tax_total + Decimal("0.01"))
    path = _write(tmp_path, "broken.xml", cii_xml(broken))
    result = runner.invoke(app, ["invoice", "check", path])
    assert result.exit_code == 1
    assert "broken.xml: 2 errors" in result.output
    assert "fatal    BR-CO-15  Invoice total amount with VAT (BT-112)" in result.output
    assert "BR-CO-14" in result.output
    assert "at /CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]" in result.output


def test_json_gives_each_finding(tmp_path: Path, invoice: LegalInvoice) -> None:
    broken = dataclasses.replace(invoice, tax_total=invoice.tax_total + Decimal("0.01"))
    good = _write(tmp_path, "good.xml", ubl_xml(invoice))
    bad = _write(tmp_path, "bad.xml", ubl_xml(broken))
    result = runner.invoke(app, ["invoice", "check", good, bad, "--format", "json"])
    assert result.exit_code == 1
    first, second = json.loads(result.output)
    assert first == {
        "file": good,
        "kind": "ubl-invoice",
        "from_pdf": False,
        "ok": True,
        "xsd_errors": [],
        "findings": [],
    }
    assert second["ok"] is False
    rules = {(f["flag"], f["rule"]) for f in second["findings"]}
    assert ("fatal", "BR-CO-15") in rules
    assert all(not f["message"].startswith("[") for f in second["findings"])


def test_a_missing_or_foreign_file_cannot_be_checked(tmp_path: Path, invoice: LegalInvoice) -> None:
    good = _write(tmp_path, "good.xml", cii_xml(invoice))
    html = _write(tmp_path, "page.html", b"<html><body>an invoice?</body></html>")
    result = runner.invoke(app, ["invoice", "check", good, str(tmp_path / "nope.xml"), html])
    assert result.exit_code == 2
    assert "good.xml: OK" in result.output
    assert "nope.xml: No such file or directory" in result.output
    assert "page.html: the root element html is neither" in result.output
    assert "Traceback" not in result.output


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["invoice", "check", "--help"])
    assert result.exit_code == 0
    assert "copact invoice check" in result.output
