"""The JSON API's response bodies (they make its OpenAPI document; the request bodies are
the commands' own, ``copact.services.operations.Command.body``). Amounts are decimal strings,
never floats; dates are ISO."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ERRORS",
    "AccessEntryOut",
    "ChangeOut",
    "DealOut",
    "ErrorOut",
    "EvidenceOut",
    "EvidenceProblemOut",
    "ExitPreviewOut",
    "InvoiceOut",
    "MeOut",
    "MilestoneOut",
    "OutcomeOut",
    "PartyOut",
    "StateJson",
    "VerificationOut",
    "VersionOut",
]


StateJson = dict[str, Any]
"""A deal's state as ``copact state --format json`` prints it (DESIGN §11) with the dashboard's
figures: rendered from the read side's views once, by ``copact.services.views_json``."""


class OutcomeOut(BaseModel):
    deal: str
    version: int | None
    events: list[dict[str, Any]]


class MeOut(BaseModel):
    username: str
    name: str
    party: str
    role: str
    person: str | None


class PartyOut(BaseModel):
    id: str
    name: str
    role: str


class DealOut(BaseModel):
    id: str
    title: str
    version: int
    events: int
    currency: str
    parties: list[PartyOut]
    status: Literal["running", "ending", "ended"] = Field(
        default="running", description="ending: an exit recorded, in its notice period"
    )
    exit_effective: date | None = Field(
        default=None, description="The day the recorded exit takes (or took) effect"
    )


class VersionOut(BaseModel):
    version: int
    sha256: str
    created: datetime


class MilestoneOut(BaseModel):
    id: str
    phase: str | None
    description: str | None
    due: date | None
    state: str
    deemed: bool
    submitted_on: date | None
    accepted_on: date | None
    review_until: date | None
    cure_until: date | None
    invoiced: bool
    amount: str
    invoice_amount: str
    signoff: str | None
    criteria: list[str]
    evidence_kinds: list[str]
    late_days: int
    evidence_not_held: list[str] = Field(
        default=[], description="SHA-256 of submitted files this workspace does not hold"
    )


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    sha256: str
    name: str
    kind: str
    size: int
    media_type: str
    confidential_to: str | None
    added_by: str


class InvoiceLineOut(BaseModel):
    for_: str = Field(alias="for")
    amount: str
    evidence: list[str]


class InvoiceOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    number: str
    kind: Literal["invoice", "prepayment", "credit-note"] = Field(
        description="invoice: a milestone's (type 380); prepayment: the prepaid advance's "
        "(type 386, one line for: prepaid), which milestone invoices deduct; credit-note: "
        "money the supplier gives back (type 381, one line for its kind: exit, rebate, "
        "true-up or revenue-share), paid out by its issuer with a payment for its number"
    )
    date: str
    from_: str = Field(alias="from")
    to: str
    lines: list[InvoiceLineOut]
    total: str = Field(description="What the buyer owes: the lines plus the VAT")
    tax: str = Field(description="The VAT charged on the lines (0 when none)")
    due: str
    overdue: bool
    status: Literal["open", "part-paid", "paid", "netted"] = Field(
        description="netted: an exit took effect and its settlement netted what was "
        "outstanding against the buyer's unused payments; nothing is paid for it any more"
    )
    from_advance: str
    due_in_cash: str
    paid: str
    netted: str = Field(
        description="What an exit's settlement netted of the outstanding (0 while the deal "
        "runs): total = from_advance + paid + netted + outstanding"
    )
    outstanding: str


class ChangeOut(BaseModel):
    id: str
    status: str
    proposed_by: str
    proposed_on: date
    amount: str | None
    patch: dict[str, Any] | None
    approvals: list[str]
    missing: list[str]
    decided_on: date | None


class ExitPreviewOut(BaseModel):
    trigger: str
    on: date
    open: bool
    why: str
    settlement: dict[str, Any] | None
    recorded: bool = Field(
        default=False, description="The journal records this exit: the deal has ended (or ends)"
    )


class EvidenceProblemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    sha256: str
    name: str
    problem: Literal["missing", "altered", "not held"]
    used_by: list[str]


class VerificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    ok: bool
    count: int
    head: str
    first_bad: int | None
    reason: str
    versions: int = Field(description="Deal versions whose text was re-hashed")
    evidence_checked: int = Field(description="Evidence files re-hashed (0 when skipped)")
    evidence_skipped: bool
    not_held: int = Field(description="Files submissions name that this workspace never had")
    evidence_problems: list[EvidenceProblemOut] = Field(
        description="Each file missing, altered or not held that you may see"
    )


class AccessEntryOut(BaseModel):
    at: datetime
    user: str | None
    party: str | None
    deal: str | None
    action: str
    object: str
    outcome: str
    ip: str | None
    detail: str


class ErrorOut(BaseModel):
    """Why a request was not done: a sentence, or for malformed input the fields at fault."""

    detail: str | list[dict[str, Any]]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The request could not be read"},
    401: {"model": ErrorOut, "description": "No valid session or API token"},
    403: {"model": ErrorOut, "description": "Your role may not do this"},
    404: {"model": ErrorOut, "description": "No such object that your party may see"},
    409: {"model": ErrorOut, "description": "The deal's state does not allow it; says why"},
    413: {"model": ErrorOut, "description": "The upload is over the size limit"},
    422: {
        "model": ErrorOut,
        "description": "Malformed input, content that cannot be evidence of its kind, or an "
        "Idempotency-Key used before with another body",
    },
    429: {"model": ErrorOut, "description": "Too many requests"},
}
