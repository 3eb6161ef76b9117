"""The state of a deal on a date: a fold over its events, one function per event type.

Nothing here is stored: deemed acceptances and missed milestones follow from the dates, so a
background job that was forgotten cannot leave a milestone in the wrong state::

    submitted 2026-07-01 (Wed), review-days 10, calendar US, nobody answers
    → business days Jul 2, 6 (3 is the observed Independence Day), 7, 8, 9, 10, 13, 14, 15, 16
    → deemed accepted at the end of 2026-07-16

A rejection opens the cure period (``cure-days`` calendar days, 0 when the deal gives none).
A resubmission inside it goes back to review; when it passes with the milestone still rejected,
the milestone is **missed**, which opens the missed-milestone exit trigger.

The fold costs O(1) per event, and a state O(milestones + parties + phases), however long the
journal: what grows with it (claims, invoices, decisions, windows, payment references, pending
and confirmed payments, change orders, risks) lives in append-only writers of
``core.persistent`` that every state folded from the same events shares, each state seeing
them as they were when it was taken. So an import that checks each of 100,000 events against
the state on its day (:class:`RunningFold`) takes 100,000 steps, not 100,000².
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from operator import itemgetter
from typing import Any, Literal

from copact.core.bonus import BonusState
from copact.core.calendar import BusinessCalendar
from copact.core.changes import ChangeState, change_after
from copact.core.convertible import (  # convertible support
    ConversionState,
    SupportTotals,
    fold_approved,
    fold_requested,
    fold_support_payment,
)
from copact.core.costplus import (  # cost-plus
    CostPeriod,
    CostState,
    fold_cost_invoice,
    fold_cost_recorded,
    fold_cost_reviewed,
)
from copact.core.deal import Deal, Milestone
from copact.core.events import (
    Accepted,
    BonusClaimed,
    BonusReviewed,
    ChangeApproved,
    ChangeProposed,
    ChangeRejected,
    ConversionApproved,  # convertible support
    ConversionRequested,
    CostRecorded,
    CostReviewed,
    CreditNote,
    DecisionLogged,
    Event,
    ExitInvoked,
    ForecastRecorded,  # volume commitment
    GateDecided,
    Invoice,
    Payment,
    PaymentConfirmed,
    PrepaymentInvoice,
    PurchasesConfirmed,  # volume commitment
    PurchasesRecorded,
    Rejected,
    RiskUpdated,
    SalesReported,
    SavingsSettled,
    ServiceReviewed,
    ServiceSettled,
    Signed,
    Submitted,
    WindowRecorded,
    WorkClaimed,
)
from copact.core.gainshare_periods import GainshareMonth, GainshareTrueUp, with_line
from copact.core.invoicing import Receivables, mechanism_line
from copact.core.money import Money
from copact.core.persistent import KeysWriter, LogWriter, MapWriter
from copact.core.revenue import RevenuePeriod, with_document, with_report
from copact.core.volume import (  # volume commitment
    Purchase,
    VolumeYear,
    fold_confirmed,
    fold_rebate,
    fold_recorded,
    fold_shortfall,
)

__all__ = [
    "Balance",
    "DealState",
    "MilestoneState",
    "RiskEntry",
    "RunningFold",
    "deal_state",
    "exit_takes_effect",
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


def binding_of(deal: Deal, signatures: Mapping[str, Signed]) -> Signed | None:
    """:attr:`DealState.binding` of ``signatures`` (party → its latest signature)."""
    parties = [p.id for p in deal.parties]
    signed = [signatures.get(p) for p in parties]
    if not parties or any(s is None for s in signed):
        return None
    versions = {s.version for s in signed if s is not None and s.version is not None}
    if len(versions) > 1:
        return None
    return max((s for s in signed if s is not None), key=lambda s: s.day)


@dataclass(frozen=True)
class DealState:
    """A deal at the end of :attr:`on`. The collections that grow with the journal read like
    the tuples, frozensets and dicts they stand for (``len``, ``in``, iteration, indexing,
    ``[key]``, ``get``) and never change; the fold gives views that share their storage."""

    deal: Deal
    on: date
    milestones: dict[str, MilestoneState]
    balances: dict[str, Balance]
    payment_refs: AbstractSet[str] = frozenset()
    invoice_numbers: AbstractSet[str] = frozenset()
    invoices: Sequence[Invoice] = ()
    claims: Sequence[WorkClaimed] = ()
    gates: dict[str, str] = field(default_factory=dict)
    changes: Mapping[str, ChangeState] = field(default_factory=dict)
    signed_by: frozenset[str] = frozenset()
    signatures: Mapping[str, Signed] = field(default_factory=dict)  # party → its latest
    exits: tuple[ExitInvoked, ...] = ()
    exit_effective: date | None = None  # the day the (first) exit takes effect
    pending_payments: Mapping[str, Payment] = field(default_factory=dict)  # ref → unconfirmed
    confirmed_by: Mapping[str, str] = field(default_factory=dict)  # payment ref → who confirmed
    gate_votes: dict[str, dict[str, str]] = field(default_factory=dict)  # phase → person → vote
    gate_changes: dict[str, str] = field(default_factory=dict)  # phase → change an adjust awaits
    prepayment: PrepaymentInvoice | None = None  # the advance's invoice (type 386), once issued
    credit_notes: tuple[CreditNote, ...] = ()  # type 381: money the supplier gives back
    services: Mapping[str, ServiceSettled] = field(default_factory=dict)  # period → settled
    services_reviewed: frozenset[str] = frozenset()  # flagged periods the other party reviewed
    services_invoiced: Mapping[str, str] = field(default_factory=dict)  # period → invoice no.
    # -- innovation bonus and revenue share --
    bonuses: Mapping[str, BonusState] = field(default_factory=dict)  # bonus id → its claim
    revenue: Mapping[str, RevenuePeriod] = field(default_factory=dict)  # period → reported
    # -- cost-plus --
    costs: Mapping[str, CostState] = field(default_factory=dict)  # cost id → where it stands
    cost_periods: Mapping[str, CostPeriod] = field(default_factory=dict)  # month → totals
    # -- gainshare --
    gainshare: Mapping[str, GainshareMonth] = field(default_factory=dict)  # month → settled
    gainshare_true_ups: Mapping[str, GainshareTrueUp] = field(default_factory=dict)  # year
    # -- volume commitment --
    purchases: Mapping[str, Purchase] = field(default_factory=dict)  # ERP ref → recorded
    volume_years: Mapping[str, VolumeYear] = field(default_factory=dict)  # contract year
    volume_forecast: ForecastRecorded | None = None  # the latest forecast
    # -- convertible support --
    support: SupportTotals = field(default_factory=SupportTotals)  # paid, converted, credits
    conversions: Mapping[str, ConversionState] = field(default_factory=dict)  # request →
    credits_taken: Mapping[str, Money] = field(default_factory=dict)  # invoice no. → credits

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

    decisions: Sequence[DecisionLogged] = ()
    windows: Sequence[WindowRecorded] = ()
    risks: Mapping[str, RiskEntry] = field(default_factory=dict)
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

    @cached_property
    def binding(self) -> Signed | None:
        """The signature that made the deal binding (the last party's), once every party has
        signed the same version of its text (a signature without a version, from an older
        journal, agrees with any); ``None`` until then. Asked once per state (the fold gives
        its states the answer it keeps between signatures: every guard asks it)."""
        return binding_of(self.deal, self.signatures)

    @property
    def unsigned(self) -> list[str]:
        """The parties none of whose people has signed yet, in the deal's order."""
        return [p.id for p in self.deal.parties if p.id not in self.signatures]

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


def _service_period(text: str) -> str | None:
    """``2027-03`` of a service invoice's line ``sla:2027-03:dc1``, else ``None``."""
    line = mechanism_line(text)
    return line.period if line is not None and line.mechanism == "sla" else None


def _zero(deal: Deal) -> Money:
    return Money.zero(deal.currency)


_DAY = timedelta(days=1)


def _frozen(exit_effective: date | None, until: date) -> date:
    """How far time moves milestones: once an exit takes effect nothing is deemed accepted
    or missed any more (the settlement counts the deal as it stood that day)."""
    if exit_effective is not None and exit_effective < until:
        return exit_effective
    return until


def _settle_time(spec: Milestone | None, ms: MilestoneState, until: date) -> MilestoneState:
    """Bring a milestone forward to ``until`` (end of that day): deemed acceptance, misses."""
    if spec is None:
        return ms
    if ms.state == "submitted" and ms.review_until is not None and ms.review_until <= until:
        acc = spec.acceptance
        if acc is not None and acc.deemed_accepted:
            return replace(ms, state="accepted", accepted_on=ms.review_until, deemed=True)
    if ms.state == "rejected" and ms.cure_until is not None and ms.cure_until <= until:
        return replace(ms, state="missed")
    return ms


def _moves_on(spec: Milestone | None, ms: MilestoneState) -> date | None:
    """The first day at whose end :func:`_settle_time` changes ``ms``, or ``None``."""
    if spec is None:
        return None
    if ms.state == "submitted" and ms.review_until is not None:
        acc = spec.acceptance
        return ms.review_until if acc is not None and acc.deemed_accepted else None
    if ms.state == "rejected":
        return ms.cure_until
    return None


class _Fold:
    """The fold's working state: :meth:`apply` takes one event, :meth:`state` hands out the
    frozen :class:`DealState` of what was applied, as of the end of a day.

    What grows with the journal is kept in writers whose views the states share (O(1) an
    event and a state). The small dicts the deal bounds (milestones, balances, gates) are
    replaced when they change, never changed in place. Time moves milestones only on the days
    :attr:`_deadline` names, so an event costs no pass over the milestones otherwise."""

    def __init__(self, deal: Deal) -> None:
        self.deal = deal
        self.calendar = BusinessCalendar.of(deal.calendar)
        self.specs: dict[str, Milestone] = {}
        for m in deal.milestones:
            self.specs.setdefault(m.id, m)  # the first of a repeated id, as the file reads
        self.zero = zero = _zero(deal)
        self.milestones = {m.id: MilestoneState(m.id) for m in deal.milestones}
        self.balances = {p.id: Balance(zero, zero) for p in deal.parties}
        self.receivables = Receivables.open(deal)
        self.risks = MapWriter[str, RiskEntry](
            (r.id, RiskEntry(r.id, str(r.risk), r.likelihood, r.impact, r.owner, r.mitigation))
            for r in deal.risks
        )
        self.payment_refs = KeysWriter[str]()
        self.invoice_numbers = KeysWriter[str]()
        self.invoices = LogWriter[Invoice]()
        self.claims = LogWriter[WorkClaimed]()
        self.decisions = LogWriter[DecisionLogged]()
        self.windows = LogWriter[WindowRecorded]()
        self.changes = MapWriter[str, ChangeState]()
        self.pending_payments = MapWriter[str, Payment]()
        self.confirmed_by = MapWriter[str, str]()
        self.gates: dict[str, str] = {}
        self.gate_votes: dict[str, dict[str, str]] = {}
        self.gate_changes: dict[str, str] = {}
        self.signed_by: frozenset[str] = frozenset()
        self.signatures: dict[str, Signed] = {}
        self.exits: tuple[ExitInvoked, ...] = ()
        self.exit_effective: date | None = None
        self.prepayment: PrepaymentInvoice | None = None
        self.credit_notes: tuple[CreditNote, ...] = ()
        self.services: dict[str, ServiceSettled] = {}
        self.services_reviewed: frozenset[str] = frozenset()
        self.services_invoiced: dict[str, str] = {}
        self.bonuses: dict[str, BonusState] = {}  # innovation bonus and revenue share
        self.revenue: dict[str, RevenuePeriod] = {}
        self.costs = MapWriter[str, CostState]()  # cost-plus
        self.cost_periods = MapWriter[str, CostPeriod]()
        self.gainshare: dict[str, GainshareMonth] = {}  # gainshare
        self.gainshare_true_ups: dict[str, GainshareTrueUp] = {}
        self.purchases = MapWriter[str, Purchase]()  # volume commitment
        self.volume_years: dict[str, VolumeYear] = {}
        self.volume_forecast: ForecastRecorded | None = None
        self.support = SupportTotals()  # convertible support
        self.conversions = MapWriter[str, ConversionState]()
        self.credits_taken = MapWriter[str, Money]()
        self._deadline: date | None = None  # the first day time moves a milestone
        self._bound: tuple[Mapping[str, Signed], Signed | None] | None = None
        self._handlers: dict[str, Callable[[Any], None]] = {}

    # -- time and the states handed out --

    def _set_milestones(self, milestones: dict[str, MilestoneState]) -> None:
        self.milestones = milestones
        days = [d for k, v in milestones.items() if (d := _moves_on(self.specs.get(k), v))]
        self._deadline = min(days) if days else None

    def _settled(self, until: date) -> dict[str, MilestoneState]:
        """The milestones at the end of ``until`` (the working ones when time moves none)."""
        if self._deadline is None or self._deadline > until:
            return self.milestones
        return {k: _settle_time(self.specs.get(k), v, until) for k, v in self.milestones.items()}

    def apply(self, event: Event, day: date | None = None) -> None:
        """Take ``event`` (of ``day``, when the caller has asked it already): first time moves
        the milestones to the end of the day before it."""
        if self._deadline is not None:
            until = _frozen(self.exit_effective, (event.day if day is None else day) - _DAY)
            if self._deadline <= until:
                self._set_milestones(self._settled(until))
        handler = self._handlers.get(event.type)
        if handler is None:
            handler = getattr(self, "on_" + event.type.replace("-", "_"))
            self._handlers[event.type] = handler
        handler(event)

    def state(self, on: date) -> DealState:
        """The state at the end of ``on`` of the events applied (all dated on or before it)."""
        # an import asks for a state on every event: filled in directly, without the frozen
        # __init__'s one object.__setattr__ per field (a third of the cost of a step)
        state: DealState = object.__new__(DealState)
        state.__dict__.update(
            deal=self.deal,
            on=on,
            milestones=dict(self._settled(_frozen(self.exit_effective, on))),
            balances=dict(self.balances),
            payment_refs=self.payment_refs.view(),
            invoice_numbers=self.invoice_numbers.view(),
            invoices=self.invoices.view(),
            claims=self.claims.view(),
            gates=dict(self.gates),
            changes=self.changes.view(),
            signed_by=self.signed_by,
            signatures=self.signatures,
            binding=self._binding(),
            exits=self.exits,
            exit_effective=self.exit_effective,
            pending_payments=self.pending_payments.view(),
            confirmed_by=self.confirmed_by.view(),
            gate_votes={k: dict(v) for k, v in self.gate_votes.items()},
            gate_changes=dict(self.gate_changes),
            prepayment=self.prepayment,
            credit_notes=self.credit_notes,
            services=self.services,
            services_reviewed=self.services_reviewed,
            services_invoiced=self.services_invoiced,
            bonuses=self.bonuses,
            revenue=self.revenue,
            costs=self.costs.view(),  # cost-plus
            cost_periods=self.cost_periods.view(),
            gainshare=self.gainshare,
            gainshare_true_ups=self.gainshare_true_ups,
            purchases=self.purchases.view(),  # volume commitment
            volume_years=self.volume_years,
            volume_forecast=self.volume_forecast,
            support=self.support,  # convertible support
            conversions=self.conversions.view(),
            credits_taken=self.credits_taken.view(),
            decisions=self.decisions.view(),
            windows=self.windows.view(),
            risks=self.risks.view(),
            receivables=self.receivables,
        )
        return state

    def _binding(self) -> Signed | None:
        """The binding signature of the signatures so far, worked out again only once they
        change (``on_signed`` gives the fold new ones)."""
        if self._bound is None or self._bound[0] is not self.signatures:
            self._bound = (self.signatures, binding_of(self.deal, self.signatures))
        return self._bound[1]

    # -- one function per event type --

    def _with(self, ms: MilestoneState) -> None:
        self._set_milestones({**self.milestones, ms.id: ms})

    def on_signed(self, e: Signed) -> None:
        self.signed_by = self.signed_by | set(e.by)
        parties = {p.party for p in self.deal.people if p.id in e.by}
        self.signatures = {**self.signatures, **dict.fromkeys(sorted(parties), e)}

    def on_payment(self, e: Payment) -> None:
        if e.by is not None:  # recorded by the payer: counts once the payee confirms it
            self.payment_refs.add(e.ref)
            self.pending_payments[e.ref] = e
            return
        self._book(e)  # a journal from before confirmations: as recorded

    def on_payment_confirmed(self, e: PaymentConfirmed) -> None:
        payment = self.pending_payments.get(e.ref)
        if payment is None:
            return
        del self.pending_payments[e.ref]
        self.confirmed_by[e.ref] = e.by
        self._book(payment)

    def _book(self, e: Payment) -> None:
        amount = Money.of(e.amount, self.deal.currency)
        balances = dict(self.balances)
        zero = self.zero
        payer = balances.get(e.from_, Balance(zero, zero))
        payee = balances.get(e.to, Balance(zero, zero))
        balances[e.from_] = Balance(payer.paid + amount, payer.received)
        balances[e.to] = Balance(balances.get(e.to, payee).paid, payee.received + amount)
        self.balances = balances
        self.payment_refs.add(e.ref)
        self.receivables = self.receivables.with_payment(e)
        if e.for_ == "convertible":  # convertible support
            self.support = fold_support_payment(self.support, e, buyer=self.receivables.buyer)

    def on_submitted(self, e: Submitted) -> None:
        ms = self.milestones.get(e.milestone)
        spec = self.specs.get(e.milestone)
        if ms is None or spec is None or ms.state in ("accepted", "missed"):
            return
        review = spec.acceptance.review_days if spec.acceptance else None
        until = self.calendar.add_business_days(e.day, review) if review is not None else None
        self._with(
            replace(
                ms,
                state="submitted",
                submitted_on=e.day,
                review_until=until,
                rejected_on=None,
                cure_until=None,
            )
        )

    def on_accepted(self, e: Accepted) -> None:
        ms = self.milestones.get(e.milestone)
        if ms is None or ms.state != "submitted":
            return
        self._with(replace(ms, state="accepted", accepted_on=e.day, deemed=False))

    def on_rejected(self, e: Rejected) -> None:
        ms = self.milestones.get(e.milestone)
        spec = self.specs.get(e.milestone)
        if ms is None or spec is None or ms.state != "submitted":
            return
        cure = e.day + timedelta(days=spec.cure_days or 0)
        self._with(replace(ms, state="rejected", rejected_on=e.day, cure_until=cure))

    def on_work_claimed(self, e: WorkClaimed) -> None:
        self.claims.append(e)

    def on_gate(self, e: GateDecided) -> None:
        """Each decider records their own vote; the gate is decided when every decider's
        latest vote is the same decision, and a new round of votes starts from there."""
        vote = e.decision if e.change is None else f"{e.decision} {e.change}"
        votes = {**self.gate_votes.get(e.phase, {}), **dict.fromkeys(e.by, vote)}
        spec = self.deal.phase(e.phase)
        deciders = set(spec.gate.deciders) if spec is not None and spec.gate else set(e.by)
        if deciders <= set(votes) and {votes[p] for p in deciders} == {vote}:
            changes = {k: v for k, v in self.gate_changes.items() if k != e.phase}
            if e.change is not None:
                changes[e.phase] = e.change
            self.gates = {**self.gates, e.phase: e.decision}
            self.gate_votes = {**self.gate_votes, e.phase: {}}
            self.gate_changes = changes
            return
        self.gate_votes = {**self.gate_votes, e.phase: votes}

    def _change(self, e: ChangeProposed | ChangeApproved | ChangeRejected) -> None:
        after = change_after(self.deal, self.changes.get(e.change), e)
        if after is not None:
            self.changes[e.change] = after

    on_change_proposed = _change
    on_change_approved = _change
    on_change_rejected = _change

    def on_invoice(self, e: Invoice) -> None:
        milestones = dict(self.milestones)
        for line in e.lines:
            if line.for_ in milestones:
                milestones[line.for_] = replace(milestones[line.for_], invoiced=True)
        self._set_milestones(milestones)
        self.invoices.append(e)
        self.invoice_numbers.add(e.number)
        credits = self.receivables.credits_left  # convertible support: what it takes
        self.receivables = self.receivables.with_invoice(e)
        left = self.receivables.credits_left
        if credits is not None and left is not None and left != credits:
            self.credits_taken[e.number] = credits - left
        self._mechanism_lines(e)
        if any(line.for_.startswith("cost:") for line in e.lines):  # cost-plus
            fold_cost_invoice(self.costs, self.cost_periods, e)
        self._gainshare_lines(e)
        self._volume_lines(e)  # volume commitment
        periods = [p for line in e.lines if (p := _service_period(line.for_)) is not None]
        if periods:
            self.services_invoiced = {**self.services_invoiced, **dict.fromkeys(periods, e.number)}

    def on_prepayment_invoice(self, e: PrepaymentInvoice) -> None:
        self.prepayment = e  # the guard issues one; the books count the advance's payment
        self.invoice_numbers.add(e.number)

    def on_service_settled(self, e: ServiceSettled) -> None:
        if e.period not in self.services:  # the guard settles a period once
            self.services = {**self.services, e.period: e}

    def on_service_reviewed(self, e: ServiceReviewed) -> None:
        self.services_reviewed = self.services_reviewed | {e.period}

    def on_credit_note(self, e: CreditNote) -> None:
        if e.for_ == "true-up" and e.period is not None and self.deal.gainshare is not None:
            true_up = GainshareTrueUp(e.number, -e.amount)  # gainshare
            self.gainshare_true_ups = {**self.gainshare_true_ups, e.period: true_up}
        if e.for_ == "rebate" and e.period is not None:  # volume commitment
            self.volume_years = fold_rebate(self.volume_years, e)
        if e.for_ == "revenue-share" and e.period in self.revenue:
            credited = with_document(self.revenue[e.period], e.number, -e.amount)
            self.revenue = {**self.revenue, e.period: credited}
        self.credit_notes = (*self.credit_notes, e)  # rare: one per exit, a few true-ups
        self.invoice_numbers.add(e.number)
        self.receivables = self.receivables.with_credit_note(e)  # its issuer pays it out

    # -- innovation bonus and revenue share --

    def _mechanism_lines(self, e: Invoice) -> None:
        for line in e.lines:
            m = mechanism_line(line.for_)
            if m is None:
                continue
            if m.mechanism == "bonus" and m.period in self.bonuses:
                bonus = replace(self.bonuses[m.period], invoice=e.number)
                self.bonuses = {**self.bonuses, m.period: bonus}
            elif m.mechanism == "revenue" and m.period in self.revenue:
                period = with_document(self.revenue[m.period], e.number, line.amount)
                self.revenue = {**self.revenue, m.period: period}

    def on_bonus_claimed(self, e: BonusClaimed) -> None:
        self.bonuses = {**self.bonuses, e.bonus: BonusState(e.bonus, "claimed", e)}

    def on_bonus_reviewed(self, e: BonusReviewed) -> None:
        earlier = self.bonuses.get(e.bonus)
        if earlier is None or earlier.status != "claimed":  # the guard reviews an open claim
            return
        reasons = tuple(e.reasons)
        reviewed = replace(
            earlier, status=e.decision, reviewed_by=e.by, reviewed_on=e.day, reasons=reasons
        )
        self.bonuses = {**self.bonuses, e.bonus: reviewed}

    # -- cost-plus --

    def on_cost_recorded(self, e: CostRecorded) -> None:
        fold_cost_recorded(self.costs, self.cost_periods, e)

    def on_cost_reviewed(self, e: CostReviewed) -> None:
        fold_cost_reviewed(self.costs, self.cost_periods, e)

    def on_sales_reported(self, e: SalesReported) -> None:
        self.revenue = {**self.revenue, e.period: with_report(self.revenue, e)}

    # -- gainshare --

    def on_savings_settled(self, e: SavingsSettled) -> None:
        if e.period not in self.gainshare:  # the guard settles a month once
            self.gainshare = {**self.gainshare, e.period: GainshareMonth(e)}

    def _gainshare_lines(self, e: Invoice) -> None:
        for line in e.lines:
            m = mechanism_line(line.for_)
            if m is None or m.mechanism != "gainshare" or m.part is None:
                continue
            if m.part == "true-up":
                true_up = GainshareTrueUp(e.number, line.amount)
                self.gainshare_true_ups = {**self.gainshare_true_ups, m.period: true_up}
            elif m.period in self.gainshare:
                month = with_line(self.gainshare[m.period], e.number, m.part, line.amount)
                self.gainshare = {**self.gainshare, m.period: month}

    # -- volume commitment --

    def on_purchases_recorded(self, e: PurchasesRecorded) -> None:
        if e.ref in self.purchases:  # the guard records a ref once
            return
        self.purchases[e.ref] = Purchase(e)
        self.volume_years = fold_recorded(self.volume_years, self.deal, e)

    def on_purchases_confirmed(self, e: PurchasesConfirmed) -> None:
        purchase = self.purchases.get(e.ref)
        if purchase is None or purchase.confirmed_by is not None:
            return
        self.purchases[e.ref] = Purchase(purchase.recorded, e.by, e.day)
        self.volume_years = fold_confirmed(self.volume_years, self.deal, purchase.recorded)

    def on_forecast_recorded(self, e: ForecastRecorded) -> None:
        self.volume_forecast = e

    def _volume_lines(self, e: Invoice) -> None:
        for line in e.lines:
            m = mechanism_line(line.for_)
            if m is not None and m.mechanism == "volume" and m.part == "shortfall":
                self.volume_years = fold_shortfall(
                    self.volume_years, m.period, e.number, line.amount
                )

    # -- convertible support --

    def on_conversion_requested(self, e: ConversionRequested) -> None:
        fold_requested(self.conversions, e)

    def on_conversion_approved(self, e: ConversionApproved) -> None:
        before = self.support
        self.support = fold_approved(self.conversions, before, e)
        if self.support is not before and e.credits:
            credits = Money.of(e.credits, self.deal.currency)
            self.receivables = self.receivables.with_credits(credits)

    def on_exit(self, e: ExitInvoked) -> None:
        if not self.exits:  # the guard allows one exit; a second in a journal changes nothing
            self.exit_effective = exit_takes_effect(self.deal, e)
        self.exits = (*self.exits, e)

    def on_decision(self, e: DecisionLogged) -> None:
        self.decisions.append(e)

    def on_window(self, e: WindowRecorded) -> None:
        self.windows.append(e)

    def on_risk(self, e: RiskUpdated) -> None:
        earlier = self.risks.get(e.risk)
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
        self.risks[e.risk] = entry


def exit_takes_effect(deal: Deal, e: ExitInvoked) -> date:
    """The day an exit takes effect: a convenience exit after its notice, the others at once."""
    if e.trigger == "convenience":
        triggers = deal.exit.triggers if deal.exit else None
        notice = triggers.convenience.notice_days if triggers and triggers.convenience else None
        return e.day + timedelta(days=notice or 0)
    return e.day


def ordered(events: Iterable[Event]) -> list[Event]:
    """Events in journal order by day (stable: same-day events keep their order)."""
    return [e for _, e in dated(events)]


def dated(events: Iterable[Event]) -> list[tuple[date, Event]]:
    """Each event with its day, in journal order by day (stable: same-day events keep their
    order). Each event is asked its day once: the fold's loop and its step reuse it."""
    days = [(e.day, e) for e in events]
    days.sort(key=_day_of)  # a journal comes in day order: one pass over it
    return days


_day_of = itemgetter(0)


def deal_state(deal: Deal, events: Iterable[Event], *, on: date) -> DealState:
    """The state of ``deal`` at the end of ``on``, from the events up to that day."""
    fold = _Fold(deal)
    apply = fold.apply
    for day, event in dated(events):
        if day > on:
            break
        apply(event, day)
    return fold.state(on)


class RunningFold:
    """The fold kept open while a journal is checked event by event (an import): pushing an
    event costs one step, not a refold of the whole history, and :meth:`state_on` gives what
    :func:`deal_state` gives for the events pushed so far, in O(1) of the journal's length (a
    state taken earlier keeps reading as it did). Events must be pushed in day order."""

    def __init__(self, deal: Deal, events: Iterable[Event] = ()) -> None:
        self._deal = deal
        self._fold = _Fold(deal)
        self._on = date.min  # the day of the last event pushed
        for day, event in dated(events):
            self.push(event, day)

    def push(self, event: Event, day: date | None = None) -> None:
        """Take ``event`` (of ``day``, when the caller has asked it already)."""
        day = event.day if day is None else day
        if day < self._on:
            raise ValueError(f"events must come in day order: {day} after {self._on}")
        self._fold.apply(event, day)
        self._on = day

    def state_on(self, on: date) -> DealState:
        """The state at the end of ``on``; ``on`` must not be before the last pushed event."""
        if on < self._on:
            raise ValueError(f"the fold is already at {self._on}, after {on}")
        return self._fold.state(on)
