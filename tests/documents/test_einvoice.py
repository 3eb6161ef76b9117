"""Every e-invoice copact writes passes its XSD and the official EN 16931 Schematron with no
fatal finding: the invoices of every example deal (its milestones run to accepted and
invoiced through the real commands), of the scenario journal of the demo workspace
(examples/journals/heat-sensor-housing.jsonl) and of the test deal with full party details
(tests/fixtures/einvoice-pump.yaml), as Factur-X CII and as UBL; a credit note (381) and a
prepayment invoice (386) too. A VAT total off by a cent fails with its rule id, and the
figures in the XML are the journal's to the cent.

The Schematron is compiled once per process (``check_einvoice`` keeps it); the ``checker``
fixture makes the first compile happen once for the module."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from copact.core.deal import Deal
from copact.core.events import Event, Invoice, InvoiceLine, parse_events
from copact.core.invoicing import InvoiceStanding
from copact.core.money import Money
from copact.core.state import deal_state
from copact.dealfile.loader import load_text
from copact.documents.cii import NS, cii_xml
from copact.documents.einvoice_check import CheckReport, UnreadableInvoice, check_einvoice
from copact.documents.legal import LegalInvoice, legal_invoice
from copact.documents.ubl import ubl_xml
from tests.conftest import EXAMPLES
from tests.core.money_deals import Journal
from tests.documents.einvoice_deals import (
    FIXTURE,
    fixture_deal,
    invoice_every_milestone,
    legal_invoices,
    legal_of,
)

Check = Callable[[bytes], CheckReport]
BUILDERS = {"cii": cii_xml, "ubl": ubl_xml}
JOURNAL = EXAMPLES / "journals" / "heat-sensor-housing.jsonl"
UBL = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


@pytest.fixture(scope="module")
def checker() -> Check:
    """The checker, its XSDs and Schematrons compiled once (the first check compiles them)."""
    for build in BUILDERS.values():
        j = Journal(fixture_deal())
        check_einvoice(build(legal_of(j, j.deliver("design", date(2026, 3, 1)), date(2026, 3, 1))))
    return check_einvoice


def _load(path: Path) -> Deal:
    deal = load_text(path.read_text(encoding="utf-8"), str(path)).deal
    assert deal is not None
    return deal


def _events(deal: Deal) -> list[Event]:
    """The deal's journal: the scenario journal for heat-sensor-housing (as the demo workspace
    imports it), then every milestone that can be accepted and invoiced."""
    events: list[Event] = []
    if deal.id == "heat-sensor-housing":
        events, problems = parse_events(JOURNAL.read_text(encoding="utf-8"), str(JOURNAL))
        assert not problems
    return invoice_every_milestone(deal, events)


def _invoices_of(deal: Deal) -> list[LegalInvoice]:
    events = _events(deal)
    return legal_invoices(deal, events, max(e.day for e in events))


def _problems(report: CheckReport) -> list[str]:
    return [*report.xsd_errors, *(f"{f.rule} {f.message} at {f.location}" for f in report.fatal)]


def _assert_valid(checker: Check, inv: LegalInvoice) -> None:
    for name, build in BUILDERS.items():
        report = checker(build(inv))
        assert report.ok, f"{inv.number} as {name}: {_problems(report)}"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_invoice_of_an_example_deal_passes_xsd_and_en16931(
    checker: Check, path: Path
) -> None:
    invoices = _invoices_of(_load(path))
    assert invoices, f"{path.name} has no milestone to invoice"
    for inv in invoices:
        _assert_valid(checker, inv)


def test_every_invoice_of_the_full_details_deal_passes_with_the_advance_deducted(
    checker: Check,
) -> None:
    deal = fixture_deal()
    advance = Journal(deal)
    advance.pay("50000", "PP-1", date(2026, 1, 15), for_="prepaid")
    invoices = _invoices_of_journal(deal, advance.events)
    # the advance settles what the buyer is billed, VAT included (the journal's invoice total):
    # 40,000.00 + 19% = 47,600.00 from it, then 2,400.00 of the second's 71,400.00
    assert [i.prepaid for i in invoices] == [Decimal("47600.00"), Decimal("2400.00"), 0]
    assert invoices[0].payable == 0
    assert invoices[1].payable == Decimal("69000.00")  # 71,400.00 less 2,400.00 prepaid
    for inv in invoices:
        _assert_valid(checker, inv)


def _invoices_of_journal(deal: Deal, events: list[Event]) -> list[LegalInvoice]:
    events = invoice_every_milestone(deal, events)
    return legal_invoices(deal, events, max(e.day for e in events))


@pytest.mark.parametrize("kind", BUILDERS)
def test_a_vat_total_off_by_a_cent_fails_with_the_rule_id(checker: Check, kind: str) -> None:
    j = Journal(fixture_deal())
    inv = legal_of(j, j.deliver("design", date(2026, 3, 1)), date(2026, 3, 1))
    broken = dataclasses.replace(inv, tax_total=inv.tax_total + Decimal("0.01"))
    report = checker(BUILDERS[kind](broken))
    assert not report.ok
    assert not report.xsd_errors  # well-formed and schema-valid: the business rule catches it
    rules = {f.rule for f in report.fatal}
    assert "BR-CO-15" in rules  # BT-112 = BT-109 + BT-110
    assert "BR-CO-14" in rules  # BT-110 = Σ BT-117
    found = next(f for f in report.fatal if f.rule == "BR-CO-15")
    assert "BT-112" in found.message
    assert ("MonetarySummation" if kind == "cii" else "Invoice[1]") in found.location


def test_a_credit_note_and_a_prepayment_invoice_pass(checker: Check) -> None:
    j = Journal(fixture_deal())
    number = j.deliver("design", date(2026, 3, 1))
    inv = legal_of(j, number, date(2026, 3, 1))
    credit = dataclasses.replace(
        inv,
        type_code=381,
        number="PC-CN-1",
        issued=date(2026, 3, 10),
        preceding=number,
        preceding_issued=inv.issued,
    )
    prepayment = dataclasses.replace(inv, type_code=386, number="PC-PP-1")
    for document in (credit, prepayment):
        _assert_valid(checker, document)
    ubl = etree.fromstring(ubl_xml(credit))
    assert etree.QName(ubl).localname == "CreditNote"
    assert ubl.findtext("cbc:CreditNoteTypeCode", namespaces=UBL) == "381"
    cii = etree.fromstring(cii_xml(prepayment))
    assert cii.findtext(".//ram:TypeCode", namespaces=NS) == "386"


@pytest.mark.parametrize(
    "rule",
    [
        "",  # no tax rule: not subject to VAT (O), no VAT ids on the invoice
        "tax: {category: zero-rated}\n",
        "tax: {category: exempt, exemption-reason: Article 135(1)(g) VAT directive}\n",
        "tax: {category: reverse-charge}\n",
        "tax: {category: intra-community}\n",
        "tax: {category: export}\n",
    ],
    ids=["O", "Z", "E", "AE", "K", "G"],
)
def test_each_vat_category_passes(checker: Check, rule: str) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    j = Journal(fixture_deal(text.replace("tax: {category: standard, rate: 19%}\n", rule)))
    _assert_valid(checker, legal_of(j, j.deliver("design", date(2026, 3, 1)), date(2026, 3, 1)))


def test_outside_the_scope_of_vat_the_invoice_names_no_vat_id(checker: Check) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    j = Journal(fixture_deal(text.replace("tax: {category: standard, rate: 19%}\n", "")))
    inv = legal_of(j, j.deliver("design", date(2026, 3, 1)), date(2026, 3, 1))
    for build in BUILDERS.values():
        xml = build(inv)
        assert b"DE987654321" not in xml and b"DE123456789" not in xml  # BR-O-02 … BR-O-04
        assert b"315/5802/1234" in xml  # the seller's other tax registration stays


def test_payment_means_follow_the_sellers_instructions(checker: Check) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    words = text.replace(
        "payment: {iban: DE89370400440532013000, bic: COBADEFFXXX}",
        'payment: {account: "ABA 021000021, account 000123456789"}',
    )
    none = text.replace("    payment: {iban: DE89370400440532013000, bic: COBADEFFXXX}\n", "")
    codes = []
    for deal_text in (text, words, none):
        j = Journal(fixture_deal(deal_text))
        inv = legal_of(j, j.deliver("design", date(2026, 3, 1)), date(2026, 3, 1))
        _assert_valid(checker, inv)
        cii = etree.fromstring(cii_xml(inv))
        path = ".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"
        codes.append(cii.findtext(path, namespaces=NS))
    assert codes == ["58", "30", "1"]


def test_several_supporting_documents_keep_every_hash_and_raise_no_warning(
    checker: Check,
) -> None:
    """CII-SR-475 (a warning) allows one description (BT-123) among all the invoice's type 916
    documents: with several evidence files each is a reference by its hash and none has a
    description; one note names each file beside its hash. A single file keeps its name."""
    # hybrid-dc1's milestones ask for two or three kinds of evidence, the pump deal's for one
    several = _invoices_of(_load(EXAMPLES / "hybrid-dc1.yaml"))
    single = _invoices_of_journal(fixture_deal(), [])[:1]
    assert all(len(inv.supporting) >= 2 for inv in several) and len(single[0].supporting) == 1
    for inv in several + single:
        xml = cii_xml(inv)
        report = checker(xml)
        assert report.ok and not report.findings, [
            f"{f.flag} {f.rule} {f.message}" for f in report.findings
        ]
        refs = etree.fromstring(xml).findall(
            ".//ram:ApplicableHeaderTradeAgreement/ram:AdditionalReferencedDocument", NS
        )
        assert [r.findtext("ram:IssuerAssignedID", namespaces=NS) for r in refs] == [
            sha for sha, _ in inv.supporting
        ]
        assert {r.findtext("ram:TypeCode", namespaces=NS) for r in refs} == {"916"}
        names = [r.findtext("ram:Name", namespaces=NS) for r in refs]
        note = etree.fromstring(xml).findtext(
            ".//rsm:ExchangedDocument/ram:IncludedNote/ram:Content", "", NS
        )
        if len(inv.supporting) == 1:
            assert names == [inv.supporting[0][1]] and not note
        else:
            assert names == [None] * len(refs)
            assert note.splitlines()[1:] == [f"{sha} {name}" for sha, name in inv.supporting]


def _cii_amounts(xml: bytes) -> tuple[list[Decimal], dict[str, Decimal]]:
    root = etree.fromstring(xml)
    lines = [Decimal(t) for t in root.xpath(".//ram:LineTotalAmount/text()", namespaces=NS)]
    sums = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    assert sums is not None
    totals = {etree.QName(el).localname: Decimal(el.text or "") for el in sums}
    return lines[:-1], totals  # the last LineTotalAmount is the header's BT-106


def _ubl_amounts(xml: bytes) -> tuple[list[Decimal], dict[str, Decimal]]:
    root = etree.fromstring(xml)
    lines = [
        Decimal(t)
        for t in root.xpath("cac:InvoiceLine/cbc:LineExtensionAmount/text()", namespaces=UBL)
    ]
    sums = root.find("cac:LegalMonetaryTotal", UBL)
    assert sums is not None
    totals = {etree.QName(el).localname: Decimal(el.text or "") for el in sums}
    tax = root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=UBL)
    totals["TaxAmount"] = Decimal(tax or "")
    return lines, totals


def test_the_xml_amounts_are_the_journals_to_the_cent() -> None:
    deal = _load(EXAMPLES / "heat-sensor-housing.yaml")
    events = _events(deal)
    on = max(e.day for e in events)
    state = deal_state(deal, events, on=on)
    journal = {i.number: i for i in state.invoices}
    invoices = legal_invoices(deal, events, on)
    assert [i.number for i in invoices] == list(journal)
    for inv in invoices:
        issued = journal[inv.number]
        standing = state.book.find(inv.number)
        assert standing is not None
        nets = [line.amount for line in issued.lines]
        total = issued.total
        lines, cii = _cii_amounts(cii_xml(inv))
        assert lines == nets
        assert cii["LineTotalAmount"] == cii["TaxBasisTotalAmount"] == total
        assert cii["GrandTotalAmount"] == total + cii["TaxTotalAmount"]
        assert cii["TotalPrepaidAmount"] == standing.from_advance.amount
        assert cii["DuePayableAmount"] == cii["GrandTotalAmount"] - standing.from_advance.amount
        lines, ubl = _ubl_amounts(ubl_xml(inv))
        assert lines == nets
        assert ubl["LineExtensionAmount"] == ubl["TaxExclusiveAmount"] == total
        assert ubl["TaxInclusiveAmount"] == total + ubl["TaxAmount"]
        assert ubl["PrepaidAmount"] == standing.from_advance.amount
        assert ubl["PayableAmount"] == ubl["TaxInclusiveAmount"] - ubl["PrepaidAmount"]
    # the advance of 30,000.00 settled the first invoices: it shows on them as prepaid
    assert sum(i.prepaid for i in invoices) == Decimal("30000.00")


# a standard rate is above 0% (BR-S-05): a 0% rate is the zero-rated category
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("250000"), places=2)
rates = st.sampled_from(["2.5%", "5%", "7.7%", "19%", "21%", "25%"])
DEAL_TEXT = FIXTURE.read_text(encoding="utf-8")
DEALS: dict[str, Deal] = {}


def _deal_at(rate: str) -> Deal:
    if rate not in DEALS:
        DEALS[rate] = fixture_deal(DEAL_TEXT.replace("rate: 19%", f"rate: {rate}"))
    return DEALS[rate]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    nets=st.lists(amounts, min_size=1, max_size=6),
    rate=rates,
    prepaid_share=st.fractions(min_value=0, max_value=1),
)
def test_totals_add_up_and_nothing_is_lost_to_rounding(
    checker: Check, nets: list[Decimal], rate: str, prepaid_share: object
) -> None:
    deal = _deal_at(rate)
    issued = date(2026, 3, 1)
    invoice = Invoice(
        at=issued,
        deal=deal.id,
        number="PC-2026-0001",
        from_="pumpco",
        to="mill",
        lines=[InvoiceLine(for_=f"line-{n}", amount=a) for n, a in enumerate(nets)],
        due=issued + timedelta(days=30),
    )
    total = Money.of(invoice.total, deal.money_currency)
    share = Decimal(prepaid_share.numerator) / Decimal(prepaid_share.denominator)  # type: ignore[attr-defined]
    advance = total.times(share).quantize()
    zero = Money.zero(deal.money_currency)
    standing = InvoiceStanding(
        invoice.number, (), "pumpco", "mill", issued, invoice.due, total, advance, zero
    )
    inv = legal_invoice(deal, invoice, standing, {})
    assert [line.net for line in inv.lines] == nets  # the journal's amounts, untouched
    assert inv.line_total == inv.tax_exclusive == sum(nets)
    assert sum(g.taxable for g in inv.vat) == inv.tax_exclusive
    assert inv.tax_total == sum(g.tax for g in inv.vat)
    assert abs(inv.tax_total - inv.tax_exclusive * inv.lines[0].vat_rate / 100) <= Decimal("0.005")
    assert inv.tax_inclusive == inv.tax_exclusive + inv.tax_total
    assert inv.prepaid == advance.amount
    assert inv.payable == inv.tax_inclusive - inv.prepaid
    report = checker(cii_xml(inv))  # and EN 16931 agrees: BR-CO-10 … BR-CO-17
    assert report.ok, _problems(report)


def test_a_schema_violation_is_an_xsd_error(checker: Check) -> None:
    j = Journal(fixture_deal())
    xml = cii_xml(legal_of(j, j.deliver("design", date(2026, 3, 1)), date(2026, 3, 1)))
    broken = xml.replace(
        b"<ram:BuyerReference>", b"<ram:Colour>red</ram:Colour><ram:BuyerReference>"
    )
    report = checker(broken)
    assert not report.ok
    assert report.xsd_errors and "Colour" in report.xsd_errors[0]


def test_a_factur_x_pdf_is_checked_on_its_embedded_xml(checker: Check) -> None:
    from facturx import generate_from_binary
    from weasyprint import HTML

    j = Journal(fixture_deal())
    inv = legal_of(j, j.deliver("design", date(2026, 3, 1)), date(2026, 3, 1))
    pdf = HTML(string=f"<h1>Invoice {inv.number}</h1>").write_pdf()
    facturx_pdf = generate_from_binary(pdf, cii_xml(inv), flavor="factur-x", level="en16931")
    report = checker(facturx_pdf)
    assert report.from_pdf and report.kind == "cii"
    assert report.ok, _problems(report)


@pytest.mark.parametrize(
    "data",
    [b"", b"not xml at all", b"<html><body>hi</body></html>", b"%PDF-1.7\n%broken"],
    ids=["empty", "text", "html", "broken-pdf"],
)
def test_what_is_no_e_invoice_is_unreadable(data: bytes) -> None:
    with pytest.raises(UnreadableInvoice):
        check_einvoice(data)
