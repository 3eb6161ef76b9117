"""What one party cannot do to the shared record (issue 13, §2, §3, §5 and the pause gate).

Worked on the custom-component deal (``examples/heat-sensor-housing.yaml``): Ridgeline
(buyer: hannah owner, marcus technical acceptance, dana invoices) and Kestrel (supplier: luis,
priya); gates decided by hannah and luis; a 30,000 advance; value 185,000 USD.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core import commands
from copact.core.bounds import ceiling, check_amount
from copact.core.events import (
    Accepted,
    Event,
    EvidenceRef,
    ExitInvoked,
    GateDecided,
    Payment,
    PaymentConfirmed,
    Submitted,
)
from copact.core.money import Money
from copact.core.settlement import open_triggers, refuse_after_exit, settle_exit, settlement_of
from copact.core.state import deal_state
from copact.errors import RefusedCommand
from copact.services.views import view_of
from copact.services.views_json import state_json
from tests.conftest import load_example

DEAL = load_example("heat-sensor-housing.yaml")
HYBRID = load_example("hybrid-dc1.yaml")
DAY = date(2026, 9, 1)
KINDS = ("drawing", "simulation-report", "material-datasheet", "signed-acceptance")


def _evidence(kinds: tuple[str, ...] = KINDS) -> list[EvidenceRef]:
    return [EvidenceRef(name=f"{k}.pdf", sha256=f"{n:064x}", kind=k) for n, k in enumerate(kinds)]


def _state(events: list[Event], on: date = DAY) -> object:
    return deal_state(DEAL, events, on=on)


# -- §2 a person records only their own decision ---------------------------------------------


def test_a_buyer_cannot_record_the_suppliers_gate_decision() -> None:
    state = deal_state(DEAL, [], on=DAY)
    with pytest.raises(RefusedCommand, match="dana cannot decide the gate of design"):
        commands.decide_gate(DEAL, state, phase="design", decision="proceed", by="dana", at=DAY)
    # hannah may record her own vote, and it names her alone
    (vote,) = commands.decide_gate(
        DEAL, state, phase="design", decision="proceed", by="hannah", at=DAY
    )
    assert vote.by == ["hannah"]


def test_a_gate_is_decided_when_every_decider_has_recorded_the_same_decision() -> None:
    def vote(person: str, decision: str) -> GateDecided:
        return GateDecided(at=DAY, deal=DEAL.id, phase="tooling", decision=decision, by=[person])

    one = deal_state(DEAL, [vote("hannah", "proceed")], on=DAY)
    assert "tooling" not in one.gates
    assert one.gate_votes["tooling"] == {"hannah": "proceed"}  # luis has not decided yet
    split = deal_state(DEAL, [vote("hannah", "proceed"), vote("luis", "pause")], on=DAY)
    assert "tooling" not in split.gates
    agreed = deal_state(
        DEAL, [vote("hannah", "proceed"), vote("luis", "pause"), vote("luis", "proceed")], on=DAY
    )
    assert agreed.gates["tooling"] == "proceed"
    assert agreed.gate_votes["tooling"] == {}  # the next round starts empty


def test_a_paused_gate_stops_its_phase_until_a_later_proceed() -> None:
    def both(decision: str) -> list[Event]:
        return [
            GateDecided(at=DAY, deal=DEAL.id, phase="design", decision=decision, by=[p])
            for p in ("hannah", "luis")
        ]

    paused = deal_state(DEAL, both("pause"), on=DAY)
    with pytest.raises(RefusedCommand, match="design is paused until"):
        commands.submit(
            DEAL, paused, milestone="design-freeze", evidence=_evidence(), by="luis", at=DAY
        )
    resumed = deal_state(DEAL, [*both("pause"), *both("proceed")], on=DAY)
    assert commands.submit(
        DEAL, resumed, milestone="design-freeze", evidence=_evidence(), by="luis", at=DAY
    )


def test_an_adjust_names_its_change_order_and_waits_for_its_approval() -> None:
    state = deal_state(DEAL, [], on=DAY)
    with pytest.raises(RefusedCommand, match="names the change order"):
        commands.decide_gate(DEAL, state, phase="design", decision="adjust", by="luis", at=DAY)


def test_the_supplier_cannot_record_that_the_buyer_paid() -> None:
    state = deal_state(DEAL, [], on=DAY)
    with pytest.raises(RefusedCommand, match="luis of kestrel cannot record a payment by"):
        commands.pay(
            DEAL,
            state,
            payer="ridgeline",
            payee="kestrel",
            amount=Decimal("30000"),
            ref="PP-1",
            for_="prepaid",
            at=DAY,
            by="luis",
        )


def test_a_payment_counts_only_once_the_payee_confirms_it() -> None:
    recorded = Payment(
        at=DAY,
        deal=DEAL.id,
        from_="ridgeline",
        to="kestrel",
        amount=Decimal("30000"),
        ref="PP-1",
        for_="prepaid",
        by="dana",
    )
    pending = deal_state(DEAL, [recorded], on=DAY)
    assert pending.balances["ridgeline"].paid == Money.zero("USD")
    assert "PP-1" in pending.pending_payments
    # the buyer cannot confirm its own payment; the supplier's person can
    with pytest.raises(RefusedCommand, match="kestrel, who received it, does"):
        commands.confirm_payment(DEAL, pending, ref="PP-1", by="hannah", at=DAY)
    (confirmation,) = commands.confirm_payment(DEAL, pending, ref="PP-1", by="luis", at=DAY)
    done = deal_state(DEAL, [recorded, confirmation], on=DAY)
    assert done.balances["ridgeline"].paid == Money.of("30000", "USD")
    assert done.balances["kestrel"].received == Money.of("30000", "USD")
    assert done.confirmed_by == {"PP-1": "luis"}
    with pytest.raises(RefusedCommand, match="already confirmed by luis"):
        commands.confirm_payment(DEAL, done, ref="PP-1", by="luis", at=DAY)


def test_an_unconfirmed_payment_is_not_refunded_at_exit() -> None:
    """A payment the buyer only says it made is not money the supplier must give back."""
    recorded = Payment(
        at=DAY,
        deal=DEAL.id,
        from_="ridgeline",
        to="kestrel",
        amount=Decimal("30000"),
        ref="PP-1",
        for_="prepaid",
        by="dana",
    )
    unconfirmed = settle_exit(DEAL, [recorded], trigger="insolvency", on=DAY, by="ridgeline")
    assert unconfirmed.paid == Money.zero("USD")
    confirmed = [recorded, PaymentConfirmed(at=DAY, deal=DEAL.id, ref="PP-1", by="priya")]
    settled = settle_exit(DEAL, confirmed, trigger="insolvency", on=DAY, by="ridgeline")
    assert settled.paid == Money.of("30000", "USD")
    assert settled.refund == Money.of("30000", "USD")


def test_the_buyer_cannot_claim_work() -> None:
    state = deal_state(DEAL, [], on=DAY)
    with pytest.raises(RefusedCommand, match="work is claimed by a supplier"):
        commands.claim(
            DEAL, state, amount=Decimal("9000"), for_="rework", evidence=[], at=DAY, by="hannah"
        )
    (claim,) = commands.claim(
        DEAL, state, amount=Decimal("9000"), for_="rework", evidence=[], at=DAY, by="luis"
    )
    assert claim.by == "luis"


# -- §2/§5 amounts bounded at the door -------------------------------------------------------


def test_the_ceiling_is_ten_times_what_the_deal_prices() -> None:
    # hybrid-dc1: 420,000 + 10 years of fees (4,000 and 1,500 a month) + 10 × the 60,000 cap
    assert ceiling(HYBRID) == Money.of("16800000.00", "USD")


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("999999999999.99", "far above anything deal hybrid-dc1 can owe"),
        ("0.000001", "finer than USD allows"),
        ("0", "a positive amount"),
        ("-5", "a positive amount"),
        ("1E+26", "far above"),
    ],
)
def test_absurd_payments_are_refused(amount: str, why: str) -> None:
    state = deal_state(HYBRID, [], on=DAY)
    with pytest.raises(RefusedCommand, match=why):
        commands.pay(
            HYBRID,
            state,
            payer="acme",
            payee="voltworks",
            amount=Decimal(amount),
            ref="X",
            at=DAY,
            by="raj",
        )


@given(cents=st.integers(min_value=1, max_value=10**12))
def test_an_amount_is_taken_exactly_when_it_is_whole_cents_within_the_ceiling(cents: int) -> None:
    amount = Decimal(cents).scaleb(-2)
    within = Money.of(amount, "USD") <= ceiling(HYBRID)
    try:
        check_amount(HYBRID, amount, what="a payment")
        taken = True
    except RefusedCommand:
        taken = False
    assert taken == within


@settings(max_examples=60)
@given(
    steps=st.lists(
        st.tuples(st.integers(min_value=1, max_value=5_000_00), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_balances_count_exactly_the_confirmed_payments(steps: list[tuple[int, bool]]) -> None:
    """Whatever payments are recorded and whichever of them the payee confirms, the buyer's
    paid balance and the supplier's received balance are the sum of the confirmed ones."""
    events: list[Event] = []
    confirmed = Decimal(0)
    for n, (cents, confirm) in enumerate(steps):
        amount = Decimal(cents).scaleb(-2)
        events.append(
            Payment(
                at=DAY,
                deal=DEAL.id,
                from_="ridgeline",
                to="kestrel",
                amount=amount,
                ref=f"P{n}",
                by="dana",
            )
        )
        if confirm:
            events.append(PaymentConfirmed(at=DAY, deal=DEAL.id, ref=f"P{n}", by="luis"))
            confirmed += amount
    state = deal_state(DEAL, events, on=DAY)
    assert state.balances["ridgeline"].paid.amount == confirmed
    assert state.balances["kestrel"].received.amount == confirmed
    assert len(state.pending_payments) == sum(1 for _, c in steps if not c)


# -- §5 the read side never crashes on what a journal holds -----------------------------------


def test_a_journal_holding_an_absurd_amount_still_folds_and_settles() -> None:
    """A payment of 1E+26 got into journals before the bounds: state, JSON and exit still
    answer (the door refuses new ones)."""
    huge = Payment(
        at=DAY, deal=DEAL.id, from_="ridgeline", to="kestrel", amount=Decimal("1E+26"), ref="X"
    )
    state = deal_state(DEAL, [huge], on=DAY)
    doc = state_json(view_of(state, [huge]))
    assert doc["balances"]["ridgeline"]["paid"] == "100000000000000000000000000.00"
    settled = settle_exit(DEAL, [huge], trigger="insolvency", on=DAY, by="ridgeline")
    assert settled.refund.amount == Decimal("1E+26")


# -- §3 after an exit, only its settlement moves money -----------------------------------------


def _ended() -> list[Event]:
    """The advance paid and confirmed, design-freeze submitted, then Kestrel goes insolvent."""
    return [
        Payment(
            at=date(2026, 7, 15),
            deal=DEAL.id,
            from_="ridgeline",
            to="kestrel",
            amount=Decimal("30000"),
            ref="PP-1",
            for_="prepaid",
            by="dana",
        ),
        PaymentConfirmed(at=date(2026, 7, 16), deal=DEAL.id, ref="PP-1", by="luis"),
        Submitted(
            at=date(2026, 9, 15),
            deal=DEAL.id,
            milestone="design-freeze",
            evidence=_evidence(),
            by="luis",
        ),
        ExitInvoked(at=date(2026, 9, 16), deal=DEAL.id, trigger="insolvency", by="hannah"),
    ]


def test_after_an_insolvency_exit_an_acceptance_is_refused() -> None:
    journal = _ended()
    state = deal_state(DEAL, journal, on=date(2026, 9, 17))
    assert state.ended and state.exit_effective == date(2026, 9, 16)
    caused = [Accepted(at=date(2026, 9, 17), deal=DEAL.id, milestone="design-freeze", by="marcus")]
    with pytest.raises(RefusedCommand, match="the deal ended on 2026-09-16: hannah invoked"):
        refuse_after_exit(DEAL, journal, state, caused)
    # every trigger is closed now, saying why
    closed = open_triggers(DEAL, journal, on=date(2026, 9, 17), by="ridgeline")
    assert all(
        why.startswith("closed: hannah invoked an insolvency exit") for why in closed.values()
    )


def test_after_an_exit_only_its_settlement_is_paid() -> None:
    journal = _ended()
    day = date(2026, 9, 20)
    state = deal_state(DEAL, journal, on=day)
    settlement = settlement_of(DEAL, journal)
    assert settlement is not None
    # paid 30,000, earned nothing: Kestrel owes Ridgeline the whole advance
    assert (settlement.owed_from, settlement.owed_to) == ("kestrel", "ridgeline")
    assert settlement.owed == Money.of("30000", "USD")

    def pay(payer: str, payee: str, amount: str, for_: str | None = "exit") -> list[Payment]:
        return commands.pay(
            DEAL,
            state,
            payer=payer,
            payee=payee,
            amount=Decimal(amount),
            ref=f"R-{amount}",
            for_=for_,
            at=day,
            by="luis" if payer == "kestrel" else "dana",
        )

    with pytest.raises(RefusedCommand, match="the deal ended"):
        refuse_after_exit(DEAL, journal, state, pay("ridgeline", "kestrel", "100", None))
    with pytest.raises(RefusedCommand, match="paid by kestrel to ridgeline"):
        refuse_after_exit(DEAL, journal, state, pay("ridgeline", "kestrel", "100"))
    with pytest.raises(RefusedCommand, match=r"leaves 30,000\.00 USD to pay"):
        refuse_after_exit(DEAL, journal, state, pay("kestrel", "ridgeline", "30000.01"))
    refund = pay("kestrel", "ridgeline", "30000")
    refuse_after_exit(DEAL, journal, state, refund)  # the settlement itself goes through
    # and the refund paid for the exit is not counted as money the buyer paid in
    after = settlement_of(DEAL, [*journal, *refund])
    assert after is not None and after.paid == Money.of("30000", "USD")


def test_a_convenience_exit_takes_effect_after_its_notice() -> None:
    journal: list[Event] = [
        ExitInvoked(at=date(2026, 9, 1), deal=DEAL.id, trigger="convenience", by="hannah")
    ]
    during = deal_state(DEAL, journal, on=date(2026, 10, 30))
    assert during.exit_effective == date(2026, 10, 31) and not during.ended
    after = deal_state(DEAL, journal, on=date(2026, 10, 31))
    assert after.ended


def test_a_change_orders_amount_is_signed_and_bounded() -> None:
    from copact.core.changes import propose_change

    (less,) = propose_change(
        DEAL, {}, change="co-1", amount=Decimal("-2500"), patch=None, by="hannah", at=DAY
    )
    assert less.amount == Decimal("-2500")  # a credit: the buyer pays less
    with pytest.raises(RefusedCommand, match="far above anything"):
        propose_change(
            DEAL, {}, change="co-2", amount=Decimal("-1E+20"), patch=None, by="hannah", at=DAY
        )


def test_the_ledger_books_a_payment_when_its_payee_confirms_it() -> None:
    from copact.core.ledger import build_ledger

    recorded = Payment(
        at=DAY,
        deal=DEAL.id,
        from_="ridgeline",
        to="kestrel",
        amount=Decimal("30000"),
        ref="PP-1",
        for_="prepaid",
        by="dana",
    )
    waiting = build_ledger([recorded], DEAL)
    assert waiting.balance("kestrel:cash") == 0
    later = date(2026, 9, 3)
    confirmed = build_ledger(
        [recorded, PaymentConfirmed(at=later, deal=DEAL.id, ref="PP-1", by="luis")], DEAL
    )
    assert confirmed.balance("kestrel:cash") == Decimal("30000")
    assert confirmed.total == 0  # still double-entry: every entry balances
    assert {e.day for e in confirmed.entries} == {later}


def test_nothing_is_deemed_accepted_after_the_deal_ended() -> None:
    """design-freeze was submitted on 2026-09-15 and nobody answered; its ten business days
    would end on 2026-09-29, but Kestrel's insolvency ended the deal on 2026-09-16."""
    journal = _ended()
    later = deal_state(DEAL, journal, on=date(2026, 12, 1))
    assert later.milestones["design-freeze"].state == "submitted"
    assert not later.milestones["design-freeze"].deemed
    running = deal_state(DEAL, journal[:-1], on=date(2026, 12, 1))  # without the exit
    assert running.milestones["design-freeze"].state == "accepted"
