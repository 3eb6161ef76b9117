"""The state of a deal on a date: a fold over its events, one function per event type.

Nothing here is stored: deemed acceptances and missed milestones follow from the dates, so a
background job that was forgotten cannot leave a milestone in the wrong state::

    submitted 2026-07-01 (Wed), review-days 10, calendar US, nobody answers
    → business days Jul 2, 6 (3 is the observed Independence Day), 7, 8, 9, 10, 13, 14, 15, 16
    → deemed accepted at the end of 2026-07-16

A rejection opens the cure period (``cure-days`` calendar days, 0 when the deal gives none).
A resubmission inside it goes back to review; when it passes with the milestone still rejected,
the milestone is **missed**, which opens the missed-milestone exit trigger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

from copact.core.calendar import BusinessCalendar
from copact.core.changes import ChangeState, apply_change_event
from copact.core.deal import Deal, Milestone
from copact.core.events import (
    Accepted,
    ChangeApproved,
    ChangeProposed,
    ChangeRejected,
    DecisionLogged,
    Event,
    ExitInvoked,
    GateDecided,
    Invoice,
    Payment,
    PaymentConfirmed,
    Rejected,
    RiskUpdated,
    Signed,
    Submitted,
    WindowRecorded,
    WorkClaimed,
)
from copact.core.invoicing import InvoiceStanding, Receivables, invoice_amounts
from copact.core.money import Money

__all__ = [
    "Balance",
    "DealState",
    "MilestoneState",
    "RiskEntry",
    "RunningFold",
    "deal_state",
    "exit_takes_effect",
    "invoice_to_json",
    "state_to_json",
]

Status = Literal["planned", "submitted", "accepted", "rejected", "missed"]


@dataclass(frozen=True)
class MilestoneState:
    id: str
    state: Status = "planned"
    submitted_on: date | None = None
    accepted_on: date | None = None
    deemed: bool = False
    rejected_on: date | None = None
    cure_until: date | None = None
    review_until: date | None = None
    invoiced: bool = False


@dataclass(frozen=True)
class Balance:
    paid: Money
    received: Money


@dataclass(frozen=True)
class RiskEntry:
    """A line of the risk register: as the deal file lists it, then as updated in the journal."""

    id: str
    description: str
    likelihood: str
    impact: str
    owner: str | None = None
    mitigation: str | None = None
    status: str = "open"
    updated_on: date | None = None


@dataclass(frozen=True)
class DealState:
    deal: Deal
    on: date
    milestones: dict[str, MilestoneState]
    balances: dict[str, Balance]
    payment_refs: frozenset[str] = frozenset()
    invoice_numbers: frozenset[str] = frozenset()
    invoices: tuple[Invoice, ...] = ()
    claims: tuple[WorkClaimed, ...] = ()
    gates: dict[str, str] = field(default_factory=dict)
    changes: dict[str, ChangeState] = field(default_factory=dict)
    signed_by: frozenset[str] = frozenset()
    exits: tuple[ExitInvoked, ...] = ()
    exit_effective: date | None = None  # the day the (first) exit takes effect
    pending_payments: dict[str, Payment] = field(default_factory=dict)  # ref → not confirmed
    confirmed_by: dict[str, str] = field(default_factory=dict)  # payment ref → who confirmed
    gate_votes: dict[str, dict[str, str]] = field(default_factory=dict)  # phase → person → vote
    gate_changes: dict[str, str] = field(default_factory=dict)  # phase → change an adjust awaits

    def phase_stop(self, phase: str | None) -> str | None:
        """Why work on ``phase`` cannot go on now, or ``None``: its gate is paused (until a
        later proceed), or adjusted and the change order it names is not yet approved."""
        if phase is None:
            return None
        decision = self.gates.get(phase)
        if decision == "pause":
            return f"the gate of {phase} is paused until its deciders record proceed"
        if decision == "adjust":
            change = self.gate_changes.get(phase)
            standing = self.changes.get(change) if change else None
            if standing is None or standing.status != "approved":
                return (
                    f"the gate of {phase} was adjusted: change order {change or '(none named)'} "
                    "must be approved first"
                )
        return None

    decisions: tuple[DecisionLogged, ...] = ()
    windows: tuple[WindowRecorded, ...] = ()
    risks: dict[str, RiskEntry] = field(default_factory=dict)
    receivables: Receivables | None = None  # the fold sets it; read it as :attr:`book`

    @property
    def book(self) -> Receivables:
        """Each invoice with what settled it (advance, payments), the advance, cash on account."""
        return self.receivables if self.receivables is not None else Receivables.open(self.deal)

    @property
    def book_once_confirmed(self) -> Receivables:
        """The book as it will be when every recorded payment is confirmed: what a new payment
        is checked against, so two payments waiting for confirmation cannot overpay one invoice."""
        book = self.book
        for payment in self.pending_payments.values():
            book = book.with_payment(payment)
        return book

    @property
    def ended(self) -> bool:
        """Whether an exit has taken effect by the end of :attr:`on`: from then on only its
        settlement moves money."""
        return self.exit_effective is not None and self.exit_effective <= self.on

    @property
    def exit(self) -> ExitInvoked | None:
        return self.exits[0] if self.exits else None

    def milestone(self, milestone_id: str) -> MilestoneState | None:
        return self.milestones.get(milestone_id)

    @property
    def missed(self) -> list[str]:
        return [m.id for m in self.milestones.values() if m.state == "missed"]

    @property
    def last_acceptance(self) -> date | None:
        days = [m.accepted_on for m in self.milestones.values() if m.accepted_on is not None]
        return max(days) if days else None


def _zero(deal: Deal) -> Money:
    return Money.zero(deal.currency)


def _spec(deal: Deal, milestone_id: str) -> Milestone | None:
    return next((m for m in deal.milestones if m.id == milestone_id), None)


def _frozen(state: DealState, until: date) -> date:
    """How far time moves milestones: once an exit takes effect nothing is deemed accepted
    or missed any more (the settlement counts the deal as it stood that day)."""
    if state.exit_effective is not None and state.exit_effective < until:
        return state.exit_effective
    return until


def _settle_time(deal: Deal, ms: MilestoneState, until: date) -> MilestoneState:
    """Bring a milestone forward to ``until`` (end of that day): deemed acceptance, misses."""
    spec = _spec(deal, ms.id)
    if spec is None:
        return ms
    if ms.state == "submitted" and ms.review_until is not None and ms.review_until <= until:
        acc = spec.acceptance
        if acc is not None and acc.deemed_accepted:
            return replace(ms, state="accepted", accepted_on=ms.review_until, deemed=True)
    if ms.state == "rejected" and ms.cure_until is not None and ms.cure_until <= until:
        return replace(ms, state="missed")
    return ms


class _Fold:
    """Applies events in order; each ``on_<type>`` returns the next state."""

    def __init__(self, deal: Deal) -> None:
        self.deal = deal
        self.calendar = BusinessCalendar.of(deal.calendar)

    def start(self, on: date) -> DealState:
        zero = _zero(self.deal)
        return DealState(
            deal=self.deal,
            on=on,
            milestones={m.id: MilestoneState(m.id) for m in self.deal.milestones},
            balances={p.id: Balance(zero, zero) for p in self.deal.parties},
            receivables=Receivables.open(self.deal),
            risks={
                r.id: RiskEntry(r.id, str(r.risk), r.likelihood, r.impact, r.owner, r.mitigation)
                for r in self.deal.risks
            },
        )

    def apply(self, state: DealState, event: Event) -> DealState:
        day = event.day
        moved = {
            k: _settle_time(self.deal, v, _frozen(state, day - timedelta(days=1)))
            for k, v in state.milestones.items()
        }
        state = replace(state, milestones=moved)
        handler: Callable[[DealState, Any], DealState] = getattr(
            self, "on_" + event.type.replace("-", "_")
        )
        return handler(state, event)

    def _with(self, state: DealState, ms: MilestoneState) -> DealState:
        return replace(state, milestones={**state.milestones, ms.id: ms})

    def on_signed(self, state: DealState, e: Signed) -> DealState:
        return replace(state, signed_by=state.signed_by | set(e.by))

    def on_payment(self, state: DealState, e: Payment) -> DealState:
        if e.by is not None:  # recorded by the payer: counts once the payee confirms it
            return replace(
                state,
                payment_refs=state.payment_refs | {e.ref},
                pending_payments={**state.pending_payments, e.ref: e},
            )
        return self._book(state, e)  # a journal from before confirmations: as recorded

    def on_payment_confirmed(self, state: DealState, e: PaymentConfirmed) -> DealState:
        payment = state.pending_payments.get(e.ref)
        if payment is None:
            return state
        pending = {k: v for k, v in state.pending_payments.items() if k != e.ref}
        state = replace(
            state, pending_payments=pending, confirmed_by={**state.confirmed_by, e.ref: e.by}
        )
        return self._book(state, payment)

    def _book(self, state: DealState, e: Payment) -> DealState:
        amount = Money.of(e.amount, self.deal.currency)
        balances = dict(state.balances)
        zero = _zero(self.deal)
        payer = balances.get(e.from_, Balance(zero, zero))
        payee = balances.get(e.to, Balance(zero, zero))
        balances[e.from_] = replace(payer, paid=payer.paid + amount)
        balances[e.to] = replace(balances.get(e.to, payee), received=payee.received + amount)
        return replace(
            state,
            balances=balances,
            payment_refs=state.payment_refs | {e.ref},
            receivables=state.book.with_payment(e),
        )

    def on_submitted(self, state: DealState, e: Submitted) -> DealState:
        ms = state.milestones.get(e.milestone)
        spec = _spec(self.deal, e.milestone)
        if ms is None or spec is None or ms.state in ("accepted", "missed"):
            return state
        review = spec.acceptance.review_days if spec.acceptance else None
        until = self.calendar.add_business_days(e.day, review) if review is not None else None
        return self._with(
            state,
            replace(
                ms,
                state="submitted",
                submitted_on=e.day,
                review_until=until,
                rejected_on=None,
                cure_until=None,
            ),
        )

    def on_accepted(self, state: DealState, e: Accepted) -> DealState:
        ms = state.milestones.get(e.milestone)
        if ms is None or ms.state != "submitted":
            return state
        return self._with(state, replace(ms, state="accepted", accepted_on=e.day, deemed=False))

    def on_rejected(self, state: DealState, e: Rejected) -> DealState:
        ms = state.milestones.get(e.milestone)
        spec = _spec(self.deal, e.milestone)
        if ms is None or spec is None or ms.state != "submitted":
            return state
        cure = e.day + timedelta(days=spec.cure_days or 0)
        return self._with(state, replace(ms, state="rejected", rejected_on=e.day, cure_until=cure))

    def on_work_claimed(self, state: DealState, e: WorkClaimed) -> DealState:
        return replace(state, claims=(*state.claims, e))

    def on_gate(self, state: DealState, e: GateDecided) -> DealState:
        """Each decider records their own vote; the gate is decided when every decider's
        latest vote is the same decision, and a new round of votes starts from there."""
        vote = e.decision if e.change is None else f"{e.decision} {e.change}"
        votes = {**state.gate_votes.get(e.phase, {}), **dict.fromkeys(e.by, vote)}
        spec = self.deal.phase(e.phase)
        deciders = set(spec.gate.deciders) if spec is not None and spec.gate else set(e.by)
        if deciders <= set(votes) and {votes[p] for p in deciders} == {vote}:
            changes = {k: v for k, v in state.gate_changes.items() if k != e.phase}
            if e.change is not None:
                changes[e.phase] = e.change
            return replace(
                state,
                gates={**state.gates, e.phase: e.decision},
                gate_votes={**state.gate_votes, e.phase: {}},
                gate_changes=changes,
            )
        return replace(state, gate_votes={**state.gate_votes, e.phase: votes})

    def on_change_proposed(self, state: DealState, e: ChangeProposed) -> DealState:
        return replace(state, changes=apply_change_event(self.deal, state.changes, e))

    def on_change_approved(self, state: DealState, e: ChangeApproved) -> DealState:
        return replace(state, changes=apply_change_event(self.deal, state.changes, e))

    def on_change_rejected(self, state: DealState, e: ChangeRejected) -> DealState:
        return replace(state, changes=apply_change_event(self.deal, state.changes, e))

    def on_invoice(self, state: DealState, e: Invoice) -> DealState:
        milestones = dict(state.milestones)
        for line in e.lines:
            if line.for_ in milestones:
                milestones[line.for_] = replace(milestones[line.for_], invoiced=True)
        return replace(
            state,
            milestones=milestones,
            invoices=(*state.invoices, e),
            invoice_numbers=state.invoice_numbers | {e.number},
            receivables=state.book.with_invoice(e),
        )

    def on_exit(self, state: DealState, e: ExitInvoked) -> DealState:
        if state.exits:  # the guard allows one exit; a second in a journal changes nothing
            return replace(state, exits=(*state.exits, e))
        return replace(state, exits=(e,), exit_effective=exit_takes_effect(self.deal, e))

    def on_decision(self, state: DealState, e: DecisionLogged) -> DealState:
        return replace(state, decisions=(*state.decisions, e))

    def on_window(self, state: DealState, e: WindowRecorded) -> DealState:
        return replace(state, windows=(*state.windows, e))

    def on_risk(self, state: DealState, e: RiskUpdated) -> DealState:
        earlier = state.risks.get(e.risk)
        fields = {
            "description": e.description,
            "likelihood": e.likelihood,
            "impact": e.impact,
            "owner": e.owner,
            "mitigation": e.mitigation,
            "status": e.status,
        }
        given = {k: v for k, v in fields.items() if v is not None}
        if earlier is None:  # the guard makes a new risk name its text, likelihood and impact
            entry = RiskEntry(
                e.risk,
                e.description or e.risk,
                e.likelihood or "medium",
                e.impact or "medium",
                e.owner,
                e.mitigation,
                e.status or "open",
                e.day,
            )
        else:
            entry = replace(earlier, **given, updated_on=e.day)
        return replace(state, risks={**state.risks, e.risk: entry})


def exit_takes_effect(deal: Deal, e: ExitInvoked) -> date:
    """The day an exit takes effect: a convenience exit after its notice, the others at once."""
    if e.trigger == "convenience":
        triggers = deal.exit.triggers if deal.exit else None
        notice = triggers.convenience.notice_days if triggers and triggers.convenience else None
        return e.day + timedelta(days=notice or 0)
    return e.day


def ordered(events: Iterable[Event]) -> list[Event]:
    """Events in journal order by day (stable: same-day events keep their order)."""
    return sorted(events, key=lambda e: e.day)


def deal_state(deal: Deal, events: Iterable[Event], *, on: date) -> DealState:
    """The state of ``deal`` at the end of ``on``, from the events up to that day."""
    fold = _Fold(deal)
    state = fold.start(on)
    for event in ordered(events):
        if event.day > on:
            break
        state = fold.apply(state, event)
    settled = {k: _settle_time(deal, v, _frozen(state, on)) for k, v in state.milestones.items()}
    return replace(state, milestones=settled)


class RunningFold:
    """The fold kept open while a journal is checked event by event (an import): pushing an
    event costs one step, not a refold of the whole history, and :meth:`state_on` gives what
    :func:`deal_state` gives for the events pushed so far. Events must be pushed in day order."""

    def __init__(self, deal: Deal, events: Iterable[Event] = ()) -> None:
        self._deal = deal
        self._fold = _Fold(deal)
        self._state = self._fold.start(date.min)
        for event in ordered(events):
            self.push(event)

    def push(self, event: Event) -> None:
        if event.day < self._state.on:
            raise ValueError(f"events must come in day order: {event.day} after {self._state.on}")
        self._state = replace(self._fold.apply(self._state, event), on=event.day)

    def state_on(self, on: date) -> DealState:
        """The state at the end of ``on``; ``on`` must not be before the last pushed event."""
        if on < self._state.on:
            raise ValueError(f"the fold is already at {self._state.on}, after {on}")
        until = _frozen(self._state, on)
        settled = {k: _settle_time(self._deal, v, until) for k, v in self._state.milestones.items()}
        return replace(self._state, on=on, milestones=settled)


def _amount(m: Money) -> str:
    return str(m.quantize().amount)


def invoice_to_json(standing: InvoiceStanding, *, on: date) -> dict[str, Any]:
    """One invoice of ``copact state --format json``: its figures and where it stands on ``on``
    (``amount`` = ``from_advance`` + ``paid`` + ``outstanding``; ``due_in_cash`` = ``amount``
    − ``from_advance``)."""
    return {
        "number": standing.number,
        "for": list(standing.milestones),
        "from": standing.from_,
        "to": standing.to,
        "amount": _amount(standing.total),
        "due": standing.due.isoformat(),
        "overdue": standing.overdue(on),
        "status": standing.status,
        "from_advance": _amount(standing.from_advance),
        "due_in_cash": _amount(standing.cash_due),
        "paid": _amount(standing.paid),
        "outstanding": _amount(standing.outstanding),
    }


def state_to_json(state: DealState) -> dict[str, Any]:
    """The ``copact state --format json`` shape of DESIGN §11."""
    amounts = invoice_amounts(state.deal) if state.deal.milestones else {}

    def iso(d: date | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "deal": state.deal.id,
        "on": state.on.isoformat(),
        "milestones": [
            {
                "id": m.id,
                "state": m.state,
                "accepted_on": iso(m.accepted_on),
                "deemed": m.deemed,
                "cure_until": iso(m.cure_until),
                "review_until": iso(m.review_until),
                "invoice_amount": str(amounts[m.id].amount) if m.id in amounts else None,
                "invoiced": m.invoiced,
            }
            for m in state.milestones.values()
        ],
        "invoices": [invoice_to_json(i, on=state.on) for i in state.book.invoices],
        "balances": {
            party: {
                "paid": str(b.paid.quantize().amount),
                "received": str(b.received.quantize().amount),
            }
            for party, b in state.balances.items()
        },
        "risks": [
            {
                "id": r.id,
                "risk": r.description,
                "likelihood": r.likelihood,
                "impact": r.impact,
                "owner": r.owner,
                "mitigation": r.mitigation,
                "status": r.status,
                "updated_on": iso(r.updated_on),
            }
            for r in state.risks.values()
        ],
        "decisions": [
            {"on": d.day.isoformat(), "decision": d.decision, "by": d.by, "topic": d.topic}
            for d in state.decisions
        ],
        "windows": [
            {
                "site": w.site,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "kind": w.kind,
                "by": w.by,
                "note": w.note,
                "recorded_on": w.day.isoformat(),
            }
            for w in state.windows
        ],
    }
