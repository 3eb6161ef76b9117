"""The mechanism sections: SLA, gainshare, prepaid, cost-plus, volume, convertible, bonuses,
revenue share, and the supplier selection that led to the deal."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from copact.core.model import (
    Day,
    Frequency,
    Model,
    NonNegative,
    Positive,
    Slug,
    Text,
    Threshold,
    check_timezone,
)
from copact.core.quantities import Duration, Percent

__all__ = [
    "Baseline",
    "BaselineModel",
    "BonusTier",
    "Candidate",
    "Convertible",
    "CostPlus",
    "CreditTier",
    "Fee",
    "Gainshare",
    "InnovationBonus",
    "Measure",
    "Metric",
    "Prepaid",
    "RebateTier",
    "RevenueShare",
    "Selection",
    "Site",
    "Sla",
    "Volume",
]


class Site(Model):
    id: Slug
    timezone: Annotated[str, AfterValidator(check_timezone)]
    rated_kw: Positive | None = None
    usable_kwh: Positive | None = None


class Fee(Model):
    amount: NonNegative
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
    from_: Day | None = Field(default=None, alias="from")
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
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None
    sources: list[Slug] = []
    locked: Day | None = None
    hash: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")] | None = None
    """The hash `copact baseline` printed for the fit both sides locked; a fit that differs is
    refused until a change order both sides approve writes the new hash into the deal."""
    rebaseline: Literal["mutual", "buyer", "supplier", "none"] | None = None


class Gainshare(Model):
    measure: Slug
    from_: Day | None = Field(default=None, alias="from")
    model: BaselineModel | None = None
    base_fee: Fee | None = None
    price: Positive | None = None
    share: dict[Slug, Percent] = {}
    cap: NonNegative | None = None
    baseline: Baseline | None = None


# --- other mechanisms -----------------------------------------------------------------------


class Prepaid(Model):
    amount: Positive
    due: Day | None = None
    refund_rights: Literal["none", "deliverable-based", "unused-funds"] | None = None


class CostPlus(Model):
    cap: NonNegative | None = None
    markup: Percent | None = None
    overruns: Literal["prior-written-approval", "notify", "none"] | None = None
    evidence: list[Slug] = []


class RebateTier(Model):
    at_least: NonNegative
    rebate: Percent


class Volume(Model):
    commitment: Positive
    unit: Text
    per: Literal["month", "quarter", "year"] = "year"
    term_months: Annotated[int, Field(gt=0)] | None = None
    price: Positive | None = None
    rebate: list[RebateTier] = []
    forecast: Literal["rolling-monthly", "rolling-quarterly", "annual", "none"] | None = None
    true_up: Literal["monthly", "quarterly", "annual", "none"] | None = None
    # volume commitment: when its contract years start and what a year below the commitment owes
    from_: Day | None = Field(default=None, alias="from")
    """The first day of the first contract year (the deal's ``effective`` date when not given);
    each contract year runs ``per`` from the first of that month."""
    shortfall: Literal["invoice", "none"] = "none"
    """``invoice``: a contract year below the commitment is invoiced (commitment − quantity) ×
    price at its true-up; ``none``: the commitment binds no payment."""


class Convertible(Model):
    amount: Positive
    converts_to: Literal["service-credits", "equity", "discount", "cash"] | None = None
    formula: str | None = None
    windows: list[date] = []


class InnovationBonus(Model):
    id: Slug
    amount: Positive
    when: Text
    signoff: Slug | None = None
    """The buyer's person who approves a claim that the condition holds (any person of the
    buyer when not named)."""
    evidence: list[Slug] = []
    """The kinds of evidence a claim must carry (e.g. ``baseline-report``)."""


class RevenueShare(Model):
    party: Slug
    share: Percent
    of: Text
    reporting: Literal["monthly", "quarterly", "annual"] | None = None
    audit: bool | None = None


class Candidate(Model):
    id: Slug
    score: NonNegative


class Selection(Model):
    candidates: list[Candidate] = []
    criteria: dict[Slug, Percent] = {}
    # supplier selection: what `copact select --write` records (Q803 checks it)
    chosen: Slug | None = None
    """The candidate chosen (a party of the deal: the supplier who signs)."""
    reason: Text | None = None
    """Why, when the buyer gives a reason (needed when the chosen is not ranked first)."""
