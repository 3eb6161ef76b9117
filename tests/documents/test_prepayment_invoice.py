"""The prepaid advance's invoice (EN 16931 type 386), figured by hand: the advance is what the
buyer pays, so its VAT is inside it (net × (1 + rate) = the advance, to the cent). It passes
the XSD and the EN 16931 Schematron as Factur-X CII and as UBL, and the milestone invoices
after it deduct what the advance paid of them (BT-113)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from copact.core import commands
from copact.core.invoicing import advance_split, vat_on
from copact.core.money import Money
from copact.core.quantities import Percent
from copact.core.state import deal_state
from copact.documents.cii import NS, cii_xml
from copact.documents.einvoice_check import check_einvoice
from copact.documents.legal import PREPAYMENT_INVOICE, LegalInvoice
from copact.documents.ubl import ubl_xml
from copact.errors import RefusedCommand
from copact.services.invoice_documents import invoice_document
from copact.services.views import deal_view
from tests.core.money_deals import Journal
from tests.documents.einvoice_deals import fixture_deal

ISSUED = date(2026, 1, 10)


def _with_advance_invoiced() -> Journal:
    j = Journal(fixture_deal())
    j.events += commands.invoice_advance(j.deal, j.state(ISSUED), number="PC-2026-0001", at=ISSUED)
    return j


def _legal(j: Journal, number: str, on: date) -> LegalInvoice:
    return invoice_document(deal_view(j.deal, j.events, today=on), number, j.events).legal


def test_the_advance_is_invoiced_with_its_vat_inside_it() -> None:
    j = _with_advance_invoiced()
    (event,) = j.events
    # 50,000.00 at 19%: 50,000 / 1.19 = 42,016.806… → 42,016.81 net; 19% of it is 7,983.1939
    # → 7,983.19; 42,016.81 + 7,983.19 = 50,000.00, what the buyer pays for: prepaid
    assert (event.amount, event.tax) == (Decimal("42016.81"), Decimal("7983.19"))
    assert event.total == Decimal("50000.00")
    assert (event.from_, event.to) == ("pumpco", "mill")
    legal = _legal(j, "PC-2026-0001", ISSUED)
    assert legal.type_code == PREPAYMENT_INVOICE
    assert [(line.id, line.net) for line in legal.lines] == [("prepaid", Decimal("42016.81"))]
    assert (legal.tax_total, legal.tax_inclusive) == (Decimal("7983.19"), Decimal("50000.00"))
    assert (legal.prepaid, legal.payable) == (0, Decimal("50000.00"))
    assert legal.payment_terms.startswith("advance payment, due")


def test_the_advance_is_invoiced_once_and_only_on_a_deal_that_has_one() -> None:
    j = _with_advance_invoiced()
    with pytest.raises(RefusedCommand, match="already invoiced"):
        commands.invoice_advance(j.deal, j.state(ISSUED), number="PC-2026-0002", at=ISSUED)
    plain = j.deal.model_copy(update={"prepaid": None})
    with pytest.raises(RefusedCommand, match="no prepaid advance"):
        commands.invoice_advance(
            plain, deal_state(plain, [], on=ISSUED), number="PC-2026-0001", at=ISSUED
        )


def test_paying_the_advance_invoice_by_its_number_pays_the_advance() -> None:
    j = _with_advance_invoiced()
    j.pay("50000", "PP-1", date(2026, 1, 15), for_="PC-2026-0001")
    payment = j.events[-1]
    assert payment.for_ == "prepaid"  # type: ignore[union-attr]
    view = deal_view(j.deal, j.events, today=date(2026, 1, 20))
    assert view.prepayment is not None
    assert (view.prepayment.status, view.prepayment.outstanding.amount) == ("paid", 0)
    # the first milestone invoice is then settled by the advance: 40,000.00 + 19% = 47,600.00
    first = j.deliver("design", date(2026, 3, 1))
    legal = _legal(j, first, date(2026, 3, 1))
    assert legal.type_code == 380
    assert (legal.tax_inclusive, legal.prepaid, legal.payable) == (
        Decimal("47600.00"),
        Decimal("47600.00"),
        0,
    )


@pytest.mark.parametrize("build", [cii_xml, ubl_xml], ids=["cii", "ubl"])
def test_the_prepayment_invoice_passes_xsd_and_en16931(build: object) -> None:
    j = _with_advance_invoiced()
    legal = _legal(j, "PC-2026-0001", ISSUED)
    xml = build(legal)  # type: ignore[operator]
    report = check_einvoice(xml)
    assert report.ok, [*report.xsd_errors, *(f.rule for f in report.fatal)]
    root = etree.fromstring(xml)
    if build is cii_xml:
        codes = root.xpath("//rsm:ExchangedDocument/ram:TypeCode/text()", namespaces=NS)
    else:
        codes = root.xpath(
            "//*[local-name()='InvoiceTypeCode']/text()",
        )
    assert codes == ["386"]


@given(
    cents=st.integers(min_value=1, max_value=10**11),
    rate=st.sampled_from(
        ["5", "6", "7", "9", "10", "13", "17", "19", "20", "21", "23", "25", "27"]
    ),
)
def test_an_advance_splits_into_net_and_vat_without_losing_a_cent(cents: int, rate: str) -> None:
    deal = fixture_deal()
    assert deal.tax is not None and deal.prepaid is not None
    tax = deal.tax.model_copy(update={"rate": Percent(Decimal(rate) / 100)})
    advance = Decimal(cents) / 100
    prepaid = deal.prepaid.model_copy(update={"amount": advance})
    deal = deal.model_copy(update={"tax": tax, "prepaid": prepaid})
    net, vat = advance_split(deal)
    assert net + vat == Money.of(advance, deal.currency)
    assert net.quantize() == net and vat.quantize() == vat
    # the VAT is the rule's on the net, or within one cent of it where no net makes it exact
    assert abs((vat - vat_on(deal, net)).amount) <= Decimal("0.01")
    assert net.amount > 0 and vat.amount >= 0
