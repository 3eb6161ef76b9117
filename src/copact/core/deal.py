"""The deal file, format 1, as frozen typed values (DESIGN §3).

Keys are kebab-case in the file and snake_case here (``review-days`` is ``review_days``;
``from`` is ``from_``). Percentages are :class:`Percent`, durations :class:`Duration`, money a
``Decimal`` in the deal's currency (a float is refused), dates ``datetime.date``. Every model
refuses unknown keys, so a typo is a finding rather than a silently ignored term.

The model checks shape only. Whether references resolve and whether the deal is *sound* is
the linter's job (``copact.rules``), so that every problem can be reported at once with its place.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from copact.core.mechanisms import (
    Convertible,
    CostPlus,
    Gainshare,
    InnovationBonus,
    Prepaid,
    RevenueShare,
    Selection,
    Sla,
    Volume,
)
from copact.core.model import (
    Amount,
    Day,
    Duty,
    Model,
    Positive,
    Slug,
    Text,
    check_calendar,
    check_country,
    check_currency,
    check_iban,
)
from copact.core.money import Currency, Money
from copact.core.quantities import Percent
from copact.core.terms import ChangeControl, Exit, Governance, Ignore, Ip, Risk, RiskControls
from copact.core.work import Acceptance, BusinessCase, Funding, Milestone, Phase, Scope

__all__ = [
    "MECHANISMS",
    "STRUCTURE_NEEDS",
    "Acceptance",
    "Address",
    "Amount",
    "Deal",
    "Milestone",
    "Party",
    "PaymentInstructions",
    "Person",
    "Phase",
    "Structure",
    "Tax",
    "VatCategory",
]


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


class Address(Model):
    """A postal address, as an invoice prints it (EN 16931 BG-5 / BG-8)."""

    lines: Annotated[list[Text], Field(min_length=1, max_length=3)]
    city: Text
    postcode: str | None = None
    region: str | None = None
    country: Annotated[str, AfterValidator(check_country)]


class PaymentInstructions(Model):
    """Where a party is paid: an IBAN (with its BIC), or an account described in words."""

    iban: Annotated[str, AfterValidator(check_iban)] | None = None
    bic: Annotated[str, Field(pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")] | None = None
    account: Text | None = None  # e.g. "ABA 021000021, account 000123456789"


class Party(Model):
    """A party to the deal; what an invoice needs of it is optional here and linted (V9xx)."""

    id: Slug
    name: Text
    role: Literal["buyer", "supplier", "financier"]
    legal_name: Text | None = None  # when it differs from ``name``
    address: Address | None = None
    vat_id: Annotated[str, Field(pattern=r"^[A-Z]{2}[0-9A-Za-z+*.]{2,13}$")] | None = None
    tax_id: Text | None = None  # a tax registration that is not a VAT id (e.g. a US EIN)
    registration: Text | None = None  # the company register's id
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    payment: PaymentInstructions | None = None
    invoice_series: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,19}$")] | None = (
        None  # the prefix of the numbers this party's invoices take: ``VW-2026-`` → VW-2026-0001
    )

    @property
    def legal(self) -> str:
        return self.legal_name or self.name


VatCategory = Literal[
    "standard",  # S
    "zero-rated",  # Z
    "exempt",  # E
    "reverse-charge",  # AE
    "intra-community",  # K: intra-community supply of goods and services
    "export",  # G: export outside the EU
    "outside-scope",  # O: not subject to VAT
]
"""The VAT categories of EN 16931 (UNCL 5305), as a deal file spells them."""


class Tax(Model):
    """The deal's tax rule for its invoices: one VAT category and rate for every line."""

    category: VatCategory
    rate: Percent = Percent(Decimal(0))
    exemption_reason: Text | None = None  # required when exempt, reverse-charge, export, …


class Person(Model):
    id: Slug
    party: Slug
    name: Text
    duties: list[Duty] = []
    email: str | None = None


# --- the deal -------------------------------------------------------------------------------


class Deal(Model):
    """One agreement between a buyer and its suppliers (DESIGN §3)."""

    copact: Literal[1]
    id: Slug
    title: Text
    structure: Structure
    currency: Annotated[str, AfterValidator(check_currency)]
    effective: Day
    calendar: Annotated[str, AfterValidator(check_calendar)] | None = None
    parties: Annotated[list[Party], Field(min_length=1)]
    people: list[Person] = []
    scope: Scope | None = None
    business_case: BusinessCase | None = None
    value: Positive | None = None
    payment_terms: Annotated[int, Field(ge=0, le=365)] = 30
    tax: Tax | None = None
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

    @field_validator("value")
    @classmethod
    def _in_minor_units(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        """The deal's value is money the buyer pays: no finer than its currency's minor unit
        (``420000.001`` USD is a typo, not a price)."""
        code = info.data.get("currency")
        if value is None or not isinstance(code, str):
            return value
        digits = Currency.of(code).digits
        if value != value.quantize(Decimal(1).scaleb(-digits)):
            raise ValueError(f"{value} has more decimals than {code} allows ({digits})")
        return value

    # -- lookups used by rules, schedules and settlements --

    @property
    def money_currency(self) -> Currency:
        return Currency.of(self.currency)

    def money(self, amount: Decimal | int) -> Money:
        return Money.of(amount, self.money_currency)

    def party(self, party_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == party_id), None)

    def person(self, person_id: str) -> Person | None:
        people = self._people
        if people[0] is not self.people:  # a copy made with other people: index them again
            del self.__dict__["_people"]
            people = self._people
        return people[1].get(person_id)

    @cached_property
    def _people(self) -> tuple[list[Person], dict[str, Person]]:
        """The people by id (the first of an id, as a search would find it), made once per
        deal: the fold and the guards ask for a person on most events. Kept with the list it
        indexes, so a ``model_copy`` that gives the deal other people is not answered from
        the copied index."""
        return self.people, {p.id: p for p in reversed(self.people)}

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
