"""What the pages and the API show of a deal: the state folded today, put in the words and
figures a person checks (read side; every change goes through ``copact.services``).

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

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from copact.core.deal import Deal
from copact.core.events import Event, Invoice, Payment
from copact.core.invoicing import (
    InvoiceStanding,
    buyer_of,
    buyer_share,
    invoice_amounts,
    milestone_amounts,
)
from copact.core.money import Money, allocate
from copact.core.settlement import ExitSettlement, settlement_of, settlement_to_json
from copact.core.state import (
    DealState,
    MilestoneState,
    deal_state,
    invoice_to_json,
    state_to_json,
)

__all__ = [
    "DealView",
    "ExitView",
    "MilestoneRow",
    "PartyMoney",
    "deal_view",
    "exit_view",
    "invoice_json",
    "invoices_json",
    "money_text",
    "payment_json",
    "utc",
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

    @property
    def status(self) -> str:
        """``ended on …`` once it has taken effect, ``ends on …`` during a notice period."""
        return f"{'ended' if self.ended else 'ends'} on {self.effective}"

    @property
    def owed(self) -> str:
        """``voltworks owes acme USD 12,000.00``: who pays whom to settle it."""
        s = self.settlement
        return f"{s.owed_from} owes {s.owed_to} {s.owed.currency.code} {money_text(s.owed)}"

    @property
    def headline(self) -> str:
        """``Ended on 2026-07-01 by an insolvency exit: voltworks owes acme USD 0.00``."""
        article = "an" if self.trigger[0] in "aeiou" else "a"
        when = "Ended" if self.ended else "Ends"
        return f"{when} on {self.effective} by {article} {self.trigger} exit: {self.owed}"

    def json(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "by": self.by,
            "on": self.on.isoformat(),
            "effective": self.effective.isoformat(),
            "ended": self.ended,
            "settlement": settlement_to_json(self.settlement),
        }


def exit_view(deal: Deal, state: DealState, events: list[Event]) -> ExitView | None:
    """The exit recorded by ``state``'s day, settled on the journal up to that day; ``None``
    while the deal runs."""
    invoked = state.exit
    if invoked is None or state.exit_effective is None:
        return None
    settlement = settlement_of(deal, [e for e in events if e.day <= state.on])
    assert settlement is not None  # the state folded an exit from the same events
    return ExitView(
        trigger=invoked.trigger,
        by=invoked.by,
        on=invoked.day,
        effective=state.exit_effective,
        ended=state.ended,
        settlement=settlement,
    )


def payment_json(p: Payment) -> dict[str, Any]:
    return {
        "ref": p.ref,
        "on": p.day.isoformat(),
        "from": p.from_,
        "to": p.to,
        "amount": str(p.amount),
        "for": p.for_,
        "by": p.by,
    }


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
    exit: ExitView | None = None

    @property
    def ended(self) -> bool:
        """An exit has taken effect: the pages offer no more actions but its settlement."""
        return self.exit is not None and self.exit.ended

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

    def invoices(self) -> list[dict[str, Any]]:
        return invoices_json(self.state)

    def invoice(self, number: str) -> Invoice | None:
        return next((i for i in self.state.invoices if i.number == number), None)

    def standing(self, number: str) -> InvoiceStanding | None:
        """Where invoice ``number`` stands today: from the advance, paid, outstanding."""
        return next((i for i in self.state.book.invoices if i.number == number), None)

    def json(self) -> dict[str, Any]:
        body = state_to_json(self.state)
        body["title"] = self.deal.title
        body["currency"] = self.deal.currency
        body["money"] = {
            p.party: {
                "committed": str(p.committed.quantize().amount),
                "contributed": str(p.contributed.quantize().amount),
            }
            for p in self.money
        }
        body["deviation"] = {
            "planned_to_date": str(self.planned_to_date.quantize().amount),
            "earned": str(self.earned.quantize().amount),
            "paid": str(self.paid.quantize().amount),
            "schedule_variance": str(self.schedule_variance.quantize().amount),
            "cost_variance": str(self.cost_variance.quantize().amount),
        }
        body["status"] = self.status
        body["exit"] = self.exit.json() if self.exit is not None else None
        body["pending_payments"] = [payment_json(p) for p in self.pending_payments]
        return body


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
    state = deal_state(deal, events, on=today)
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
    return DealView(
        deal, state, today, rows, money, planned, earned, paid, exit_view(deal, state, events)
    )


def invoice_json(invoice: Invoice, standing: InvoiceStanding, *, on: date) -> dict[str, Any]:
    """An invoice as issued and where it stands on ``on`` (``status``, ``from_advance``,
    ``due_in_cash``, ``paid``, ``outstanding``, ``overdue``: see ``core.state.invoice_to_json``)."""
    figures = invoice_to_json(standing, on=on)
    return {
        "number": invoice.number,
        "date": invoice.day.isoformat(),
        "from": invoice.from_,
        "to": invoice.to,
        "lines": [
            {"for": line.for_, "amount": str(line.amount), "evidence": list(line.evidence)}
            for line in invoice.lines
        ],
        "total": str(invoice.total),
        "due": invoice.due.isoformat(),
        **{
            k: figures[k]
            for k in ("overdue", "status", "from_advance", "due_in_cash", "paid", "outstanding")
        },
    }


def invoices_json(state: DealState) -> list[dict[str, Any]]:
    """Every invoice of the deal, in the order issued, on the state's day."""
    standing = {i.number: i for i in state.book.invoices}
    return [invoice_json(i, standing[i.number], on=state.on) for i in state.invoices]
