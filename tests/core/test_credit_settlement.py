"""A credit note is paid out by its issuer like an invoice is paid: worked by hand on
examples/heat-sensor-housing.yaml (USD, no VAT, payment terms 30 days).

Ridgeline paid Kestrel the 30,000.00 advance. Contract year 2026 (July 2026 to June 2027):
twelve call-offs of 2,600 housings, 31,200 × 6.85 = 213,720.00, reach the 3% tier, so on
2027-07-05 Kestrel credits 3% = 6,411.60 (credit note HSH-1, due 2027-08-04)::

    2027-07-20  luis (Kestrel) pays 4,000.00 for HSH-1     recorded: HSH-1 still open
    2027-07-21  dana (Ridgeline) confirms it               part-paid, 2,411.60 outstanding
    2027-08-05  nothing more paid                          overdue (due 2027-08-04)
    2027-08-06  luis pays 2,411.60 for HSH-1, dana confirms  paid, 0.00 outstanding

Paying 2,411.61 instead is refused (only 2,411.60 is outstanding), and so is Ridgeline
"paying" Kestrel's note. Balances: Kestrel paid 6,411.60, Ridgeline received 6,411.60.

At a convenience exit, nothing accepted: paid 30,000.00, earned 0.00, so the refund is the
30,000.00 advance, whatever was paid out of the rebate: the rebate is a credit note of its own,
and an exit credit note counting it again would credit Ridgeline twice. The settlement says
what is left on it beside the refund (6,411.60, then 2,411.60 after the 4,000.00, then 0.00),
and once the exit has taken effect (60 days' notice) Kestrel still pays out what is left by
the note's number, while any other payment is refused.

Hypothesis: any split of a credit note into payments of whole cents leaves
outstanding = total − Σ parts ≥ 0, paid = Σ parts exactly; a part above what is outstanding is
refused and changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core import commands
from copact.core.events import CreditNote, Event, Payment, parse_events
from copact.core.invoicing import InvoiceStanding, Receivables, check_payment_target
from copact.core.money import Money
from copact.core.settlement import (
    credit_exit_refund,
    exit_refund_left,
    invoke_exit,
    refuse_after_exit,
    settle_exit,
    settlement_of,
)
from copact.core.state import deal_state
from copact.core.volume import confirm_purchases, credit_rebate, record_purchases
from copact.errors import RefusedCommand
from tests.conftest import EXAMPLES, load_example

DEAL = load_example("heat-sensor-housing.yaml")
D = Decimal
ISSUED = date(2027, 7, 5)
JOURNAL = (EXAMPLES / "journals" / "heat-sensor-housing.jsonl").read_text(encoding="utf-8")


def _journal() -> list[Event]:
    events, problems = parse_events(JOURNAL, "heat-sensor-housing.jsonl")
    assert not problems
    return events


def _rebated() -> list[Event]:
    """The signatures and the advance of the example journal, a year of call-offs of 2,600
    housings confirmed by Kestrel, and the year's rebate credit note HSH-1."""
    events = [e for e in _journal() if e.type in ("signed", "payment")]
    for i in range(12):
        day = date(2026 + (6 + i) // 12, (6 + i) % 12 + 1, 28)
        ref = f"CO-{day:%Y-%m}"
        state = deal_state(DEAL, events, on=day)
        events += record_purchases(
            DEAL, state, period=f"{day:%Y-%m}", quantity=D(2600), ref=ref, by="dana", at=day
        )
        state = deal_state(DEAL, events, on=day)
        events += confirm_purchases(DEAL, state, ref=ref, by="luis", at=day)
    state = deal_state(DEAL, events, on=ISSUED)
    events += credit_rebate(DEAL, state, period="2026", number="HSH-1", at=ISSUED)
    return events


def _pay(events: list[Event], amount: str, ref: str, on: date, **given: str) -> list[Event]:
    fields = {"payer": "kestrel", "payee": "ridgeline", "for_": "HSH-1", "by": "luis", **given}
    state = deal_state(DEAL, events, on=on)
    return commands.pay(DEAL, state, amount=D(amount), ref=ref, at=on, **fields)


def _confirm(events: list[Event], ref: str, on: date) -> list[Event]:
    state = deal_state(DEAL, events, on=on)
    return commands.confirm_payment(DEAL, state, ref=ref, by="dana", at=on)


def _note(events: list[Event], on: date) -> InvoiceStanding:
    note = deal_state(DEAL, events, on=on).book.find_credit("HSH-1")
    assert note is not None
    return note


def test_the_2026_rebate_is_paid_out_in_two_parts() -> None:
    events = _rebated()
    issued = _note(events, ISSUED)
    assert (issued.from_, issued.to, issued.milestones) == ("kestrel", "ridgeline", ("rebate",))
    assert (issued.total.amount, issued.due, issued.status) == (
        D("6411.60"),
        date(2027, 8, 4),
        "open",
    )

    events += _pay(events, "4000.00", "RB-1", date(2027, 7, 20))
    assert _note(events, date(2027, 7, 20)).status == "open"  # recorded, not yet confirmed
    events += _confirm(events, "RB-1", date(2027, 7, 21))
    first = _note(events, date(2027, 7, 21))
    assert (first.status, first.paid.amount, first.outstanding.amount) == (
        "part-paid",
        D("4000.00"),
        D("2411.60"),
    )
    assert not first.overdue(date(2027, 8, 4)) and first.overdue(date(2027, 8, 5))

    with pytest.raises(RefusedCommand, match=r"2411\.60 outstanding.*2411\.61 for it is refused"):
        _pay(events, "2411.61", "RB-2", date(2027, 8, 6))
    events += _pay(events, "2411.60", "RB-2", date(2027, 8, 6))
    events += _confirm(events, "RB-2", date(2027, 8, 6))
    state = deal_state(DEAL, events, on=date(2027, 8, 6))
    done = state.book.find_credit("HSH-1")
    assert done is not None
    assert (done.status, done.paid.amount, done.outstanding.amount) == ("paid", D("6411.60"), 0)
    assert not done.overdue(date(2027, 9, 1))
    assert state.balances["kestrel"].paid.amount == D("6411.60")
    assert state.balances["ridgeline"].received.amount == D("6411.60")
    assert state.balances["ridgeline"].paid.amount == D("30000")  # the advance, nothing else
    assert state.book.advance_left.amount == D("30000")  # a rebate does not return the advance
    with pytest.raises(RefusedCommand, match=r"0\.00 outstanding"):
        _pay(events, "0.01", "RB-3", date(2027, 8, 7))


def test_a_credit_note_is_paid_out_by_its_issuer_to_its_addressee_only() -> None:
    events = _rebated()
    with pytest.raises(RefusedCommand, match="issued by kestrel to ridgeline"):
        _pay(events, "100.00", "X-1", ISSUED, payer="ridgeline", payee="kestrel", by="dana")
    # two payments waiting for confirmation cannot pay out more than the note
    events += _pay(events, "6000.00", "RB-1", ISSUED)
    with pytest.raises(RefusedCommand, match=r"411\.60 outstanding"):
        _pay(events, "411.61", "RB-2", ISSUED)


def test_a_credit_note_can_be_named_by_its_kind() -> None:
    """``for: rebate`` pays the open rebate notes from Kestrel to Ridgeline, oldest first."""
    events = _rebated()
    with pytest.raises(RefusedCommand, match="no open true-up credit note"):
        _pay(events, "1.00", "TU-1", ISSUED, for_="true-up")
    events += _pay(events, "6411.60", "RB-1", ISSUED, for_="rebate")
    events += _confirm(events, "RB-1", ISSUED)
    assert _note(events, ISSUED).status == "paid"


def test_the_exit_refunds_the_advance_and_leaves_the_rebate_to_its_credit_note() -> None:
    events = _rebated()
    on = date(2027, 8, 1)

    def settled(journal: list[Event]) -> tuple[Decimal, Decimal, Decimal]:
        s = settle_exit(DEAL, journal, trigger="convenience", on=on, by="ridgeline")
        assert s.credit_notes_open is not None
        return s.earned.amount, s.refund.amount, s.credit_notes_open.amount

    assert settled(events) == (D("0.00"), D("30000.00"), D("6411.60"))
    events += _pay(events, "4000.00", "RB-1", date(2027, 7, 20))
    assert settled(events) == (D("0.00"), D("30000.00"), D("6411.60"))  # not confirmed yet
    events += _confirm(events, "RB-1", date(2027, 7, 21))
    assert settled(events) == (D("0.00"), D("30000.00"), D("2411.60"))

    events += invoke_exit(DEAL, events, trigger="convenience", by="hannah", at=on)
    after = date(2027, 10, 1)  # the exit took effect on 2027-09-30
    assert deal_state(DEAL, events, on=after).ended
    rest = _pay(events, "2411.60", "RB-2", after)
    refuse_after_exit(DEAL, events, deal_state(DEAL, events, on=after), rest)  # allowed
    events += rest
    confirmed = _confirm(events, "RB-2", after)
    refuse_after_exit(DEAL, events, deal_state(DEAL, events, on=after), confirmed)
    events += confirmed
    assert _note(events, after).status == "paid"
    other = commands.pay(
        DEAL,
        deal_state(DEAL, events, on=after),
        payer="ridgeline",
        payee="kestrel",
        amount=D("100.00"),
        ref="X-1",
        for_=None,
        by="dana",
        at=after,
    )
    with pytest.raises(RefusedCommand):
        refuse_after_exit(DEAL, events, deal_state(DEAL, events, on=after), other)


def test_the_exit_credit_note_paid_by_its_number_is_the_settlement() -> None:
    """The example journal's missed-milestone exit on 2026-12-28: Kestrel owes 12,920.00 back
    (unused 15,200.00 less the capped deduction of 2,280.00), credits it and pays it out."""
    day = date(2026, 12, 28)
    events = _journal()
    events += invoke_exit(DEAL, events, trigger="missed-milestone", by="hannah", at=day)
    state = deal_state(DEAL, events, on=day)
    (note,) = credit_exit_refund(DEAL, events, state, number="HSH-9", at=day)
    assert note.total == D("12920.00")
    events.append(note)
    (paid,) = _pay(events, "12920.00", "R-1", day, for_="HSH-9")
    assert paid.for_ == "exit"  # paid as the settlement, which guards it
    refuse_after_exit(DEAL, events, deal_state(DEAL, events, on=day), [paid])
    events += [paid, *_confirm([*events, paid], "R-1", day)]
    state = deal_state(DEAL, events, on=day)
    shown = state.book.find_credit("HSH-9")
    assert shown is not None and (shown.status, shown.outstanding.amount) == ("paid", 0)
    # the refund returns the advance too, as a refund paid `for: exit` does: 30,000.00 paid,
    # nothing drawn (the journal invoices no milestone), 12,920.00 back
    assert state.book.advance_left.amount == D("17080.00")


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(min_value=1, max_value=10**9),
    parts=st.lists(st.integers(min_value=1, max_value=10**9), max_size=12),
)
def test_any_split_of_a_credit_note_leaves_the_rest_open_to_the_cent(
    total: int, parts: list[int]
) -> None:
    note = CreditNote(
        at=ISSUED,
        deal=DEAL.id,
        number="CN-1",
        from_="kestrel",
        to="ridgeline",
        for_="rebate",
        period="2026",
        amount=D(total) / 100,
        due=date(2027, 8, 4),
    )
    book = Receivables.open(DEAL).with_credit_note(note)
    cents = D("0.01")
    paid = 0
    for n, part in enumerate(parts):
        amount = D(part) * cents
        try:
            check_payment_target(
                DEAL, book, payer="kestrel", payee="ridgeline", for_="CN-1", amount=amount
            )
        except RefusedCommand:
            assert paid + part > total  # refused only when it is more than is outstanding
            continue
        payment = Payment(
            at=ISSUED,
            deal=DEAL.id,
            from_="kestrel",
            to="ridgeline",
            amount=amount,
            ref=f"P-{n}",
            for_="CN-1",
        )
        book = book.with_payment(payment)
        paid += part
    standing = book.find_credit("CN-1")
    assert standing is not None
    assert standing.paid == Money.of(D(paid) * cents, "USD")
    assert standing.outstanding == Money.of(D(total - paid) * cents, "USD")
    assert standing.outstanding.amount >= 0
    assert standing.paid + standing.outstanding == standing.total
    assert standing.status == ("paid" if paid == total else "part-paid" if paid else "open")
    assert not book.on_account and book.advance_returned.is_zero  # nothing went elsewhere


@settings(max_examples=40, deadline=None)
@given(late=st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=4))
def test_the_exit_credit_notes_add_up_to_the_refund_however_late_payments_raise_it(
    late: list[int],
) -> None:
    """Ridgeline records payments on account (whole cents) before the missed-milestone exit,
    and Kestrel confirms them one by one after it. After each confirmation a credit note is
    issued for what the refund rose by, to the cent, and refused when it rose by less than
    half a cent: the exit notes always add up to the settlement's refund, and one more is
    refused."""
    day = date(2026, 12, 28)
    events = _journal()
    refs = [f"L-{i}" for i in range(len(late))]
    for ref, cents in zip(refs, late, strict=True):
        given = {"payer": "ridgeline", "payee": "kestrel", "for_": None, "by": "dana"}
        state = deal_state(DEAL, events, on=day)
        events += commands.pay(DEAL, state, amount=D(cents) / 100, ref=ref, at=day, **given)
    events += invoke_exit(DEAL, events, trigger="missed-milestone", by="hannah", at=day)
    credited = D(0)
    for n, ref in enumerate([None, *refs]):
        if ref is not None:
            state = deal_state(DEAL, events, on=day)
            events += commands.confirm_payment(DEAL, state, ref=ref, by="luis", at=day)
        state = deal_state(DEAL, events, on=day)
        settlement = settlement_of(DEAL, events, state=state)
        assert settlement is not None
        refund = settlement.owed.quantize().amount
        left = exit_refund_left(DEAL, state, settlement)
        assert left is not None and left.amount == refund - credited
        if left.amount > 0:
            (note,) = credit_exit_refund(DEAL, events, state, number=f"HSH-{n}", at=day)
            assert note.total == left.amount
            events.append(note)
            credited += note.total
            state = deal_state(DEAL, events, on=day)
        assert credited == refund
        with pytest.raises(RefusedCommand, match="already credited"):
            credit_exit_refund(DEAL, events, state, number="HSH-X", at=day)
