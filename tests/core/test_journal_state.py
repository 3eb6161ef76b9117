"""Worked examples of a running deal: events folded into state, guards, and exit settlements."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copact.core import commands
from copact.core.events import EvidenceRef, Payment, WorkClaimed, canonical_json, parse_events
from copact.core.settlement import open_triggers, settle_exit
from copact.core.state import deal_state
from copact.errors import RefusedCommand
from copact.services.views import deal_view, view_of
from copact.services.views_json import settlement_json, state_json
from tests.conftest import load_example

HEAT = load_example("heat-sensor-housing.yaml")
HYBRID = load_example("hybrid-dc1.yaml")


def ev(kind: str, name: str | None = None) -> EvidenceRef:
    digest = hashlib.sha256((name or kind).encode()).hexdigest()
    return EvidenceRef(name=f"{name or kind}.pdf", sha256=digest, kind=kind)


DESIGN_EVIDENCE = [
    ev(k) for k in ("drawing", "simulation-report", "material-datasheet", "signed-acceptance")
]
SAMPLE_EVIDENCE = [ev(k) for k in ("delivery-receipt", "inspection-report", "test-report", "photo")]


def heat_journal() -> list:  # type: ignore[type-arg]
    """Ridgeline prepays 30,000; design-freeze is accepted; prototype-samples is rejected and
    its 20-day cure period runs out; Kestrel claims 9,000 of completed work."""
    journal: list = []  # type: ignore[type-arg]

    def run(command, **kwargs) -> None:  # type: ignore[no-untyped-def]
        state = deal_state(HEAT, journal, on=kwargs["at"])
        journal.extend(command(HEAT, state, **kwargs))

    run(
        commands.pay,
        payer="ridgeline",
        payee="kestrel",
        amount=Decimal(30000),
        ref="PP-1",
        at=date(2026, 7, 15),
        for_="prepaid",
    )
    run(
        commands.submit,
        milestone="design-freeze",
        evidence=DESIGN_EVIDENCE,
        by="luis",
        at=date(2026, 9, 15),
    )
    run(commands.accept, milestone="design-freeze", by="marcus", at=date(2026, 9, 18))
    run(
        commands.submit,
        milestone="prototype-samples",
        evidence=SAMPLE_EVIDENCE,
        by="luis",
        at=date(2026, 11, 30),
    )
    run(
        commands.reject,
        milestone="prototype-samples",
        by="marcus",
        reasons=["3 of 10 housings cracked below 1,000 cycles"],
        at=date(2026, 12, 4),
    )
    run(
        commands.claim,
        amount=Decimal(9000),
        for_="prototype-samples rework",
        evidence=[],
        at=date(2026, 12, 10),
    )
    return journal


def test_a_rejected_milestone_is_missed_when_its_cure_period_ends() -> None:
    journal = heat_journal()
    on_cure_day = deal_state(HEAT, journal, on=date(2026, 12, 23)).milestones["prototype-samples"]
    assert on_cure_day.state == "rejected"
    assert on_cure_day.cure_until == date(2026, 12, 24)  # rejected Dec 4 + 20 days
    after = deal_state(HEAT, journal, on=date(2026, 12, 24)).milestones["prototype-samples"]
    assert after.state == "missed"


def test_custom_component_exit_recovers_unused_prepaid_less_the_capped_deduction() -> None:
    journal = heat_journal()
    s = settle_exit(HEAT, journal, trigger="missed-milestone", on=date(2026, 12, 28))
    # paid: the 30,000 advance (the design invoice was settled from it, no cash)
    # earned: design-freeze 20% × 185,000 = 37,000 × Ridgeline's 40% share = 14,800
    # unused = 30,000 − 14,800 = 15,200; claimed since the last acceptance = 9,000
    # deduction = min(9,000, 15% × 15,200 = 2,280) = 2,280; refund = 12,920 from Kestrel
    doc = settlement_json(s)
    assert (doc["paid"], doc["earned"], doc["unused"]) == ("30000.00", "14800.00", "15200.00")
    assert (doc["claimed"], doc["deduction"], doc["refund"]) == ("9000.00", "2280.00", "12920.00")
    assert doc["owed"] == {"from": "kestrel", "to": "ridgeline", "amount": "12920.00"}
    assert doc["effective"] == "2026-12-28"
    assert "documentation" in doc["on_exit"]


def test_missed_milestone_exit_is_refused_before_the_cure_period_ends() -> None:
    with pytest.raises(RefusedCommand, match="no milestone is missed"):
        settle_exit(HEAT, heat_journal(), trigger="missed-milestone", on=date(2026, 12, 20))


def test_convenience_exit_takes_effect_after_notice_and_deducts_all_claimed_work() -> None:
    s = settle_exit(
        HEAT, heat_journal(), trigger="convenience", on=date(2026, 12, 1), by="ridgeline"
    )
    assert s.effective == date(2027, 1, 30)  # 60 days' notice
    # the buyer's own choice: completed work is paid in full, 15,200 − 9,000 = 6,200
    assert str(s.refund) == "6200.00 USD"


def test_only_the_named_party_may_exit_for_convenience() -> None:
    opened = open_triggers(HEAT, heat_journal(), on=date(2026, 12, 1), by="kestrel")
    assert opened["convenience"].startswith("closed")
    with pytest.raises(RefusedCommand, match="only ridgeline"):
        settle_exit(HEAT, heat_journal(), trigger="convenience", on=date(2026, 12, 1), by="kestrel")


def test_deemed_acceptance_skips_weekends_and_the_observed_independence_day() -> None:
    # submitted Wed 2026-07-01; review 10 business days; Fri 2026-07-03 is a US holiday:
    # Jul 2, 6, 7, 8, 9, 10, 13, 14, 15, 16 → deemed accepted at the end of Jul 16
    evidence = [ev(k) for k in ("signed-acceptance", "drawing", "test-report")]
    journal = commands.submit(
        HYBRID,
        deal_state(HYBRID, [], on=date(2026, 7, 1)),
        milestone="design-approval",
        evidence=evidence,
        by="sam",
        at=date(2026, 7, 1),
    )
    before = deal_state(HYBRID, journal, on=date(2026, 7, 15)).milestones["design-approval"]
    after = deal_state(HYBRID, journal, on=date(2026, 7, 16)).milestones["design-approval"]
    assert before.state == "submitted" and before.review_until == date(2026, 7, 16)
    assert after.state == "accepted" and after.deemed and after.accepted_on == date(2026, 7, 16)
    # once deemed accepted, a late rejection is refused
    with pytest.raises(RefusedCommand, match="already accepted"):
        commands.reject(
            HYBRID,
            deal_state(HYBRID, journal, on=date(2026, 7, 17)),
            milestone="design-approval",
            by="ana",
            reasons=["late"],
            at=date(2026, 7, 17),
        )


@pytest.mark.parametrize(
    ("command", "kwargs", "reason"),
    [
        (commands.accept, {"milestone": "design-approval", "by": "ana"}, "nobody submitted"),
        (commands.accept, {"milestone": "nope", "by": "ana"}, "no milestone"),
        (
            commands.submit,
            {"milestone": "design-approval", "evidence": [], "by": "ana"},
            "payee submits",
        ),
        (
            commands.submit,
            {"milestone": "design-approval", "evidence": [], "by": "sam"},
            "needs evidence",
        ),
        (
            commands.decide_gate,
            {"phase": "design", "decision": "proceed", "by": ["raj"]},
            "cannot decide",
        ),
        (
            commands.reject,
            {"milestone": "design-approval", "by": "ana", "reasons": [" "]},
            "at least one reason",
        ),
    ],
)
def test_commands_that_do_not_fit_the_state_are_refused(command, kwargs, reason) -> None:  # type: ignore[no-untyped-def]
    state = deal_state(HYBRID, [], on=date(2026, 7, 1))
    with pytest.raises(RefusedCommand, match=reason):
        command(HYBRID, state, at=date(2026, 7, 1), **kwargs)


def test_a_sign_off_by_the_wrong_person_and_a_second_payment_reference_are_refused() -> None:
    evidence = [ev(k) for k in ("signed-acceptance", "drawing", "test-report")]
    journal = commands.submit(
        HYBRID,
        deal_state(HYBRID, [], on=date(2026, 7, 1)),
        milestone="design-approval",
        evidence=evidence,
        by="sam",
        at=date(2026, 7, 1),
    )
    state = deal_state(HYBRID, journal, on=date(2026, 7, 2))
    with pytest.raises(RefusedCommand, match="signed off by ana, not raj"):
        commands.accept(HYBRID, state, milestone="design-approval", by="raj", at=date(2026, 7, 2))
    journal += commands.pay(
        HYBRID,
        state,
        payer="acme",
        payee="voltworks",
        amount=Decimal(10),
        ref="W-1",
        at=date(2026, 7, 2),
    )
    state = deal_state(HYBRID, journal, on=date(2026, 7, 2))
    with pytest.raises(RefusedCommand, match="already recorded"):
        commands.pay(
            HYBRID,
            state,
            payer="acme",
            payee="voltworks",
            amount=Decimal(10),
            ref="W-1",
            at=date(2026, 7, 2),
        )


def test_one_invoice_per_accepted_milestone_at_the_buyers_share() -> None:
    journal = heat_journal()
    state = deal_state(HEAT, journal, on=date(2026, 9, 20))
    (invoice,) = commands.invoice_for(
        HEAT, state, milestone="design-freeze", number="K-1", at=date(2026, 9, 20)
    )
    assert invoice.total == Decimal("14800.00") and invoice.due == date(2026, 10, 20)
    state = deal_state(HEAT, [*journal, invoice], on=date(2026, 9, 20))
    with pytest.raises(RefusedCommand, match="already been invoiced"):
        commands.invoice_for(
            HEAT, state, milestone="design-freeze", number="K-2", at=date(2026, 9, 21)
        )
    doc = state_json(view_of(state, None))
    (due,) = doc["invoices"]
    assert due == {
        "number": "K-1",
        "for": ["design-freeze"],
        "from": "kestrel",
        "to": "ridgeline",
        "amount": "14800.00",
        "due": "2026-10-20",
        "overdue": False,
        "status": "paid",  # settled from the 30,000 advance
        "from_advance": "14800.00",
        "due_in_cash": "0.00",
        "paid": "0.00",
        "netted": "0.00",
        "outstanding": "0.00",
    }
    later = state_json(deal_view(HEAT, [*journal, invoice], today=date(2026, 11, 1)))
    assert later["invoices"][0]["overdue"] is False  # the 30,000 advance covers it
    design = next(m for m in doc["milestones"] if m["id"] == "design-freeze")
    assert design["state"] == "accepted" and design["invoice_amount"] == "14800.00"
    assert doc["balances"]["ridgeline"] == {"paid": "30000.00", "received": "0.00"}


def test_the_journal_round_trips_through_json_lines() -> None:
    journal = heat_journal()
    text = "".join(canonical_json(e) + "\n" for e in journal)
    parsed, problems = parse_events(text)
    assert problems == [] and parsed == journal


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**9), places=2),
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 1, 1)),
    ref=st.text(min_size=1, max_size=20),
)
def test_amounts_survive_the_codec_exactly(amount: Decimal, day: date, ref: str) -> None:
    event = Payment(at=day, deal="d", from_="a", to="b", amount=amount, ref=ref)
    (again,), problems = parse_events(canonical_json(event))
    assert problems == [] and again == event and again.amount == amount


def test_bad_event_lines_are_reported_with_their_line_number() -> None:
    good = canonical_json(WorkClaimed(at=date(2026, 1, 1), deal="d", amount=Decimal(5), for_="x"))
    text = "\n".join(
        [good, "{not json", '{"type": "paid", "at": "2026-01-01"}', good.replace('"5"', '"five"')]
    )
    events, problems = parse_events(text, "journal.jsonl")
    assert len(events) == 1
    assert [(p.line, p.code) for p in problems] == [(2, "J001"), (3, "J002"), (4, "J002")]


def test_an_unpaid_invoice_is_overdue_after_its_payment_terms() -> None:
    evidence = [ev(k) for k in ("delivery-receipt", "test-report", "photo")]
    day = date(2026, 10, 1)
    journal = commands.submit(
        HYBRID,
        deal_state(HYBRID, [], on=day),
        milestone="hardware-delivery",
        evidence=evidence,
        by="sam",
        at=day,
    )
    journal += commands.accept(
        HYBRID, deal_state(HYBRID, journal, on=day), milestone="hardware-delivery", by="ana", at=day
    )
    journal += commands.invoice_for(
        HYBRID,
        deal_state(HYBRID, journal, on=day),
        milestone="hardware-delivery",
        number="VW-7",
        at=day,
    )
    # 126,000 × 70 % = 88,200, due 30 days later
    on_due = state_json(deal_view(HYBRID, journal, today=date(2026, 10, 31)))["invoices"][0]
    after = state_json(deal_view(HYBRID, journal, today=date(2026, 11, 1)))["invoices"][0]
    assert (on_due["amount"], on_due["due"], on_due["overdue"]) == ("88200.00", "2026-10-31", False)
    assert after["overdue"] is True
    journal += commands.pay(
        HYBRID,
        deal_state(HYBRID, journal, on=date(2026, 11, 2)),
        payer="acme",
        payee="voltworks",
        amount=Decimal("88200.00"),
        ref="ACH-1",
        at=date(2026, 11, 2),
    )
    paid = state_json(deal_view(HYBRID, journal, today=date(2026, 11, 2)))["invoices"][0]
    assert paid["overdue"] is False


def test_an_acquired_supplier_hands_over_source_and_customers_and_is_paid_its_claimed_work() -> (
    None
):
    """Software integration: Cobalt is acquired; Tidewater leaves by change of control."""
    saas = load_example("saas-integration.yaml")
    journal = [
        Payment(
            at=date(2026, 9, 1),
            deal=saas.id,
            from_="tidewater",
            to="cobalt",
            amount=Decimal(20000),
            ref="BACS-1",
        ),
        WorkClaimed(
            at=date(2026, 10, 1),
            deal=saas.id,
            amount=Decimal(6500),
            for_="security review half done",
        ),
    ]
    s = settle_exit(
        saas, journal, trigger="change-of-control", on=date(2026, 10, 15), by="tidewater"
    )
    # nothing accepted yet: unused = 20,000; a change of control deducts claimed work in full:
    # refund = 20,000 − 6,500 = 13,500 from Cobalt
    assert (str(s.unused), str(s.deduction), str(s.refund)) == (
        "20000.00 GBP",
        "6500.00 GBP",
        "13500.00 GBP",
    )
    assert (s.owed_from, s.owed_to) == ("cobalt", "tidewater")
    assert "source" in s.on_exit["source-materials"]
    assert "180 days" in s.on_exit["customer-transition"]
