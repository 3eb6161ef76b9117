"""The Factur-X XML of a legal invoice: a UN/CEFACT CII D16B ``CrossIndustryInvoice`` at the
Factur-X EN 16931 profile (guideline ``urn:cen.eu:en16931:2017``).

Every figure is :class:`~copact.documents.legal.LegalInvoice`'s; nothing is computed here. The
elements follow the Factur-X EN 16931 XSD's order. What goes in, by EN 16931 business term:

- BT-1 number, BT-3 type code (380 invoice, 381 credit note, 386 prepayment invoice), BT-2
  issue date, BT-10 buyer reference (the deal id), BT-25/26 the corrected invoice of a credit note;
- seller (BG-4) and buyer (BG-7): legal name, trading name, company registration, postal
  address, e-mail (scheme ``EM``), VAT id (scheme ``VA``: left out for category O, as BR-O-02 …
  BR-O-04 ask) and the seller's other tax registration (scheme ``FC``);
- BG-24 supporting documents: per evidence file, its SHA-256 as the reference (BT-122, type
  code 916, "related document"); the name of a single file is its description (BT-123), the
  names of several go in one note (BT-22) beside their hashes (see :func:`_supporting`);
- payment means: 58 SEPA credit transfer to the seller's IBAN (with BIC) when there is one,
  else 30 credit transfer to the account in words, else 1 (not defined); the terms and the due
  date; the VAT breakdown per category and rate; the totals BT-106 … BT-115;
- BT-72, the actual delivery date, is the issue date: a milestone is invoiced on the day it is
  accepted (for category K the buyer's country is also the deliver-to country, BR-IC-12).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from lxml import etree

from copact.documents.legal import LegalInvoice, PartyDetails, VatGroup

__all__ = ["GUIDELINE", "NS", "cii_xml"]

GUIDELINE = "urn:cen.eu:en16931:2017"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _q(tag), attrs)
    if text is not None:
        el.text = text
    return el


def _amount(d: Decimal) -> str:
    return format(d, "f")


def _percent(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text


def _date(parent: etree._Element, tag: str, day: date) -> None:
    _sub(_sub(parent, tag), "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _party(parent: etree._Element, tag: str, party: PartyDetails, *, vat_id: bool) -> None:
    el = _sub(parent, tag)
    _sub(el, "ram:Name", party.legal_name)
    if party.registration or party.name != party.legal_name:
        org = _sub(el, "ram:SpecifiedLegalOrganization")
        if party.registration:
            _sub(org, "ram:ID", party.registration)
        if party.name != party.legal_name:
            _sub(org, "ram:TradingBusinessName", party.name)
    if party.address is not None:
        a = party.address
        addr = _sub(el, "ram:PostalTradeAddress")
        if a.postcode:
            _sub(addr, "ram:PostcodeCode", a.postcode)
        for tag_, line in zip(
            ("ram:LineOne", "ram:LineTwo", "ram:LineThree"), a.lines, strict=False
        ):
            _sub(addr, tag_, line)
        _sub(addr, "ram:CityName", a.city)
        _sub(addr, "ram:CountryID", a.country)
        if a.region:
            _sub(addr, "ram:CountrySubDivisionName", a.region)
    if party.email:
        _sub(_sub(el, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
    if vat_id and party.vat_id:
        _sub(_sub(el, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
    if party.tax_id and tag == "ram:SellerTradeParty":
        _sub(_sub(el, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_id, schemeID="FC")


def _header_tax(parent: etree._Element, group: VatGroup) -> None:
    tax = _sub(parent, "ram:ApplicableTradeTax")
    _sub(tax, "ram:CalculatedAmount", _amount(group.tax))
    _sub(tax, "ram:TypeCode", "VAT")
    if group.exemption_reason:
        _sub(tax, "ram:ExemptionReason", group.exemption_reason)
    _sub(tax, "ram:BasisAmount", _amount(group.taxable))
    _sub(tax, "ram:CategoryCode", group.category)
    if group.category != "O":
        _sub(tax, "ram:RateApplicablePercent", _percent(group.rate))


def _supporting_note(supporting: Sequence[tuple[str, str]]) -> str:
    """The note (BT-22) naming each supporting document of an invoice that has several."""
    lines = (f"{sha} {name}" for sha, name in supporting)
    return "Supporting documents (SHA-256 and file name):\n" + "\n".join(lines)


def _supporting(agreement: etree._Element, supporting: Sequence[tuple[str, str]]) -> None:
    """BG-24, one per evidence file: its SHA-256 is the reference (BT-122), type code 916.

    The file's name is the description (BT-123) only when it is the invoice's one supporting
    document. CII-SR-475 (a warning) counts the BT-123 of every 916 document of the invoice
    and allows one: it is meant as BT-123's 0..1 within each BG-24, but its context is the
    header agreement, not the document (reported upstream as ConnectingEurope/eInvoicing-EN16931
    issue 508). So with several files no document has a description and one note
    (:func:`_supporting_note`) names each file beside its hash: every hash stays a BG-24
    reference, and the Schematron finds nothing to warn of.
    """
    for sha, name in supporting:
        ref = _sub(agreement, "ram:AdditionalReferencedDocument")
        _sub(ref, "ram:IssuerAssignedID", sha)
        _sub(ref, "ram:TypeCode", "916")
        if len(supporting) == 1:
            _sub(ref, "ram:Name", name)


def cii_xml(inv: LegalInvoice) -> bytes:
    """The CII XML of ``inv`` (UTF-8, with its XML declaration)."""
    root = etree.Element(_q("rsm:CrossIndustryInvoice"), nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)
    doc = _sub(root, "rsm:ExchangedDocument")
    _sub(doc, "ram:ID", inv.number)
    _sub(doc, "ram:TypeCode", str(inv.type_code))
    _date(doc, "ram:IssueDateTime", inv.issued)
    if len(inv.supporting) > 1:
        _sub(_sub(doc, "ram:IncludedNote"), "ram:Content", _supporting_note(inv.supporting))

    trade = _sub(root, "rsm:SupplyChainTradeTransaction")
    for n, line in enumerate(inv.lines, start=1):
        item = _sub(trade, "ram:IncludedSupplyChainTradeLineItem")
        _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(n))
        product = _sub(item, "ram:SpecifiedTradeProduct")
        _sub(product, "ram:SellerAssignedID", line.id)
        _sub(product, "ram:Name", line.name)
        agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
        price = _sub(agreement, "ram:NetPriceProductTradePrice")
        _sub(price, "ram:ChargeAmount", _amount(line.unit_price))
        delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
        _sub(delivery, "ram:BilledQuantity", _percent(line.quantity), unitCode=line.unit_code)
        settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:TypeCode", "VAT")
        _sub(tax, "ram:CategoryCode", line.vat_category)
        if line.vat_category != "O":
            _sub(tax, "ram:RateApplicablePercent", _percent(line.vat_rate))
        summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _sub(summation, "ram:LineTotalAmount", _amount(line.net))

    agreement = _sub(trade, "ram:ApplicableHeaderTradeAgreement")
    _sub(agreement, "ram:BuyerReference", inv.buyer_reference)
    shown = inv.vat_ids_shown
    _party(agreement, "ram:SellerTradeParty", inv.seller, vat_id=shown)
    _party(agreement, "ram:BuyerTradeParty", inv.buyer, vat_id=shown)
    _supporting(agreement, inv.supporting)

    delivery = _sub(trade, "ram:ApplicableHeaderTradeDelivery")
    if any(g.category == "K" for g in inv.vat) and inv.buyer.address is not None:
        ship = _sub(_sub(delivery, "ram:ShipToTradeParty"), "ram:PostalTradeAddress")
        _sub(ship, "ram:CountryID", inv.buyer.address.country)
    event = _sub(delivery, "ram:ActualDeliverySupplyChainEvent")
    _date(event, "ram:OccurrenceDateTime", inv.issued)

    settlement = _sub(trade, "ram:ApplicableHeaderTradeSettlement")
    _sub(settlement, "ram:PaymentReference", inv.number)
    _sub(settlement, "ram:InvoiceCurrencyCode", inv.currency)
    means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    pay = inv.payment
    if pay is not None and pay.iban:
        _sub(means, "ram:TypeCode", "58")
        account = _sub(means, "ram:PayeePartyCreditorFinancialAccount")
        _sub(account, "ram:IBANID", pay.iban)
        if pay.bic:
            bank = _sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            _sub(bank, "ram:BICID", pay.bic)
    elif pay is not None and pay.account:
        _sub(means, "ram:TypeCode", "30")
        _sub(means, "ram:Information", pay.account)
        account = _sub(means, "ram:PayeePartyCreditorFinancialAccount")
        _sub(account, "ram:ProprietaryID", pay.account)
    else:
        _sub(means, "ram:TypeCode", "1")
    for group in inv.vat:
        _header_tax(settlement, group)
    terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
    _sub(terms, "ram:Description", inv.payment_terms)
    _date(terms, "ram:DueDateDateTime", inv.due)
    totals = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(totals, "ram:LineTotalAmount", _amount(inv.line_total))
    _sub(totals, "ram:TaxBasisTotalAmount", _amount(inv.tax_exclusive))
    _sub(totals, "ram:TaxTotalAmount", _amount(inv.tax_total), currencyID=inv.currency)
    _sub(totals, "ram:GrandTotalAmount", _amount(inv.tax_inclusive))
    _sub(totals, "ram:TotalPrepaidAmount", _amount(inv.prepaid))
    _sub(totals, "ram:DuePayableAmount", _amount(inv.payable))
    if inv.preceding:
        ref = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(ref, "ram:IssuerAssignedID", inv.preceding)
        if inv.preceding_issued is not None:
            issued = _sub(ref, "ram:FormattedIssueDateTime")
            _sub(
                issued, "qdt:DateTimeString", inv.preceding_issued.strftime("%Y%m%d"), format="102"
            )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
