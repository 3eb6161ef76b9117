"""Read use cases shared by the API and the pages: each takes the guard's deal and answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from copact.core.changes import missing_approvals
from copact.core.deal import Deal
from copact.core.events import dump_event
from copact.core.settlement import (
    TRIGGERS,
    open_triggers,
    settle_exit,
    settlement_of,
    settlement_to_json,
)
from copact.core.state import DealState, deal_state
from copact.errors import RefusedCommand
from copact.services.workspace import ConcurrentChange, Outcome, Workspace
from copact.web.accounts import Principal
from copact.web.views import DealView, deal_view, invoices_json

__all__ = ["changes", "exit_preview", "invoices", "outcome_json", "run", "scoped_key", "view"]


def view(workspace: Workspace, deal: Deal, today: date) -> DealView:
    return deal_view(deal, workspace.events(deal.id), today=today)


def invoices(workspace: Workspace, deal: Deal, today: date) -> list[dict[str, Any]]:
    """The deal's invoices with where each stands today (no dashboard figures)."""
    return invoices_json(deal_state(deal, workspace.events(deal.id), on=today))


def changes(deal: Deal, state: DealState) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "status": c.status,
            "proposed_by": c.proposed_by,
            "proposed_on": c.proposed_on,
            "amount": str(c.amount) if c.amount is not None else None,
            "patch": c.patch,
            "approvals": list(c.approvals),
            "missing": missing_approvals(deal, c) if c.status == "proposed" else [],
            "decided_on": c.decided_on,
        }
        for c in state.changes.values()
    ]


def exit_preview(
    workspace: Workspace, deal: Deal, *, trigger: str, on: date, party: str
) -> dict[str, Any]:
    """What an exit by ``trigger`` invoked on ``on`` by ``party`` would settle, or why it is
    not open then; once the journal records an exit, that exit and its settlement
    (``recorded``: every trigger is closed from then on)."""
    if trigger not in TRIGGERS:
        raise RefusedCommand(f"unknown trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
    events = workspace.events(deal.id)
    recorded = settlement_of(deal, events)
    if recorded is not None:  # the deal has ended (or will, after notice): show its settlement
        return {
            "trigger": recorded.trigger,
            "on": recorded.on,
            "open": False,
            "why": f"closed: {recorded.by} invoked {_a(recorded.trigger)} exit on {recorded.on}, "
            f"effective {recorded.effective}",
            "settlement": settlement_to_json(recorded),
            "recorded": True,
        }
    why = open_triggers(deal, events, on=on, by=party)[trigger]
    if not why.startswith("open"):
        return {
            "trigger": trigger,
            "on": on,
            "open": False,
            "why": why,
            "settlement": None,
            "recorded": False,
        }
    settlement = settle_exit(deal, events, trigger=trigger, on=on, by=party)
    return {
        "trigger": trigger,
        "on": on,
        "open": True,
        "why": why,
        "settlement": settlement_to_json(settlement),
        "recorded": False,
    }


def _a(trigger: str) -> str:
    return f"{'an' if trigger[0] in 'aeiou' else 'a'} {trigger}"


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """The answer to a state change; a replay gives the same body (``Idempotent-Replayed``
    in the headers says it was one)."""
    return {
        "deal": outcome.deal,
        "version": outcome.version,
        "events": [
            {"seq": seq, **dump_event(e)}
            for seq, e in zip(outcome.seqs, outcome.events, strict=True)
        ],
    }


def run(
    workspace: Workspace,
    service: Callable[..., Outcome],
    command: Any,
    *,
    clock: Callable[[], Any],
    attempts: int = 4,
) -> Outcome:
    """Call one service of ``copact.services.operations`` (the same functions as the CLI).

    Two changes to one deal at the same moment (say, accepts of two different milestones)
    collide on the journal's sequence number and the later one is refused having recorded
    nothing; it is simply tried again on the new state, a few times. A change the state then
    refuses (the same milestone accepted twice) is refused with its own reason."""
    for attempt in range(attempts):
        try:
            outcome: Outcome = service(command, uow=workspace, clock=clock)
            return outcome
        except ConcurrentChange:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def scoped_key(who: Principal, key: str) -> str:
    """Idempotency keys are the client's own: two users choosing the same key do not meet."""
    return f"web:{who.user_id}:{key}"
