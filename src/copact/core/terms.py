"""Intellectual property, exit, governance and risk terms."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from copact.core.model import Level, Model, NonNegative, Slug, Text
from copact.core.quantities import Percent

__all__ = [
    "ByParties",
    "ChangeControl",
    "Confidentiality",
    "Convenience",
    "Exclusivity",
    "Exit",
    "FieldOwner",
    "Foreground",
    "Governance",
    "Ignore",
    "Ip",
    "IpItem",
    "JointTerms",
    "Liability",
    "LicenseBack",
    "MissedMilestone",
    "OnExit",
    "PrepaidRefund",
    "Renegotiation",
    "Risk",
    "RiskControls",
    "Triggers",
]


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
    notice_days: Annotated[int, Field(ge=0, le=3650)] | None = None  # as cure-days


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
    threshold: NonNegative | None = None
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
    cap: NonNegative | Text | None = None
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
