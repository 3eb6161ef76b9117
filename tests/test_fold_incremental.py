"""The linear fold (issue 14 §5) against the fold as it was first written.

The reference below is the straightforward fold: every event copies whatever it changes into a
new state (tuples, frozensets, dicts), and every event re-settles every milestone. It cost N²
on a long journal, and it is obviously right. The fold of ``core.state`` shares what grows
with the journal between its states, settles milestones only when a deadline has passed, and
builds each state without the dataclass's __init__; here it must give the same state on every
day of random journals of ``examples/hybrid-dc1.yaml`` (and of heat-sensor-housing, whose
advance exercises the other half of the book), made through the commands' guards with a few
events "as written" that no guard would admit; :class:`RunningFold` must give on each day what
:func:`deal_state` gives; and a state taken earlier must read the same after later pushes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copact.core import commands
from copact.core.calendar import BusinessCalendar
from copact.core.changes import (
    apply_change_event,
    approve_change,
    missing_approvals,
    propose_change,
    reject_change,
)
from copact.core.deal import Deal
from copact.core.events import (
    Event,
    EvidenceRef,
    ExitInvoked,
    Payment,
    PaymentConfirmed,
    Signed,
)
from copact.core.invoicing import Receivables
from copact.core.money import Money
from copact.core.persistent import KeysWriter, LogWriter, MapWriter
from copact.core.settlement import invoke_exit, settlement_of
from copact.core.state import (
    Balance,
    DealState,
    MilestoneState,
    RiskEntry,
    RunningFold,
    deal_state,
    exit_takes_effect,
    ordered,
)
from copact.errors import CopactError
from copact.services.operations import admit
from copact.services.views import view_of
from copact.services.views_json import state_json
from tests.conftest import load_example

HYBRID = load_example("hybrid-dc1.yaml")
HEAT = load_example("heat-sensor-housing.yaml")


# -- the reference: the fold as first written, one copy per event ----------------------------


def _settle(deal: Deal, ms: MilestoneState, until: date) -> MilestoneState:
    spec = next((m for m in deal.milestones if m.id == ms.id), None)
    if spec is None:
        return ms
    deemed = spec.acceptance is not None and spec.acceptance.deemed_accepted
    if deemed and ms.state == "submitted" and ms.review_until and ms.review_until <= until:
        return replace(ms, state="accepted", accepted_on=ms.review_until, deemed=True)
    if ms.state == "rejected" and ms.cure_until is not None and ms.cure_until <= until:
        return replace(ms, state="missed")
    return ms


def _frozen(state: DealState, until: date) -> date:
    if state.exit_effective is not None and state.exit_effective < until:
        return state.exit_effective
    return until


def _settled(deal: Deal, state: DealState, until: date) -> DealState:
    until = _frozen(state, until)
    return replace(
        state, milestones={k: _settle(deal, v, until) for k, v in state.milestones.items()}
    )


def _book(deal: Deal, state: DealState, e: Payment) -> DealState:
    amount = Money.of(e.amount, deal.currency)
    zero = Money.zero(deal.currency)
    balances = dict(state.balances)
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


def _step(deal: Deal, s: DealState, e: Any) -> DealState:
    calendar = BusinessCalendar.of(deal.calendar)
    spec = next((m for m in deal.milestones if m.id == getattr(e, "milestone", None)), None)
    ms = s.milestones.get(getattr(e, "milestone", ""))
    with_ms: Callable[[MilestoneState], DealState] = lambda m: replace(  # noqa: E731
        s, milestones={**s.milestones, m.id: m}
    )
    match e.type:
        case "signed":
            parties = {p.party for p in deal.people if p.id in e.by}
            signatures = {**s.signatures, **dict.fromkeys(parties, e)}
            return replace(s, signed_by=s.signed_by | set(e.by), signatures=signatures)
        case "payment" if e.by is not None:
            return replace(
                s,
                payment_refs=s.payment_refs | {e.ref},
                pending_payments={**s.pending_payments, e.ref: e},
            )
        case "payment":
            return _book(deal, s, e)
        case "payment-confirmed":
            payment = s.pending_payments.get(e.ref)
            if payment is None:
                return s
            pending = {k: v for k, v in s.pending_payments.items() if k != e.ref}
            s = replace(s, pending_payments=pending, confirmed_by={**s.confirmed_by, e.ref: e.by})
            return _book(deal, s, payment)
        case "submitted":
            if ms is None or spec is None or ms.state in ("accepted", "missed"):
                return s
            review = spec.acceptance.review_days if spec.acceptance else None
            until = calendar.add_business_days(e.day, review) if review is not None else None
            return with_ms(
                replace(
                    ms,
                    state="submitted",
                    submitted_on=e.day,
                    review_until=until,
                    rejected_on=None,
                    cure_until=None,
                )
            )
        case "accepted":
            if ms is None or ms.state != "submitted":
                return s
            return with_ms(replace(ms, state="accepted", accepted_on=e.day, deemed=False))
        case "rejected":
            if ms is None or spec is None or ms.state != "submitted":
                return s
            cure = e.day + timedelta(days=spec.cure_days or 0)
            return with_ms(replace(ms, state="rejected", rejected_on=e.day, cure_until=cure))
        case "work-claimed":
            return replace(s, claims=(*s.claims, e))
        case "gate":
            vote = e.decision if e.change is None else f"{e.decision} {e.change}"
            votes = {**s.gate_votes.get(e.phase, {}), **dict.fromkeys(e.by, vote)}
            phase = deal.phase(e.phase)
            deciders = set(phase.gate.deciders) if phase is not None and phase.gate else set(e.by)
            if deciders <= set(votes) and {votes[p] for p in deciders} == {vote}:
                changes = {k: v for k, v in s.gate_changes.items() if k != e.phase}
                if e.change is not None:
                    changes[e.phase] = e.change
                return replace(
                    s,
                    gates={**s.gates, e.phase: e.decision},
                    gate_votes={**s.gate_votes, e.phase: {}},
                    gate_changes=changes,
                )
            return replace(s, gate_votes={**s.gate_votes, e.phase: votes})
        case "change-proposed" | "change-approved" | "change-rejected":
            return replace(s, changes=dict(apply_change_event(deal, s.changes, e)))
        case "invoice":
            milestones = dict(s.milestones)
            for line in e.lines:
                if line.for_ in milestones:
                    milestones[line.for_] = replace(milestones[line.for_], invoiced=True)
            return replace(
                s,
                milestones=milestones,
                invoices=(*s.invoices, e),
                invoice_numbers=s.invoice_numbers | {e.number},
                receivables=s.book.with_invoice(e),
            )
        case "exit":
            if s.exits:
                return replace(s, exits=(*s.exits, e))
            return replace(s, exits=(e,), exit_effective=exit_takes_effect(deal, e))
        case "decision":
            return replace(s, decisions=(*s.decisions, e))
        case "window":
            return replace(s, windows=(*s.windows, e))
        case "risk":
            earlier = s.risks.get(e.risk)
            given_ = {
                k: v
                for k in ("description", "likelihood", "impact", "owner", "mitigation", "status")
                if (v := getattr(e, k)) is not None
            }
            if earlier is None:
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
                entry = replace(earlier, **given_, updated_on=e.day)
            return replace(s, risks={**s.risks, e.risk: entry})
    raise AssertionError(e.type)


def reference_state(deal: Deal, events: Iterable[Event], *, on: date) -> DealState:
    zero = Money.zero(deal.currency)
    state = DealState(
        deal=deal,
        on=on,
        milestones={m.id: MilestoneState(m.id) for m in deal.milestones},
        balances={p.id: Balance(zero, zero) for p in deal.parties},
        receivables=Receivables.open(deal),
        risks={
            r.id: RiskEntry(r.id, str(r.risk), r.likelihood, r.impact, r.owner, r.mitigation)
            for r in deal.risks
        },
    )
    for event in ordered(events):
        if event.day > on:
            break
        state = _step(deal, _settled(deal, state, event.day - timedelta(days=1)), event)
    return _settled(deal, state, on)


# -- what a state reads as, in order -----------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return [(k, _plain(v)) for k, v in value.items()]  # dict order matters too
    if isinstance(value, AbstractSet):
        return sorted(value)
    if isinstance(value, tuple | list) or type(value).__name__ == "LogView":
        return [_plain(v) for v in value]
    return value


def plain(state: DealState) -> dict[str, Any]:
    """Every field as lists in iteration order, and what is read off the book."""
    read = {f.name: _plain(getattr(state, f.name)) for f in fields(state)}
    read["json"] = state_json(view_of(state, None))
    read["book_once_confirmed"] = state.book_once_confirmed
    read["reads"] = (
        len(state.claims),
        state.claims[-1] if state.claims else None,
        state.decisions[1:3],
        list(reversed(state.windows)),
        [r in state.payment_refs for r in ("P-1", "P-2", "R-3", "nope")],
        [n in state.invoice_numbers for n in ("N-1", "N-2")],
        dict(state.confirmed_by),
        state.ended,
        state.missed,
        state.last_acceptance,
    )
    return read


# -- random journals through the guards --------------------------------------------------------

ACTIONS = (
    *["submit"] * 3,
    *["accept"] * 2,
    "reject",
    *["invoice"] * 2,
    *["pay"] * 2,
    *["pay-invoice"] * 2,
    "pay-advance",
    "refund",
    *["confirm"] * 4,
    "claim",
    *["gate"] * 2,
    "propose",
    *["approve"] * 2,
    "refuse-change",
    "decision",
    "window",
    "risk",
    "exit",
    "pay-exit",
    "as-written",
)
Step = tuple[str, int, int, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, 9),
        st.integers(0, 9),
        st.sampled_from([0, 0, 0, 1, 1, 2, 4, 9, 16]),
    ),
    min_size=8,
    max_size=40,
)


def _evidence(deal: Deal, milestone: str) -> list[EvidenceRef]:
    spec = next(m for m in deal.milestones if m.id == milestone)
    kinds = spec.acceptance.evidence if spec.acceptance else []
    return [
        EvidenceRef(name=f"{k}.pdf", sha256=hashlib.sha256(k.encode()).hexdigest(), kind=k)
        for k in kinds
    ]


def _of(deal: Deal, party: str) -> list[str]:
    return [p.id for p in deal.people if p.party == party] or [party]


def _pick(options: list[str], i: int) -> str:
    return options[i % len(options)] if options else ""


def _made(
    deal: Deal, state: DealState, journal: list[Event], step: Step, n: int, day: date
) -> list[Event]:
    """The events one step of a plan makes through its command (the guard may refuse)."""
    action, a, b, _ = step
    people = [p.id for p in deal.people]
    buyer, supplier = deal.buyers[0].id, deal.suppliers[0].id
    buyers, suppliers = _of(deal, buyer), _of(deal, supplier)
    amount = Decimal(100 * (a + 1) + b)

    def milestones(*states: str, invoiced: bool | None = None) -> list[str]:
        return [
            m.id
            for m in state.milestones.values()
            if m.state in states and (invoiced is None or m.invoiced == invoiced)
        ]

    def signoff(milestone: str) -> str:
        spec = next(m for m in deal.milestones if m.id == milestone)
        return (spec.acceptance.signoff if spec.acceptance else None) or buyers[0]

    def pay(payer: str, payee: str, for_: str | None, amount: Decimal) -> list[Payment]:
        by = None if b == 9 else _pick(_of(deal, payer), a)  # now and then a journal before `by`
        ref = _pick(["P-1", "P-2", "R-3", *[f"P-{n}"] * 7], a)
        return commands.pay(
            deal, state, payer=payer, payee=payee, amount=amount, ref=ref, at=day, for_=for_, by=by
        )

    candidates = {
        "submit": milestones("planned", "rejected", "missed"),
        "accept": milestones("submitted"),
        "reject": milestones("submitted"),
        "invoice": milestones("accepted", invoiced=False),
    }
    milestone = _pick(candidates.get(action, []), a)
    if action in candidates and not milestone:
        return []
    match action:
        case "submit":
            return commands.submit(
                deal, state, milestone=milestone, evidence=_evidence(deal, milestone),
                by=_pick(suppliers, b), at=day,
            )  # fmt: skip
        case "accept":
            return commands.accept(deal, state, milestone=milestone, by=signoff(milestone), at=day)
        case "reject":
            return commands.reject(
                deal, state, milestone=milestone, by=signoff(milestone), reasons=["no"], at=day
            )
        case "invoice":
            number = _pick(["N-1", "N-2", f"N-{n}", f"N-{n}"], b)
            return commands.invoice_for(deal, state, milestone=milestone, number=number, at=day)
        case "pay":
            return pay(buyer, supplier, None, amount)
        case "refund":
            return pay(supplier, buyer, None, amount)
        case "pay-invoice":
            book = state.book_once_confirmed
            open_ = [i for i in book.invoices if not i.outstanding.is_zero] or list(book.invoices)
            if not open_:
                return []
            invoice = open_[a % len(open_)]
            target = invoice.number if b % 2 else invoice.milestones[0]
            return pay(invoice.to, invoice.from_, target, min(amount, invoice.outstanding.amount))
        case "pay-advance":
            return pay(buyer, supplier, "prepaid", amount * 10)
        case "pay-exit":
            settlement = settlement_of(deal, journal)
            if settlement is None:
                return []
            owed = settlement.owed.quantize().amount
            return pay(settlement.owed_from, settlement.owed_to, "exit", min(amount, owed))
        case "confirm":
            pending = list(state.pending_payments.values())
            if not pending:
                return []
            payment = pending[a % len(pending)]
            who = _pick(_of(deal, payment.to), b)
            return commands.confirm_payment(deal, state, ref=payment.ref, by=who, at=day)
        case "claim":
            return commands.claim(
                deal, state, amount=amount, for_="rework", evidence=[], at=day,
                by=_pick(suppliers, b),
            )  # fmt: skip
        case "gate":
            gated = [p for p in deal.phases if p.gate]
            if not gated:
                return []
            phase = gated[a % len(gated)]
            assert phase.gate is not None
            decision = _pick(["proceed"] * 6 + ["pause", "adjust"], b)
            change = _pick(list(state.changes), a) if decision == "adjust" else None
            return commands.decide_gate(
                deal, state, phase=phase.id, decision=decision,
                by=_pick(list(phase.gate.deciders), a + b), at=day, change=change or None,
            )  # fmt: skip
        case "propose":
            return propose_change(
                deal, state.changes, change=f"co-{n % 9}", amount=amount * (b + 1), patch=None,
                by=_pick(people, a), at=day,
            )  # fmt: skip
        case "approve" | "refuse-change":
            waiting = [c for c in state.changes.values() if c.status == "proposed"]
            if not waiting:
                return []
            change = waiting[a % len(waiting)]
            missing = missing_approvals(deal, change)
            party = _pick(missing, b).removeprefix("someone of ")
            who = _pick(_of(deal, party), a) if deal.party(party) else party
            decide = approve_change if action == "approve" else reject_change
            return decide(deal, state.changes, change=change.id, by=who or people[0], at=day)
        case "decision":
            return commands.log_decision(
                deal, state, decision=f"decision {n}", by=[_pick(people, a)], topic=None, at=day
            )
        case "window":
            sites = [s.id for s in deal.sla.sites] if deal.sla else ["none"]
            start = datetime(day.year, day.month, day.day, a, tzinfo=UTC)
            return commands.record_window(
                deal, state, site=_pick(sites, a), start=start,
                end=start + timedelta(hours=b + 1), kind=_pick(["planned", "excluded"], b),
                by=_pick(buyers, b), note=None, at=day,
            )  # fmt: skip
        case "risk":
            new = a % 3 == 0
            return commands.update_risk(
                deal, state, risk=f"risk-{b % 3}" if new else _pick([*state.risks, "x"], b),
                by=_pick(people, a), at=day, description=f"risk number {b}" if new else None,
                likelihood="low" if new else None, impact="high" if new else None,
                status=None if new else _pick(["open", "mitigated", "closed"], b),
            )  # fmt: skip
        case "exit":
            if a < 6:  # most deals run on: after an exit only its settlement moves money
                return []
            trigger = _pick(["convenience", "missed-milestone", "insolvency"], a)
            return invoke_exit(deal, journal, trigger=trigger, by=_pick(people, b), at=day)
        case "as-written":  # events no guard admits, which a journal may still hold
            pending = list(state.pending_payments.values())[:1]
            return [
                _pick(
                    [
                        PaymentConfirmed(at=day, deal=deal.id, ref="P-1", by=people[0]),
                        PaymentConfirmed(at=day, deal=deal.id, ref="nope", by=people[0]),
                        *[
                            ExitInvoked(at=day, deal=deal.id, trigger="insolvency", by=people[0])
                            for _ in state.exits[:1]  # a second exit
                        ],
                        *[
                            p.model_copy(update={"amount": p.amount + 1, "at": day})
                            for p in pending
                        ],
                    ],
                    a,
                )
            ]
    raise AssertionError(action)


def journal_of(deal: Deal, plan: list[Step]) -> list[Event]:
    """The events ``plan`` makes, each through its command's guard and the import's (which
    refuses what an ended deal does not allow) on the reference state of the events before
    it; a step a guard refuses makes nothing."""
    day = deal.effective
    journal: list[Event] = [Signed(at=day, deal=deal.id, by=[deal.people[0].id])]
    for n, step in enumerate(plan):
        day += timedelta(days=step[3])
        state = reference_state(deal, journal, on=day)
        try:
            made = _made(deal, state, journal, step, n, day)
            if made and step[0] != "as-written":
                admit(deal, journal, made[0], state=state)
        except CopactError:
            continue
        journal.extend(made)
    return journal


def _days(journal: list[Event]) -> list[date]:
    days = sorted({e.day for e in journal})
    return [*days, days[-1] + timedelta(days=45), days[-1] + timedelta(days=400)]


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(deal=st.sampled_from([HYBRID, HEAT]), plan=steps)
def test_the_fold_gives_the_reference_state_on_every_day(deal: Deal, plan: list[Step]) -> None:
    journal = journal_of(deal, plan)
    for on in _days(journal):
        fast, reference = deal_state(deal, journal, on=on), reference_state(deal, journal, on=on)
        assert plain(fast) == plain(reference)
        assert fast == reference  # the views compare equal to the tuples, sets and dicts


@PROPERTY
@given(deal=st.sampled_from([HYBRID, HEAT]), plan=steps)
def test_a_running_fold_is_deal_state_on_every_day_and_keeps_old_states(
    deal: Deal, plan: list[Step]
) -> None:
    journal = journal_of(deal, plan)
    running = RunningFold(deal)
    taken: list[tuple[DealState, dict[str, Any]]] = []
    for n, event in enumerate(journal):
        state = running.state_on(event.day)
        seen = plain(state)
        assert seen == plain(deal_state(deal, journal[:n], on=event.day))
        taken.append((state, seen))
        running.push(event)
    last = _days(journal)[-1]
    assert plain(running.state_on(last)) == plain(deal_state(deal, journal, on=last))
    for state, seen in taken:  # read again after every later push: nothing moved
        assert plain(state) == seen


# -- the shared collections on their own -------------------------------------------------------

writes = st.lists(
    st.tuples(st.booleans(), st.sampled_from("abcdef"), st.integers(0, 99)), max_size=40
)


@given(writes)
def test_every_view_of_a_map_reads_as_the_dict_it_was(ops: list[tuple[bool, str, int]]) -> None:
    """Sets and deletes, then each view read after all of them: the same items in the same
    order as a dict that saw the same writes up to the view."""
    writer: MapWriter[str, int] = MapWriter()
    model: dict[str, int] = {}
    views = [(writer.view(), dict(model))]
    for delete, key, value in ops:
        if delete and key in model:
            del writer[key]
            del model[key]
        elif not delete:
            writer[key] = value
            model[key] = value
        views.append((writer.view(), dict(model)))
    for view, then in views:
        assert list(view.items()) == list(then.items())
        assert view == then and len(view) == len(then)
        assert all((k in view) == (k in then) for k in "abcdefg")
        assert all(view.get(k) == then.get(k) for k in "abcdefg")


@given(st.lists(st.integers(0, 9), max_size=30))
def test_a_log_and_a_growing_set_read_as_the_tuple_and_frozenset_they_were(
    items: list[int],
) -> None:
    log: LogWriter[int] = LogWriter()
    keys: KeysWriter[int] = KeysWriter()
    taken = []
    for item in items:
        taken.append((log.view(), keys.view(), tuple(log.view()), frozenset(keys.view())))
        log.append(item)
        keys.add(item)
    for view, key_view, then, then_keys in taken:
        assert view == then and then == view and len(view) == len(then)
        assert view[1:-1] == then[1:-1] and view[::-2] == then[::-2]
        assert (view[-1] == then[-1]) if then else not view
        assert [i in view for i in range(11)] == [i in then for i in range(11)]
        assert key_view == then_keys and then_keys == key_view
        assert key_view | {99} == then_keys | {99} and key_view - {1} == then_keys - {1}
        assert [i in key_view for i in range(11)] == [i in then_keys for i in range(11)]
