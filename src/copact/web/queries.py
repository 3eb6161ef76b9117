"""Read use cases shared by the API and the pages: each takes the guard's deal and answers
from the read side's views (``copact.services.views``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from copact.core.deal import Deal
from copact.core.events import dump_event
from copact.services import operations as ops
from copact.services.views import DealView, ExitPreview, deal_view
from copact.services.views import exit_preview as preview
from copact.services.workspace import ConcurrentChange, Outcome, Workspace
from copact.web.accounts import Principal
from copact.web.context import Context

__all__ = ["exit_preview", "outcome_json", "run", "scoped_key", "send", "view"]


def view(workspace: Workspace, deal: Deal, today: date) -> DealView:
    """The deal as every page and API read shows it today: one fold of its journal."""
    return deal_view(deal, workspace.events(deal.id), today=today)


def exit_preview(
    workspace: Workspace, deal: Deal, *, trigger: str, on: date, party: str
) -> ExitPreview:
    """What an exit by ``trigger`` invoked on ``on`` by ``party`` would settle, or why it is
    not open then; once the journal records an exit, that exit and its settlement."""
    return preview(deal, workspace.events(deal.id), trigger=trigger, on=on, party=party)


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
    workspace: Workspace, command: ops.Command, *, clock: Callable[[], Any], attempts: int = 4
) -> Outcome:
    """Run one command of ``copact.services.operations`` (the same as the command line).

    Two changes to one deal at the same moment (say, accepts of two different milestones)
    collide on the journal's sequence number and the later one is refused having recorded
    nothing; it is simply tried again on the new state, a few times. A change the state then
    refuses (the same milestone accepted twice) is refused with its own reason."""
    for attempt in range(attempts):
        try:
            return ops.execute(command, uow=workspace, clock=clock)
        except ConcurrentChange:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def suppliers(deal: Deal) -> set[str]:
    """The deal's supplier parties: the side that claims work and issues the documents."""
    return {p.id for p in deal.suppliers}


ISSUERS = tuple(c for c in ops.COMMANDS if c.action == "invoices.issue")
"""The commands that issue an invoice or a credit note, always in a supplier's series."""

_SIDES: dict[type[ops.Command], tuple[Callable[[Deal, Any], set[str]], str]] = {
    ops.RecordPayment: (
        lambda d, c: {c.payer},
        "you record payments your party made; the payee confirms them",
    ),
    ops.ClaimWork: (lambda d, c: suppliers(d), "work is claimed by a supplier"),
    **{
        issue: (
            lambda d, c: suppliers(d),
            "invoices and credit notes are the supplier's documents, in its own series: its "
            "users issue them",
        )
        for issue in ISSUERS
    },
}
"""Commands only one side's users may send, beyond their role (a refusal is logged)."""


def send(
    ctx: Context,
    who: Principal,
    command: type[ops.Command],
    deal: str,
    key: str,
    fields: dict[str, Any],
    *,
    ip: str,
) -> Outcome:
    """One command from the web (the API or a page form): the deal as the guard hands it to
    the user, the role's access to the command's action, the signed-in person as its actor,
    the side it is for and the evidence it names, then the service."""
    d = ctx.guard.deal(who, deal, command.action, ip=ip)
    person = ctx.guard.person(who, d) if command.actor is not None else None
    made = command(
        **fields,
        deal=d.id,
        key=scoped_key(who, key),
        **(command.acted_by(person) if person is not None else {}),
    )
    if command in _SIDES:
        parties, why = _SIDES[command]
        ctx.guard.side(who, d, parties(d, made), action=command.action, ip=ip, why=why)
    for sha in made.evidence_hashes():
        ctx.guard.evidence(who, d, sha, ip=ip)
    return run(ctx.workspace, made, clock=ctx.clock)


def scoped_key(who: Principal, key: str) -> str:
    """Idempotency keys are the client's own: two users choosing the same key do not meet."""
    return f"web:{who.user_id}:{key}"
