"""Commands on a running deal: each checks its guard against the state and returns the events
it causes, or raises :class:`RefusedCommand` saying why.

    >>> accept(deal, state, milestone="design-approval", by="sam", at=date(2026, 7, 22))
    RefusedCommand: design-approval is signed off by ana, not sam

The services (``copact.services``) call these with the state folded from the journal and
append what they return in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from pydantic import ValidationError

from copact.core.bounds import check_amount
from copact.core.convertible import check_support_payment  # convertible support
from copact.core.deal import Deal, Milestone
from copact.core.events import (
    Accepted,
    DecisionLogged,
    Event,
    EvidenceRef,
    GateDecided,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentConfirmed,
    PrepaymentInvoice,
    Rejected,
    RiskUpdated,
    Signed,
    Submitted,
    WindowRecorded,
    WorkClaimed,
)
from copact.core.invoicing import (
    advance_payee,
    advance_split,
    buyer_of,
    check_payment_target,
    invoice_amount,
    invoice_amounts,
    payee_of,
    person_of,
    vat_on,
)
from copact.core.money import Money
from copact.core.state import DealState
from copact.errors import RefusedCommand

__all__ = [
    "accept",
    "claim",
    "confirm_payment",
    "decide_gate",
    "invoice_advance",
    "invoice_for",
    "log_decision",
    "pay",
    "record_window",
    "refuse_before_binding",
    "reject",
    "sign",
    "submit",
    "update_risk",
]

At = date | datetime


def _milestone(deal: Deal, milestone_id: str) -> Milestone:
    for m in deal.milestones:
        if m.id == milestone_id:
            return m
    known = ", ".join(m.id for m in deal.milestones) or "none"
    raise RefusedCommand(f"no milestone {milestone_id!r} in {deal.id} (milestones: {known})")


def sign(
    deal: Deal, state: DealState, *, by: str | list[str], at: At, version: str | None = None
) -> list[Signed]:
    """A person signs ``version`` of the deal (the SHA-256 of its text) for their party, once
    per party and version: a party that signed an earlier version signs again after the deal
    changed before it bound (a list of several people is taken only from journals written
    before each person signed on their own)."""
    people = [by] if isinstance(by, str) else list(by)
    bound = state.binding
    if bound is not None:  # a binding deal changes by change orders, not by signing again
        raise RefusedCommand(
            f"{deal.id} is binding since {bound.day} (every party signed the same version); "
            "its terms change by a change order (copact change propose), not by signing again"
        )
    for person in people:
        party = person_of(deal, person)
        earlier = state.signatures.get(party)
        if earlier is not None and (version is None or earlier.version in (None, version)):
            said = f" version {version[:12]}…" if version else ""
            raise RefusedCommand(f"{party} has already signed{said} of {deal.id}")
    return [Signed(at=at, deal=deal.id, by=people, version=version)]


BEFORE_BINDING = (Signed, DecisionLogged, RiskUpdated)
"""What a deal's journal takes before it binds: the signatures themselves, and the decisions and
risks of the negotiation. Everything else operates the deal, which needs it signed."""


def refuse_before_binding(deal: Deal, state: DealState, kinds: Iterable[type[Event]]) -> None:
    """Refuse events of ``kinds`` that operate a deal not binding yet: a deal binds once a
    person of each party has signed the same version of its text (``state.binding``). Until
    then it takes its signatures and the negotiation's decisions and risks only."""
    if state.binding is not None or all(issubclass(k, BEFORE_BINDING) for k in kinds):
        return
    unsigned = state.unsigned
    if unsigned:
        who = " and ".join(unsigned)
        why = f"{who} {'has' if len(unsigned) == 1 else 'have'} not signed it"
    else:
        versions = ", ".join(
            f"{party} version {(e.version or '?')[:12]}…" for party, e in state.signatures.items()
        )
        why = f"the parties signed different versions ({versions}): sign the same one"
    raise RefusedCommand(
        f"{deal.id} is not binding yet: {why} (copact sign {deal.id} --by PERSON); nothing "
        "operates before every party has signed the same version"
    )


def submit(
    deal: Deal, state: DealState, *, milestone: str, evidence: list[EvidenceRef], by: str, at: At
) -> list[Submitted]:
    """The supplier submits a milestone with its evidence; every required kind must be there."""
    spec = _milestone(deal, milestone)
    party = person_of(deal, by)
    if party != payee_of(deal, spec):
        raise RefusedCommand(f"{by} of {party} cannot submit {milestone}; its payee submits it")
    current = state.milestones[milestone]
    if current.state in ("submitted", "accepted", "missed"):
        raise RefusedCommand(f"{milestone} is {current.state}; it cannot be submitted now")
    stop = state.phase_stop(spec.phase)
    if stop:
        raise RefusedCommand(f"{milestone} cannot be submitted: {stop}")
    required = set(spec.acceptance.evidence) if spec.acceptance else set()
    missing = sorted(required - {e.kind for e in evidence})
    if missing:
        raise RefusedCommand(f"{milestone} needs evidence of kind {', '.join(missing)}")
    return [Submitted(at=at, deal=deal.id, milestone=milestone, evidence=evidence, by=by)]


def _reviewable(deal: Deal, state: DealState, milestone: str, by: str, verb: str) -> Milestone:
    spec = _milestone(deal, milestone)
    current = state.milestones[milestone]
    if current.state == "accepted":
        how = " (deemed)" if current.deemed else ""
        raise RefusedCommand(f"{milestone} was already accepted on {current.accepted_on}{how}")
    if current.state != "submitted":
        raise RefusedCommand(f"{milestone} is {current.state}: nobody submitted it to {verb}")
    signoff = spec.acceptance.signoff if spec.acceptance else None
    if by != signoff:
        raise RefusedCommand(f"{milestone} is signed off by {signoff}, not {by}")
    stop = state.phase_stop(spec.phase)
    if stop and verb == "accept":
        raise RefusedCommand(f"{milestone} cannot be accepted: {stop}")
    return spec


def accept(deal: Deal, state: DealState, *, milestone: str, by: str, at: At) -> list[Accepted]:
    """The sign-off person accepts a submitted milestone."""
    _reviewable(deal, state, milestone, by, "accept")
    return [Accepted(at=at, deal=deal.id, milestone=milestone, by=by)]


def reject(
    deal: Deal, state: DealState, *, milestone: str, by: str, reasons: list[str], at: At
) -> list[Rejected]:
    """The sign-off person rejects a submitted milestone, with at least one reason."""
    if not [r for r in reasons if r.strip()]:
        raise RefusedCommand("a rejection needs at least one reason")
    _reviewable(deal, state, milestone, by, "reject")
    return [Rejected(at=at, deal=deal.id, milestone=milestone, by=by, reasons=reasons)]


def invoice_for(
    deal: Deal, state: DealState, *, milestone: str, number: str, at: At
) -> list[Invoice]:
    """The invoice of an accepted milestone: once per milestone, at the buyer's share."""
    spec = _milestone(deal, milestone)
    current = state.milestones[milestone]
    if current.state != "accepted":
        raise RefusedCommand(f"{milestone} is {current.state}; only an accepted one is invoiced")
    if current.invoiced:
        raise RefusedCommand(f"{milestone} has already been invoiced")
    if number in state.invoice_numbers:
        raise RefusedCommand(f"invoice number {number} is already used")
    amount = invoice_amount(deal, milestone)
    tax = vat_on(deal, amount)
    evidence = list(spec.acceptance.evidence) if spec.acceptance else []
    day = at.date() if isinstance(at, datetime) else at
    return [
        Invoice(
            at=at,
            deal=deal.id,
            number=number,
            from_=payee_of(deal, spec),
            to=buyer_of(deal),
            lines=[InvoiceLine(for_=milestone, amount=amount.amount, evidence=evidence)],
            due=day + timedelta(days=deal.payment_terms),
            tax=tax.amount if tax.amount else None,
        )
    ]


def invoice_advance(
    deal: Deal, state: DealState, *, number: str, at: At
) -> list[PrepaymentInvoice]:
    """The prepayment invoice (type 386) of the deal's prepaid advance, once: from the
    advance's payee to the buyer, its net and VAT adding up to the advance
    (:func:`copact.core.invoicing.advance_split`), due on the advance's ``due`` date (the issue
    day if that has passed, the payment terms after it if the deal gives none)."""
    if deal.prepaid is None:
        raise RefusedCommand(f"{deal.id} has no prepaid advance to invoice")
    if state.prepayment is not None:
        raise RefusedCommand(f"the prepaid advance is already invoiced ({state.prepayment.number})")
    if number in state.invoice_numbers:
        raise RefusedCommand(f"invoice number {number} is already used")
    net, tax = advance_split(deal)
    day = at.date() if isinstance(at, datetime) else at
    due = deal.prepaid.due or day + timedelta(days=deal.payment_terms)
    return [
        PrepaymentInvoice(
            at=at,
            deal=deal.id,
            number=number,
            from_=advance_payee(deal),
            to=buyer_of(deal),
            amount=net.amount,
            tax=tax.amount if tax.amount else None,
            due=max(due, day),
        )
    ]


def pay(
    deal: Deal,
    state: DealState,
    *,
    payer: str,
    payee: str,
    amount: Decimal,
    ref: str,
    at: At,
    for_: str | None = None,
    by: str | None = None,
) -> list[Payment]:
    """A payment between two parties of the deal, recorded by a person of the paying party
    (``by``); it counts once a person of the payee confirms it (:func:`confirm_payment`). A
    reference is used once; the amount is bounded (``core.bounds``). ``for_`` names what it
    pays (``core.invoicing.check_payment_target``): a supplier pays out a credit note to the
    buyer by its number, up to what is outstanding on it. ``by`` is ``None`` only for a
    payment read from a journal written before confirmations."""
    for party in (payer, payee):
        if deal.party(party) is None:
            raise RefusedCommand(f"{party!r} is not a party of {deal.id}")
    if payer == payee:
        raise RefusedCommand("a party cannot pay itself")
    if by is not None and person_of(deal, by) != payer:
        raise RefusedCommand(
            f"{by} of {person_of(deal, by)} cannot record a payment by {payer}: the paying "
            f"party records it and {payee} confirms it"
        )
    check_amount(deal, amount, what="a payment")
    if ref in state.payment_refs:
        raise RefusedCommand(f"payment reference {ref} was already recorded")
    if state.prepayment is not None and for_ == state.prepayment.number:
        for_ = "prepaid"  # the advance's invoice is paid as the advance: the books count that
    if for_ is not None and any(n.for_ == "exit" and n.number == for_ for n in state.credit_notes):
        for_ = "exit"  # an exit's credit note is paid as its settlement, which guards it
    if for_ == "exit":
        if not state.ended:
            raise RefusedCommand("no exit has taken effect: nothing is paid `for: exit` yet")
    else:
        book = state.book_once_confirmed
        check_payment_target(deal, book, payer=payer, payee=payee, for_=for_, amount=amount)
        if for_ == "convertible":  # convertible support: paid, or paid back, within its terms
            check_support_payment(deal, state, payer=payer, payee=payee, amount=amount, at=at)
    return [
        Payment(
            at=at, deal=deal.id, from_=payer, to=payee, amount=amount, ref=ref, for_=for_, by=by
        )
    ]


def confirm_payment(deal: Deal, state: DealState, *, ref: str, by: str, at: At) -> list[Event]:
    """A person of the payee confirms that a recorded payment arrived; only then does it
    count in balances, invoices and the exit settlement."""
    payment = state.pending_payments.get(ref)
    if payment is None:
        if ref in state.confirmed_by:
            raise RefusedCommand(
                f"payment {ref} was already confirmed by {state.confirmed_by[ref]}"
            )
        raise RefusedCommand(f"no payment {ref} is waiting for confirmation")
    party = person_of(deal, by)
    if party != payment.to:
        raise RefusedCommand(
            f"{by} of {party} cannot confirm payment {ref}: {payment.to}, who received it, does"
        )
    return [PaymentConfirmed(at=at, deal=deal.id, ref=ref, by=by)]


def claim(
    deal: Deal,
    state: DealState,
    *,
    amount: Decimal,
    for_: str,
    evidence: list[EvidenceRef],
    at: At,
    by: str | None = None,
) -> list[WorkClaimed]:
    """A supplier's person claims what completed but unaccepted work is worth (counts on
    exit); bounded like a payment, and in all: the claims since the last acceptance cannot
    come to more than the milestones not yet accepted are worth, as invoiced (on a buyer's
    exit for convenience they are deducted in full). ``by`` is ``None`` only in journals from
    before it."""
    if by is not None:
        party = deal.party(person_of(deal, by))
        if party is None or party.role != "supplier":
            raise RefusedCommand(f"{by} is of {person_of(deal, by)}: work is claimed by a supplier")
    check_amount(deal, amount, what="a claim")
    open_work, claimed = _open_work(deal, state), _claimed_since_acceptance(state)
    if claimed + amount > open_work.amount:
        total = Money.of(claimed + amount, deal.currency).quantize().amount
        raise RefusedCommand(
            f"claims since the last acceptance would come to {total:,}, more than the "
            f"{open_work.quantize().amount:,} the milestones not yet accepted are worth as "
            "invoiced: completed work is claimed for what the deal would pay for it"
        )
    return [WorkClaimed(at=at, deal=deal.id, amount=amount, for_=for_, evidence=evidence, by=by)]


def _open_work(deal: Deal, state: DealState) -> Money:
    """What the milestones not yet accepted are worth to the buyer, as invoiced (VAT
    included, as the exit settlement counts what was earned)."""
    amounts = invoice_amounts(deal)
    open_work = Money.zero(deal.currency)
    for m in deal.milestones:
        standing = state.milestones.get(m.id)
        if standing is None or standing.state != "accepted":
            open_work = open_work + amounts[m.id] + vat_on(deal, amounts[m.id])
    return open_work


def _claimed_since_acceptance(state: DealState) -> Decimal:
    """The claims dated on or after the last acceptance (all of them if none): read back
    from the newest, so an import pays for the claims of the current stretch only. Same-day
    claims made before that day's acceptance count too: the bound errs on the safe side."""
    since = state.last_acceptance
    claimed = Decimal(0)
    claims = state.claims
    for k in range(len(claims) - 1, -1, -1):
        claim = claims[k]
        if since is not None and claim.day < since:
            break
        claimed += claim.amount
    return claimed


def decide_gate(
    deal: Deal,
    state: DealState,
    *,
    phase: str,
    decision: str,
    by: str | list[str],
    at: At,
    change: str | None = None,
) -> list[GateDecided]:
    """One decider of a phase gate records their own decision; the gate is decided when every
    decider has recorded the same one (the fold counts the votes). A list of several people
    is taken only from journals written before votes were each person's own."""
    people = [by] if isinstance(by, str) else list(by)
    spec = deal.phase(phase)
    if spec is None or spec.gate is None:
        raise RefusedCommand(f"phase {phase!r} has no gate")
    unknown = sorted(set(people) - set(spec.gate.deciders))
    if unknown or not people:
        who = ", ".join(unknown) or "nobody"
        raise RefusedCommand(
            f"{who} cannot decide the gate of {phase} (deciders: {', '.join(spec.gate.deciders)})"
        )
    if decision not in ("proceed", "adjust", "pause"):
        raise RefusedCommand("a gate decision is proceed, adjust or pause")
    if decision == "adjust" and (change is None or change not in state.changes):
        raise RefusedCommand(
            "an adjust names the change order it waits for (`change`), proposed first"
        )
    if decision != "adjust" and change is not None:
        raise RefusedCommand("only an adjust names a change order")
    return [
        GateDecided(at=at, deal=deal.id, phase=phase, decision=decision, by=people, change=change)
    ]


def log_decision(
    deal: Deal, state: DealState, *, decision: str, by: list[str], topic: str | None, at: At
) -> list[DecisionLogged]:
    """A decision entered in the log by the people of the deal who took it."""
    for person in by:
        person_of(deal, person)
    if len(decision.strip()) < 3:
        raise RefusedCommand("say what was decided")
    return [DecisionLogged(at=at, deal=deal.id, decision=decision.strip(), by=by, topic=topic)]


def record_window(
    deal: Deal,
    state: DealState,
    *,
    site: str,
    start: datetime,
    end: datetime,
    kind: str,
    by: str,
    note: str | None,
    at: At,
) -> list[WindowRecorded]:
    """A maintenance window (``planned``) or an exclusion (``excluded``) of one SLA site, on
    the buyer's word: it takes time out of the availability the supplier is paid on."""
    party = person_of(deal, by)
    buyer = deal.party(party)
    if buyer is None or buyer.role != "buyer":
        raise RefusedCommand(
            f"{by} is of {party}: windows are approved by the buyer, whose SLA they narrow"
        )
    sites = [s.id for s in deal.sla.sites] if deal.sla is not None else []
    if site not in sites:
        known = ", ".join(sites) or "none: the deal has no sla section"
        raise RefusedCommand(f"{site!r} is not a site of the SLA (sites: {known})")
    if start.tzinfo is None or end.tzinfo is None:
        raise RefusedCommand("a window's start and end carry their UTC offset")
    if end <= start:
        raise RefusedCommand("a window ends after it starts")
    if kind not in ("planned", "excluded"):
        raise RefusedCommand("a window is planned (approved maintenance) or excluded")
    return [
        WindowRecorded(
            at=at, deal=deal.id, site=site, start=start, end=end, kind=kind, by=by, note=note
        )
    ]


def update_risk(
    deal: Deal,
    state: DealState,
    *,
    risk: str,
    by: str,
    at: At,
    description: str | None = None,
    likelihood: str | None = None,
    impact: str | None = None,
    owner: str | None = None,
    mitigation: str | None = None,
    status: str | None = None,
) -> list[RiskUpdated]:
    """Add a risk to the register (text, likelihood and impact required) or change one; the
    person recording it and a named owner must be people of the deal."""
    person_of(deal, by)
    if owner is not None:
        person_of(deal, owner)
    known = risk in state.risks
    if not known and (description is None or likelihood is None or impact is None):
        raise RefusedCommand(f"{risk!r} is a new risk: give its description, likelihood and impact")
    given = (description, likelihood, impact, owner, mitigation, status)
    if known and all(v is None for v in given):
        raise RefusedCommand(f"nothing to change in risk {risk!r}")
    fields = {
        "description": description,
        "likelihood": likelihood,
        "impact": impact,
        "owner": owner,
        "mitigation": mitigation,
        "status": status,
    }
    try:
        event = RiskUpdated.model_validate(
            {"at": at, "deal": deal.id, "risk": risk, "by": by}
            | {k: v for k, v in fields.items() if v is not None}
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "risk"
        raise RefusedCommand(f"risk {risk}: {where}: {first['msg']}") from None
    return [event]
