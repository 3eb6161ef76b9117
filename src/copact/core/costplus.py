"""Cost-plus reimbursement: verified costs plus a markup, up to a cap (issue 15 §1).

The deal's section reads ``cost-plus: {cap: 100000, markup: 10%, overruns:
prior-written-approval, evidence: [receipts, timesheets]}``. A cost goes through three steps,
each a guard here:

1. :func:`record_cost`: a person of the supplier records a cost of a month (``2027-03``, not
   a month still to come) with its receipts and timesheets (every kind ``evidence`` names),
   a positive amount in whole minor units, under an id of its own. **The cap**: what is
   committed (every cost approved or awaiting review, each month's with its markup) may not
   go above ``cap``. A cost that would take it above is refused: the overrun needs prior
   written approval, a change order raising ``cost-plus.cap`` approved by the deal's
   approvers. With ``overruns: notify`` it is recorded and flagged (``overrun``) instead;
   with ``overruns: none`` it is refused and no approval is asked for.
2. :func:`review_cost`: a person of the buyer (never the supplier that recorded it) approves
   the cost or rejects it with reasons, once. A rejected cost frees its budget.
3. :func:`invoice_costs`: the month's invoice from the supplier to the buyer, bills every
   approved cost of the month not yet billed, once: a line per cost
   (``cost:2027-03:travel-03``) and one markup line (``cost:2027-03:markup``), the markup
   rounded half-even to the minor unit once on the month's sum. A month invoiced again (for
   a cost approved later) bills the markup the month's billed costs now earn less what its
   earlier invoices billed, so a month's markup is always ``markup × its billed costs``,
   rounded once. VAT by the deal's rule.

Worked example (cap 100,000.00, markup 10%, 19% VAT): in March the supplier records
40,000.00 and 25,000.00 and the buyer approves both; the March invoice bills 40,000.00 +
25,000.00 + 6,500.00 markup = 71,500.00 + 13,585.00 VAT = 85,085.00. A 40,000.00 April cost
would commit 71,500.00 + 44,000.00 = 115,500.00, above the cap: refused until a change
order raising the cap to 120,000.00 is approved; then it is recorded, and 4,500.00 remain.

The budget (:func:`cost_budget`): ``remaining = cap − committed``, where ``committed`` adds
each month's approved and pending costs with their markup (rounded as the invoice rounds
it), so once every approved cost is billed, ``billed + remaining = cap`` to the cent.

The cap is the deal's as it stands: an approved change order makes the amended deal the next
version. A journal read from outside (an import) is checked against the version it is
imported into, so the cap an approved change order in that journal sets counts from the day
of its approval (:func:`cap_of`).

Cost invoices are never drawn from the prepaid advance (it funds the milestones), and an exit
settlement counts them as earned; it also counts the approved costs not yet invoiced, with
their markup and VAT, as the invoice would bill them (:func:`unbilled_earned`).

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from copact.core.deal import Deal
from copact.core.events import (
    CostRecorded,
    CostReviewed,
    EvidenceRef,
    Invoice,
    InvoiceLine,
    day_of,
)
from copact.core.invoicing import (
    buyer_of,
    line_for,
    mechanism_line,
    only_supplier,
    person_of,
    vat_on,
)
from copact.core.mechanisms import CostPlus
from copact.core.money import Money
from copact.errors import NothingToDo, RefusedCommand

if TYPE_CHECKING:
    from copact.core.persistent import MapWriter
    from copact.core.state import DealState

__all__ = [
    "MARKUP",
    "CostBudget",
    "CostPeriod",
    "CostPeriodRow",
    "CostState",
    "cap_of",
    "cost_budget",
    "cost_line",
    "cost_terms_taken_back",
    "fold_cost_invoice",
    "fold_cost_recorded",
    "fold_cost_reviewed",
    "invoice_costs",
    "record_cost",
    "review_cost",
    "unbilled_earned",
]

MARKUP = "markup"
"""The part of a month's markup line, ``cost:2027-03:markup``: no cost may take it as its id."""

CostStatus = Literal["pending", "approved", "rejected"]
At = date | datetime


@dataclass(frozen=True, slots=True)
class CostState:
    """Where one recorded cost stands."""

    id: str
    period: str
    amount: Decimal
    description: str
    by: str
    recorded_on: date
    evidence: tuple[EvidenceRef, ...]
    overrun: bool = False
    status: CostStatus = "pending"
    reviewed_by: str | None = None
    reviewed_on: date | None = None
    reasons: tuple[str, ...] = ()
    invoice: str | None = None  # the number of the invoice that billed it


@dataclass(frozen=True, slots=True)
class CostPeriod:
    """A month's costs: their ids in the order recorded, and running totals (exact, in the
    deal's currency): ``approved`` counts the billed ones too."""

    period: str
    costs: tuple[str, ...] = ()
    pending: Decimal = Decimal(0)
    approved: Decimal = Decimal(0)
    billed: Decimal = Decimal(0)
    billed_markup: Decimal = Decimal(0)
    invoices: tuple[str, ...] = ()


def cost_line(period: str, part: str) -> str:
    """An invoice line ``for`` a month's cost or its markup: ``cost:2027-03:travel-03``."""
    return line_for("cost", period, part)


# -- the fold's steps (``core.state`` keeps the writers; O(1) an event but the month's ids) --


def fold_cost_recorded(
    costs: MapWriter[str, CostState], periods: MapWriter[str, CostPeriod], e: CostRecorded
) -> None:
    if e.id in costs:  # the guard records an id once
        return
    costs[e.id] = CostState(
        e.id, e.period, e.amount, e.description, e.by, e.day, tuple(e.evidence), e.overrun
    )
    month = periods.get(e.period) or CostPeriod(e.period)
    periods[e.period] = replace(month, costs=(*month.costs, e.id), pending=month.pending + e.amount)


def fold_cost_reviewed(
    costs: MapWriter[str, CostState], periods: MapWriter[str, CostPeriod], e: CostReviewed
) -> None:
    cost = costs.get(e.cost)
    if cost is None or cost.status != "pending":  # the guard reviews a pending cost once
        return
    costs[e.cost] = replace(
        cost, status=e.decision, reviewed_by=e.by, reviewed_on=e.day, reasons=tuple(e.reasons)
    )
    month = periods[cost.period]
    approved = month.approved + (cost.amount if e.decision == "approved" else 0)
    periods[cost.period] = replace(month, pending=month.pending - cost.amount, approved=approved)


def fold_cost_invoice(
    costs: MapWriter[str, CostState], periods: MapWriter[str, CostPeriod], e: Invoice
) -> None:
    """An invoice's ``cost:`` lines: each cost billed by it, the month's markup billed."""
    for line in e.lines:
        m = mechanism_line(line.for_)
        if m is None or m.mechanism != "cost" or m.period not in periods:
            continue
        month = periods[m.period]
        invoices = month.invoices if e.number in month.invoices else (*month.invoices, e.number)
        if m.part == MARKUP:
            month = replace(month, billed_markup=month.billed_markup + line.amount)
        elif m.part is not None and m.part in costs:
            costs[m.part] = replace(costs[m.part], invoice=e.number)
            month = replace(month, billed=month.billed + line.amount)
        periods[m.period] = replace(month, invoices=invoices)


# -- the guards --


def _terms(deal: Deal) -> CostPlus:
    if deal.cost_plus is None:
        raise RefusedCommand(f"{deal.id} has no cost-plus section: there are no costs to record")
    return deal.cost_plus


def _markup(terms: CostPlus) -> Decimal:
    return terms.markup.fraction if terms.markup is not None else Decimal(0)


def _with_markup(deal: Deal, terms: CostPlus, costs: Decimal) -> Money:
    """Costs and their markup, the markup rounded half-even to the minor unit once."""
    net = Money.of(costs, deal.currency)
    return net + net.times(_markup(terms))


def _text(m: Money | Decimal) -> str:
    amount = m.quantize().amount if isinstance(m, Money) else m
    return f"{amount:,.2f}"


def cap_of(deal: Deal, state: DealState) -> Decimal | None:
    """The cap as it stands: ``cost-plus.cap`` of the deal, or, when the journal holds an
    approved change order setting ``cost-plus.cap``, the latest one's (the deal a live command
    runs on already is that change's version; an import runs on the version it is imported
    into). ``None``: the deal sets no cap."""
    latest: tuple[date, int, Decimal] | None = None
    for n, change in enumerate(state.changes.values()):
        if change.status != "approved" or not change.patch or change.decided_on is None:
            continue
        section = change.patch.get("cost-plus")
        cap = section.get("cap") if isinstance(section, dict) else None
        if isinstance(cap, int | str | Decimal) and not isinstance(cap, bool):
            try:
                value = Decimal(cap)
            except ArithmeticError:
                continue
            if latest is None or (change.decided_on, n) >= latest[:2]:
                latest = (change.decided_on, n, value)
    if latest is not None:
        return latest[2]
    terms = deal.cost_plus
    return terms.cap if terms is not None else None


def _committed(deal: Deal, terms: CostPlus, periods: Iterable[CostPeriod]) -> Money:
    """Every month's approved and pending costs, each month's with its markup."""
    total = Money.zero(deal.currency).quantize()
    for month in periods:
        total = total + _with_markup(deal, terms, month.approved + month.pending)
    return total


def cost_terms_taken_back(deal: Deal, after: Deal, state: DealState) -> list[str]:
    """What an amendment of the deal to ``after`` would take back of the costs the journal
    holds: the cost-plus section while costs are recorded, a cap below what is committed
    (approved and pending costs with their markup, as ``after`` prices them), another markup
    once a cost was invoiced. Cap 100,000.00 with 71,500.00 committed: a change order setting
    it to 70,000.00 is refused, one setting it to 120,000.00 is not."""
    if deal.cost_plus is None or not state.costs:
        return []
    terms = after.cost_plus
    if terms is None:
        return [f"the cost-plus section holds {len(state.costs)} recorded costs"]
    out = []
    if terms.cap is not None:
        committed = _committed(after, terms, state.cost_periods.values())
        cap = Money.of(terms.cap, after.currency).quantize()
        if committed > cap:
            out.append(
                f"cost-plus.cap {_text(cap)} is below the {_text(committed)} committed (approved "
                "and pending costs with their markup)"
            )
    invoiced = any(month.invoices for month in state.cost_periods.values())
    if invoiced and _markup(terms) != _markup(deal.cost_plus):
        out.append("cost-plus.markup: costs were invoiced with the markup they have")
    return out


def record_cost(
    deal: Deal,
    state: DealState,
    *,
    id: str,
    period: str,
    amount: Decimal,
    description: str,
    evidence: list[EvidenceRef],
    by: str,
    at: At,
) -> list[CostRecorded]:
    """Record a cost of ``period`` (see the module docstring for what is checked)."""
    terms = _terms(deal)
    supplier = only_supplier(deal, "a cost")
    party = person_of(deal, by)
    if party != supplier:
        raise RefusedCommand(f"{by} of {party} cannot record a cost; a person of {supplier} does")
    if id == MARKUP:
        raise RefusedCommand(f"{MARKUP!r} names a month's markup line: give the cost another id")
    earlier = state.costs.get(id)
    if earlier is not None:
        raise RefusedCommand(
            f"cost {id} was recorded on {earlier.recorded_on} ({_text(earlier.amount)} in "
            f"{earlier.period}): give this cost an id of its own"
        )
    day = day_of(at)
    if period > f"{day:%Y-%m}":
        raise RefusedCommand(f"{period} has not begun on {day}: record a cost once incurred")
    if period < f"{deal.effective:%Y-%m}":
        raise RefusedCommand(f"{deal.id} is effective from {deal.effective}: {period} is before")
    money = Money.of(amount, deal.currency)
    if amount <= 0 or money.quantize() != money:
        raise RefusedCommand(
            f"a cost of {amount} is refused: a cost is positive, in whole minor units of "
            f"{deal.currency}"
        )
    if not evidence:
        raise RefusedCommand(f"cost {id} needs its receipts as evidence")
    missing = sorted(set(terms.evidence) - {e.kind for e in evidence})
    if missing:
        raise RefusedCommand(
            f"cost {id} needs evidence of kind {', '.join(missing)} (the deal's cost-plus "
            f"evidence: {', '.join(terms.evidence)})"
        )
    overrun = False
    cap = cap_of(deal, state)
    if cap is not None:
        month = state.cost_periods.get(period) or CostPeriod(period)
        others = [p for k, p in state.cost_periods.items() if k != period]
        before = _committed(deal, terms, state.cost_periods.values())
        after = _committed(deal, terms, [*others, replace(month, pending=month.pending + amount)])
        limit = Money.of(cap, deal.currency).quantize()
        if after > limit:
            overrun = True
            said = (
                f"cost {id} of {_text(money)} ({_text(after - before)} with the "
                f"{terms.markup or '0%'} markup) would commit {_text(after)}, above the cap of "
                f"{_text(limit)} ({_text(before)} committed, "
                f"{_text(max(limit - before, Money.zero(deal.currency)))} left)"
            )
            if terms.overruns == "none":
                raise RefusedCommand(f"{said}: the deal allows no overrun (overruns: none)")
            if terms.overruns != "notify":
                control = deal.change_control
                approvers = ", ".join(control.approvers) if control and control.approvers else ""
                who = f"the deal's approvers ({approvers})" if approvers else "both parties"
                raise RefusedCommand(
                    f"{said}: an overrun needs prior written approval: a change order raising "
                    f"cost-plus.cap, approved by {who}"
                )
    return [
        CostRecorded(
            at=at,
            deal=deal.id,
            id=id,
            period=period,
            amount=amount,
            description=description,
            evidence=evidence,
            by=by,
            overrun=overrun,
        )
    ]


def review_cost(
    deal: Deal,
    state: DealState,
    *,
    cost: str,
    decision: Literal["approved", "rejected"],
    reasons: list[str],
    by: str,
    at: At,
) -> list[CostReviewed]:
    """A person of the buyer approves or rejects a recorded cost, once."""
    _terms(deal)
    standing = state.costs.get(cost)
    if standing is None:
        raise RefusedCommand(f"{deal.id} has no recorded cost {cost!r}")
    if standing.status != "pending":
        raise NothingToDo(
            f"cost {cost} was {standing.status} by {standing.reviewed_by} on "
            f"{standing.reviewed_on}: a cost is reviewed once"
        )
    buyer = buyer_of(deal)
    party = person_of(deal, by)
    if party != buyer:
        raise RefusedCommand(
            f"{by} of {party} cannot review cost {cost}: a person of {buyer} approves or rejects it"
        )
    if decision == "rejected" and not reasons:
        raise RefusedCommand(f"say why cost {cost} is rejected (reasons)")
    return [CostReviewed(at=at, deal=deal.id, cost=cost, decision=decision, reasons=reasons, by=by)]


def _to_bill(deal: Deal, state: DealState, period: str) -> tuple[list[CostState], Money]:
    """The month's approved costs not yet billed, and the markup they add to what it billed."""
    terms = _terms(deal)
    month = state.cost_periods.get(period)
    if month is None:
        return [], Money.zero(deal.currency).quantize()
    costs = [c for i in month.costs if (c := state.costs[i]).status == "approved" and not c.invoice]
    billed = month.billed + sum((c.amount for c in costs), Decimal(0))
    markup = Money.of(billed, deal.currency).times(_markup(terms))
    return costs, markup - Money.of(month.billed_markup, deal.currency)


def invoice_costs(
    deal: Deal, state: DealState, *, period: str, number: str, at: At
) -> list[Invoice]:
    """The month's cost invoice: every approved cost not yet billed, and the markup."""
    _terms(deal)
    month = state.cost_periods.get(period)
    if month is None:
        raise RefusedCommand(f"{deal.id} has no costs recorded in {period}")
    costs, markup = _to_bill(deal, state, period)
    if not costs:
        billed = f" (invoiced in {', '.join(month.invoices)})" if month.invoices else ""
        waiting = f"; {_text(month.pending)} awaits the buyer's review" if month.pending else ""
        raise NothingToDo(f"{period} has no approved cost left to bill{billed}{waiting}")
    if number in state.invoice_numbers:
        raise RefusedCommand(f"invoice number {number} is already used")
    lines = [InvoiceLine(for_=cost_line(period, c.id), amount=c.amount) for c in costs]
    if not markup.is_zero:
        lines.append(InvoiceLine(for_=cost_line(period, MARKUP), amount=markup.amount))
    net = Money.of(sum((line.amount for line in lines), Decimal(0)), deal.currency)
    tax = vat_on(deal, net)
    day = day_of(at)
    return [
        Invoice(
            at=at,
            deal=deal.id,
            number=number,
            from_=only_supplier(deal, "the cost invoice"),
            to=buyer_of(deal),
            lines=lines,
            due=day + timedelta(days=deal.payment_terms),
            tax=tax.amount if tax.amount else None,
        )
    ]


def unbilled_earned(deal: Deal, state: DealState) -> Money:
    """What the approved costs not yet invoiced would bill, month by month, with their markup
    and VAT: an exit settlement counts it as earned (the supplier incurred them and the buyer
    approved them; the invoice just was not issued before the exit took effect). Without a
    cost-plus section, nothing."""
    total = Money.zero(deal.currency).quantize()
    if deal.cost_plus is None:
        return total
    for period in state.cost_periods:
        costs, markup = _to_bill(deal, state, period)
        if costs:
            net = Money.of(sum((c.amount for c in costs), Decimal(0)), deal.currency) + markup
            total = total + net + vat_on(deal, net)
    return total


# -- the read side: the budget and each month --


@dataclass(frozen=True)
class CostPeriodRow:
    """A month as the costs page shows it: its costs, what is approved, pending and billed
    (each with its markup), and what its next invoice would bill."""

    period: str
    costs: list[CostState]
    approved: Money  # approved costs (billed ones too), without markup
    pending: Money
    billed: Money  # billed costs and markup, net of VAT
    to_bill: Money  # what the next invoice would bill, markup included, net of VAT
    invoices: list[str]


@dataclass(frozen=True)
class CostBudget:
    """Where the deal's cost-plus budget stands: ``remaining = cap − committed`` (``None``
    without a cap), committed being ``approved + pending`` each with its markup."""

    cap: Money | None
    markup: str
    overruns: str
    evidence: list[str]
    approved: Money  # approved costs with their markup (billed ones too)
    pending: Money  # costs awaiting review, with their markup
    billed: Money  # what the cost invoices billed, net of VAT
    periods: list[CostPeriodRow] = field(default_factory=list)

    @property
    def committed(self) -> Money:
        return self.approved + self.pending

    @property
    def remaining(self) -> Money | None:
        return self.cap - self.committed if self.cap is not None else None

    @property
    def unbilled(self) -> Money:
        """Approved, with markup, not yet invoiced."""
        return self.approved - self.billed

    def as_json(self) -> dict[str, Any]:
        """The JSON the API answers (amounts as decimal strings)."""

        def text(m: Money | None) -> str | None:
            return None if m is None else str(m.quantize().amount)

        return {
            "cap": text(self.cap),
            "markup": self.markup,
            "overruns": self.overruns,
            "evidence": self.evidence,
            "approved": text(self.approved),
            "pending": text(self.pending),
            "billed": text(self.billed),
            "committed": text(self.committed),
            "remaining": text(self.remaining),
            "unbilled": text(self.unbilled),
            "periods": [
                {
                    "period": p.period,
                    "approved": text(p.approved),
                    "pending": text(p.pending),
                    "billed": text(p.billed),
                    "to_bill": text(p.to_bill),
                    "invoices": p.invoices,
                    "costs": [
                        {
                            "id": c.id,
                            "amount": str(c.amount),
                            "description": c.description,
                            "status": c.status,
                            "by": c.by,
                            "recorded_on": c.recorded_on.isoformat(),
                            "reviewed_by": c.reviewed_by,
                            "reviewed_on": c.reviewed_on.isoformat() if c.reviewed_on else None,
                            "reasons": list(c.reasons),
                            "invoice": c.invoice,
                            "overrun": c.overrun,
                            "evidence": [r.sha256 for r in c.evidence],
                        }
                        for c in p.costs
                    ],
                }
                for p in self.periods
            ],
        }


def cost_budget(deal: Deal, state: DealState) -> CostBudget | None:
    """The budget of a deal with a cost-plus section (``None`` without one), from one fold."""
    terms = deal.cost_plus
    if terms is None:
        return None
    zero = Money.zero(deal.currency).quantize()
    cap = cap_of(deal, state)
    approved = pending = billed = zero
    rows = []
    months: Mapping[str, CostPeriod] = state.cost_periods
    for period in sorted(months):
        month = months[period]
        both = _with_markup(deal, terms, month.approved + month.pending)
        with_approved = _with_markup(deal, terms, month.approved)
        approved = approved + with_approved
        pending = pending + (both - with_approved)
        done = Money.of(month.billed + month.billed_markup, deal.currency)
        billed = billed + done
        costs, markup = _to_bill(deal, state, period)
        to_bill = Money.of(sum((c.amount for c in costs), Decimal(0)), deal.currency) + markup
        rows.append(
            CostPeriodRow(
                period=period,
                costs=[state.costs[i] for i in month.costs],
                approved=Money.of(month.approved, deal.currency),
                pending=Money.of(month.pending, deal.currency),
                billed=done,
                to_bill=to_bill if costs else zero,
                invoices=list(month.invoices),
            )
        )
    return CostBudget(
        cap=Money.of(cap, deal.currency).quantize() if cap is not None else None,
        markup=str(terms.markup) if terms.markup is not None else "0%",
        overruns=terms.overruns or "prior-written-approval",
        evidence=list(terms.evidence),
        approved=approved,
        pending=pending,
        billed=billed,
        periods=rows,
    )
