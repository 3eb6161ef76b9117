"""The UBL XML of a legal invoice: a UBL 2.1 ``Invoice`` (``CreditNote`` for type 381) in
Peppol BIS Billing 3.0.

The same business terms as :mod:`copact.documents.cii`, in UBL's elements and order, with
Peppol's CustomizationID and ProfileID. Each party's electronic address (BT-34 seller, BT-49
buyer) is its e-mail, scheme ``EM``, as EN 16931 allows. A credit note has no ``DueDate`` in
UBL 2.1: its due date is the payment means' ``PaymentDueDate``. Every figure is the
:class:`~copact.documents.legal.LegalInvoice`'s; nothing is computed here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from copact.documents.legal import CREDIT_NOTE, LegalInvoice, PartyDetails, VatGroup

__all__ = ["CUSTOMIZATION", "PROFILE", "ubl_xml"]

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_ROOT = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    el = etree.SubElement(parent, f"{{{_CAC if prefix == 'cac' else _CBC}}}{name}", attrs)
    if text is not None:
        el.text = text
    return el


def _amount(d: Decimal) -> str:
    return format(d, "f")


def _number(d: Decimal) -> str:
    return format(d.normalize(), "f")


def _iso(day: date) -> str:
    return day.isoformat()


def _party(parent: etree._Element, tag: str, party: PartyDetails, *, vat_id: bool) -> None:
    el = _sub(_sub(parent, tag), "cac:Party")
    if party.email:
        _sub(el, "cbc:EndpointID", party.email, schemeID="EM")
    if party.name != party.legal_name:
        _sub(_sub(el, "cac:PartyName"), "cbc:Name", party.name)
    if party.address is not None:
        a = party.address
        addr = _sub(el, "cac:PostalAddress")
        _sub(addr, "cbc:StreetName", a.lines[0])
        if len(a.lines) > 1:
            _sub(addr, "cbc:AdditionalStreetName", a.lines[1])
        _sub(addr, "cbc:CityName", a.city)
        if a.postcode:
            _sub(addr, "cbc:PostalZone", a.postcode)
        if a.region:
            _sub(addr, "cbc:CountrySubentity", a.region)
        if len(a.lines) > 2:
            _sub(_sub(addr, "cac:AddressLine"), "cbc:Line", a.lines[2])
        _sub(_sub(addr, "cac:Country"), "cbc:IdentificationCode", a.country)
    if vat_id and party.vat_id:
        scheme = _sub(el, "cac:PartyTaxScheme")
        _sub(scheme, "cbc:CompanyID", party.vat_id)
        _sub(_sub(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if party.tax_id and tag == "cac:AccountingSupplierParty":
        scheme = _sub(el, "cac:PartyTaxScheme")
        _sub(scheme, "cbc:CompanyID", party.tax_id)
        _sub(_sub(scheme, "cac:TaxScheme"), "cbc:ID", "TAX")
    legal = _sub(el, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", party.legal_name)
    if party.registration:
        _sub(legal, "cbc:CompanyID", party.registration)
    if party.email:
        _sub(_sub(el, "cac:Contact"), "cbc:ElectronicMail", party.email)


def _category(parent: etree._Element, tag: str, category: str, rate: Decimal) -> etree._Element:
    el = _sub(parent, tag)
    _sub(el, "cbc:ID", category)
    if category != "O":
        _sub(el, "cbc:Percent", _number(rate))
    return el


def _subtotal(parent: etree._Element, group: VatGroup, currency: str) -> None:
    sub = _sub(parent, "cac:TaxSubtotal")
    _sub(sub, "cbc:TaxableAmount", _amount(group.taxable), currencyID=currency)
    _sub(sub, "cbc:TaxAmount", _amount(group.tax), currencyID=currency)
    cat = _category(sub, "cac:TaxCategory", group.category, group.rate)
    if group.exemption_reason:
        _sub(cat, "cbc:TaxExemptionReason", group.exemption_reason)
    _sub(_sub(cat, "cac:TaxScheme"), "cbc:ID", "VAT")


def ubl_xml(inv: LegalInvoice) -> bytes:
    """The UBL 2.1 XML of ``inv`` (UTF-8, with its XML declaration)."""
    credit = inv.type_code == CREDIT_NOTE
    doc = "CreditNote" if credit else "Invoice"
    root = etree.Element(
        f"{{{_ROOT[doc]}}}{doc}", nsmap={None: _ROOT[doc], "cac": _CAC, "cbc": _CBC}
    )
    cur = inv.currency
    _sub(root, "cbc:CustomizationID", CUSTOMIZATION)
    _sub(root, "cbc:ProfileID", PROFILE)
    _sub(root, "cbc:ID", inv.number)
    _sub(root, "cbc:IssueDate", _iso(inv.issued))
    if not credit:
        _sub(root, "cbc:DueDate", _iso(inv.due))
    _sub(root, f"cbc:{doc}TypeCode", str(inv.type_code))
    _sub(root, "cbc:DocumentCurrencyCode", cur)
    _sub(root, "cbc:BuyerReference", inv.buyer_reference)
    if inv.preceding:
        ref = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _sub(ref, "cbc:ID", inv.preceding)
        if inv.preceding_issued is not None:
            _sub(ref, "cbc:IssueDate", _iso(inv.preceding_issued))
    for sha, name in inv.supporting:
        ref = _sub(root, "cac:AdditionalDocumentReference")
        _sub(ref, "cbc:ID", sha)
        _sub(ref, "cbc:DocumentDescription", name)
    shown = inv.vat_ids_shown
    _party(root, "cac:AccountingSupplierParty", inv.seller, vat_id=shown)
    _party(root, "cac:AccountingCustomerParty", inv.buyer, vat_id=shown)
    delivery = _sub(root, "cac:Delivery")
    _sub(delivery, "cbc:ActualDeliveryDate", _iso(inv.issued))
    if any(g.category == "K" for g in inv.vat) and inv.buyer.address is not None:
        place = _sub(_sub(delivery, "cac:DeliveryLocation"), "cac:Address")
        _sub(_sub(place, "cac:Country"), "cbc:IdentificationCode", inv.buyer.address.country)

    means = _sub(root, "cac:PaymentMeans")
    pay = inv.payment
    code = "58" if pay and pay.iban else "30" if pay and pay.account else "1"
    _sub(means, "cbc:PaymentMeansCode", code)
    if credit:
        _sub(means, "cbc:PaymentDueDate", _iso(inv.due))
    _sub(means, "cbc:PaymentID", inv.number)
    if pay is not None and (pay.iban or pay.account):
        account = _sub(means, "cac:PayeeFinancialAccount")
        _sub(account, "cbc:ID", pay.iban or pay.account)
        if pay.iban and pay.bic:
            _sub(_sub(account, "cac:FinancialInstitutionBranch"), "cbc:ID", pay.bic)
    _sub(_sub(root, "cac:PaymentTerms"), "cbc:Note", inv.payment_terms)

    tax = _sub(root, "cac:TaxTotal")
    _sub(tax, "cbc:TaxAmount", _amount(inv.tax_total), currencyID=cur)
    for group in inv.vat:
        _subtotal(tax, group, cur)
    totals = _sub(root, "cac:LegalMonetaryTotal")
    _sub(totals, "cbc:LineExtensionAmount", _amount(inv.line_total), currencyID=cur)
    _sub(totals, "cbc:TaxExclusiveAmount", _amount(inv.tax_exclusive), currencyID=cur)
    _sub(totals, "cbc:TaxInclusiveAmount", _amount(inv.tax_inclusive), currencyID=cur)
    _sub(totals, "cbc:PrepaidAmount", _amount(inv.prepaid), currencyID=cur)
    _sub(totals, "cbc:PayableAmount", _amount(inv.payable), currencyID=cur)

    for n, line in enumerate(inv.lines, start=1):
        el = _sub(root, f"cac:{doc}Line")
        _sub(el, "cbc:ID", str(n))
        quantity = "CreditedQuantity" if credit else "InvoicedQuantity"
        _sub(el, f"cbc:{quantity}", _number(line.quantity), unitCode=line.unit_code)
        _sub(el, "cbc:LineExtensionAmount", _amount(line.net), currencyID=cur)
        item = _sub(el, "cac:Item")
        _sub(item, "cbc:Name", line.name)
        _sub(_sub(item, "cac:SellersItemIdentification"), "cbc:ID", line.id)
        cat = _category(item, "cac:ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        _sub(_sub(cat, "cac:TaxScheme"), "cbc:ID", "VAT")
        price = _sub(el, "cac:Price")
        _sub(price, "cbc:PriceAmount", _amount(line.unit_price), currencyID=cur)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
