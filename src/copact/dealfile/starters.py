"""Starter deals for `copact new`: one complete deal file per structure of DESIGN §3.2.

A starter is a sound deal with placeholder words, not a blank form. Every section the linter
asks for is there with terms a small business can defend (objective criteria with evidence, a
buyer sign-off, review and cure periods, both sides on steering, an exit for a missed
milestone), so `copact check` reports no errors on it as written. Comments say what to replace,
and free text to rewrite starts with ``TODO``. Amounts are shares of the contract value,
rounded half-even to the currency's minor unit::

    >>> text = starter_deal(Structure.MILESTONE_FUNDING, buyer="Acme Hosting LLC",
    ...                     supplier="VoltWorks Inc.", start=date(2026, 6, 1))
    >>> "- {id: acme-hosting, " in text and "payment: 20%" in text
    True

The text is a template, so that it reads like the hand-written examples (flow mappings,
comments beside the keys). Only values made here are put into it: slugs, numbers, ISO dates,
and the legal names as JSON strings, which YAML reads as double-quoted scalars.
"""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from string import Template

from copact.core.deal import Structure
from copact.core.model import INTEGER_DIGITS, check_country
from copact.core.money import Currency

__all__ = ["party_slug", "starter_deal"]

_LEGAL_FORM = re.compile(
    r"ab|ag|as|bv|co|company|corp|corporation|gmbh|inc|kg|kk|limited|llc|llp|lp|ltd|nv|oy|plc"
    r"|pte|pty|sa|sarl|sas|spa|srl|ug"
)


def party_slug(name: str, *, fallback: str) -> str:
    """A lower-case id for a legal name: accents dropped, legal forms at the end removed.

    ``"Kestrel Polymer Works Inc."`` gives ``kestrel-polymer-works``; a name with no Latin
    letters or digits gives ``fallback``.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower().replace(".", ""))
    while len(words) > 1 and _LEGAL_FORM.fullmatch(words[-1]):
        words.pop()
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 30:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or fallback


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- milestone plans: (phase, milestone, payment %, months after start, criteria, evidence) ---

_Row = tuple[str, str, int, int, tuple[str, ...], tuple[str, ...]]

_DEVELOPMENT: tuple[_Row, ...] = (
    ("design", "design-approval", 20, 2,
     ("TODO drawings and specification released, every dimension toleranced",
      "TODO a calculation shows the key figure, e.g. at most 180 °C at the 2 mm wall"),
     ("drawing", "test-report", "signed-acceptance")),
    ("build", "validated-sample", 30, 5,
     ("TODO 10 samples delivered, every critical dimension in tolerance",
      "TODO samples pass the agreed bench test, e.g. 250 thermal cycles with no crack"),
     ("delivery-receipt", "inspection-report", "test-report")),
    ("validation", "pilot-test", 30, 8,
     ("TODO the pilot runs 30 consecutive days with at most 1 logged failure",),
     ("test-report", "telemetry-export", "photo")),
    ("validation", "final-acceptance", 20, 11,
     ("TODO drawings, test reports and operating manual delivered",
      "TODO acceptance test on the final design passed"),
     ("test-report", "signed-acceptance")),
)  # fmt: skip

_DELIVERY: tuple[_Row, ...] = (
    ("supply", "delivery", 40, 3,
     ("TODO equipment delivered with serial numbers matching the order",
      "TODO factory acceptance test at 100% of rated load for 2 hours passed"),
     ("delivery-receipt", "test-report", "photo")),
    ("install", "installation", 30, 6,
     ("TODO installed per the approved drawings",
      "TODO inspection certificate issued by the authority having jurisdiction"),
     ("inspection-certificate", "photo", "signed-acceptance")),
    ("commission", "commissioning", 30, 9,
     ("TODO the commissioning test carries the full load for 30 minutes",),
     ("test-report", "telemetry-export", "signed-acceptance")),
)  # fmt: skip

_CAPACITY: tuple[_Row, ...] = (
    ("tooling", "tooling-ready", 40, 3,
     ("TODO production tooling built and T1 samples made on the production line",),
     ("inspection-report", "photo")),
    ("qualification", "first-article", 30, 5,
     ("TODO first-article inspection with 100% of drawing characteristics in tolerance",),
     ("inspection-report", "certificate", "signed-acceptance")),
    ("ramp-up", "first-production-lot", 30, 7,
     ("TODO first lot of 1,000 units delivered with a certificate of conformance",),
     ("delivery-receipt", "certificate")),
)  # fmt: skip

_ALLIANCE: tuple[_Row, ...] = (
    ("integration", "integration-complete", 40, 3,
     ("TODO every case of the agreed integration test suite passes in the sandbox",),
     ("test-report", "ci-log")),
    ("launch", "joint-launch", 30, 6,
     ("TODO listing live in both marketplaces and the setup guide published",),
     ("screenshot", "published-document", "signed-acceptance")),
    ("launch", "first-referrals", 30, 9,
     ("TODO 25 customers referred through the alliance, from the partner portal export",),
     ("usage-export", "signed-acceptance")),
)  # fmt: skip

_PLANS: dict[Structure, tuple[_Row, ...]] = {
    Structure.TRADITIONAL_PURCHASE: _DELIVERY,
    Structure.SLA_MANAGED_SERVICE: _DELIVERY,
    Structure.GAINSHARE: _DELIVERY,
    Structure.VOLUME_COMMITMENT_REBATE: _CAPACITY,
    Structure.SUPPLIER_PARTNERSHIP: _CAPACITY,
    Structure.ECOSYSTEM_ALLIANCE: _ALLIANCE,
}
"""The milestone plan of each structure; the others use ``_DEVELOPMENT``."""

_SHARED_FUNDING = {Structure.JOINT_DEVELOPMENT: 50, Structure.MILESTONE_SHARED_INVOICING: 70}
"""The buyer's funding share of every phase, where the supplier co-funds the work."""


# --- the mechanism sections each structure needs (DESIGN §3.2, P609) ------------------------

_MECHANISMS: dict[Structure, str] = {
    Structure.PREPAID_DEVELOPMENT_FEE: """
# An advance paid at signature; each milestone invoice draws on it first. Keep it at or under
# 30% of value, with refund rights.
prepaid: {amount: $v25, due: $start_2w, refund-rights: deliverable-based}
""",
    Structure.COST_PLUS_REIMBURSEMENT: """
# Verified costs plus a markup, up to the cap, invoiced month by month: the price of the work.
# The milestones below are its stages, accepted on evidence, and pay nothing themselves.
cost-plus: {cap: $value, markup: 10%, overruns: prior-written-approval,
            evidence: [receipts, timesheets]}
""",
    Structure.VOLUME_COMMITMENT_REBATE: """
# The purchase commitment and its rebate tiers. TODO set the unit, the price and the quantities.
volume:
  commitment: 10000
  unit: TODO part name
  per: year
  term-months: 24
  price: $unit_price
  rebate: [{at-least: 12000, rebate: 3%}, {at-least: 15000, rebate: 5%}]
  forecast: rolling-quarterly
  true-up: annual
""",
    Structure.CONVERTIBLE_SUPPORT: """
# Support paid now that converts into service credits by the formula, at one of the windows.
convertible:
  amount: $v20
  converts-to: service-credits
  formula: 1.15 credit per 1.00 paid
  windows: [$m12, $m18]
""",
    Structure.SLA_MANAGED_SERVICE: """
# The monthly service fee and the credits when service levels are missed (tiers are not
# cumulative). TODO name the site and its IANA time zone, e.g. America/New_York.
sla:
  period: month
  from: $operate_from
  sites: [{id: site-1, timezone: UTC}]
  unknown: down              # telemetry gaps count against the supplier
  gap-tolerance: 5m
  fee: {amount: $v2, every: month}
  credit-cap: 25%            # of the period's fee
  metrics:
    - id: availability
      measure: availability
      source: telemetry
      target: 99.9%
      exclude: [planned-maintenance]
      credits: [{below: 99.9%, credit: 5%}, {below: 99.5%, credit: 15%}]
    - {id: repair, measure: time-to-repair, source: tickets, target: 4h,
       credits: [{above: 4h, credit: 5%}]}
""",
    Structure.GAINSHARE: """
# Savings against a locked baseline, shared with the supplier up to the yearly cap.
# TODO name the measure, its drivers and where the baseline data comes from.
gainshare:
  measure: energy-kwh
  from: $operate_from
  model: {kind: linear, drivers: [production-units], grain: month, max-cvrmse: 20%, max-nmbe: 5%}
  base-fee: {amount: $v1, every: month}
  price: $kwh_price          # per unit of the measure, to turn savings into money
  share: {$s: 30%}
  cap: $v30                  # per year
  baseline: {from: $baseline_from, to: $baseline_to, sources: [meter-readings, production-logs],
             locked: $start, rebaseline: mutual}
""",
    Structure.INNOVATION_PARTNERSHIP: """
# A bonus paid once when a measured outcome is reached.
innovation-bonus:
  - {id: performance-bonus, amount: $v10, signoff: owner, evidence: [test-report],
     when: TODO a measured outcome e.g. cycle time 15% below the baseline}
""",
    Structure.ECOSYSTEM_ALLIANCE: """
# The supplier's share of the alliance's sales, reported quarterly and open to audit.
revenue-share:
  party: $s
  share: 5%
  of: TODO net sales of the co-developed product
  reporting: quarterly
  audit: true
""",
}
_MECHANISMS[Structure.SUPPLIER_PARTNERSHIP] = _MECHANISMS[Structure.VOLUME_COMMITMENT_REBATE]

_FOREGROUND = {
    Structure.JOINT_DEVELOPMENT: """\
    model: joint
    joint-terms:
      consent-to-license: either party may license with the written consent of the other
      enforcement: either party may enforce; the other joins at its own cost""",
    Structure.MILESTONE_SHARED_INVOICING: """\
    model: field-split
    fields:
      - {field: TODO the buyer's own products and sites, owner: $b}
      - {field: everything else, owner: $s}""",
}
_FOREGROUND[Structure.INNOVATION_PARTNERSHIP] = _FOREGROUND[Structure.MILESTONE_SHARED_INVOICING]
_SOLE = """\
    model: sole
    owner: $s
    license-back: {to: $b, scope: non-exclusive, field: TODO the buyer's products}"""

_DEAL = Template("""\
# Starter deal ($structure) between $buyer_comment and $supplier_comment,
# written by `copact new`. Replace every TODO, adjust the amounts and dates to your deal, then
# run `copact check` on this file; `copact schema` describes every key.
copact: 1
id: $deal_id
title: $title
structure: $structure
currency: $currency
effective: $start
# calendar: US               # optional: a country whose public holidays review periods skip

# What an invoice prints of each party. TODO the address, the tax number (or a VAT id as
# `vat-id`, with its country prefix), the company register's id and the invoice e-mail.
parties:
  - id: $b
    name: $buyer_name
    role: buyer
    address: {lines: [TODO street and number], city: TODO city, postcode: TODO, country: $country}
    tax-id: TODO tax number, or a VAT id under vat-id instead
    registration: TODO company register and number
    email: invoices@$b.example.com
  - id: $s
    name: $supplier_name
    role: supplier
    address: {lines: [TODO street and number], city: TODO city, postcode: TODO, country: $country}
    tax-id: TODO tax number, or a VAT id under vat-id instead
    registration: TODO company register and number
    email: billing@$s.example.com
    payment:                 # where the buyer pays the invoices
      account: TODO bank and account number, or an iban and bic instead
    invoice-series: $series  # its invoices are ${series}0001, …

# TODO the names. `owner` runs the deal for the buyer, `technical-acceptance` signs off
# milestones, `invoice-approval` approves invoices, `vendor-contact` answers for the supplier.
people:
  - {id: owner, party: $b, name: TODO buyer owner, duties: [owner, technical-acceptance, steering]}
  - {id: finance, party: $b, name: TODO buyer finance, duties: [invoice-approval]}
  - {id: account-lead, party: $s, name: TODO supplier lead, duties: [vendor-contact, steering]}

# The one-page scope memo. Be specific: a constraint with a number can be funded and tested,
# "a better vendor" cannot.
scope:
  problem: >-
    TODO the constraint in one sentence with a number, e.g. housings crack above 85 °C and
    the only supplier quotes 14 weeks.
  deliverable: TODO what will exist at the end, e.g. a validated housing and its mould.
  contributions:
    $b: [TODO e.g. requirements, test data, site access, funding]
    $s: [TODO e.g. engineering, tooling, a share of the cost]
  success: TODO the measured result, e.g. 1,000 thermal cycles with no crack.
  timeline: {start: $start, end: $end}

# The quantified upside per party, for `copact simulate`. TODO your own estimates.
business-case:
  horizon-months: 60
  discount-rate: 8%          # annual, effective
  flows:
    - {party: $b, label: TODO avoided cost or margin, amount: $v4, every: month, from: $benefits}
    - {party: $s, label: TODO follow-on sales, amount: $v1_5, every: month, from: $benefits}

value: $value                # the contract value milestone payments are shares of
payment-terms: 30            # days from invoice to payment
$tax
# Stages of the work. A gate is a proceed / adjust / pause decision by both sides; cost is
# the supplier's estimate of its cost to deliver the phase.
phases:
$phases
$funding$mechanisms
# Payment triggers: paid when the buyer's sign-off accepts the milestone, or deemed accepted
# after review-days business days of silence. TODO criteria that someone who was not in the
# room can check, and the evidence that proves them.
milestones:
$milestones

ip:
  background:                # TODO what each party brings in; [] says it brings none
    $b: []                   # e.g. [{item: 2025 site load data, kind: data}]
    $s: []                   # e.g. [{item: controller firmware v3, kind: software}]
  foreground:                # what the collaboration creates
$foreground

exit:
  triggers:
    missed-milestone: {after-cure: true}
    convenience: {by: [$b], notice-days: 60}
    change-of-control: {by: [$b, $s]}
    insolvency: {}
$refund  on-exit:
    foreground-ip: TODO e.g. ownership as above; the licences survive
    tooling: $b may buy it at its unamortised cost
    inventory: $b-at-cost
    unfinished-work: $b-pays-pro-rata
    documentation: deliver
    licenses-survive: true
    confidential-data: return-or-destroy

change-control: {threshold: $v5, approvers: [owner, account-lead]}

governance:
  cadence: monthly
  steering: [owner, account-lead]
  veto: [owner, account-lead]
  escalation: [project leads, executives, mediation]
  disputes: mediation then arbitration
  renegotiation: [{when: TODO a measured trigger e.g. a milestone slips by 60 days}]
  decision-log: true

risk-controls:
  confidentiality: {need-to-know: true, access-log: true, return-or-destroy: true}
  audit-rights: true
  liability: {cap: $value, carve-outs: [fraud, confidentiality-breach, wilful-misconduct]}
  insurance: [TODO e.g. product liability and its limit]
  reserve: 5%                # contingency buffer, of value

risks:                       # TODO one line per risk that could sink the deal
  - {id: schedule-slip, risk: TODO e.g. a key part ships 8 weeks late, likelihood: medium,
     impact: high, owner: account-lead, mitigation: TODO e.g. order long-lead parts early}
""")


_VAT_RATES = {
    "DE": "19%", "GB": "20%", "CH": "8.1%", "SE": "25%", "DK": "25%", "NO": "25%",
    "PL": "23%", "CZ": "21%", "HU": "27%", "JP": "10%", "AU": "10%", "NZ": "15%",
}  # fmt: skip
"""Standard rates of VAT (GST, consumption tax) in the countries a starter guesses from its
currency; the comment beside the rule asks the user to check it."""


def _home_country(currency: Currency) -> str | None:
    """The country a starter's parties are placed in until the user says: the currency's
    (its code starts with the country's, USD → US), Germany for the euro, else none."""
    if currency.code == "EUR":
        return "DE"
    try:
        return check_country(currency.code[:2])
    except ValueError:
        return None  # XOF, XAF…: shared by several countries


def _tax_rule(country: str | None) -> str:
    if country == "US":
        return (
            "tax: {category: outside-scope, exemption-reason: Not subject to VAT}"
            "  # TODO check: no VAT on a US supply\n"
        )
    rate = _VAT_RATES.get(country or "")
    if rate is None:
        return (
            "# TODO the VAT category and rate of the invoices, e.g.\n"
            "# tax: {category: standard, rate: 20%}\n"
        )
    return f"tax: {{category: standard, rate: {rate}}}  # TODO check the VAT category and rate\n"


def _invoice_series(slug: str, year: int) -> str:
    """A number prefix from the supplier's id: ``voltworks`` in 2026 gives ``VOLTWORKS-2026-``."""
    return f"{slug[:10].rstrip('-').upper()}-{year}-"


@dataclass(frozen=True)
class _Money:
    currency: Currency
    value: Decimal

    def share(self, fraction: str | int | Decimal) -> str:
        """A share of value, rounded half-even to the minor unit (at least one minor unit)."""
        unit = self.currency.minor_unit
        amount = max((self.value * Decimal(fraction)).quantize(unit, ROUND_HALF_EVEN), unit)
        if amount == amount.to_integral_value():
            amount = amount.quantize(Decimal(1))  # 4000, not 4000.00
        return f"{amount:f}"


def _phases(plan: tuple[_Row, ...], money: _Money) -> str:
    points: dict[str, int] = {}
    for phase, _, payment, *_ in plan:
        points[phase] = points.get(phase, 0) + payment
    # the supplier's cost taken as 80% of the phase's share of value
    return "\n".join(
        f"  - {{id: {phase}, cost: {money.share(Decimal(p) / 125)}, "
        "gate: {deciders: [owner, account-lead]}}"
        for phase, p in points.items()
    )


def _milestones(plan: tuple[_Row, ...], start: date, *, staged: bool = False) -> str:
    """The milestones of ``plan``; ``staged`` ones pay nothing (cost-plus: the verified costs
    are the price, and a milestone paying a share of value on top would bill the work twice)."""
    out = []
    for i, (phase, ident, payment, month, criteria, evidence) in enumerate(plan):
        if staged:
            payment = 0
            note = "              # the costs are the price: a milestone is a stage, not a payment"
        else:
            note = "             # of value; the milestones add up to 100%"
        lines = [
            f"  - id: {ident}",
            f"    phase: {phase}",
            f"    payment: {payment}%{note if i == 0 else ''}",
            f"    due: {_add_months(start, month).isoformat()}",
            "    acceptance:",
            "      criteria:",
            *(f"        - {c}" for c in criteria),
            f"      evidence: [{', '.join(evidence)}]",
            "      signoff: owner",
            "      review-days: 10" + ("        # business days to answer" if i == 0 else ""),
            "      deemed-accepted: true",
            "    cure-days: 15" + ("             # days to fix and resubmit" if i == 0 else ""),
        ]
        out.append("\n".join(lines))
    return "\n".join(out)


def starter_deal(
    structure: Structure,
    *,
    buyer: str,
    supplier: str,
    currency: str = "USD",
    value: Decimal = Decimal(100000),
    start: date,
) -> str:
    """The YAML text of a complete starter deal of ``structure`` between two named parties.

    Raises ``ValueError`` for an unknown currency, a value that is not positive, or a name
    that is empty.
    """
    buyer_name, supplier_name = " ".join(buyer.split()), " ".join(supplier.split())
    if not buyer_name or not supplier_name:
        raise ValueError("the buyer and the supplier each need a name")
    if not value.is_finite() or value <= 0:
        raise ValueError(f"the contract value must be a positive amount, not {value}")
    if value >= Decimal(10) ** INTEGER_DIGITS:
        raise ValueError(
            f"the contract value has at most {INTEGER_DIGITS} digits before the point, "
            "as every figure of a deal"
        )
    unit = Decimal(1).scaleb(-Currency.of(currency).digits)
    if value != value.quantize(unit):
        raise ValueError(
            f"the contract value {value} has more decimals than {Currency.of(currency).code} "
            f"allows ({Currency.of(currency).digits})"
        )
    money = _Money(Currency.of(currency), value)
    b = party_slug(buyer_name, fallback="buyer")
    s = party_slug(supplier_name, fallback="supplier")
    if b == s:
        b, s = f"{b}-buyer", f"{s}-supplier"
    plan = _PLANS.get(structure, _DEVELOPMENT)
    operate_from = _add_months(start.replace(day=1), 10)
    share = _SHARED_FUNDING.get(structure)
    funding = ""
    if share is not None:
        rows = "\n".join(
            f"  - {{phase: {phase}, shares: {{{b}: {share}%, {s}: {100 - share}%}}}}"
            for phase in dict.fromkeys(row[0] for row in plan)
        )
        funding = (
            "\n# Who bears each phase's cost (shares add up to 100%): the buyer is invoiced its "
            "share\n# of each milestone and the supplier absorbs the rest.\nfunding:\n"
            + rows
            + "\n"
        )
    fields = {
        "structure": structure.value,
        "title": json.dumps(
            f"TODO {structure.value.replace('-', ' ')} with {supplier_name}", ensure_ascii=False
        ),
        "deal_id": f"{b}-{s}",
        "b": b,
        "s": s,
        "buyer_name": json.dumps(buyer_name, ensure_ascii=False),
        "supplier_name": json.dumps(supplier_name, ensure_ascii=False),
        "buyer_comment": buyer_name,
        "supplier_comment": supplier_name,
        "currency": money.currency.code,
        "country": _home_country(money.currency) or "US",
        "series": _invoice_series(s, start.year),
        "start": start.isoformat(),
        "start_2w": (start + timedelta(days=14)).isoformat(),
        "end": (_add_months(start, 12) - timedelta(days=1)).isoformat(),
        "benefits": _add_months(start, 12).isoformat(),
        "operate_from": operate_from.isoformat(),
        "baseline_from": _add_months(start, -12).isoformat(),
        "baseline_to": (start - timedelta(days=1)).isoformat(),
        "m12": _add_months(start, 12).isoformat(),
        "m18": _add_months(start, 18).isoformat(),
        "value": money.share(1),
        "v1": money.share("0.01"),
        "v1_5": money.share("0.015"),
        "v2": money.share("0.02"),
        "v4": money.share("0.04"),
        "v5": money.share("0.05"),
        "v10": money.share("0.1"),
        "v20": money.share("0.2"),
        "v25": money.share("0.25"),
        "v30": money.share("0.3"),
        "unit_price": money.share("0.00005"),
        "kwh_price": money.share("0.000002"),
        "phases": _phases(plan, money),
        "funding": funding,
        "milestones": _milestones(
            plan, start, staged=structure is Structure.COST_PLUS_REIMBURSEMENT
        ),
        "refund": (
            "  prepaid-refund: {unused: true, deduction-cap: 10%}   # of the unused funds\n"
            if structure in (Structure.PREPAID_DEVELOPMENT_FEE, Structure.CONVERTIBLE_SUPPORT)
            else ""
        ),
    }
    fields["tax"] = _tax_rule(_home_country(money.currency))
    mechanism = _MECHANISMS.get(structure, "")
    fields["mechanisms"] = Template(mechanism).substitute(fields) if mechanism else ""
    fields["foreground"] = Template(_FOREGROUND.get(structure, _SOLE)).substitute(fields)
    return _align_comments(_DEAL.substitute(fields))


_COMMENT = re.compile(r"^(\s*[^\s#].*?\S)\s{2,}(# .*)$")


def _align_comments(text: str, column: int = 29) -> str:
    """Line up end-of-line comments at ``column`` (0-based), or two spaces after the value.

    Safe because the only free text put into the template (the legal names) has its runs of
    whitespace collapsed, so two spaces and a hash only occur before a comment.
    """
    lines = []
    for line in text.splitlines():
        match = _COMMENT.match(line)
        if match:
            value, comment = match.groups()
            line = f"{value.ljust(column - 2)}  {comment}"
        lines.append(line)
    return "\n".join(lines) + "\n"
