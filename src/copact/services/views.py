"""The read side: what every edge shows of a deal (web pages, the JSON API, the command
line's tables, the documents), built from one fold of its journal and put in the words and
figures a person checks. Every change goes through ``copact.services.operations``; the JSON
shapes of these views are in ``copact.services.views_json``.

An invoice has one meaning of due, paid and overdue everywhere (:class:`InvoiceView`): its
total, what the advance settled, what confirmed payments settled, what an exit's settlement
netted, what is outstanding, and overdue when something is outstanding after its due date.

Money committed vs contributed, per party:

- the buyer commits the invoice amounts of all milestones and contributes what it has paid;
- the supplier commits its funding share of each phase's cost (spread over the phase's
  milestones in proportion to their amounts) and contributes that share for the milestones
  accepted so far.

Deviations from plan (earned-value style, in money): schedule = earned − planned to date
(planned: invoice amounts of milestones due by today; earned: of those accepted); cost =
earned − paid.

Once an exit is recorded the deal shows it everywhere (``exit``: trigger, who invoked it, the
day it takes effect, whether the deal has ended and the recorded settlement), and payments
recorded by the payer but not yet confirmed by the payee are listed (``pending_payments``):
they do not count in balances or invoices until then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from copact.core.changes import missing_approvals
from copact.core.convertible import SupportStanding, support_standing  # convertible support
from copact.core.costplus import CostBudget, cost_budget  # cost-plus
from copact.core.deal import Deal
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
    InvoiceLine,
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
from copact.core.invoicing import (
    InvoiceStanding,
    advance_payee,
    buyer_of,
    buyer_share,
    invoice_amounts,
    milestone_amounts,
)
from copact.core.money import Money, allocate
from copact.core.revenue import REPORT_DAYS, period_bounds, share_owed
from copact.core.service import needs_review
from copact.core.settlement import (
    TRIGGERS,
    ExitSettlement,
    exit_refund_left,
    open_triggers,
    settle_exit,
    settlement_of,
)
from copact.core.state import DealState, MilestoneState, RiskEntry, RunningFold
from copact.core.volume import VolumeView, volume_view  # volume commitment
from copact.errors import RefusedCommand, UnknownName

__all__ = [
    "BalanceRow",
    "ChangeRow",
    "DealView",
    "ExitPreview",
    "ExitView",
    "InvoiceView",
    "MilestoneRow",
    "PartyMoney",
    "deal_view",
    "describe",
    "exit_preview",
    "exit_view",
    "money_text",
    "utc",
    "view_of",
]


def utc(moment: datetime) -> datetime:
    """SQLite hands stored moments back without their zone; every one we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def money_text(m: Money | Decimal | str) -> str:
    """12,000.00: the one way pages show an amount (JSON keeps plain decimal strings)."""
    amount = m.quantize().amount if isinstance(m, Money) else Decimal(m)
    return f"{amount:,.2f}"


@dataclass(frozen=True)
class MilestoneRow:
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
    amount: Money
    invoice_amount: Money
    signoff: str | None
    criteria: list[str]
    evidence_kinds: list[str]
    late_days: int  # days past due without acceptance (0 when on time)


@dataclass(frozen=True)
class PartyMoney:
    party: str
    name: str
    role: str
    committed: Money
    contributed: Money


@dataclass(frozen=True)
class ExitView:
    """The exit a deal's journal records: who invoked it, when it takes effect, its settlement."""

    trigger: str
    by: str  # the person (or, in an imported journal, the party) who invoked it
    on: date
    effective: date
    ended: bool  # it has taken effect: only its settlement moves money now
    settlement: ExitSettlement
    to_credit: Money | None = None
    """What the refund owes the buyer beyond the exit credit notes issued: the next note's
    amount (the whole refund before the first), zero once credited; ``None`` when the
    settlement owes the buyer nothing or the exit is still to take effect."""
    settled: Money | None = None
    """What was paid ``for: exit`` by whoever owes the settlement to whoever is owed, and
    counts (confirmed by the payee); ``None`` when not worked out."""

    @property
    def left(self) -> Money:
        """What of the settlement is still to pay."""
        s = self.settlement
        paid = self.settled if self.settled is not None else Money.zero(s.owed.currency)
        return max(s.owed.quantize() - paid, Money.zero(s.owed.currency))

    @property
    def status(self) -> str:
        """``ended on …`` once it has taken effect, ``ends on …`` during a notice period."""
        return f"{'ended' if self.ended else 'ends'} on {self.effective}"

    @property
    def owed(self) -> str:
        """``voltworks owes acme USD 12,000.00``: who pays whom to settle it; once paid,
        ``voltworks paid acme USD 12,000.00: settled``, and ``(5,000.00 paid, 7,000.00 to
        pay)`` in between."""
        s = self.settlement
        code, total = s.owed.currency.code, money_text(s.owed)
        paid = self.settled
        if paid is None or paid.is_zero or s.owed.is_zero:
            return f"{s.owed_from} owes {s.owed_to} {code} {total}"
        if self.left.is_zero:
            return f"{s.owed_from} paid {s.owed_to} {code} {total}: settled"
        return (
            f"{s.owed_from} owes {s.owed_to} {code} {total} ({money_text(paid)} paid, "
            f"{money_text(self.left)} to pay)"
        )

    @property
    def headline(self) -> str:
        """``Ended on 2026-07-01 by an insolvency exit: voltworks owes acme USD 0.00``."""
        article = "an" if self.trigger[0] in "aeiou" else "a"
        when = "Ended" if self.ended else "Ends"
        return f"{when} on {self.effective} by {article} {self.trigger} exit: {self.owed}"


def exit_view(
    deal: Deal, state: DealState, events: list[Event], *, effective: DealState | None = None
) -> ExitView | None:
    """The exit recorded by ``state``'s day, settled on the journal up to that day; ``None``
    while the deal runs. ``effective`` is the state of the same events on the day the exit
    takes effect, when it is still to come (``deal_view`` has it from its one fold); once the
    exit has taken effect ``state`` itself is that state."""
    invoked = state.exit
    if invoked is None or state.exit_effective is None:
        return None
    at = state if state.on >= state.exit_effective else effective
    settlement = settlement_of(deal, [e for e in events if e.day <= state.on], state=at)
    assert settlement is not None  # the state folded an exit from the same events
    return ExitView(
        trigger=invoked.trigger,
        by=invoked.by,
        on=invoked.day,
        effective=state.exit_effective,
        ended=state.ended,
        settlement=settlement,
        to_credit=exit_refund_left(deal, state, settlement),
        settled=_paid_for_exit(deal, state, events, settlement),
    )


def _paid_for_exit(
    deal: Deal, state: DealState, events: list[Event], settlement: ExitSettlement
) -> Money:
    """The payments ``for: exit`` from who owes the settlement to who is owed, up to
    ``state``'s day, that count: confirmed by the payee (or, in a journal from before
    confirmations, recorded without a payer's person)."""
    paid = Money.zero(deal.currency)
    for e in events:
        if (
            isinstance(e, Payment)
            and e.day <= state.on
            and e.for_ == "exit"
            and (e.from_, e.to) == (settlement.owed_from, settlement.owed_to)
            and (e.by is None or e.ref in state.confirmed_by)
        ):
            paid = paid + Money.of(e.amount, deal.currency)
    return paid


@dataclass(frozen=True)
class InvoiceView:
    """An invoice as issued and where it stands on ``on``: ``total`` = ``from_advance`` +
    ``paid`` + ``netted`` (after an exit) + ``outstanding``; ``due_in_cash`` = ``total`` −
    ``from_advance``; overdue when something is outstanding after ``due``."""

    issued: Invoice
    standing: InvoiceStanding
    on: date
    type_code: int = 380  # UNCL 1001: 380 invoice, 386 the advance's, 381 a credit note
    preceding: Invoice | None = None  # what a credit note corrects (the advance's invoice)
    netted: Money | None = None
    """Once an exit has taken effect: what of the outstanding the settlement netted against
    the buyer's unused payments (:func:`_netted`), so nobody pays it by the invoice's number
    any more; ``outstanding`` is what is left after it."""

    @property
    def prepayment(self) -> bool:
        """The advance's invoice: it asks for the advance, which milestone invoices deduct."""
        return self.type_code == PREPAYMENT

    @property
    def credit_note(self) -> bool:
        """A credit note: money the supplier gives back (an exit's refund, a rebate, a
        true-up, a corrected revenue report), paid out by its issuer to its addressee."""
        return self.type_code == CREDIT_NOTE

    @property
    def number(self) -> str:
        return self.issued.number

    @property
    def day(self) -> date:
        return self.issued.day

    @property
    def from_(self) -> str:
        return self.issued.from_

    @property
    def to(self) -> str:
        return self.issued.to

    @property
    def milestones(self) -> tuple[str, ...]:
        return self.standing.milestones

    @property
    def due(self) -> date:
        return self.issued.due

    @property
    def total(self) -> Money:
        return self.standing.total

    @property
    def from_advance(self) -> Money:
        return self.standing.from_advance

    @property
    def due_in_cash(self) -> Money:
        return self.standing.cash_due

    @property
    def paid(self) -> Money:
        return self.standing.paid

    @property
    def outstanding(self) -> Money:
        if self.netted is not None:
            return self.standing.outstanding - self.netted
        return self.standing.outstanding

    @property
    def status(self) -> str:
        """``open``, ``part-paid`` or ``paid``; ``netted`` when the exit settlement netted all
        that was outstanding (``part-paid`` when it netted part of it)."""
        if self.netted is None or self.netted.is_zero:
            return self.standing.status
        return "netted" if self.outstanding.is_zero else "part-paid"

    @property
    def overdue(self) -> bool:
        """Something is outstanding (after what the exit netted) and the due date is past."""
        return not self.outstanding.is_zero and self.due < self.on


@dataclass(frozen=True)
class BalanceRow:
    """What a party paid and received in confirmed payments."""

    party: str
    paid: Money
    received: Money


@dataclass(frozen=True)
class ChangeRow:
    """A change order with each side's approvals and who is still missing."""

    id: str
    status: str
    proposed_by: str
    proposed_on: date
    amount: Decimal | None
    patch: dict[str, Any] | None
    approvals: list[str]
    missing: list[str]
    decided_on: date | None


@dataclass(frozen=True)
class ServicePeriodRow:
    """A settled period of the SLA: what it bills, whether it waits for a review, its invoice."""

    period: str
    settled_on: date
    by: str
    amount: Money
    credits: Money
    bonuses: Money
    flags: list[str]
    inputs: str
    needs_review: bool
    reviewed: bool
    invoice: str | None

    @property
    def waiting(self) -> str | None:
        """What the period waits for before it is invoiced, or ``None``."""
        if self.invoice is not None:
            return None
        if self.needs_review and not self.reviewed:
            return f"a review by the party other than {self.by}'s"
        return "its invoice"


# -- innovation bonuses and revenue share --


@dataclass(frozen=True)
class BonusRow:
    """An innovation bonus of the deal: what it pays, when, and where its claim stands
    (``open`` when nobody has claimed it)."""

    id: str
    amount: Money
    when: str
    signoff: str | None
    status: str  # open | claimed | approved | rejected
    claimed_by: str | None = None
    claimed_on: date | None = None
    evidence: list[str] = field(default_factory=list)  # the claim's file names
    reviewed_by: str | None = None
    reasons: list[str] = field(default_factory=list)
    invoice: str | None = None


@dataclass(frozen=True)
class RevenueRow:
    """A reported period of the revenue share: the sales (audited when an audit replaced the
    report), the share they owe, what was billed, and whether the report came late."""

    period: str
    reported_on: date
    due: date  # the report's due date: REPORT_DAYS after the period's end
    reported: Decimal
    sales: Decimal
    audited: bool
    share: Money
    billed: Money
    documents: list[str]

    @property
    def late(self) -> bool:
        return self.reported_on > self.due

    @property
    def to_bill(self) -> Money:
        """What is still to invoice (negative: to credit)."""
        return self.share - self.billed


def _bonuses(deal: Deal, state: DealState) -> list[BonusRow]:
    rows = []
    for spec in deal.innovation_bonus:
        amount = Money.of(spec.amount, deal.currency).quantize()
        b = state.bonuses.get(spec.id)
        if b is None:
            rows.append(BonusRow(spec.id, amount, str(spec.when), spec.signoff, "open"))
            continue
        rows.append(
            BonusRow(
                spec.id,
                amount,
                str(spec.when),
                spec.signoff,
                b.status,
                claimed_by=b.claim.by,
                claimed_on=b.claim.day,
                evidence=[r.name for r in b.claim.evidence],
                reviewed_by=b.reviewed_by,
                reasons=list(b.reasons),
                invoice=b.invoice,
            )
        )
    return rows


def _revenue(deal: Deal, state: DealState) -> list[RevenueRow]:
    rows = []
    for period, r in sorted(state.revenue.items()):
        _, after = period_bounds(deal, period)
        rows.append(
            RevenueRow(
                period=period,
                reported_on=r.report.day,
                due=after + timedelta(days=REPORT_DAYS - 1),
                reported=r.report.sales,
                sales=r.sales,
                audited=r.audited is not None,
                share=share_owed(deal, r.sales),
                billed=Money.of(r.billed, deal.currency),
                documents=list(r.documents),
            )
        )
    return rows


@dataclass(frozen=True)
class SignatureRow:
    party: str
    by: list[str]  # nobody yet: []
    on: date | None
    version: str | None  # the SHA-256 of the text signed (older journals: none)


@dataclass(frozen=True)
class DealView:
    deal: Deal
    state: DealState
    today: date
    milestones: list[MilestoneRow]
    money: list[PartyMoney]
    planned_to_date: Money
    earned: Money
    paid: Money
    invoices: list[InvoiceView]
    balances: list[BalanceRow]
    changes: list[ChangeRow]
    exit: ExitView | None = None
    prepayment: InvoiceView | None = None  # the prepaid advance's invoice, once issued
    credit_notes: list[InvoiceView] = field(default_factory=list)  # type 381, in order
    service_periods: list[ServicePeriodRow] = field(default_factory=list)  # settled, in order
    bonuses: list[BonusRow] = field(default_factory=list)  # the deal's innovation bonuses
    revenue: list[RevenueRow] = field(default_factory=list)  # reported periods, in order
    costs: CostBudget | None = None  # cost-plus: the budget and each month's costs
    volume: VolumeView | None = None  # volume commitment: its contract years and purchases
    support: SupportStanding | None = None  # convertible support: paid, converted, credits
    # the SHA-256 of the deal's text as it stands, the version a signature records now, when
    # the edge looked it up (the dashboard: whether a party's signature is of an older one)
    current_version: str | None = None

    @property
    def signatures(self) -> list[SignatureRow]:
        """Each party with its latest signature (or none yet), in the deal's order."""
        rows = []
        for party in self.deal.parties:
            e = self.state.signatures.get(party.id)
            rows.append(
                SignatureRow(
                    party.id,
                    list(e.by) if e else [],
                    e.day if e else None,
                    e.version if e else None,
                )
            )
        return rows

    @property
    def binding(self) -> str:
        """One line: whether the deal binds, since when and on which version, or whose
        signature it waits for."""
        bound = self.state.binding
        if bound is not None:
            version = f" on version {bound.version[:12]}…" if bound.version else ""
            return f"binding since {bound.day}: every party signed{version}"
        waiting = self.state.unsigned
        if waiting:
            return f"not binding yet: waiting for the signature of {', '.join(waiting)}"
        return "not binding yet: the parties signed different versions; sign the current one"

    @property
    def ended(self) -> bool:
        """An exit has taken effect: the pages offer no more actions but its settlement."""
        return self.exit is not None and self.exit.ended

    @property
    def operable(self) -> bool:
        """The deal binds (a person of every party signed the same version) and no exit has
        taken effect: what a page's operating forms need. Before it binds the services take
        only signatures and the negotiation's decisions and risks, after an exit only its
        settlement, so a form that would be refused is not offered."""
        return self.state.binding is not None and not self.ended

    def may_sign(self, party: str) -> bool:
        """Whether a person of ``party`` can sign the deal now: it does not bind yet and the
        party has no signature, or one of another version than :attr:`current_version` (the
        parties signed different versions). A signature without a version, from an older
        journal, is not followed by another, as the sign command holds."""
        if self.state.binding is not None or self.ended:
            return False
        signed = self.state.signatures.get(party)
        if signed is None:
            return True
        current = self.current_version
        return signed.version is not None and current is not None and signed.version != current

    @property
    def status(self) -> str:
        """``running``, ``ending`` (an exit in its notice period) or ``ended``."""
        return "running" if self.exit is None else "ended" if self.exit.ended else "ending"

    @property
    def status_text(self) -> str:
        """``running``, ``ends on …`` or ``ended on …``: the deals list's status column."""
        return "running" if self.exit is None else self.exit.status

    @property
    def pending_payments(self) -> list[Payment]:
        """Payments recorded by the payer and not yet confirmed by the payee, in order."""
        return list(self.state.pending_payments.values())

    @property
    def schedule_variance(self) -> Money:
        return self.earned - self.planned_to_date

    @property
    def cost_variance(self) -> Money:
        return self.earned - self.paid

    @property
    def late(self) -> list[MilestoneRow]:
        return [m for m in self.milestones if m.late_days > 0]

    def invoice(self, number: str) -> InvoiceView | None:
        """The invoice of that number: a milestone invoice or the advance's."""
        return next((i for i in self.documents if i.number == number), None)

    @property
    def documents(self) -> list[InvoiceView]:
        """Every invoice and credit note the deal issued: the advance's first, then the
        milestones', then the credit notes; what its documents list shows."""
        first = [self.prepayment] if self.prepayment else []
        return first + self.invoices + self.credit_notes

    @property
    def risks(self) -> list[RiskEntry]:
        return list(self.state.risks.values())


def _late(ms: MilestoneState, due: date | None, today: date) -> int:
    if due is None:
        return 0
    done = ms.accepted_on
    if done is not None:
        return max(0, (done - due).days)
    return max(0, (today - due).days)


def _supplier_costs(deal: Deal) -> dict[str, Money]:
    """Each milestone's share of its phase's cost, in proportion to milestone amounts."""
    amounts = milestone_amounts(deal)
    out = {m.id: Money.zero(deal.currency) for m in deal.milestones}
    for phase in deal.phases:
        if phase.cost is None:
            continue
        members = [m for m in deal.milestones if m.phase == phase.id]
        weights = [amounts[m.id].amount for m in members]
        if members and sum(weights) > 0:
            parts = allocate(Money.of(phase.cost, deal.currency).quantize(), weights)
            for m, part in zip(members, parts, strict=True):
                out[m.id] = part
    return out


def deal_view(deal: Deal, events: list[Event], *, today: date) -> DealView:
    """The deal as every edge shows it at the end of ``today``: one fold of its journal (an
    exit in its notice period is settled on the same fold, run on to the day it takes
    effect)."""
    fold = RunningFold(deal, [e for e in events if e.day <= today])
    state = fold.state_on(today)
    effective = state.exit_effective
    later = fold.state_on(effective) if effective is not None and effective > today else None
    return view_of(state, events, effective=later)


def view_of(
    state: DealState, events: list[Event] | None, *, effective: DealState | None = None
) -> DealView:
    """The view of a state already folded; ``events`` is the journal it was folded from (for
    the recorded exit's settlement; ``None`` shows no exit), ``effective`` the same fold's
    state on the day a recorded exit takes effect, if that is after ``state``'s day."""
    deal, today = state.deal, state.on
    amounts = milestone_amounts(deal)
    invoiced = invoice_amounts(deal)
    costs = _supplier_costs(deal)
    zero = Money.zero(deal.currency)
    rows = []
    for spec in deal.milestones:
        ms = state.milestones[spec.id]
        acc = spec.acceptance
        rows.append(
            MilestoneRow(
                id=spec.id,
                phase=spec.phase,
                description=spec.description,
                due=spec.due,
                state=ms.state,
                deemed=ms.deemed,
                submitted_on=ms.submitted_on,
                accepted_on=ms.accepted_on,
                review_until=ms.review_until,
                cure_until=ms.cure_until,
                invoiced=ms.invoiced,
                amount=amounts[spec.id],
                invoice_amount=invoiced[spec.id],
                signoff=acc.signoff if acc else None,
                criteria=[str(c) for c in acc.criteria] if acc else [],
                evidence_kinds=list(acc.evidence) if acc else [],
                late_days=_late(ms, spec.due, today),
            )
        )
    buyer = buyer_of(deal)
    money = []
    for party in deal.parties:
        if party.id == buyer:
            committed = sum((invoiced[m.id] for m in deal.milestones), zero)
            bal = state.balances.get(party.id)
            contributed = bal.paid if bal else zero
        elif party.role == "supplier":
            committed = zero
            contributed = zero
            for m in deal.milestones:
                share = deal.funding_share(m.phase, party.id)
                if share is None:
                    share_f = Decimal(1) - buyer_share(deal, m).fraction
                    if len(deal.suppliers) > 1:
                        share_f = Decimal(0)
                else:
                    share_f = share.fraction
                part = costs[m.id].times(share_f)
                committed = committed + part
                if state.milestones[m.id].state == "accepted":
                    contributed = contributed + part
        else:
            committed = contributed = zero
        money.append(PartyMoney(party.id, str(party.name), party.role, committed, contributed))
    planned = sum((invoiced[r.id] for r in rows if r.due is not None and r.due <= today), zero)
    earned = sum((invoiced[r.id] for r in rows if r.state == "accepted"), zero)
    bal = state.balances.get(buyer)
    paid = bal.paid if bal else zero
    exit_ = exit_view(deal, state, events, effective=effective) if events is not None else None
    return DealView(
        deal,
        state,
        today,
        rows,
        money,
        planned,
        earned,
        paid,
        invoices=_invoices(state, _netted(state, exit_)),
        balances=[BalanceRow(p, b.paid, b.received) for p, b in state.balances.items()],
        changes=_changes(deal, state),
        exit=exit_,
        prepayment=(advance := _prepayment(state)),
        credit_notes=_credit_notes(state, advance),
        service_periods=_service_periods(state),
        bonuses=_bonuses(deal, state),
        revenue=_revenue(deal, state),
        costs=cost_budget(deal, state),  # cost-plus
        volume=volume_view(deal, state),  # volume commitment
        support=support_standing(deal, state),  # convertible support
    )


def _invoices(state: DealState, netted: Mapping[str, Money]) -> list[InvoiceView]:
    standing = {i.number: i for i in state.book.invoices}
    return [
        InvoiceView(i, standing[i.number], state.on, netted=netted.get(i.number))
        for i in state.invoices
    ]


def _netted(state: DealState, exit_: ExitView | None) -> dict[str, Money]:
    """Once an exit has taken effect, what the settlement netted of each invoice the supplier
    issued the buyer: the buyer still pays ``invoices_open`` by the invoices' numbers, and the
    rest of what they have outstanding the refund already took into account (earned counts
    them, and the buyer's unused payments met them). It is placed oldest due date first (ties
    in the order issued), as a payment that names no invoice is, so the invoices left to pay
    are the latest. Hybrid-dc1 with 20,000.00 of convertible support paid and never converted
    exits with 88,200.00 outstanding on VW-2 and 68,200.00 open: 20,000.00 of VW-2 is netted
    and 68,200.00 shows outstanding; once Acme pays that, VW-2 reads ``netted``."""
    if exit_ is None or not exit_.ended:
        return {}
    deal = state.deal
    try:
        owed = state.book.oldest_open((buyer_of(deal), advance_payee(deal)))
    except RefusedCommand:
        return {}
    zero = Money.zero(deal.currency)
    left = exit_.settlement.invoices_open or zero
    netting = sum((i.outstanding for i in owed), zero) - left
    netted: dict[str, Money] = {}
    for invoice in owed:
        if netting.amount <= 0:
            break
        take = min(netting, invoice.outstanding)
        netted[invoice.number] = take
        netting = netting - take
    return netted


PREPAYMENT = 386


def _prepayment(state: DealState) -> InvoiceView | None:
    """The advance's invoice as an invoice of one line (``for: prepaid``), paid as far as the
    advance was (confirmed payments ``for: prepaid``, up to its total)."""
    e = state.prepayment
    if e is None:
        return None
    issued = Invoice(
        at=e.at,
        deal=e.deal,
        number=e.number,
        from_=e.from_,
        to=e.to,
        lines=[InvoiceLine(for_="prepaid", amount=e.amount)],
        due=e.due,
        tax=e.tax,
    )
    total = Money.of(e.total, state.deal.currency)
    paid = min(state.book.advance_paid, total)
    standing = InvoiceStanding(
        e.number, ("prepaid",), e.from_, e.to, e.day, e.due, total, total - total, paid
    )
    return InvoiceView(issued, standing, state.on, PREPAYMENT)


CREDIT_NOTE = 381


def _service_periods(state: DealState) -> list[ServicePeriodRow]:
    rows = []
    currency = state.deal.currency
    for period, e in sorted(state.services.items()):
        rows.append(
            ServicePeriodRow(
                period=period,
                settled_on=e.day,
                by=e.by,
                amount=Money.of(e.amount, currency),
                credits=Money.of(sum((s.credits for s in e.sites), Decimal(0)), currency),
                bonuses=Money.of(sum((s.bonuses for s in e.sites), Decimal(0)), currency),
                flags=list(e.flags),
                inputs=e.inputs,
                needs_review=needs_review(e.flags),
                reviewed=period in state.services_reviewed,
                invoice=state.services_invoiced.get(period),
            )
        )
    return rows


def _credit_notes(state: DealState, advance: InvoiceView | None) -> list[InvoiceView]:
    """Each credit note as a document of one line (for its kind: ``exit``, ``rebate``,
    ``true-up``, ``revenue-share``), standing as the books say: paid as far as its issuer's
    confirmed payments for it go (``core.invoicing.Receivables``, as for an invoice)."""
    standing = {n.number: n for n in state.book.credit_notes}
    notes = []
    for e in state.credit_notes:
        issued = Invoice(
            at=e.at,
            deal=e.deal,
            number=e.number,
            from_=e.from_,
            to=e.to,
            lines=[InvoiceLine(for_=e.for_, amount=e.amount)],
            due=e.due,
            tax=e.tax,
        )
        corrects = advance.issued if advance is not None and e.preceding == advance.number else None
        notes.append(InvoiceView(issued, standing[e.number], state.on, CREDIT_NOTE, corrects))
    return notes


def _changes(deal: Deal, state: DealState) -> list[ChangeRow]:
    return [
        ChangeRow(
            id=c.id,
            status=c.status,
            proposed_by=c.proposed_by,
            proposed_on=c.proposed_on,
            amount=c.amount,
            patch=c.patch,
            approvals=list(c.approvals),
            missing=missing_approvals(deal, c) if c.status == "proposed" else [],
            decided_on=c.decided_on,
        )
        for c in state.changes.values()
    ]


@dataclass(frozen=True)
class ExitPreview:
    """What an exit by ``trigger`` invoked on ``on`` would settle, or why it is not open;
    once the journal records an exit, that one (``recorded``: every trigger is closed)."""

    trigger: str
    on: date
    open: bool
    why: str
    settlement: ExitSettlement | None
    recorded: bool


def exit_preview(
    deal: Deal, events: list[Event], *, trigger: str, on: date, party: str
) -> ExitPreview:
    if trigger not in TRIGGERS:
        raise UnknownName(f"unknown trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
    recorded = settlement_of(deal, events)
    if recorded is not None:  # the deal has ended (or will, after notice): show its settlement
        why = (
            f"closed: {recorded.by} invoked {_a(recorded.trigger)} exit on {recorded.on}, "
            f"effective {recorded.effective}"
        )
        return ExitPreview(recorded.trigger, recorded.on, False, why, recorded, True)
    why = open_triggers(deal, events, on=on, by=party)[trigger]
    if not why.startswith("open"):
        return ExitPreview(trigger, on, False, why, None, False)
    settlement = settle_exit(deal, events, trigger=trigger, on=on, by=party)
    return ExitPreview(trigger, on, True, why, settlement, False)


def _a(trigger: str) -> str:
    return f"{'an' if trigger[0] in 'aeiou' else 'a'} {trigger}"


def describe(event: Event) -> str:
    """One line a person reads: what happened, to what, by whom."""
    if isinstance(event, Invoice):
        return (
            f"invoice {event.number}: {event.from_} → {event.to} {event.total:,.2f} for "
            f"{', '.join(line.for_ for line in event.lines)}, due {event.due}"
        )
    if isinstance(event, PrepaymentInvoice):
        vat = f" ({event.tax:,.2f} of it VAT)" if event.tax else ""
        return (
            f"prepayment invoice {event.number}: {event.from_} → {event.to} {event.total:,.2f} "
            f"for the prepaid advance{vat}, due {event.due}"
        )
    if isinstance(event, ServiceSettled):
        review = "; flagged for review" if needs_review(event.flags) else ""
        return (
            f"service period {event.period} settled by {event.by}: {event.amount:,.2f} to bill "
            f"({len(event.sites)} site{'s' if len(event.sites) != 1 else ''}){review}"
        )
    if isinstance(event, CostRecorded):  # cost-plus
        over = "; above the cap, flagged" if event.overrun else ""
        return (
            f"cost {event.id} of {event.period} recorded by {event.by}: {event.amount:,.2f} "
            f"({event.description}){over}"
        )
    if isinstance(event, CostReviewed):
        why = f": {'; '.join(event.reasons)}" if event.reasons else ""
        return f"cost {event.cost} {event.decision} by {event.by}{why}"
    if isinstance(event, ServiceReviewed):
        return f"service period {event.period} reviewed by {event.by}: it may be invoiced"
    if isinstance(event, SavingsSettled):  # gainshare
        return (
            f"gainshare {event.period} settled by {event.by}: savings {event.savings} "
            f"(predicted {event.predicted}, actual {event.actual})"
        )
    if isinstance(event, CreditNote) and event.for_ == "true-up":  # gainshare
        corrects = f", correcting {event.preceding}" if event.preceding else ""
        return (
            f"credit note {event.number}: {event.from_} → {event.to} {event.total:,.2f}, the "
            f"true-up of contract year {event.period}{corrects}"
        )
    if isinstance(event, PurchasesRecorded):  # volume commitment
        return (
            f"purchases {event.ref} of {event.period} recorded by {event.by}: {event.quantity:,} "
            f"units, {event.amount:,.2f}; they count once the other party confirms them"
        )
    if isinstance(event, PurchasesConfirmed):
        return f"purchases {event.ref} confirmed by {event.by}: they count from now on"
    if isinstance(event, ForecastRecorded):
        quantities = ", ".join(f"{q:,}" for q in event.quantities)
        return f"forecast from {event.from_} by {event.by}: {quantities}"
    if isinstance(event, ConversionRequested):  # convertible support
        return (
            f"conversion {event.conversion} of {event.amount:,.2f} at the {event.window} window "
            f"asked for by {event.by}; it converts once the other party approves it by then"
        )
    if isinstance(event, ConversionApproved):
        into = f": {event.credits:,.2f} in credits" if event.credits is not None else ""
        return f"conversion {event.conversion} approved by {event.by}{into}"
    if isinstance(event, CreditNote) and event.for_ == "rebate":
        return (
            f"credit note {event.number}: {event.from_} → {event.to} {event.total:,.2f}, the "
            f"volume rebate of contract year {event.period}"
        )
    if isinstance(event, CreditNote):
        corrects = f", correcting {event.preceding}" if event.preceding else ""
        what = "the exit refund" if event.for_ == "exit" else f"{event.for_} {event.period}"
        return (
            f"credit note {event.number}: {event.from_} → {event.to} {event.total:,.2f} for "
            f"{what}{corrects}"
        )
    if isinstance(event, Payment):
        what = f" for {event.for_}" if event.for_ else ""
        by = f", recorded by {event.by}; it counts once {event.to} confirms it" if event.by else ""
        return f"payment {event.ref}: {event.from_} → {event.to} {event.amount:,.2f}{what}{by}"
    if isinstance(event, PaymentConfirmed):
        return f"payment {event.ref} confirmed by {event.by}: it counts from now on"
    if isinstance(event, Submitted):
        return (
            f"{event.milestone} submitted by {event.by} with {len(event.evidence)} evidence files"
        )
    if isinstance(event, Accepted):
        return f"{event.milestone} accepted by {event.by}"
    if isinstance(event, Rejected):
        return f"{event.milestone} rejected by {event.by}: {'; '.join(event.reasons)}"
    if isinstance(event, WorkClaimed):
        by = f" by {event.by}" if event.by else ""
        return f"work claimed{by}: {event.amount:,.2f} for {event.for_}"
    if isinstance(event, GateDecided):
        return f"gate of {event.phase}: {', '.join(event.by)} decided {event.decision}"
    if isinstance(event, ChangeProposed | ChangeApproved | ChangeRejected):
        cost = f" ({event.amount:,.2f})" if event.amount is not None else ""
        verb = event.type.removeprefix("change-")
        return f"change {event.change}{cost} {verb} by {event.by}"
    if isinstance(event, ExitInvoked):
        return f"{event.trigger} exit invoked by {event.by}"
    if isinstance(event, DecisionLogged):
        topic = f" on {event.topic}" if event.topic else ""
        return f"decision{topic} by {', '.join(event.by)}: {event.decision}"
    if isinstance(event, WindowRecorded):
        start, end = (t.isoformat(timespec="minutes") for t in (event.start, event.end))
        return f"{event.kind} window of {event.site}, {start} to {end}, approved by {event.by}"
    if isinstance(event, RiskUpdated):
        changed = [
            f"{name} {value}"
            for name, value in (
                ("likelihood", event.likelihood),
                ("impact", event.impact),
                ("owner", event.owner),
                ("status", event.status),
            )
            if value is not None
        ]
        return f"risk {event.risk} recorded by {event.by}" + (
            f": {', '.join(changed)}" if changed else ""
        )
    if isinstance(event, BonusClaimed):
        files = len(event.evidence)
        return f"bonus {event.bonus} claimed by {event.by} with {files} evidence file(s)"
    if isinstance(event, BonusReviewed):
        why = f": {'; '.join(event.reasons)}" if event.reasons else ""
        return f"bonus {event.bonus} {event.decision} by {event.by}{why}"
    if isinstance(event, SalesReported):
        what = "audited" if event.audit else "reported"
        return f"sales of {event.period} {what} by {event.by}: {event.sales:,.2f}"
    if isinstance(event, Signed):
        return f"signed by {', '.join(event.by)}"
    return event.type
