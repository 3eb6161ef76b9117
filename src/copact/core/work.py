"""Scope, business case, phases, funding and milestones: the work and what it pays."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from copact.core.model import Day, Figure, Frequency, Model, NonNegative, Positive, Slug, Text
from copact.core.quantities import Percent

__all__ = [
    "Acceptance",
    "BusinessCase",
    "Flow",
    "Funding",
    "Gate",
    "Milestone",
    "Phase",
    "Scope",
    "Timeline",
]


class Timeline(Model):
    start: Day
    end: Day

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
    amount: Figure
    every: Frequency = "once"
    from_: Day = Field(alias="from")
    to: Day | None = None


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
    cost: NonNegative | None = None
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
    amount: Positive | None = None
    due: Day | None = None
    payee: Slug | None = None
    acceptance: Acceptance | None = None
    cure_days: Annotated[int, Field(ge=0, le=3650)] | None = None

    @model_validator(mode="after")
    def _one_price(self) -> Milestone:
        if self.payment is not None and self.amount is not None:
            raise ValueError("give either payment (a percentage of value) or amount, not both")
        return self
