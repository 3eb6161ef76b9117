"""Change orders: who must approve an amendment, and the amendment itself (a JSON Merge Patch).

DESIGN §2: above the change-control threshold a change order needs every named approver (the
deal names them from both sides); at or below it, someone of each party. Proposing counts as
the proposer's approval. The change is approved the moment the last approval arrives; the
service then stores the patched deal as the next version::

    change-control: {threshold: 5000, approvers: [ana, sam]}
    sam proposes +7,500 → needs ana       ana approves → approved, version 2
    sam proposes +2,000 → needs someone of acme (ana, or any other acme person)

The patch follows RFC 7386: objects merge key by key, ``null`` removes a key, anything else
(a list included) replaces the value whole.

An amendment cannot take back what the journal already holds (:func:`protected_changes`): a
milestone that was submitted, accepted or invoiced stays in the deal; an invoiced milestone
keeps its ``payment``/``amount`` and its invoice amount (so no change of value or funding
share re-prices it); the currency stays once money moved (a payment or an invoice). The
service also refuses an amendment that makes ``copact check`` report an error the deal did
not have.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from copact.core.bounds import check_amount
from copact.core.deal import Deal
from copact.core.events import ChangeApproved, ChangeProposed, ChangeRejected, day_of
from copact.core.invoicing import invoice_amounts
from copact.errors import RefusedCommand

__all__ = [
    "ChangeState",
    "apply_change_event",
    "approve_change",
    "change_after",
    "merge_patch",
    "missing_approvals",
    "needs_named_approvers",
    "priced_keys",
    "propose_change",
    "protected_changes",
    "reject_change",
]

At = date | datetime


@dataclass(frozen=True)
class ChangeState:
    id: str
    status: Literal["proposed", "approved", "rejected"]
    proposed_by: str
    proposed_on: date
    amount: Decimal | None
    patch: dict[str, Any] | None
    approvals: tuple[str, ...] = ()
    decided_on: date | None = None


def above_threshold(deal: Deal, amount: Decimal | None) -> bool:
    """Whether a change of ``amount`` needs the named approvers. A deal that names approvers
    but no threshold sends every change to them."""
    control = deal.change_control
    if control is None or not control.approvers:
        return False
    if control.threshold is None:
        return True
    return abs(amount or Decimal(0)) > control.threshold


UNPRICED = frozenset({"title", "scope", "business-case", "risks", "risk-controls", "ignore"})
"""The parts of a deal that price no money and name nobody who decides: a patch of these alone
is weighed by the amount its proposer gives. A patch of anything else (a price, a milestone, the
advance, a mechanism, exit terms, parties, people, change control itself) changes what the
deal invoices or who decides it, by an amount no proposer can be taken at their word for."""


def priced_keys(change: ChangeState) -> list[str]:
    """The top-level keys of ``change``'s patch outside :data:`UNPRICED`, sorted."""
    return sorted(k for k in (change.patch or {}) if k not in UNPRICED)


def needs_named_approvers(deal: Deal, change: ChangeState) -> bool:
    """Whether ``change`` needs the deal's named approvers: above the threshold by its amount,
    or patching anything that prices money or decides who decides, whatever amount it gives."""
    if above_threshold(deal, change.amount):
        return True
    control = deal.change_control
    return bool(control and control.approvers and priced_keys(change))


def missing_approvals(deal: Deal, change: ChangeState) -> list[str]:
    """Who still has to approve: the named approvers when the change needs them
    (:func:`needs_named_approvers`), else ``someone of PARTY``."""
    if needs_named_approvers(deal, change):
        assert deal.change_control is not None
        return [p for p in deal.change_control.approvers if p not in change.approvals]
    approving = {person.party for p in change.approvals if (person := deal.person(p)) is not None}
    return [f"someone of {party.id}" for party in deal.parties if party.id not in approving]


def _party_of(deal: Deal, person: str) -> str:
    found = deal.person(person)
    if found is None:
        raise RefusedCommand(f"{person!r} is not a person of {deal.id}")
    return found.party


def propose_change(
    deal: Deal,
    changes: Mapping[str, ChangeState],
    *,
    change: str,
    amount: Decimal | None,
    patch: dict[str, Any] | None,
    by: str,
    at: At,
) -> list[ChangeProposed]:
    """A person of the deal proposes an amendment; its id is new and it changes something.

    ``amount`` is what the change adds to the contract's price, in the deal's currency:
    positive when the buyer will pay more (extra scope), negative when it will pay less (scope
    removed, a credit); its size decides whether the change-control threshold applies, and it is
    bounded like every amount (``core.bounds``)."""
    _party_of(deal, by)
    if amount is not None:
        check_amount(deal, amount, what="a change order's amount", signed=True)
    if change in changes:
        raise RefusedCommand(
            f"change {change} was already proposed on {changes[change].proposed_on}"
        )
    if not patch and amount is None:
        raise RefusedCommand("a change order changes something: give a patch or an amount")
    if patch and "id" in patch:
        raise RefusedCommand("a change order cannot change the deal's id")
    return [ChangeProposed(at=at, deal=deal.id, change=change, amount=amount, patch=patch, by=by)]


def _pending(changes: Mapping[str, ChangeState], change: str) -> ChangeState:
    current = changes.get(change)
    if current is None:
        known = ", ".join(changes) or "none"
        raise RefusedCommand(f"no change {change!r} was proposed (changes: {known})")
    if current.status != "proposed":
        raise RefusedCommand(
            f"change {change} was already {current.status} on {current.decided_on}"
        )
    return current


def approve_change(
    deal: Deal, changes: Mapping[str, ChangeState], *, change: str, by: str, at: At
) -> list[ChangeApproved]:
    """An approval by someone whose approval the change still needs."""
    current = _pending(changes, change)
    party = _party_of(deal, by)
    if by in current.approvals:
        raise RefusedCommand(f"{by} has already approved change {change}")
    missing = missing_approvals(deal, current)
    named = needs_named_approvers(deal, current)
    if named and by not in missing:
        why = (
            "is above the change-control threshold"
            if above_threshold(deal, current.amount)
            else f"changes what the deal prices ({', '.join(priced_keys(current))})"
        )
        raise RefusedCommand(f"change {change} {why}; it needs {', '.join(missing)}, not {by}")
    if not named and f"someone of {party}" not in missing:
        raise RefusedCommand(f"{party} has already approved change {change}")
    return [ChangeApproved(at=at, deal=deal.id, change=change, amount=current.amount, by=by)]


def reject_change(
    deal: Deal, changes: Mapping[str, ChangeState], *, change: str, by: str, at: At
) -> list[ChangeRejected]:
    """A pending change is turned down by one whose approval it needs (or withdrawn by its
    proposer)."""
    current = _pending(changes, change)
    party = _party_of(deal, by)
    missing = missing_approvals(deal, current)
    entitled = by == current.proposed_by or by in missing or f"someone of {party}" in missing
    if not entitled:
        raise RefusedCommand(
            f"{by} has no say left on change {change} (it needs {', '.join(missing)})"
        )
    return [ChangeRejected(at=at, deal=deal.id, change=change, amount=current.amount, by=by)]


def apply_change_event(
    deal: Deal,
    changes: Mapping[str, ChangeState],
    event: ChangeProposed | ChangeApproved | ChangeRejected,
) -> Mapping[str, ChangeState]:
    """The change orders after ``event`` (``changes`` itself when it changes nothing)."""
    after = change_after(deal, changes.get(event.change), event)
    if after is None:
        return changes
    return {**changes, event.change: after}


def change_after(
    deal: Deal,
    current: ChangeState | None,
    event: ChangeProposed | ChangeApproved | ChangeRejected,
) -> ChangeState | None:
    """Where ``event.change`` stands after ``event``, given where it stood (``current``), or
    ``None`` when the event changes nothing (the state fold calls this)."""
    day = day_of(event.at)
    if isinstance(event, ChangeProposed):
        if current is not None:
            return None
        proposed = ChangeState(
            event.change, "proposed", event.by, day, event.amount, event.patch, (event.by,)
        )
        return _settle(deal, proposed, day)
    if current is None or current.status != "proposed":
        return None
    if isinstance(event, ChangeRejected):
        return _replace(current, status="rejected", decided_on=day)
    approved = _replace(current, approvals=(*current.approvals, event.by))
    return _settle(deal, approved, day)


def _replace(change: ChangeState, **fields: Any) -> ChangeState:
    """``change`` with ``fields``: :func:`dataclasses.replace` without its walk over every
    field, which the fold pays on each proposal, approval and rejection of the journal."""
    made: ChangeState = object.__new__(ChangeState)
    made.__dict__.update(change.__dict__)
    made.__dict__.update(fields)
    return made


def _settle(deal: Deal, change: ChangeState, day: date) -> ChangeState:
    if missing_approvals(deal, change):
        return change
    return _replace(change, status="approved", decided_on=day)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch of ``target`` by ``patch`` (neither is modified)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def protected_changes(
    before: Deal,
    after: Deal,
    *,
    held: Mapping[str, str],
    invoiced: Collection[str],
    money_moved: bool,
) -> list[str]:
    """What an amendment from ``before`` to ``after`` would take back, one sentence each.

    ``held`` maps each milestone the journal has acted on to what happened to it (``accepted``,
    ``submitted``, ``accepted and invoiced``…); ``invoiced`` names those with an invoice;
    ``money_moved`` says whether any payment or invoice was recorded."""
    problems: list[str] = []
    kept = {m.id: m for m in after.milestones}
    for milestone, what in held.items():
        if milestone not in kept:
            problems.append(f"milestone {milestone} is {what}; an amendment cannot remove it")
    was, now = invoice_amounts(before), invoice_amounts(after)
    old = {m.id: m for m in before.milestones}
    for milestone in invoiced:
        if milestone not in kept or milestone not in old:
            continue
        terms = (old[milestone].payment, old[milestone].amount)
        if terms != (kept[milestone].payment, kept[milestone].amount):
            problems.append(
                f"milestone {milestone} was invoiced; its payment and amount cannot change"
            )
        elif was[milestone].amount != now[milestone].amount:
            problems.append(
                f"milestone {milestone} was invoiced {was[milestone].quantize().amount}; the "
                f"amendment would make it {now[milestone].quantize().amount}"
            )
    if money_moved and before.currency != after.currency:
        problems.append(
            f"money has moved in {before.currency}; the currency cannot change to {after.currency}"
        )
    return problems
