"""The JSON shapes of the read side's views (DESIGN §11): ``copact state --format json``,
``copact deal show --format json``, ``copact invoices --format json``, ``copact exit --format
json`` and the JSON API's deal, invoices, changes and exit preview. Amounts are decimal strings
in the currency's minor unit, dates ISO; nothing here computes a figure, it only writes the
views' ones down."""

from __future__ import annotations

from datetime import date
from typing import Any

from copact.core.convertible import SupportStanding
from copact.core.events import Payment
from copact.core.money import Money
from copact.core.settlement import ExitSettlement
from copact.services.views import ChangeRow, DealView, ExitPreview, ExitView, InvoiceView

__all__ = [
    "changes_json",
    "deal_json",
    "exit_json",
    "exit_preview_json",
    "invoice_json",
    "invoice_summary_json",
    "settlement_json",
    "state_json",
]


def invoice_summary_json(i: InvoiceView) -> dict[str, Any]:
    """The keys of :func:`invoice_json` the state and the invoices list give per invoice."""
    body = invoice_json(i)
    return {k: body[k] for k in _STATE_INVOICE}


def _amount(m: Money) -> str:
    return str(m.quantize().amount)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def invoice_json(i: InvoiceView) -> dict[str, Any]:
    """An invoice as issued and where it stands (``amount`` = ``from_advance`` + ``paid`` +
    ``netted`` + ``outstanding``, ``netted`` being what an exit's settlement netted;
    ``due_in_cash`` = ``amount`` − ``from_advance``)."""
    return {
        "number": i.number,
        "kind": "prepayment" if i.prepayment else "credit-note" if i.credit_note else "invoice",
        "date": i.day.isoformat(),
        "for": list(i.milestones),
        "from": i.from_,
        "to": i.to,
        "lines": [
            {"for": line.for_, "amount": str(line.amount), "evidence": list(line.evidence)}
            for line in i.issued.lines
        ],
        "amount": _amount(i.total),
        "total": str(i.issued.total),
        "tax": _amount(Money.of(i.issued.tax or 0, i.total.currency)),
        "due": i.due.isoformat(),
        "overdue": i.overdue,
        "status": i.status,
        "from_advance": _amount(i.from_advance),
        "due_in_cash": _amount(i.due_in_cash),
        "paid": _amount(i.paid),
        "netted": _amount(i.netted or Money.zero(i.total.currency)),
        "outstanding": _amount(i.outstanding),
    }


def settlement_json(s: ExitSettlement) -> dict[str, Any]:
    """The ``copact exit --format json`` shape."""
    return {
        "deal": s.deal,
        "trigger": s.trigger,
        "by": s.by,
        "on": s.on.isoformat(),
        "effective": s.effective.isoformat(),
        "paid": _amount(s.paid),
        "earned": _amount(s.earned),
        "unused": _amount(s.unused),
        "claimed": _amount(s.claimed),
        "deduction": _amount(s.deduction),
        "refund": _amount(s.refund),
        "owed": {"from": s.owed_from, "to": s.owed_to, "amount": _amount(s.owed)},
        "credit_notes_open": _amount(s.credit_notes_open) if s.credit_notes_open else None,
        "invoices_open": _amount(s.invoices_open) if s.invoices_open else None,
        "on_exit": s.on_exit,
    }


def exit_json(e: ExitView | None) -> dict[str, Any] | None:
    """``null`` while the deal runs, else who invoked which exit, when it takes effect, whether
    the deal has ended, the settlement, and what of its refund no credit note documents yet
    (``to_credit``: ``null`` when it owes the buyer nothing back)."""
    if e is None:
        return None
    return {
        "trigger": e.trigger,
        "by": e.by,
        "on": e.on.isoformat(),
        "effective": e.effective.isoformat(),
        "ended": e.ended,
        "settlement": settlement_json(e.settlement),
        "to_credit": _amount(e.to_credit) if e.to_credit is not None else None,
    }


def exit_preview_json(p: ExitPreview) -> dict[str, Any]:
    return {
        "trigger": p.trigger,
        "on": p.on,
        "open": p.open,
        "why": p.why,
        "settlement": settlement_json(p.settlement) if p.settlement is not None else None,
        "recorded": p.recorded,
    }


def changes_json(rows: list[ChangeRow]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "status": c.status,
            "proposed_by": c.proposed_by,
            "proposed_on": c.proposed_on,
            "amount": str(c.amount) if c.amount is not None else None,
            "patch": c.patch,
            "approvals": c.approvals,
            "missing": c.missing,
            "decided_on": c.decided_on,
        }
        for c in rows
    ]


def _payment(p: Payment) -> dict[str, Any]:
    return {
        "ref": p.ref,
        "on": p.day.isoformat(),
        "from": p.from_,
        "to": p.to,
        "amount": str(p.amount),
        "for": p.for_,
        "by": p.by,
    }


def state_json(v: DealView) -> dict[str, Any]:
    """The ``copact state --format json`` shape: milestones, invoices, balances, risks,
    decisions, SLA windows, the convertible support (``null`` without one) and the exit."""
    return {
        "deal": v.deal.id,
        "on": v.today.isoformat(),
        "milestones": [
            {
                "id": m.id,
                "state": m.state,
                "accepted_on": _iso(m.accepted_on),
                "deemed": m.deemed,
                "cure_until": _iso(m.cure_until),
                "review_until": _iso(m.review_until),
                "invoice_amount": str(m.invoice_amount.amount),
                "invoiced": m.invoiced,
            }
            for m in v.milestones
        ],
        "invoices": [invoice_summary_json(i) for i in v.invoices],
        "balances": {
            b.party: {"paid": _amount(b.paid), "received": _amount(b.received)} for b in v.balances
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
                "updated_on": _iso(r.updated_on),
            }
            for r in v.risks
        ],
        "decisions": [
            {"on": d.day.isoformat(), "decision": d.decision, "by": d.by, "topic": d.topic}
            for d in v.state.decisions
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
            for w in v.state.windows
        ],
        "support": support_json(v.support, v.today) if v.support is not None else None,
        "exit": exit_json(v.exit),
    }


_STATE_INVOICE = (
    "number",
    "for",
    "from",
    "to",
    "amount",
    "due",
    "overdue",
    "status",
    "from_advance",
    "due_in_cash",
    "paid",
    "netted",
    "outstanding",
)


def deal_json(v: DealView) -> dict[str, Any]:
    """The JSON API's deal: the state's shape plus the dashboard's figures (money committed
    and contributed per party, deviation from plan), its status and pending payments."""
    body = state_json(v)
    body["title"] = v.deal.title
    body["currency"] = v.deal.currency
    body["money"] = {
        p.party: {"committed": _amount(p.committed), "contributed": _amount(p.contributed)}
        for p in v.money
    }
    body["deviation"] = {
        "planned_to_date": _amount(v.planned_to_date),
        "earned": _amount(v.earned),
        "paid": _amount(v.paid),
        "schedule_variance": _amount(v.schedule_variance),
        "cost_variance": _amount(v.cost_variance),
    }
    body["status"] = v.status
    body["pending_payments"] = [_payment(p) for p in v.pending_payments]
    body["costs"] = v.costs.as_json() if v.costs is not None else None  # cost-plus: the budget
    return body


def support_json(s: SupportStanding, on: date) -> dict[str, Any]:
    """The convertible support on the view's day: amounts as decimal strings (``paid −
    returned = converted + unconverted``; ``credits_issued = credits_consumed + credits_left``),
    its windows and every conversion request with its status on ``on``."""
    return {
        "amount": _amount(s.amount),
        "converts_to": s.converts_to,
        "formula": s.formula,
        "ratio": str(s.ratio) if s.ratio is not None else None,
        "paid": _amount(s.paid),
        "to_pay": _amount(s.to_pay),
        "returned": _amount(s.returned),
        "converted": _amount(s.converted),
        "unconverted": _amount(s.unconverted),
        "waiting": _amount(s.waiting),
        "credits_issued": _amount(s.credits_issued),
        "credits_consumed": _amount(s.credits_consumed),
        "credits_left": _amount(s.credits_left),
        "left_value": _amount(s.left_value),
        "unused": _amount(s.unused),
        "refundable": _amount(s.refundable),
        "window": _iso(s.window),
        "next_window": _iso(s.next_window),
        "windows": [w.isoformat() for w in s.windows],
        "windows_over": s.windows_over,
        "conversions": [
            {
                "conversion": c.conversion,
                "window": c.window.isoformat(),
                "amount": str(c.amount),
                "by": c.by,
                "requested_on": c.requested_on.isoformat(),
                "status": c.status(on),
                "approved_by": c.approved_by,
                "approved_on": _iso(c.approved_on),
                "credits": str(c.credits) if c.credits is not None else None,
            }
            for c in s.conversions
        ],
    }
