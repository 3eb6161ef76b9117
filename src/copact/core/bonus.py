"""Innovation bonuses: claimed with evidence, approved by the buyer's named person, invoiced
once (issue 15 §4).

A bonus of the deal (``innovation-bonus: [{id, amount, when, signoff, evidence}]``) is paid
when a measured outcome is reached. Three steps, each a guard here:

1. :func:`claim_bonus`: a person of the supplier claims it with evidence that ``when`` holds
   (the ``copact baseline`` report that shows fuel per outage hour 15% below the baseline),
   every kind the bonus names among it. One claim is open at a time.
2. :func:`review_bonus`: the bonus's ``signoff`` (a person of the buyer; any person of the
   buyer when the deal names none) approves or rejects the claim. A rejection gives reasons
   and the supplier may claim again; an approval is final.
3. :func:`invoice_bonus`: the approved bonus's invoice, issued with the approval in the same
   transaction, once: one line ``for: bonus:<id>`` at the bonus's amount, VAT by the deal's
   rule, due after the payment terms.

Worked example (a ``performance-bonus`` of 25,000.00 at 21% VAT): claimed by the supplier's
engineer with the baseline report, approved by the buyer's owner, invoiced 25,000.00 + 5,250.00
= 30,250.00. The bonus is never drawn from the prepaid advance (it funds the milestones), and
an exit settlement counts it as earned once invoiced.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from copact.core.deal import Deal
from copact.core.events import BonusClaimed, BonusReviewed, EvidenceRef, Invoice, InvoiceLine
from copact.core.invoicing import buyer_of, line_for, only_supplier, period_invoice, person_of
from copact.core.mechanisms import InnovationBonus
from copact.core.money import Money
from copact.errors import NothingToDo, RefusedCommand

if TYPE_CHECKING:
    from copact.core.state import DealState

__all__ = ["BonusState", "bonus_line", "claim_bonus", "invoice_bonus", "review_bonus"]

BonusStatus = Literal["claimed", "approved", "rejected"]
At = date | datetime


@dataclass(frozen=True, slots=True)
class BonusState:
    """Where one bonus stands: its latest claim and what became of it."""

    id: str
    status: BonusStatus
    claim: BonusClaimed
    reviewed_by: str | None = None
    reviewed_on: date | None = None
    reasons: tuple[str, ...] = ()
    invoice: str | None = None  # its invoice's number, once issued


def bonus_line(bonus: str) -> str:
    """An invoice line ``for`` a bonus: ``bonus:performance-bonus``."""
    return line_for("bonus", bonus)


def _bonus(deal: Deal, bonus: str) -> InnovationBonus:
    for spec in deal.innovation_bonus:
        if spec.id == bonus:
            return spec
    named = ", ".join(b.id for b in deal.innovation_bonus) or "none"
    raise RefusedCommand(f"{deal.id} has no innovation bonus {bonus!r} (its bonuses: {named})")


def claim_bonus(
    deal: Deal,
    state: DealState,
    *,
    bonus: str,
    evidence: list[EvidenceRef],
    by: str,
    at: At,
) -> list[BonusClaimed]:
    spec = _bonus(deal, bonus)
    supplier = only_supplier(deal, f"bonus {bonus!r}")
    party = person_of(deal, by)
    if party != supplier:
        raise RefusedCommand(f"{by} of {party} cannot claim {bonus}; {supplier} claims it")
    earlier = state.bonuses.get(bonus)
    if earlier is not None and earlier.status == "approved":
        raise NothingToDo(f"{bonus} was approved on {earlier.reviewed_on}: it is paid once")
    if earlier is not None and earlier.status == "claimed":
        raise RefusedCommand(f"{bonus} was claimed on {earlier.claim.day} and awaits its review")
    if not evidence:
        raise RefusedCommand(f"a claim of {bonus} needs evidence that {spec.when!s} holds")
    missing = sorted(set(spec.evidence) - {e.kind for e in evidence})
    if missing:
        raise RefusedCommand(f"a claim of {bonus} needs evidence of kind {', '.join(missing)}")
    return [BonusClaimed(at=at, deal=deal.id, bonus=bonus, evidence=evidence, by=by)]


def review_bonus(
    deal: Deal,
    state: DealState,
    *,
    bonus: str,
    decision: Literal["approved", "rejected"],
    reasons: list[str],
    by: str,
    at: At,
) -> list[BonusReviewed]:
    spec = _bonus(deal, bonus)
    standing = state.bonuses.get(bonus)
    if standing is None or standing.status == "rejected":
        raise RefusedCommand(f"{bonus} has no open claim to review")
    if standing.status == "approved":
        raise NothingToDo(f"{bonus} is already approved ({standing.reviewed_by})")
    party = person_of(deal, by)
    buyer = buyer_of(deal)
    if spec.signoff is not None and by != spec.signoff:
        raise RefusedCommand(f"{spec.signoff} signs off {bonus}, not {by}")
    if party != buyer:
        raise RefusedCommand(f"{by} of {party} cannot review {bonus}; a person of {buyer} does")
    if decision == "rejected" and not reasons:
        raise RefusedCommand(f"say why {bonus}'s claim is rejected (reasons)")
    return [
        BonusReviewed(at=at, deal=deal.id, bonus=bonus, decision=decision, reasons=reasons, by=by)
    ]


def invoice_bonus(
    deal: Deal, state: DealState, *, period: str, number: str, at: At
) -> list[Invoice]:
    """The approved bonus ``period`` (its id: the line's period part)'s invoice, once."""
    spec = _bonus(deal, period)
    standing = state.bonuses.get(period)
    if standing is None or standing.status != "approved":
        raise RefusedCommand(f"{period} is not approved: nothing to invoice")
    if standing.invoice is not None:
        raise NothingToDo(f"{period} is already invoiced ({standing.invoice})")
    if number in state.invoice_numbers:
        raise RefusedCommand(f"invoice number {number} is already used")
    net = Money.of(spec.amount, deal.currency).quantize()
    if net.amount <= 0:
        raise NothingToDo(f"{period} is worth nothing to invoice")
    return [
        period_invoice(
            deal,
            number=number,
            from_=only_supplier(deal, f"bonus {period!r}"),
            to=buyer_of(deal),
            lines=[InvoiceLine(for_=bonus_line(period), amount=net.amount)],
            at=at,
        )
    ]
