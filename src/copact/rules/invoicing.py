"""V901–V908: what a deal's invoices will need of its parties and of its tax rule.

An invoice names its seller and buyer with their postal addresses, the seller's VAT or tax
registration (and the buyer's where the buyer accounts for the VAT), where to pay, a number of
the seller's own series, and one VAT category and rate with its exemption reason (EN 16931).
These rules ask for them when the deal will invoice anything, so that a milestone accepted in
month nine does not produce an invoice nobody can book.

Who is who, as the invoicing does it (``core/invoicing.py``): the buyers receive the invoices;
a milestone is invoiced by its ``payee`` or else by the suppliers, every other mechanism
(prepaid, cost-plus, volume, convertible, sla, gainshare, innovation-bonus) by the suppliers,
and a revenue share is paid to its ``party``.
"""

from __future__ import annotations

from collections.abc import Iterator

from copact.core.deal import Deal, Party
from copact.core.diagnostic import Severity
from copact.rules.registry import Finding, rule

NEEDS_REASON = frozenset({"exempt", "reverse-charge", "intra-community", "export", "outside-scope"})
"""Categories whose invoices state why no VAT is charged (EN 16931 BR-E-10, BR-AE-10, BR-IC-10,
BR-G-10, BR-O-10)."""

BUYER_ACCOUNTS = frozenset({"reverse-charge", "intra-community"})
"""Categories where the buyer accounts for the VAT, so both VAT ids are on the invoice."""

VAT_PREFIX_EXCEPTIONS = {"GR": frozenset({"EL"}), "GB": frozenset({"GB", "XI"})}
"""Countries whose VAT ids do not (only) start with their ISO code: Greece's are EL…, and a
Northern Ireland trader's XI… (its address country is GB)."""


# --- who invoices whom ----------------------------------------------------------------------


def _invoices(deal: Deal) -> bool:
    """Whether the deal will invoice anything: a priced milestone or any other mechanism."""
    priced = any(m.payment is not None or m.amount is not None for m in deal.milestones)
    return priced or any(m != "milestones" for m in deal.mechanisms)


def _milestone_payee_ids(deal: Deal) -> set[str]:
    """The ids of the parties copact issues milestone invoices for, and so numbers."""
    suppliers = {p.id for p in deal.suppliers}
    ids: set[str] = set()
    for m in deal.milestones:
        if m.payment is None and m.amount is None:
            continue
        ids |= {m.payee} if m.payee is not None else suppliers
    return ids


def _payee_ids(deal: Deal) -> set[str]:
    """The ids of the parties that will issue invoices (be paid) under the deal."""
    suppliers = {p.id for p in deal.suppliers}
    ids = _milestone_payee_ids(deal)
    if any(m not in ("milestones", "revenue-share") for m in deal.mechanisms):
        ids |= suppliers
    if deal.revenue_share is not None:
        ids.add(deal.revenue_share.party)
    return ids


def _indexed(deal: Deal, ids: set[str]) -> Iterator[tuple[int, Party]]:
    return ((i, p) for i, p in enumerate(deal.parties) if p.id in ids)


def _payees(deal: Deal) -> list[tuple[int, Party]]:
    return list(_indexed(deal, _payee_ids(deal))) if _invoices(deal) else []


def _numbered(deal: Deal) -> list[tuple[int, Party]]:
    return list(_indexed(deal, _milestone_payee_ids(deal)))


def _buyers(deal: Deal) -> list[tuple[int, Party]]:
    return [(i, p) for i, p in enumerate(deal.parties) if p.role == "buyer"]


def _either(*groups: list[tuple[int, Party]]) -> list[tuple[int, Party]]:
    """The parties of any of the groups, once each, in file order."""
    by_index = {i: p for group in groups for i, p in group}
    return sorted(by_index.items(), key=lambda pair: pair[0])


# --- the rules ------------------------------------------------------------------------------


@rule(
    "V901",
    "party-without-address",
    Severity.WARNING,
    "a party that issues or receives invoices has no postal address",
    hint="add `address: {lines: [...], city: ..., postcode: ..., country: DE}`",
)
def party_without_address(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** When the deal invoices anything (a priced milestone, prepaid,
    cost-plus, volume, convertible, sla, gainshare, a bonus or a revenue share), every party
    that issues invoices (the payees, else the suppliers) and every buyer has an `address`.

    **Why.** An invoice without the seller's and the buyer's postal address, with its country,
    is not a valid invoice under EN 16931 (BG-5, BG-8) or the EU VAT directive (Art. 226): the
    buyer's accounts payable sends it back, and the milestone it bills is paid late.

    **Example.**

        parties:
          - {id: voltworks, name: VoltWorks Inc., role: supplier}

    **Use instead.** `address: {lines: [1200 Harbor Way], city: Oakland, postcode: "94607",
    region: CA, country: US}`.
    """
    if not _invoices(deal):
        return
    for i, party in _either(_payees(deal), _buyers(deal)):
        if party.address is None:
            yield Finding(f"/parties/{i}", f"{party.id} has no postal address for its invoices")


@rule(
    "V902",
    "no-tax-rule",
    Severity.WARNING,
    "the deal invoices but has no `tax` rule",
    hint="add `tax: {category: standard, rate: 19%}` (or the category that applies)",
)
def no_tax_rule(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A deal that invoices anything has a `tax` section: the VAT category
    of its invoices (`standard`, `zero-rated`, `exempt`, `reverse-charge`, `intra-community`,
    `export`, `outside-scope`), the rate and, where no VAT is charged, the reason.

    **Why.** Every line of an invoice carries a VAT category and rate. Left unsaid, the first
    invoice is where the two sides find out they assumed different things, after the buyer
    budgeted the net amount and the supplier the gross.

    **Example.** A deal with milestones and no `tax:` key.

    **Use instead.** `tax: {category: standard, rate: 19%}`, or across an EU border
    `tax: {category: reverse-charge, exemption-reason: Reverse charge}`, or for a US deal
    `tax: {category: outside-scope, exemption-reason: Not subject to VAT}`.
    """
    if deal.tax is None and _invoices(deal):
        yield Finding("", "the deal invoices but says nothing about VAT (no `tax` section)")


@rule(
    "V903",
    "tax-rule-contradiction",
    Severity.ERROR,
    "the tax rule contradicts itself",
    hint="`standard` has a rate above 0%, `zero-rated` 0%, others 0% and an `exemption-reason`",
)
def tax_rule_contradiction(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The `tax` rule is one EN 16931 VAT category can print: `standard`
    has a rate above 0% and no exemption reason; `zero-rated` has 0% and no exemption
    reason; `exempt`, `reverse-charge`, `intra-community`, `export` and `outside-scope` have
    0% and an `exemption-reason`; no rate is negative or above 100%.

    **Why.** An e-invoice with a standard rate of 0%, or a reverse charge that still adds
    VAT, is refused by the buyer's system (BR-S-05, BR-AE-05…), and a paper one is booked
    wrong by one side. The reason for charging no VAT is a legal mention on the invoice.

    **Example.**

        tax: {category: reverse-charge, rate: 19%}

    **Use instead.** `tax: {category: reverse-charge, exemption-reason: "Reverse charge:
    VAT to be accounted for by the customer (Art. 196 Directive 2006/112/EC)"}`.
    """
    tax = deal.tax
    if tax is None:
        return
    rate = tax.rate.fraction
    at_rate = "/tax/rate" if "rate" in tax.model_fields_set else "/tax"
    if rate < 0 or rate > 1:
        yield Finding(at_rate, f"a VAT rate of {tax.rate} is not between 0% and 100%")
    elif tax.category == "standard" and rate == 0:
        yield Finding(at_rate, "a standard VAT rate of 0%: use `zero-rated`, or set the rate")
    elif tax.category != "standard" and rate > 0:
        yield Finding(at_rate, f"`{tax.category}` charges no VAT, yet the rate is {tax.rate}")
    if tax.category in NEEDS_REASON and tax.exemption_reason is None:
        yield Finding(
            "/tax", f"`{tax.category}` invoices must say why no VAT is charged", _REASON_HINT
        )
    elif tax.category not in NEEDS_REASON and tax.exemption_reason is not None:
        yield Finding(
            "/tax/exemption-reason",
            f"`{tax.category}` VAT has no exemption reason; is the category `exempt`?",
        )


_REASON_HINT = "set `exemption-reason`, e.g. 'Reverse charge' or 'Not subject to VAT'"


@rule(
    "V904",
    "tax-rule-without-vat-ids",
    Severity.ERROR,
    "the tax rule needs VAT ids the parties do not have",
    hint="set the party's `vat-id` (or `tax-id` where a VAT id is not needed)",
)
def tax_rule_without_vat_ids(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The parties have the registrations their tax category puts on the
    invoice: for `reverse-charge` and `intra-community`, the `vat-id` of every party that
    invoices and of every buyer; for `export`, the seller's `vat-id`; for `standard`,
    `zero-rated` and `exempt`, the seller's `vat-id` or `tax-id`.

    **Why.** The buyer can only account for a reverse-charged VAT, and the seller can only
    skip it, when both VAT ids are on the invoice (Art. 226 Directive 2006/112/EC; EN 16931
    BR-AE-02, BR-IC-02). An invoice charging VAT without the seller's VAT number does not
    let the buyer deduct it.

    **Example.**

        tax: {category: reverse-charge, exemption-reason: Reverse charge}
        parties: [{id: acme, role: buyer, ...}]      # no vat-id

    **Use instead.** `vat-id: NL123456789B01` on the buyer, and the seller's own.
    """
    tax = deal.tax
    if tax is None:
        return
    payees = _payees(deal)
    if tax.category in BUYER_ACCOUNTS:
        for i, party in _either(payees, _buyers(deal)):
            if party.vat_id is None:
                yield Finding(
                    f"/parties/{i}",
                    f"a `{tax.category}` invoice needs the VAT id of {party.id}",
                )
    elif tax.category == "export":
        for i, party in payees:
            if party.vat_id is None:
                yield Finding(f"/parties/{i}", f"an export invoice needs the VAT id of {party.id}")
    elif tax.category in ("standard", "zero-rated", "exempt"):
        for i, party in payees:
            if party.vat_id is None and party.tax_id is None:
                yield Finding(
                    f"/parties/{i}",
                    f"{party.id} invoices `{tax.category}` VAT with no `vat-id` or `tax-id`",
                )


@rule(
    "V905",
    "payee-without-payment-instructions",
    Severity.WARNING,
    "a party that is paid has no payment instructions",
    hint="add `payment: {iban: ..., bic: ...}` or `payment: {account: ...}`",
)
def payee_without_payment_instructions(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every party that issues invoices under the deal has `payment`
    instructions with an `iban` or an `account` described in words.

    **Why.** An invoice says where to pay it. Bank details sent later by e-mail are the
    classic invoice-fraud attack; written into the deal both sides signed, a changed account
    is a change order.

    **Example.**

        - {id: rijnpak, name: Rijnpak Verpakkingen B.V., role: supplier}

    **Use instead.** `payment: {iban: NL91 ABNA 0417 1643 00, bic: ABNANL2A}`, or
    `payment: {account: "ABA 021000021, account 000123456789"}`.
    """
    for i, party in _payees(deal):
        if party.payment is None:
            yield Finding(f"/parties/{i}", f"{party.id} is paid but has no payment instructions")
        elif party.payment.iban is None and party.payment.account is None:
            yield Finding(
                f"/parties/{i}/payment",
                f"the payment instructions of {party.id} name no IBAN or account",
            )


@rule(
    "V906",
    "vat-id-country-mismatch",
    Severity.WARNING,
    "a VAT id's country prefix does not match the party's address",
    hint="check the VAT id and the address country (Greece is EL…, Northern Ireland XI…)",
)
def vat_id_country_mismatch(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A party's `vat-id` starts with the two letters of its address
    `country`, except that Greek VAT ids start with `EL` and a Northern Ireland trader's
    (address country `GB`) may start with `XI`.

    **Why.** The prefix is where the VAT id is registered. A German company with a French
    VAT id is usually a copy-paste from another deal, and the buyer's VIES check of the
    invoice fails.

    **Example.**

        address: {lines: [Odos Ermou 10], city: Athens, country: GR}
        vat-id: GR094014201

    **Use instead.** `vat-id: EL094014201`.
    """
    for i, party in enumerate(deal.parties):
        if party.vat_id is None or party.address is None:
            continue
        country = party.address.country
        allowed = VAT_PREFIX_EXCEPTIONS.get(country, frozenset({country}))
        prefix = party.vat_id[:2]
        if prefix not in allowed:
            expected = " or ".join(sorted(allowed))
            yield Finding(
                f"/parties/{i}/vat-id",
                f"the VAT id of {party.id} starts {prefix}; one registered in {country} "
                f"starts {expected}",
            )


@rule(
    "V907",
    "payee-without-invoice-series",
    Severity.INFO,
    "a milestone's payee has no `invoice-series` of its own",
    hint="set `invoice-series`, e.g. VW-2026- (its invoices are then VW-2026-0001, …)",
)
def payee_without_invoice_series(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every party that copact issues milestone invoices for (the
    milestones' payees, else the supplier) has an `invoice-series`: the prefix of its invoice
    numbers.

    **Why.** Invoice numbers must run in one unbroken series per seller. Without a series,
    copact numbers the deal's invoices `DEAL-001`, `DEAL-002`…, which is unique but is not the
    supplier's own numbering and can clash with its other invoicing.

    **Example.** `{id: voltworks, name: VoltWorks Inc., role: supplier}` on a deal named
    hybrid-dc1: invoices hybrid-dc1-001, hybrid-dc1-002…

    **Use instead.** `invoice-series: VW-2026-`: invoices VW-2026-0001, VW-2026-0002…, or
    keep the deal's numbers and say so with `ignore: [{code: V907, reason: ...}]`.
    """
    for i, party in _numbered(deal):
        if party.invoice_series is None:
            yield Finding(
                f"/parties/{i}",
                f"{party.id} has no invoice series: its invoices are numbered {deal.id}-001, …",
            )


@rule(
    "V908",
    "shared-invoice-series",
    Severity.ERROR,
    "two parties' invoice series overlap",
    hint="give each party a series of its own that does not start with another's",
)
def shared_invoice_series(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** No two parties have the same `invoice-series` (ignoring case), and
    none is the start of another's (`K-` and `K-2026-`), the deal's own numbering `DEAL-`
    included when a milestone's payee has no series.

    **Why.** A series counts the numbers that start with it. Two parties on one series share
    one run of numbers, so each seller's own series has gaps, which tax auditors read as
    missing invoices; and a buyer cannot tell whose invoice K-0003 is.

    **Example.**

        - {id: voltworks, ..., invoice-series: VW-}
        - {id: gridpro, ..., invoice-series: VW-}

    **Use instead.** `invoice-series: VW-2026-` and `invoice-series: GP-2026-`.
    """
    seen: list[tuple[str, str]] = []  # (series, who)
    if any(p.invoice_series is None for _, p in _numbered(deal)):
        seen.append((f"{deal.id}-", "the deal (its own numbering)"))
    for i, party in enumerate(deal.parties):
        series = party.invoice_series
        if series is None:
            continue
        for other, who in seen:
            a, b = series.casefold(), other.casefold()
            if a == b or a.startswith(b) or b.startswith(a):
                how = "is the series of" if a == b else "overlaps the series of"
                yield Finding(
                    f"/parties/{i}/invoice-series",
                    f"the invoice series '{series}' of {party.id} {how} {who} ('{other}')",
                )
                break
        seen.append((series, party.id))
