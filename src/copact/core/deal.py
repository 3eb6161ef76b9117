"""The deal file, format 1, as frozen typed values (DESIGN §3).

Keys are kebab-case in the file and snake_case here (``review-days`` is ``review_days``;
``from`` is ``from_``). Percentages are :class:`Percent`, durations :class:`Duration`, money a
``Decimal`` in the deal's currency (a float is refused), dates ``datetime.date``. Every model
refuses unknown keys, so a typo is a finding rather than a silently ignored term.

The model checks shape only. Whether references resolve and whether the deal is *sound* is
the linter's job (``copact.rules``), so that every problem can be reported at once with its place.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from copact.core.calendar import is_known_calendar
from copact.core.money import Currency, Money, to_decimal
from copact.core.quantities import Duration, Percent
from copact.errors import MoneyError

__all__ = [
    "MECHANISMS",
    "STRUCTURE_NEEDS",
    "Acceptance",
    "Amount",
    "Deal",
    "Milestone",
    "Party",
    "Person",
    "Phase",
    "Structure",
]


def _kebab(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


class Model(BaseModel):
    """Base of every section: frozen, unknown keys refused, kebab-case aliases."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=_kebab,
        populate_by_name=True,
        use_enum_values=False,
    )


def _amount(value: Any) -> Decimal:
    try:
        return to_decimal(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def _currency(code: str) -> str:
    try:
        return Currency.of(code).code
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def _calendar(code: str) -> str:
    if not is_known_calendar(code):
        raise ValueError(f"unknown calendar {code!r}: use an ISO 3166 country code such as US or DE")
    return code


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. America/New_York)") from None
    return name


Amount = Annotated[Decimal, BeforeValidator(_amount)]
"""Money in the deal's currency: an int, a decimal number or a decimal string, never a float."""
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1)]
Threshold = Annotated[Percent | Duration | Amount, Field(union_mode="left_to_right")]
Frequency = Literal["once", "month", "quarter", "year"]
Level = Literal["low", "medium", "high"]
Duty = Literal["owner", "vendor-contact", "technical-acceptance", "invoice-approval", "steering"]


class Structure(StrEnum):
    """The headline models of DESIGN §3.2."""

    PREPAID_DEVELOPMENT_FEE = "prepaid-development-fee"
    MILESTONE_FUNDING = "milestone-funding"
    COST_PLUS_REIMBURSEMENT = "cost-plus-reimbursement"
    VOLUME_COMMITMENT_REBATE = "volume-commitment-rebate"
    CONVERTIBLE_SUPPORT = "convertible-support"
    TRADITIONAL_PURCHASE = "traditional-purchase"
    MILESTONE_SHARED_INVOICING = "milestone-shared-invoicing"
    SLA_MANAGED_SERVICE = "sla-managed-service"
    GAINSHARE = "gainshare"
    INNOVATION_PARTNERSHIP = "innovation-partnership"
    JOINT_DEVELOPMENT = "joint-development"
    SUPPLIER_PARTNERSHIP = "supplier-partnership"
    ECOSYSTEM_ALLIANCE = "ecosystem-alliance"


MECHANISMS = (
    "prepaid",
    "milestones",
    "cost-plus",
    "volume",
    "convertible",
    "sla",
    "gainshare",
    "innovation-bonus",
    "revenue-share",
)
"""The ways money moves, each a section of the deal file."""

STRUCTURE_NEEDS: dict[Structure, tuple[frozenset[str], ...]] = {
    Structure.PREPAID_DEVELOPMENT_FEE: (frozenset({"prepaid"}),),
    Structure.MILESTONE_FUNDING: (frozenset({"milestones"}),),
    Structure.COST_PLUS_REIMBURSEMENT: (frozenset({"cost-plus"}),),
    Structure.VOLUME_COMMITMENT_REBATE: (frozenset({"volume"}),),
    Structure.CONVERTIBLE_SUPPORT: (frozenset({"convertible"}),),
    Structure.TRADITIONAL_PURCHASE: (),
    Structure.MILESTONE_SHARED_INVOICING: (frozenset({"milestones"}),),
    Structure.SLA_MANAGED_SERVICE: (frozenset({"sla"}),),
    Structure.GAINSHARE: (frozenset({"gainshare"}),),
    Structure.INNOVATION_PARTNERSHIP: (frozenset({"innovation-bonus", "revenue-share"}),),
    Structure.JOINT_DEVELOPMENT: (frozenset({"milestones"}),),
    Structure.SUPPLIER_PARTNERSHIP: (frozenset({"milestones", "volume", "sla"}),),
    Structure.ECOSYSTEM_ALLIANCE: (frozenset({"revenue-share", "innovation-bonus"}),),
}
"""Per structure, the mechanisms it needs: one of each set must be present (P609)."""


# --- parties and people ---------------------------------------------------------------------


class Party(Model):
    id: Slug
    name: Text
    role: Literal["buyer", "supplier", "financier"]


class Person(Model):
    id: Slug
    party: Slug
    name: Text
    duties: list[Duty] = []
    email: str | None = None


# --- scope and business case ----------------------------------------------------------------


class Timeline(Model):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Timeline:
        if self.end < self.start:
            raise ValueError("the timeline ends before it starts")
        return self


class Scope(Model):
    problem: str | None = None
    deliverable: str | None = None
    contributions: dict[Slug, list[Text]] = {}
    success: str | None = None
    timeline: Timeline | None = None


class Flow(Model):
    party: Slug
    label: Text
    amount: Amount
    every: Frequency = "once"
    from_: date = Field(alias="from")
    to: date | None = None


class BusinessCase(Model):
    horizon_months: Annotated[int, Field(gt=0, le=600)] = 60
    discount_rate: Percent | None = None
    flows: list[Flow] = []


# --- phases, funding and milestones ---------------------------------------------------------


class Gate(Model):
    deciders: list[Slug] = []


class Phase(Model):
    id: Slug
    description: str | None = None
    cost: Amount | None = None
    pilot: bool = False
    gate: Gate | None = None


class Funding(Model):
    phase: Slug
    shares: dict[Slug, Percent]


class Acceptance(Model):
    criteria: list[Text] = []
    evidence: list[Slug] = []
    signoff: Slug | None = None
    review_days: Annotated[int, Field(ge=0, le=365)] | None = None
    deemed_accepted: bool | None = None
    escalate_to: Slug | None = None


class Milestone(Model):
    id: Slug
    phase: Slug | None = None
    description: str | None = None
    payment: Percent | None = None
    amount: Amount | None = None
    due: date | None = None
    payee: Slug | None = None
    acceptance: Acceptance | None = None
    cure_days: Annotated[int, Field(ge=0, le=3650)] | None = None

    @model_validator(mode="after")
    def _one_price(self) -> Milestone:
        if self.payment is not None and self.amount is not None:
            raise ValueError("give either payment (a percentage of value) or amount, not both")
        return self


# --- SLA-linked service ---------------------------------------------------------------------


class Site(Model):
    id: Slug
    timezone: Annotated[str, AfterValidator(_timezone)]
    rated_kw: Amount | None = None
    usable_kwh: Amount | None = None


class Fee(Model):
    amount: Amount
    every: Frequency = "month"


class CreditTier(Model):
    below: Threshold | None = None
    above: Threshold | None = None
    credit: Percent

    @model_validator(mode="after")
    def _one_condition(self) -> CreditTier:
        if (self.below is None) == (self.above is None):
            raise ValueError("a credit tier needs exactly one of below or above")
        return self


class BonusTier(Model):
    at_least: Threshold | None = None
    at_most: Threshold | None = None
    bonus: Percent

    @model_validator(mode="after")
    def _one_condition(self) -> BonusTier:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("a bonus tier needs exactly one of at-least or at-most")
        return self


Measure = Literal[
    "availability",
    "ride-through",
    "time-to-repair",
    "response-time",
    "monitoring-uptime",
    "fuel-efficiency",
    "battery-cycles",
    "peak-demand",
    "on-time-delivery",
]


class Metric(Model):
    id: Slug
    measure: Measure
    source: Slug | None = None
    target: Threshold | None = None
    stat: Literal["mean", "p90", "max"] | None = None
    exclude: list[Slug] = []
    credits: list[CreditTier] = []
    bonuses: list[BonusTier] = []


class Sla(Model):
    period: Literal["month", "quarter"] = "month"
    from_: date | None = Field(default=None, alias="from")
    sites: list[Site] = []
    unknown: Literal["down", "up"] = "down"
    gap_tolerance: Duration | None = None
    fee: Fee | None = None
    credit_cap: Percent | None = None
    metrics: list[Metric] = []


# --- gainshare ------------------------------------------------------------------------------


class BaselineModel(Model):
    kind: Literal["caltrack-daily", "caltrack-billing", "linear"]
    drivers: list[Slug] = []
    grain: Literal["day", "month"] | None = None
    max_cvrmse: Percent | None = None
    max_nmbe: Percent | None = None


class Baseline(Model):
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    sources: list[Slug] = []
    locked: date | None = None
    rebaseline: Literal["mutual", "buyer", "supplier", "none"] | None = None


class Gainshare(Model):
    measure: Slug
    from_: date | None = Field(default=None, alias="from")
    model: BaselineModel | None = None
    base_fee: Fee | None = None
    price: Amount | None = None
    share: dict[Slug, Percent] = {}
    cap: Amount | None = None
    baseline: Baseline | None = None


# --- other mechanisms -----------------------------------------------------------------------


class Prepaid(Model):
    amount: Amount
    due: date | None = None
    refund_rights: Literal["none", "deliverable-based", "unused-funds"] | None = None


class CostPlus(Model):
    cap: Amount | None = None
    markup: Percent | None = None
    overruns: Literal["prior-written-approval", "notify", "none"] | None = None
    evidence: list[Slug] = []


class RebateTier(Model):
    at_least: Amount
    rebate: Percent


class Volume(Model):
    commitment: Amount
    unit: Text
    per: Literal["month", "quarter", "year"] = "year"
    term_months: Annotated[int, Field(gt=0)] | None = None
    price: Amount | None = None
    rebate: list[RebateTier] = []
    forecast: Literal["rolling-monthly", "rolling-quarterly", "annual", "none"] | None = None
    true_up: Literal["monthly", "quarterly", "annual", "none"] | None = None


class Convertible(Model):
    amount: Amount
    converts_to: Literal["service-credits", "equity", "discount", "cash"] | None = None
    formula: str | None = None
    windows: list[date] = []


class InnovationBonus(Model):
    id: Slug
    amount: Amount
    when: Text


class RevenueShare(Model):
    party: Slug
    share: Percent
    of: Text
    reporting: Literal["monthly", "quarterly", "annual"] | None = None
    audit: bool | None = None


class Candidate(Model):
    id: Slug
    score: Amount


class Selection(Model):
    candidates: list[Candidate] = []
    criteria: dict[Slug, Percent] = {}


# --- intellectual property ------------------------------------------------------------------


class IpItem(Model):
    item: Text
    kind: Literal["data", "software", "patent", "design", "process", "know-how", "other"] = "other"


class FieldOwner(Model):
    field: Text
    owner: Slug


class JointTerms(Model):
    consent_to_license: str | None = None
    enforcement: str | None = None


class LicenseBack(Model):
    to: Slug
    scope: Literal["exclusive", "non-exclusive"] = "non-exclusive"
    field: str | None = None
    region: str | None = None
    months: Annotated[int, Field(gt=0)] | None = None


class Foreground(Model):
    model: Literal["sole", "joint", "field-split"] | None = None
    owner: Slug | None = None
    fields: list[FieldOwner] = []
    joint_terms: JointTerms | None = None
    license_back: LicenseBack | None = None


class Exclusivity(Model):
    holder: Slug
    field: str | None = None
    region: str | None = None
    customers: str | None = None
    months: Annotated[int, Field(gt=0)] | None = None


class Ip(Model):
    background: dict[Slug, list[IpItem]] = {}
    foreground: Foreground | None = None
    exclusivity: Exclusivity | None = None


# --- exit -----------------------------------------------------------------------------------


class MissedMilestone(Model):
    after_cure: bool = True


class Convenience(Model):
    by: list[Slug] = []
    notice_days: Annotated[int, Field(ge=0)] | None = None


class ByParties(Model):
    by: list[Slug] = []


class Triggers(Model):
    missed_milestone: MissedMilestone | None = None
    convenience: Convenience | None = None
    change_of_control: ByParties | None = None
    insolvency: ByParties | None = None


class PrepaidRefund(Model):
    unused: bool = False
    deduction_cap: Percent | None = None


class OnExit(Model):
    foreground_ip: str | None = None
    tooling: str | None = None
    inventory: str | None = None
    unfinished_work: str | None = None
    documentation: str | None = None
    source_materials: str | None = None
    customer_transition: str | None = None
    licenses_survive: bool | None = None
    confidential_data: Literal["return-or-destroy", "return", "destroy", "retain"] | None = None


class Exit(Model):
    triggers: Triggers | None = None
    prepaid_refund: PrepaidRefund | None = None
    on_exit: OnExit | None = None


# --- governance and risk --------------------------------------------------------------------


class ChangeControl(Model):
    threshold: Amount | None = None
    approvers: list[Slug] = []


class Renegotiation(Model):
    when: Text


class Governance(Model):
    cadence: Literal["weekly", "biweekly", "monthly", "quarterly"] | None = None
    steering: list[Slug] = []
    veto: list[Slug] = []
    escalation: list[Text] = []
    disputes: str | None = None
    renegotiation: list[Renegotiation] = []
    decision_log: bool | None = None


class Confidentiality(Model):
    need_to_know: bool = False
    access_log: bool = False
    return_or_destroy: bool = False


class Liability(Model):
    cap: Amount | Text | None = None
    carve_outs: list[Text] = []


class RiskControls(Model):
    confidentiality: Confidentiality | None = None
    audit_rights: bool | None = None
    liability: Liability | None = None
    insurance: list[Text] = []
    indemnity: list[Text] = []
    reserve: Percent | None = None


class Risk(Model):
    id: Slug
    risk: Text
    likelihood: Level
    impact: Level
    owner: Slug | None = None
    mitigation: str | None = None


class Ignore(Model):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{3}$")]
    reason: Annotated[str, StringConstraints(min_length=3)]


# --- the deal -------------------------------------------------------------------------------


class Deal(Model):
    """One agreement between a buyer and its suppliers (DESIGN §3)."""

    copact: Literal[1]
    id: Slug
    title: Text
    structure: Structure
    currency: Annotated[str, AfterValidator(_currency)]
    effective: date
    calendar: Annotated[str, AfterValidator(_calendar)] | None = None
    parties: Annotated[list[Party], Field(min_length=1)]
    people: list[Person] = []
    scope: Scope | None = None
    business_case: BusinessCase | None = None
    value: Amount | None = None
    payment_terms: Annotated[int, Field(ge=0, le=365)] = 30
    phases: list[Phase] = []
    funding: list[Funding] = []
    milestones: list[Milestone] = []
    prepaid: Prepaid | None = None
    cost_plus: CostPlus | None = None
    volume: Volume | None = None
    convertible: Convertible | None = None
    sla: Sla | None = None
    gainshare: Gainshare | None = None
    innovation_bonus: list[InnovationBonus] = []
    revenue_share: RevenueShare | None = None
    selection: Selection | None = None
    ip: Ip | None = None
    exit: Exit | None = None
    change_control: ChangeControl | None = None
    governance: Governance | None = None
    risk_controls: RiskControls | None = None
    risks: list[Risk] = []
    ignore: list[Ignore] = []

    # -- lookups used by rules, schedules and settlements --

    @property
    def money_currency(self) -> Currency:
        return Currency.of(self.currency)

    def money(self, amount: Decimal | int) -> Money:
        return Money.of(amount, self.money_currency)

    def party(self, party_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == party_id), None)

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def phase(self, phase_id: str) -> Phase | None:
        return next((p for p in self.phases if p.id == phase_id), None)

    def parties_with_role(self, role: str) -> list[Party]:
        return [p for p in self.parties if p.role == role]

    @property
    def buyers(self) -> list[Party]:
        return self.parties_with_role("buyer")

    @property
    def suppliers(self) -> list[Party]:
        return self.parties_with_role("supplier")

    def role_of_person(self, person_id: str) -> str | None:
        person = self.person(person_id)
        party = self.party(person.party) if person else None
        return party.role if party else None

    def people_with_duty(self, duty: str) -> list[Person]:
        return [p for p in self.people if duty in p.duties]

    def funding_share(self, phase_id: str | None, party_id: str) -> Percent | None:
        """The share of a phase's cost that ``party_id`` bears, or None when no entry says."""
        for entry in self.funding:
            if entry.phase == phase_id:
                return entry.shares.get(party_id, Percent(Decimal(0)))
        return None

    @property
    def mechanisms(self) -> list[str]:
        """The mechanism sections present, in catalogue order."""
        present = {
            "prepaid": self.prepaid is not None,
            "milestones": bool(self.milestones),
            "cost-plus": self.cost_plus is not None,
            "volume": self.volume is not None,
            "convertible": self.convertible is not None,
            "sla": self.sla is not None,
            "gainshare": self.gainshare is not None,
            "innovation-bonus": bool(self.innovation_bonus),
            "revenue-share": self.revenue_share is not None,
        }
        return [m for m in MECHANISMS if present[m]]
