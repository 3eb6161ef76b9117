"""The use cases of a running deal, each ``(command, *, uow, clock) → Outcome``.

A command is a frozen value naming the deal, who acts and an idempotency ``key``; the function
folds the journal at ``clock()``, checks the guard in ``core``, and appends what happens in one
transaction (``Workspace.execute``). The command line calls these now; the web app will call the
same functions, so the two cannot disagree::

    accept(Accept(deal="hybrid-dc1", milestone="design-approval", by="ana", key="k-17"),
           uow=workspace, clock=clock)
    → Outcome(events=[Accepted(...), Invoice(number="hybrid-dc1-001", ...)], seqs=[7, 8])

Deemed acceptances and missed milestones are never written by a job: they follow from the
clock when the state is folded. :func:`issue_invoices` bills the deemed ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from copact.core import commands
from copact.core.changes import approve_change, propose_change, reject_change
from copact.core.deal import Deal
from copact.core.events import Event, EvidenceRef
from copact.core.invoicing import invoice_amounts
from copact.core.settlement import ended_reason, invoke_exit, refuse_after_exit
from copact.core.state import DealState, deal_state
from copact.errors import RefusedCommand
from copact.services.workspace import Outcome, Workspace, guard_amendment

__all__ = [
    "Accept",
    "ApproveChange",
    "ClaimWork",
    "ConfirmPayment",
    "DecideGate",
    "IssueInvoices",
    "LogDecision",
    "ProposeChange",
    "RecordPayment",
    "RecordWindow",
    "Reject",
    "RejectChange",
    "Submit",
    "TriggerExit",
    "UpdateRisk",
    "accept",
    "approve_change_order",
    "claim_work",
    "confirm_payment",
    "decide_gate",
    "issue_invoices",
    "log_decision",
    "propose_change_order",
    "record_payment",
    "record_window",
    "reject",
    "reject_change_order",
    "submit",
    "trigger_exit",
    "update_risk",
]

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Submit:
    deal: str
    milestone: str
    by: str
    evidence: tuple[str, ...]  # SHA-256 of files already in the workspace's evidence store
    key: str | None = None


@dataclass(frozen=True)
class Accept:
    deal: str
    milestone: str
    by: str
    key: str | None = None


@dataclass(frozen=True)
class Reject:
    deal: str
    milestone: str
    by: str
    reasons: tuple[str, ...]
    key: str | None = None


@dataclass(frozen=True)
class RecordPayment:
    """A person of the paying party records a payment; it counts once the payee confirms."""

    deal: str
    payer: str
    payee: str
    amount: Decimal
    ref: str
    for_: str | None = None
    key: str | None = None
    by: str | None = None  # required: the payer's person (``None`` is refused)


@dataclass(frozen=True)
class ConfirmPayment:
    """A person of the payee confirms that a recorded payment arrived."""

    deal: str
    ref: str
    by: str
    key: str | None = None


@dataclass(frozen=True)
class ClaimWork:
    deal: str
    amount: Decimal
    for_: str
    evidence: tuple[str, ...] = ()
    key: str | None = None
    by: str | None = None  # required: the supplier's person making the claim


@dataclass(frozen=True)
class DecideGate:
    """One decider records their own decision on a phase gate."""

    deal: str
    phase: str
    decision: str
    by: str
    key: str | None = None
    change: str | None = None  # an adjust names the change order it waits for


@dataclass(frozen=True)
class ProposeChange:
    deal: str
    change: str
    by: str
    amount: Decimal | None = None
    patch: dict[str, Any] | None = field(default=None, hash=False)
    key: str | None = None


@dataclass(frozen=True)
class ApproveChange:
    deal: str
    change: str
    by: str
    key: str | None = None


@dataclass(frozen=True)
class RejectChange:
    deal: str
    change: str
    by: str
    key: str | None = None


@dataclass(frozen=True)
class TriggerExit:
    deal: str
    trigger: str
    by: str
    key: str | None = None


@dataclass(frozen=True)
class IssueInvoices:
    """Invoice every accepted milestone (deemed acceptances included) not yet invoiced."""

    deal: str
    key: str | None = None


@dataclass(frozen=True)
class LogDecision:
    """Enter a decision in the deal's log, with the people who took it."""

    deal: str
    decision: str
    by: tuple[str, ...]
    topic: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class RecordWindow:
    """Take a span of one SLA site out of its availability: approved maintenance (``planned``)
    or an exclusion (``excluded``). ``start`` and ``end`` are ISO 8601 with their offset."""

    deal: str
    site: str
    start: str
    end: str
    kind: str
    by: str
    note: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class UpdateRisk:
    """Add a risk to the register (description, likelihood, impact) or change its fields."""

    deal: str
    risk: str
    by: str
    description: str | None = None
    likelihood: str | None = None
    impact: str | None = None
    owner: str | None = None
    mitigation: str | None = None
    status: str | None = None
    key: str | None = None


def _request(command: Any) -> dict[str, Any]:
    body = asdict(command)
    body.pop("key")
    return {"command": type(command).__name__, **body}


def _run(
    command: Any,
    uow: Workspace,
    clock: Clock,
    decide: Callable[[Deal, DealState, list[Event], datetime], list[Event]],
) -> Outcome:
    def folded(deal: Deal, history: list[Event], now: datetime) -> list[Event]:
        state = deal_state(deal, history, on=now.date())
        ended = ended_reason(deal, history, state)
        if ended and not isinstance(command, RecordPayment | ConfirmPayment):
            raise RefusedCommand(ended)  # said first: it is why nothing else can happen
        caused = decide(deal, state, history, now)
        refuse_after_exit(deal, history, state, caused)  # after an exit, only its settlement
        return caused

    return uow.execute(
        command.deal, folded, key=command.key, request=_request(command), clock=clock
    )


def _evidence(
    uow: Workspace, deal: str, hashes: tuple[str, ...], by: str | None
) -> list[EvidenceRef]:
    """The files named by their hashes, as the party of ``by`` holds them: its own record of
    each (its name and kind), never another party's confidential one."""
    person = uow.deal(deal).person(by) if by else None
    party = person.party if person is not None else None
    refs = []
    for sha in hashes:
        record = uow.evidence_record(deal, sha, party=party)
        if record is None:
            raise RefusedCommand(
                f"no evidence {sha[:12]}… in this workspace for {deal}; add the file first "
                "(`copact evidence add`)"
            )
        refs.append(EvidenceRef(name=record.name, sha256=record.sha256, kind=record.kind))
    return refs


def submit(command: Submit, *, uow: Workspace, clock: Clock) -> Outcome:
    """The payee submits a milestone with evidence files already in the store."""
    refs = _evidence(uow, command.deal, command.evidence, command.by)

    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return list(
            commands.submit(
                deal, state, milestone=command.milestone, evidence=refs, by=command.by, at=now
            )
        )

    return _run(command, uow, clock, decide)


def _next_number(deal: Deal, state: DealState, taken: int = 0) -> str:
    n = len(state.invoice_numbers) + 1 + taken
    number = f"{deal.id}-{n:03d}"
    while number in state.invoice_numbers:
        n += 1
        number = f"{deal.id}-{n:03d}"
    return number


def _invoice_if_due(
    deal: Deal, state: DealState, milestone: str, now: datetime, taken: int
) -> list[Event]:
    amounts = invoice_amounts(deal)
    if milestone not in amounts or amounts[milestone].amount <= 0:
        return []
    return list(
        commands.invoice_for(
            deal, state, milestone=milestone, number=_next_number(deal, state, taken), at=now
        )
    )


def accept(command: Accept, *, uow: Workspace, clock: Clock) -> Outcome:
    """The sign-off person accepts a submitted milestone; its invoice is issued with it, in the
    same transaction, so two concurrent acceptances give one acceptance and one invoice."""

    def decide(deal: Deal, state: DealState, history: list[Event], now: datetime) -> list[Event]:
        accepted = commands.accept(deal, state, milestone=command.milestone, by=command.by, at=now)
        after = deal_state(deal, [*history, *accepted], on=now.date())
        return [*accepted, *_invoice_if_due(deal, after, command.milestone, now, 0)]

    return _run(command, uow, clock, decide)


def reject(command: Reject, *, uow: Workspace, clock: Clock) -> Outcome:
    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return list(
            commands.reject(
                deal,
                state,
                milestone=command.milestone,
                by=command.by,
                reasons=list(command.reasons),
                at=now,
            )
        )

    return _run(command, uow, clock, decide)


def record_payment(command: RecordPayment, *, uow: Workspace, clock: Clock) -> Outcome:
    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return list(
            commands.pay(
                deal,
                state,
                payer=command.payer,
                payee=command.payee,
                amount=command.amount,
                ref=command.ref,
                for_=command.for_,
                at=now,
                by=_who(command.by, "records the payment"),
            )
        )

    return _run(command, uow, clock, decide)


def confirm_payment(command: ConfirmPayment, *, uow: Workspace, clock: Clock) -> Outcome:
    """The payee confirms a recorded payment; from then on it counts."""

    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return commands.confirm_payment(deal, state, ref=command.ref, by=command.by, at=now)

    return _run(command, uow, clock, decide)


def _who(by: str | None, does: str) -> str:
    if not by:
        raise RefusedCommand(f"say who {does} (`by`, a person of the deal)")
    return by


def claim_work(command: ClaimWork, *, uow: Workspace, clock: Clock) -> Outcome:
    refs = _evidence(uow, command.deal, command.evidence, command.by)

    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return list(
            commands.claim(
                deal,
                state,
                amount=command.amount,
                for_=command.for_,
                evidence=refs,
                at=now,
                by=_who(command.by, "claims the work"),
            )
        )

    return _run(command, uow, clock, decide)


def decide_gate(command: DecideGate, *, uow: Workspace, clock: Clock) -> Outcome:
    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return list(
            commands.decide_gate(
                deal,
                state,
                phase=command.phase,
                decision=command.decision,
                by=command.by,
                at=now,
                change=command.change,
            )
        )

    return _run(command, uow, clock, decide)


def propose_change_order(command: ProposeChange, *, uow: Workspace, clock: Clock) -> Outcome:
    """Propose an amendment; its patch must give a deal that loads and checks, and keep what
    was accepted, invoiced or paid (checked now, and again at each approval)."""
    text = uow.deal_text(command.deal) if command.patch else ""

    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        if command.patch:
            guard_amendment(text, command.change, command.patch, state)
        return list(
            propose_change(
                deal,
                state.changes,
                change=command.change,
                amount=command.amount,
                patch=command.patch,
                by=command.by,
                at=now,
            )
        )

    return _run(command, uow, clock, decide)


def approve_change_order(command: ApproveChange, *, uow: Workspace, clock: Clock) -> Outcome:
    """Approve a change order; the last approval it needs makes the next deal version
    (``Outcome.version``). Refused when the amendment no longer fits the deal as it now
    stands (a milestone it drops was accepted since it was proposed, say)."""
    text = uow.deal_text(command.deal)

    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        approved = approve_change(deal, state.changes, change=command.change, by=command.by, at=now)
        patch = state.changes[command.change].patch
        if patch:
            guard_amendment(text, command.change, patch, state)
        return list(approved)

    return _run(command, uow, clock, decide)


def reject_change_order(command: RejectChange, *, uow: Workspace, clock: Clock) -> Outcome:
    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return list(
            reject_change(deal, state.changes, change=command.change, by=command.by, at=now)
        )

    return _run(command, uow, clock, decide)


def trigger_exit(command: TriggerExit, *, uow: Workspace, clock: Clock) -> Outcome:
    """Invoke an exit; refused unless the trigger is open today for the person's party."""

    def decide(deal: Deal, _: DealState, history: list[Event], now: datetime) -> list[Event]:
        return list(invoke_exit(deal, history, trigger=command.trigger, by=command.by, at=now))

    return _run(command, uow, clock, decide)


def issue_invoices(command: IssueInvoices, *, uow: Workspace, clock: Clock) -> Outcome:
    """Bill every accepted milestone not yet invoiced, deemed acceptances included (nobody
    has to remember them: they follow from the clock)."""

    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        issued: list[Event] = []
        for ms in state.milestones.values():
            if ms.state == "accepted" and not ms.invoiced:
                issued += _invoice_if_due(deal, state, ms.id, now, len(issued))
        if not issued:
            raise RefusedCommand("every accepted milestone is already invoiced")
        return issued

    return _run(command, uow, clock, decide)


def log_decision(command: LogDecision, *, uow: Workspace, clock: Clock) -> Outcome:
    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return list(
            commands.log_decision(
                deal,
                state,
                decision=command.decision,
                by=list(command.by),
                topic=command.topic,
                at=now,
            )
        )

    return _run(command, uow, clock, decide)


def _instant(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RefusedCommand(
            f"{what} {text!r} is not an ISO 8601 instant, e.g. 2027-03-14T02:00:00-04:00"
        ) from None
    if moment.tzinfo is None:
        raise RefusedCommand(
            f"{what} {text!r} has no UTC offset: write it as 2027-03-14T02:00:00-04:00 or …Z, "
            "so a daylight-saving night is not ambiguous"
        )
    return moment


def record_window(command: RecordWindow, *, uow: Workspace, clock: Clock) -> Outcome:
    start = _instant(command.start, "start")
    end = _instant(command.end, "end")

    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return list(
            commands.record_window(
                deal,
                state,
                site=command.site,
                start=start,
                end=end,
                kind=command.kind,
                by=command.by,
                note=command.note,
                at=now,
            )
        )

    return _run(command, uow, clock, decide)


def update_risk(command: UpdateRisk, *, uow: Workspace, clock: Clock) -> Outcome:
    def decide(deal: Deal, state: DealState, _: list[Event], now: datetime) -> list[Event]:
        return list(
            commands.update_risk(
                deal,
                state,
                risk=command.risk,
                by=command.by,
                at=now,
                description=command.description,
                likelihood=command.likelihood,
                impact=command.impact,
                owner=command.owner,
                mitigation=command.mitigation,
                status=command.status,
            )
        )

    return _run(command, uow, clock, decide)
