"""The exit settlement of DESIGN §8: what each side owes the other when the deal ends.

Worked example (the custom-component scenario): the buyer paid a 30,000 advance and 12,000
for the accepted design milestone's invoice; earned is 12,000. The tooling milestone is
rejected and its cure period passes, so it is **missed** and the buyer may exit. The
supplier claimed 9,000 of completed work since the last acceptance; the deduction cap is 15%::

    paid 42,000 − earned 12,000 = unused 30,000
    deduction = min(claimed 9,000, 15% × 30,000 = 4,500) = 4,500
    refund = 30,000 − 4,500 = 25,500, owed by the supplier to the buyer

When a trigger is open (:func:`open_triggers`):

- ``missed-milestone``: the deal declares it and some milestone is missed on the date;
- ``convenience``: declared, and invoked by a party in its ``by`` list; takes effect
  ``notice-days`` later;
- ``change-of-control`` and ``insolvency``: declared (and, when ``by`` is given, invoked by a
  party in it); both are facts the invoking party asserts, not things the journal can show.

Cost-plus (``core.costplus``): the cost invoices count as earned, as billed (like a managed
service's), and so do the costs the buyer approved but nobody invoiced before the exit took
effect, each month's with its markup and VAT as its invoice would bill them: the supplier
incurred them and the buyer agreed to reimburse them, so the exit does not take them back.
Costs still awaiting review or rejected count for nothing. Cap 100,000.00, markup 10%, no
VAT: 30,000.00 paid, 40,000.00 approved and not invoiced → earned 44,000.00, nothing unused,
no refund.

Credit notes: a gainshare year's true-up credit note gives back share the months billed, a
volume rebate part of what the buyer's purchases cost, a corrected revenue report part of an
invoice. Each is a legal document of its own that its issuer pays out by its number, so the
refund leaves them out (an exit credit note counting them again would credit the buyer twice)
and the settlement lists what they still owe beside it: months billing 18,870.00 and a true-up
credit note of 435.00 earn 18,870.00, and the 435.00 is paid out by the true-up's number, after
the exit as before it.

Invoices still open: earned counts an accepted milestone's invoice whether or not the buyer
has paid it, so when the buyer paid less than the supplier earned (unused is then zero) the
rest is owed on the invoices themselves. The settlement lists it beside the refund, as
``invoices_open``: what is earned and not paid, up to what those invoices still have
outstanding; once the exit has taken effect the buyer still pays them by their numbers, up to
that much in all, while anything else is refused. Two accepted milestones invoiced 16,660.00
and 24,990.00, nothing paid, a convenience exit: paid 0.00, earned 41,650.00, unused and refund
0.00, and 41,650.00 open on the two invoices. Had the buyer paid 5,000.00 on account, 36,650.00
would be open: the 5,000.00 it holds counts against them.

Paid counts the buyer's payments made by the day the exit takes effect once their payee has
confirmed them, whenever that is: a payment made during the notice and confirmed after the
exit took effect was made before it, so the confirmation is taken and the settlement counts it.

Convertible support (``core.convertible``): the support counts as paid (less what the supplier
paid back after the last window); of it the supplier earns what converted less the credits not
yet consumed, valued at the support they were bought with, and the invoices' parts the credits
settled count at that value too. 100,000.00 paid, 60,000.00 converted at 1.15 into 69,000.00
credits, a 50,000.00 invoice settled from them: earned 43,478.26, unused 56,521.74 (40,000.00
unconverted and 19,000.00 credits ÷ 1.15 = 16,521.74).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import inf
from typing import Any

from copact.core.bounds import check_reach
from copact.core.convertible import exit_support  # convertible support
from copact.core.costplus import unbilled_earned
from copact.core.deal import Deal
from copact.core.events import (
    Accepted,
    CreditNote,
    Event,
    ExitInvoked,
    Payment,
    PaymentConfirmed,
    WorkClaimed,
    day_of,
)
from copact.core.invoicing import advance_payee, buyer_of, gross_split, invoice_amounts, vat_on
from copact.core.money import Money
from copact.core.state import DealState, deal_state, ordered
from copact.errors import RefusedCommand

__all__ = [
    "TRIGGERS",
    "ExitSettlement",
    "credit_exit_refund",
    "ended_reason",
    "exit_refund_left",
    "invoke_exit",
    "open_triggers",
    "refuse_after_exit",
    "settle_exit",
    "settlement_of",
]

TRIGGERS = ("missed-milestone", "convenience", "change-of-control", "insolvency")
_SUPPLIER_SIDE = ("missed-milestone", "insolvency")


@dataclass(frozen=True)
class ExitSettlement:
    deal: str
    trigger: str
    by: str
    on: date
    effective: date
    paid: Money
    earned: Money
    unused: Money
    claimed: Money
    deduction: Money
    refund: Money
    owed_from: str
    owed_to: str
    on_exit: dict[str, Any]
    credit_notes_open: Money | None = None
    """What the supplier's credit notes to the buyer issued by the exit's day (rebates,
    true-ups, corrected revenue reports) still owe: not in the refund (each is its own
    document, paid out by its number as part of the settlement), shown beside it."""
    invoices_open: Money | None = None
    """What the buyer still owes on the supplier's invoices of the work earned by the exit's
    day (earned less paid, up to what those invoices have outstanding, less what was paid for
    them since): paid by their numbers, after the exit as before it."""

    @property
    def owed(self) -> Money:
        return self.refund if self.refund.amount >= 0 else -self.refund


def _pays_credit(state: DealState, payment: Payment) -> bool:
    """Whether ``payment`` pays out a credit note other than the exit's, issued by the day the
    exit took effect: part of what the settlement leaves to pay."""
    return any(
        n.for_ != "exit"
        and payment.for_ in (n.number, n.for_)
        and (state.exit_effective is None or n.day <= state.exit_effective)
        for n in state.credit_notes
    )


def _counted(journal: list[Event], effective: date, on: date) -> set[str]:
    """The references of the payments the settlement counts as paid: made by the day the exit
    took effect and, when the payer recorded them, confirmed by ``on`` (a payment made before
    the exit that its payee confirms after it was made before it all the same)."""
    confirmed = _confirmed(journal, on)
    return {
        e.ref
        for e in journal
        if isinstance(e, Payment) and e.day <= effective and (e.by is None or e.ref in confirmed)
    }


def _paid_on_invoices(
    journal: list[Event], state: DealState, effective: date
) -> tuple[Money, Money]:
    """What the buyer paid for the supplier's invoices that the settlement does not count (made
    after the exit took effect, or confirmed after it): ``(recorded, confirmed)``, every such
    payment recorded and those the books of ``state`` count (confirmed by ``state.on``)."""
    buyer, supplier = buyer_of(state.deal), advance_payee(state.deal)
    counted = _counted(journal, effective, state.on)
    confirmed = _confirmed(journal, state.on)
    recorded = booked = Money.zero(state.deal.currency)
    for e in journal:
        if (
            isinstance(e, Payment)
            and (e.from_, e.to) == (buyer, supplier)
            and e.ref not in counted
            and _pays_invoice(state, e)
        ):
            amount = Money.of(e.amount, state.deal.currency)
            recorded = recorded + amount
            if (e.ref in confirmed) if e.by else (e.day <= state.on):
                booked = booked + amount
    return recorded, booked


def _pays_invoice(state: DealState, payment: Payment) -> bool:
    """Whether ``payment`` names an invoice of the supplier to the buyer (by its number or its
    milestone): one of the invoices an exit leaves open."""
    if not payment.for_ or payment.for_ in ("exit", "prepaid", "convertible"):
        return False
    invoice = state.book.find(payment.for_)
    return invoice is not None and (invoice.from_, invoice.to) == (
        advance_payee(state.deal),
        buyer_of(state.deal),
    )


def _invoices_owed(
    journal: list[Event], state: DealState, *, paid: Money, earned: Money, effective: date
) -> Money:
    """What the buyer still owes on the supplier's invoices: earned less paid (what unused
    leaves out when it is zero), less what it paid for them since the exit took effect, and
    never more than they have outstanding (both as the books of ``state`` stand: on the exit's
    day, this is what may be paid for them after it)."""
    zero = Money.zero(state.deal.currency)
    supplier, buyer = advance_payee(state.deal), buyer_of(state.deal)
    outstanding = zero
    for standing in state.book.invoices:
        if (standing.from_, standing.to) == (supplier, buyer):
            outstanding = outstanding + standing.outstanding
    _, since = _paid_on_invoices(journal, state, effective)
    return max(min(earned - paid - since, outstanding), zero)


def _credit_owed(state: DealState, supplier: str, buyer: str) -> Money:
    """What the supplier's credit notes to the buyer (rebates, true-ups, corrected revenue
    reports; not the exit's own) give back and it has not yet paid out (``core.invoicing``:
    one place says what is outstanding on a credit note)."""
    return state.book.credit_outstanding(issuer=supplier, to=buyer, but=("exit",))


def _a(trigger: str) -> str:
    """The trigger with its article: an insolvency, a convenience."""
    return f"an {trigger}" if trigger[0] in "aeiou" else f"a {trigger}"


def _declared(deal: Deal, trigger: str) -> Any:
    triggers = deal.exit.triggers if deal.exit else None
    if triggers is None:
        return None
    return getattr(triggers, trigger.replace("-", "_"))


def open_triggers(deal: Deal, events: Iterable[Event], *, on: date, by: str) -> dict[str, str]:
    """Every trigger of the deal with why it is open or closed for party ``by`` on ``on``
    (the text starts with ``open`` when it is). A day past the deal's reach is refused
    (``core.bounds``): an exit on 9999-12-31 cannot take effect after its notice."""
    check_reach(deal, on, what="an exit on")
    state = deal_state(deal, list(events), on=on)
    result: dict[str, str] = {}
    if state.exit is not None:
        first = state.exit
        ended = f"closed: {first.by} invoked {_a(first.trigger)} exit on {first.day}"
        return dict.fromkeys(TRIGGERS, ended)
    for trigger in TRIGGERS:
        spec = _declared(deal, trigger)
        if spec is None:
            result[trigger] = f"closed: the deal has no {trigger} exit"
            continue
        allowed = getattr(spec, "by", []) or _default_invokers(deal, trigger)
        if allowed and by not in allowed:
            result[trigger] = f"closed: only {', '.join(allowed)} may invoke it"
        elif trigger == "missed-milestone" and not state.missed:
            result[trigger] = f"closed: no milestone is missed on {on}"
        elif trigger == "missed-milestone":
            result[trigger] = f"open: missed {', '.join(state.missed)}"
        else:
            result[trigger] = "open"
    return result


def _default_invokers(deal: Deal, trigger: str) -> list[str]:
    """Who may invoke ``trigger`` when the deal names nobody: the buyer for its own
    convenience and for what the supplier's side caused (a missed milestone, insolvency),
    which the settlement prices as such; either party for a change of control."""
    if trigger in _SUPPLIER_SIDE or trigger == "convenience":
        return [p.id for p in deal.parties if p.role == "buyer"]
    return []


def _on_exit(deal: Deal) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if deal.exit and deal.exit.on_exit:
        out.update(deal.exit.on_exit.model_dump(by_alias=True, exclude_none=True, mode="json"))
    fg = deal.ip.foreground if deal.ip else None
    if fg is not None and "foreground-ip" not in out:
        if fg.model == "sole" and fg.owner:
            out["foreground-ip"] = f"owned by {fg.owner}"
        elif fg.model == "field-split":
            out["foreground-ip"] = "; ".join(f"{f.field}: {f.owner}" for f in fg.fields)
        elif fg.model == "joint":
            out["foreground-ip"] = "jointly owned"
    return out


def _claims_since_last_acceptance(
    journal: list[Event], state: DealState, effective: date
) -> list[WorkClaimed]:
    """The work claims made after the last acceptance, in journal order, up to ``effective``.

    Same-day events keep their journal order: a claim recorded after the day's acceptance
    counts, one recorded before it was settled by it. A deemed acceptance happens at the end of
    its day, after every event of that day."""
    events = [e for e in ordered(journal) if e.day <= effective]
    accepted = {m.id: m for m in state.milestones.values() if m.state == "accepted"}
    # a place in the journal: (day, index of the event that day's order puts it at)
    places: list[tuple[date, float]] = [
        (m.accepted_on, inf) for m in accepted.values() if m.deemed and m.accepted_on
    ]
    places += [
        (e.day, n)
        for n, e in enumerate(events)
        if isinstance(e, Accepted) and e.milestone in accepted
    ]
    last = max(places, default=None)
    return [
        e
        for n, e in enumerate(events)
        if isinstance(e, WorkClaimed) and (last is None or (e.day, n) > last)
    ]


def settle_exit(
    deal: Deal, events: Iterable[Event], *, trigger: str, on: date, by: str | None = None
) -> ExitSettlement:
    """Settle an exit invoked on ``on`` by ``trigger``; refused when the trigger is not open."""
    journal = list(events)
    invoker = by or buyer_of(deal)
    if trigger not in TRIGGERS:
        raise RefusedCommand(f"unknown trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
    why = open_triggers(deal, journal, on=on, by=invoker)[trigger]
    if not why.startswith("open"):
        raise RefusedCommand(f"{trigger} exit refused on {on}: {why.removeprefix('closed: ')}")
    return _settle(deal, journal, trigger=trigger, on=on, invoker=invoker)


def settlement_of(
    deal: Deal, events: Iterable[Event], *, state: DealState | None = None
) -> ExitSettlement | None:
    """The settlement of the exit the journal records (its trigger was checked when it was
    invoked), or ``None`` while the deal runs.

    ``state`` is the deal's state, folded from the same ``events``, on the day the exit takes
    effect or later (from then on its milestones no longer move), when the caller has one:
    the journal is then not folded a second time."""
    journal = list(events)
    first = next((e for e in journal if isinstance(e, ExitInvoked)), None)
    if first is None:
        return None
    person = deal.person(first.by)
    party = person.party if person is not None else first.by
    return _settle(deal, journal, trigger=first.trigger, on=first.day, invoker=party, state=state)


def _confirmed(journal: list[Event], until: date) -> set[str]:
    return {e.ref for e in journal if isinstance(e, PaymentConfirmed) and e.day <= until}


def _settle(
    deal: Deal,
    journal: list[Event],
    *,
    trigger: str,
    on: date,
    invoker: str,
    state: DealState | None = None,
) -> ExitSettlement:
    buyer = buyer_of(deal)
    supplier = advance_payee(deal)
    effective = on
    if trigger == "convenience":
        notice = (
            deal.exit.triggers.convenience.notice_days
            if deal.exit and deal.exit.triggers and deal.exit.triggers.convenience
            else None
        )
        effective = on + timedelta(days=notice or 0)
    if state is None or state.on < effective:
        state = deal_state(deal, journal, on=effective)
    zero = Money.zero(deal.currency)
    paid = zero
    counted = _counted(journal, effective, state.on)  # made by then, confirmed by now
    for e in journal:
        if (
            isinstance(e, Payment)
            and e.ref in counted
            and e.from_ == buyer
            and e.to == supplier
            and e.for_ != "exit"  # the settlement's own payments settle it, they are not in it
        ):
            paid = paid + Money.of(e.amount, deal.currency)
    amounts = invoice_amounts(deal)
    earned = zero
    for ms in state.milestones.values():
        if ms.state == "accepted":  # as invoiced: with its VAT, as the buyer's payments are
            earned = earned + amounts[ms.id] + vat_on(deal, amounts[ms.id])
    for standing in state.book.invoices:  # a managed service's periods, as billed
        if standing.service and standing.to == buyer and standing.from_ == supplier:
            earned = earned + standing.total
    earned = earned + unbilled_earned(deal, state)  # cost-plus: approved, not yet invoiced
    returned, converted = exit_support(deal, state)  # convertible support
    paid, earned = paid - returned, earned + converted
    unused = max(paid - earned, zero)
    claimed = zero
    for e in _claims_since_last_acceptance(journal, state, effective):
        claimed = claimed + Money.of(e.amount, deal.currency)
    if trigger in _SUPPLIER_SIDE:
        refund_terms = deal.exit.prepaid_refund if deal.exit else None
        cap = refund_terms.deduction_cap if refund_terms else None
        limit = unused.times(cap.fraction) if cap is not None else unused
        deduction = min(claimed, limit)
    else:
        deduction = claimed
    refund = unused - deduction
    owes_buyer = refund.amount >= 0
    return ExitSettlement(
        deal=deal.id,
        trigger=trigger,
        by=invoker,
        on=on,
        effective=effective,
        paid=paid,
        earned=earned,
        unused=unused,
        claimed=claimed,
        deduction=deduction,
        refund=refund,
        owed_from=supplier if owes_buyer else buyer,
        owed_to=buyer if owes_buyer else supplier,
        on_exit=_on_exit(deal),
        credit_notes_open=_credit_owed(state, supplier, buyer),  # paid out by their numbers
        invoices_open=_invoices_owed(
            journal, state, paid=paid, earned=earned, effective=effective
        ),  # paid by their numbers too
    )


def invoke_exit(
    deal: Deal, events: Iterable[Event], *, trigger: str, by: str, at: date | datetime
) -> list[ExitInvoked]:
    """A person (or a party, in an imported journal) invokes an exit for their party; refused
    when the trigger is not open on that day for that party, or the deal has already ended."""
    journal = list(events)
    person = deal.person(by)
    party = person.party if person is not None else by if deal.party(by) is not None else None
    if party is None:
        raise RefusedCommand(f"{by!r} is neither a person nor a party of {deal.id}")
    day = day_of(at)
    earlier = [e for e in journal if isinstance(e, ExitInvoked) and e.day <= day]
    if earlier:
        first = earlier[0]
        raise RefusedCommand(f"{first.by} already invoked {_a(first.trigger)} exit on {first.day}")
    settle_exit(deal, journal, trigger=trigger, on=day, by=party)
    return [ExitInvoked(at=at, deal=deal.id, trigger=trigger, by=by)]


def ended_reason(deal: Deal, journal: Iterable[Event], state: DealState) -> str | None:
    """Why nothing but the exit settlement may happen now, or ``None`` while the deal runs."""
    if not state.ended or state.exit is None:
        return None
    settlement = settlement_of(deal, journal)
    assert settlement is not None
    return _ended(deal, state, settlement)


def _ended(deal: Deal, state: DealState, settlement: ExitSettlement) -> str:
    exit_ = state.exit
    assert exit_ is not None
    open_ = settlement.invoices_open
    invoices = (
        f"; {open_.quantize().amount:,} {deal.currency} on the invoices still open, paid by "
        "their numbers"
        if open_ is not None and open_.amount > 0
        else ""
    )
    return (
        f"the deal ended on {state.exit_effective}: {exit_.by} invoked {_a(exit_.trigger)} exit "
        f"on {exit_.day}; only its settlement moves money now ({settlement.owed_from} owes "
        f"{settlement.owed_to} {settlement.owed.quantize().amount:,} {deal.currency}, "
        f"paid `for: exit`{invoices})"
    )


def refuse_after_exit(
    deal: Deal, journal: Iterable[Event], state: DealState, caused: Iterable[Event]
) -> None:
    """Once an exit has taken effect (``state.ended``) the only money that moves is its
    settlement: payments ``for: exit`` from whoever owes to whoever is owed, up to what is
    owed, the pay-outs of credit notes issued before it (``pay`` bounds them by what is
    outstanding), the buyer's payments for the invoices it left open (up to
    ``invoices_open`` in all, recorded or confirmed), their confirmations, and the
    confirmation of any payment made before the exit took effect (the settlement counts it
    once confirmed). Anything else is refused, saying why."""
    if not state.ended:  # a running deal: nothing to refuse, and no copy of a long journal
        return
    if state.exit is None:
        return
    history = list(journal)
    settlement = settlement_of(deal, history, state=state)  # as it stands on the state's day
    assert settlement is not None
    ended = _ended(deal, state, settlement)
    owed = settlement.owed
    settled = Money.zero(deal.currency)
    for e in history:
        if isinstance(e, Payment) and e.for_ == "exit":
            settled = settled + Money.of(e.amount, deal.currency)
    effective = settlement.effective
    zero = Money.zero(deal.currency)
    left = settlement.invoices_open or zero  # on the invoices, less what was paid for them
    recorded, booked = _paid_on_invoices(history, state, effective)
    waiting = recorded - booked  # paid for them since the exit and not yet confirmed
    for event in caused:
        if isinstance(event, CreditNote) and event.for_ == "exit":
            continue  # the settlement's own document (its guard checked it)
        if isinstance(event, PaymentConfirmed):
            pending = state.pending_payments.get(event.ref)
            if pending is not None and pending.day <= effective:
                continue  # made before the exit took effect: the settlement counts it now
            if pending is not None and (pending.for_ == "exit" or _pays_credit(state, pending)):
                continue
            if pending is not None and _pays_invoice(state, pending):
                amount = Money.of(pending.amount, deal.currency)
                if amount > left:
                    raise RefusedCommand(_invoices_left(deal, left, pending))
                left, waiting = left - amount, waiting - amount
                continue
            raise RefusedCommand(ended)
        if isinstance(event, Payment) and _pays_credit(state, event):
            continue  # a credit note issued before the exit: paid out by its number (pay's guard)
        if isinstance(event, Payment) and _pays_invoice(state, event):
            if (event.from_, event.to) != (buyer_of(deal), advance_payee(deal)):
                raise RefusedCommand(ended)
            amount = Money.of(event.amount, deal.currency)
            if waiting + amount > left:  # pay's guard bounds it by the invoice, this by the exit
                raise RefusedCommand(_invoices_left(deal, max(left - waiting, zero), event))
            waiting = waiting + amount
            continue
        if not isinstance(event, Payment) or event.for_ != "exit":
            raise RefusedCommand(ended)
        if (event.from_, event.to) != (settlement.owed_from, settlement.owed_to):
            raise RefusedCommand(
                f"the exit settlement is paid by {settlement.owed_from} to {settlement.owed_to}"
            )
        left = max(owed - settled, Money.zero(deal.currency))
        settled = settled + Money.of(event.amount, deal.currency)
        if settled > owed:
            raise RefusedCommand(
                f"the exit settlement leaves {left.quantize().amount:,} {deal.currency} to pay, "
                f"not {event.amount:,}"
            )


def _invoices_left(deal: Deal, left: Money, payment: Payment) -> str:
    return (
        f"the exit settlement leaves {left.quantize().amount:,} {deal.currency} to pay on the "
        f"invoices it left open (earned less paid), not {payment.amount:,}"
    )


def exit_refund_left(deal: Deal, state: DealState, settlement: ExitSettlement) -> Money | None:
    """What ``settlement`` (the exit's, on ``state``'s day) owes the buyer back beyond the exit
    credit notes issued so far, zero once they credit all of it, or ``None`` when it owes the
    buyer nothing. A payment made before the exit took effect and confirmed after its credit
    note raises the refund; a second credit note then documents the rest."""
    if not state.ended or settlement.refund.amount <= 0 or settlement.owed_to != buyer_of(deal):
        return None
    zero = Money.zero(deal.currency)
    credited = sum(
        (Money.of(n.total, deal.currency) for n in state.credit_notes if n.for_ == "exit"), zero
    )
    return max(settlement.owed.quantize() - credited, zero)


def credit_exit_refund(
    deal: Deal, journal: Iterable[Event], state: DealState, *, number: str, at: date | datetime
) -> list[CreditNote]:
    """The credit note (type 381) of the refund an exit settlement owes the buyer, once the
    exit has taken effect: from the supplier to the buyer, for the refund (net and VAT adding
    up to it, :func:`copact.core.invoicing.gross_split`), correcting the advance's invoice if
    one was issued, due the day it is issued. Refused while the deal runs and when the
    settlement owes the buyer nothing. Once credited, a second note is issued only for what
    the refund rose by since (:func:`exit_refund_left`), and refused while nothing did."""
    if not state.ended:
        raise RefusedCommand("no exit has taken effect: there is no settlement to credit yet")
    if number in state.invoice_numbers:
        raise RefusedCommand(f"invoice number {number} is already used")
    settlement = settlement_of(deal, journal, state=state)
    assert settlement is not None
    buyer = buyer_of(deal)
    left = exit_refund_left(deal, state, settlement)
    if left is None:
        raise RefusedCommand(
            f"the exit settlement owes {buyer} nothing back ({settlement.owed_from} owes "
            f"{settlement.owed_to} {settlement.owed.quantize().amount:,}): a credit note is "
            "for money the supplier returns"
        )
    if left.is_zero:
        done = ", ".join(c.number for c in state.credit_notes if c.for_ == "exit")
        raise RefusedCommand(f"the exit refund is already credited ({done})")
    net, tax = gross_split(deal, left)
    day = at.date() if isinstance(at, datetime) else at
    return [
        CreditNote(
            at=at,
            deal=deal.id,
            number=number,
            from_=settlement.owed_from,
            to=buyer,
            for_="exit",
            amount=net.amount,
            tax=tax.amount if tax.amount else None,
            preceding=state.prepayment.number if state.prepayment is not None else None,
            due=day,
        )
    ]
