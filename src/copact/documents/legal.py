"""An invoice as a legal document (EN 16931's semantic model), built from the journal's event.

:func:`legal_invoice` takes the deal (the parties' legal details, the tax rule, the milestone
descriptions), the journal's invoice event (its number, dates, lines and amounts) and where it
stands in the state fold (what the prepaid advance settled of it), and gives a
:class:`LegalInvoice`: everything the PDF, the Factur-X CII XML (:mod:`copact.documents.cii`)
and the UBL XML (:mod:`copact.documents.ubl`) print, computed once, so the three agree.

The amounts are the journal's to the cent: each line's net is its journal amount, the line
total (BT-106) is their sum. The VAT comes from the deal's ``tax`` rule (one category and rate
for every line); a deal without one is category O, "not subject to VAT", at 0. The VAT is
computed per VAT group, as EN 16931 does (BR-CO-17): ``taxable × rate / 100``, rounded to the
currency's minor unit **half-even**; it is never computed per line and summed. Then::

    tax_exclusive (BT-109) = line_total (BT-106)          (no document-level allowances)
    tax_inclusive (BT-112) = tax_exclusive + tax_total (BT-110)
    payable       (BT-115) = tax_inclusive − prepaid (BT-113)

``prepaid`` is what the prepaid advance settled of the invoice (``standing.from_advance``).
The journal's invoice carries the VAT it charged (``tax``, from the deal's rule the day it was
issued, ``core.invoicing.vat_on``): that figure is the document's, never recomputed, so the
document, the buyer's payments and the advance all count the same gross total.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from copact.core.deal import Address, Deal, Party, PaymentInstructions
from copact.core.events import Invoice
from copact.core.invoicing import InvoiceStanding, mechanism_line

__all__ = [
    "CREDIT_NOTE",
    "EXEMPTION_DEFAULTS",
    "INVOICE",
    "PREPAYMENT_INVOICE",
    "VAT_CODES",
    "LegalInvoice",
    "LegalLine",
    "PartyDetails",
    "VatGroup",
    "legal_invoice",
    "party_details",
    "vat_groups",
]

#: a deal file's VAT category → its UNCL 5305 code, as EN 16931 writes it
VAT_CODES: dict[str, str] = {
    "standard": "S",
    "zero-rated": "Z",
    "exempt": "E",
    "reverse-charge": "AE",
    "intra-community": "K",
    "export": "G",
    "outside-scope": "O",
}

#: the exemption reason (BT-120) printed when the deal's tax rule gives none: EN 16931 requires
#: one for these categories (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10) and forbids one for
#: S and Z
EXEMPTION_DEFAULTS: dict[str, str] = {
    "E": "Exempt from VAT",
    "AE": "Reverse charge: VAT is due from the buyer",
    "K": "Intra-community supply, exempt from VAT",
    "G": "Export outside the EU, exempt from VAT",
    "O": "Not subject to VAT",
}

_SHA256 = re.compile(r"[0-9a-f]{64}")

INVOICE = 380
CREDIT_NOTE = 381
PREPAYMENT_INVOICE = 386


@dataclass(frozen=True)
class PartyDetails:
    """What an invoice says of a party (EN 16931 BG-4 seller / BG-7 buyer)."""

    id: str
    name: str
    legal_name: str
    address: Address | None
    vat_id: str | None
    tax_id: str | None
    registration: str | None
    email: str | None


@dataclass(frozen=True)
class LegalLine:
    """One invoice line (BG-25)."""

    id: str  # the journal line's ``for`` (a milestone id, …)
    name: str  # the milestone's description, else the id
    quantity: Decimal  # 1
    unit_code: str  # "C62" (one)
    unit_price: Decimal  # = net for quantity 1
    net: Decimal  # the journal line's amount, to the cent
    vat_category: str  # UNCL 5305 code: S, Z, E, AE, K, G, O
    vat_rate: Decimal  # percent, e.g. Decimal("19"); 0 for Z/E/AE/K/G/O
    evidence: tuple[str, ...]  # sha256 of the evidence the line was accepted on


@dataclass(frozen=True)
class VatGroup:
    """One VAT breakdown (BG-23): all lines of one category and rate."""

    category: str
    rate: Decimal
    taxable: Decimal
    tax: Decimal
    exemption_reason: str | None


@dataclass(frozen=True)
class LegalInvoice:
    """An invoice as EN 16931 models it; the amounts add up (see the module docstring)."""

    type_code: int  # 380 invoice, 381 credit note, 386 prepayment invoice
    number: str
    issued: date
    due: date
    currency: str
    seller: PartyDetails
    buyer: PartyDetails
    lines: tuple[LegalLine, ...]
    vat: tuple[VatGroup, ...]
    line_total: Decimal  # BT-106, sum of line nets
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    prepaid: Decimal  # BT-113: what the prepaid advance settled of it
    payable: Decimal  # BT-115 = tax_inclusive - prepaid
    payment: PaymentInstructions | None  # the seller's
    payment_terms: str  # e.g. "30 days net, due 2026-08-14"
    buyer_reference: str  # BT-10: the deal id (Peppol requires a buyer reference)
    supporting: tuple[tuple[str, str], ...]  # (sha256, evidence name) for BG-24
    preceding: str | None = None  # BT-25: the invoice a credit note (381) corrects
    preceding_issued: date | None = None  # BT-26: its issue date

    @property
    def vat_ids_shown(self) -> bool:
        """Whether the seller's and buyer's VAT ids belong on the e-invoice: not for category
        O, "not subject to VAT" (BR-O-02 … BR-O-04)."""
        return all(g.category != "O" for g in self.vat)


def party_details(party: Party) -> PartyDetails:
    """The invoice's view of a deal party (the legal name falls back to the name)."""
    return PartyDetails(
        id=party.id,
        name=party.name,
        legal_name=party.legal,
        address=party.address,
        vat_id=party.vat_id,
        tax_id=party.tax_id,
        registration=party.registration,
        email=party.email,
    )


def _cents(amount: Decimal, exponent: Decimal) -> Decimal:
    return amount.quantize(exponent, rounding=ROUND_HALF_EVEN)


def vat_groups(
    lines: tuple[LegalLine, ...],
    exemption_reason: str | None,
    minor_unit: Decimal = Decimal("0.01"),
) -> tuple[VatGroup, ...]:
    """The VAT breakdown: one group per (category, rate) in the order first met, its tax
    ``taxable × rate / 100`` rounded to ``minor_unit`` half-even (BR-CO-17)."""
    taxable: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = (line.vat_category, line.vat_rate)
        taxable[key] = taxable.get(key, Decimal(0)) + line.net
    groups = []
    for (category, rate), base in taxable.items():
        reason = None
        if category in EXEMPTION_DEFAULTS:
            reason = exemption_reason or EXEMPTION_DEFAULTS[category]
        groups.append(
            VatGroup(
                category=category,
                rate=rate,
                taxable=base,
                tax=_cents(base * rate / 100, minor_unit),
                exemption_reason=reason,
            )
        )
    return tuple(groups)


def _service_name(text: str) -> str | None:
    """``SLA service 2027-03, site dc1: fee less credits plus bonuses`` for a service line."""
    line = mechanism_line(text)
    return line.name if line is not None else None


def _rate_points(deal: Deal) -> tuple[str, Decimal]:
    if deal.tax is None:
        return "O", Decimal(0)
    code = VAT_CODES[deal.tax.category]
    return code, deal.tax.rate.points if code == "S" else Decimal(0)


def _plain(d: Decimal) -> Decimal:
    """``19`` rather than ``1.9E+1`` or ``19.00000``."""
    n = d.normalize()
    return n.quantize(Decimal(1)) if n == n.to_integral_value() else n


def legal_invoice(
    deal: Deal,
    invoice: Invoice,
    standing: InvoiceStanding,
    evidence: dict[str, list[tuple[str, str]]],
    *,
    type_code: int = INVOICE,
    preceding: Invoice | None = None,
) -> LegalInvoice:
    """The legal invoice of ``invoice`` (a journal event of ``deal``).

    ``evidence`` maps a milestone to the ``(name, sha256)`` of the evidence it was submitted
    with (as :class:`copact.documents.invoice.InvoiceDocument` has it): a line's evidence is
    its milestone's (the journal line's own ``evidence`` names the kinds required; any SHA-256
    among them is kept too). The BG-24 supporting
    documents are every line's evidence once, in line order, named by ``evidence``.
    A party the invoice names that the deal does not know is refused with a ``KeyError``.
    """
    seller_party = deal.party(invoice.from_)
    buyer_party = deal.party(invoice.to)
    if seller_party is None or buyer_party is None:
        missing = invoice.from_ if seller_party is None else invoice.to
        raise KeyError(f"invoice {invoice.number} names party {missing!r}, not in {deal.id}")
    minor = deal.money_currency.minor_unit
    category, rate = _rate_points(deal)
    rate = _plain(rate)
    descriptions = {m.id: m.description for m in deal.milestones if m.description}
    if type_code == PREPAYMENT_INVOICE:
        descriptions["prepaid"] = f"Prepaid advance: {deal.title}"
    if type_code == CREDIT_NOTE:
        descriptions["exit"] = f"Refund on exit: {deal.title}"
    names: dict[str, str] = {}
    for refs in evidence.values():
        for name, sha in refs:
            names.setdefault(sha, name)
    lines = []
    for line in invoice.lines:
        submitted = [sha for _, sha in evidence.get(line.for_, [])]
        own = [e for e in line.evidence if _SHA256.fullmatch(e) and e not in submitted]
        hashes = (*submitted, *own)
        net = _cents(line.amount, minor)
        lines.append(
            LegalLine(
                id=line.for_,
                name=descriptions.get(line.for_) or _service_name(line.for_) or line.for_,
                quantity=Decimal(1),
                unit_code="C62",
                unit_price=net,
                net=net,
                vat_category=category,
                vat_rate=rate,
                evidence=hashes,
            )
        )
    legal_lines = tuple(lines)
    reason = deal.tax.exemption_reason if deal.tax is not None else None
    groups = vat_groups(legal_lines, reason, minor)
    carried = invoice.tax  # the journal's own VAT figure (the deal's rule when it was issued)
    if carried is not None and len(groups) == 1:
        g = groups[0]
        groups = (
            VatGroup(g.category, g.rate, g.taxable, _cents(carried, minor), g.exemption_reason),
        )
    line_total = sum((ln.net for ln in legal_lines), Decimal(0))
    tax_total = sum((g.tax for g in groups), Decimal(0))
    tax_inclusive = line_total + tax_total
    prepaid = _cents(standing.from_advance.amount, minor)
    supporting: list[tuple[str, str]] = []
    for ln in legal_lines:
        for sha in ln.evidence:
            if all(sha != s for s, _ in supporting):
                supporting.append((sha, names.get(sha, sha[:12])))
    return LegalInvoice(
        type_code=type_code,
        number=invoice.number,
        issued=invoice.day,
        due=invoice.due,
        currency=deal.money_currency.code,
        seller=party_details(seller_party),
        buyer=party_details(buyer_party),
        lines=legal_lines,
        vat=groups,
        line_total=line_total,
        tax_exclusive=line_total,
        tax_total=tax_total,
        tax_inclusive=tax_inclusive,
        prepaid=prepaid,
        payable=tax_inclusive - prepaid,
        payment=seller_party.payment,
        payment_terms=(
            f"advance payment, due {invoice.due.isoformat()}"
            if type_code == PREPAYMENT_INVOICE
            else f"refunded by the seller, due {invoice.due.isoformat()}"
            if type_code == CREDIT_NOTE
            else f"{deal.payment_terms} days net, due {invoice.due.isoformat()}"
        ),
        buyer_reference=deal.id,
        supporting=tuple(supporting),
        preceding=preceding.number if preceding is not None else None,
        preceding_issued=preceding.day if preceding is not None else None,
    )
