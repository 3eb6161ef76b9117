"""An exit leaves the invoices of earned work payable: worked by hand on examples/hybrid-dc1.yaml
(USD, no VAT, no advance; Acme funds 70% of the build phase; a convenience exit takes effect 60
days after it is invoked).

The design phase is VoltWorks' own (its invoice is 0.00). Hardware delivery (30% of 420,000.00 =
126,000.00) is accepted and invoiced at 70%: VW-2, 88,200.00. Acme pays 5,000.00 without naming
an invoice, which VoltWorks confirms (the books settle VW-2 with it), then invokes a convenience
exit on 2026-11-02 (effective 2027-01-01)::

    paid 5,000.00 − earned 88,200.00 → unused 0.00, refund 0.00
    open on the invoices: earned − paid = 83,200.00 (what VW-2 has outstanding)

Until now nothing could pay it once the exit had taken effect: the supplier lost 83,200.00 of
accepted work. Now Acme still pays VW-2 by its number (or its milestone), up to 83,200.00 in
all: 88,200.00 is refused, 50,000.00 is taken (and confirmed), then 33,200.01 is refused and
33,200.00 taken. Paid 5,000 + 50,000 + 33,200 = 88,200.00 = earned: nothing is lost and nothing
is paid twice. A payment on account, or for anything else, is still refused.

Hypothesis: whatever the split of Acme's payments after the exit, what is taken for the
invoices never exceeds what the settlement left open, and a payment is refused only when it
would.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core import commands
from copact.core.deal import Deal
from copact.core.events import Event, EvidenceRef, Signed
from copact.core.mechanisms import Convertible
from copact.core.settlement import invoke_exit, refuse_after_exit, settlement_of
from copact.core.state import deal_state
from copact.errors import RefusedCommand
from tests.conftest import load_example

DEAL = load_example("hybrid-dc1.yaml")
D = Decimal
INVOKED = date(2026, 11, 2)
AFTER = date(2027, 1, 5)  # the exit took effect on 2027-01-01


def _evidence(milestone: str) -> list[EvidenceRef]:
    spec = next(m for m in DEAL.milestones if m.id == milestone)
    kinds = spec.acceptance.evidence if spec.acceptance else []
    return [EvidenceRef(name=f"{k}.pdf", sha256=f"{n:064x}", kind=k) for n, k in enumerate(kinds)]


def _do(events: list[Event], made: list[Event], on: date, deal: Deal = DEAL) -> list[Event]:
    """``made`` appended after the guard every command runs once the deal may have ended."""
    refuse_after_exit(deal, events, deal_state(deal, events, on=on), made)
    return [*events, *made]


def _accepted(
    events: list[Event], milestone: str, number: str, on: date, deal: Deal = DEAL
) -> list[Event]:
    events = events + commands.submit(
        deal, deal_state(deal, events, on=on), milestone=milestone,
        evidence=_evidence(milestone), by="sam", at=on,
    )  # fmt: skip
    events += commands.accept(
        deal, deal_state(deal, events, on=on), milestone=milestone, by="ana", at=on
    )
    return events + commands.invoice_for(
        deal, deal_state(deal, events, on=on), milestone=milestone, number=number, at=on
    )


def _pay(
    events: list[Event], amount: str, ref: str, on: date, for_: str | None, deal: Deal = DEAL
) -> list[Event]:
    return commands.pay(
        deal, deal_state(deal, events, on=on), payer="acme", payee="voltworks",
        amount=D(amount), ref=ref, at=on, for_=for_, by="raj",
    )  # fmt: skip


def _confirm(events: list[Event], ref: str, on: date, deal: Deal = DEAL) -> list[Event]:
    return commands.confirm_payment(deal, deal_state(deal, events, on=on), ref=ref, by="sam", at=on)


def _exited() -> list[Event]:
    """Signed, design and hardware delivery accepted and invoiced, 5,000.00 paid on account and
    confirmed, a convenience exit invoked on 2026-11-02."""
    events: list[Event] = [Signed(at=date(2026, 5, 20), deal=DEAL.id, by=["ana", "sam"])]
    events = _accepted(events, "design-approval", "VW-1", date(2026, 7, 10))
    events = _accepted(events, "hardware-delivery", "VW-2", date(2026, 9, 28))
    day = date(2026, 10, 5)
    events += _pay(events, "5000.00", "P-1", day, None)
    events += _confirm(events, "P-1", day)
    return events + invoke_exit(DEAL, events, trigger="convenience", by="ana", at=INVOKED)


def _open(events: list[Event], on: date, deal: Deal = DEAL) -> Decimal:
    settlement = settlement_of(deal, events, state=deal_state(deal, events, on=on))
    assert settlement is not None and settlement.invoices_open is not None
    return settlement.invoices_open.amount


def test_the_settlement_lists_what_is_owed_on_the_invoices() -> None:
    events = _exited()
    settlement = settlement_of(DEAL, events)
    assert settlement is not None
    assert settlement.effective == date(2027, 1, 1)
    figures = (settlement.paid, settlement.earned, settlement.unused, settlement.refund)
    assert [m.amount for m in figures] == [D("5000.00"), D("88200.00"), 0, 0]
    assert settlement.invoices_open is not None
    assert settlement.invoices_open.amount == D("83200.00")


def test_after_the_exit_the_invoice_is_paid_by_its_number_up_to_what_is_open() -> None:
    events = _exited()
    assert deal_state(DEAL, events, on=AFTER).ended
    with pytest.raises(RefusedCommand, match=r"83200\.00 outstanding"):
        _do(events, _pay(events, "88200.00", "P-2", AFTER, "VW-2"), AFTER)
    events = _do(events, _pay(events, "50000.00", "P-2", AFTER, "VW-2"), AFTER)
    assert _open(events, AFTER) == D("83200.00")  # recorded, not yet confirmed
    events = _do(events, _confirm(events, "P-2", AFTER), AFTER)
    assert _open(events, AFTER) == D("33200.00")
    later = AFTER + timedelta(days=3)
    with pytest.raises(RefusedCommand, match=r"33200\.00 outstanding"):
        _do(events, _pay(events, "33200.01", "P-3", later, "hardware-delivery"), later)
    events = _do(events, _pay(events, "33200.00", "P-3", later, "hardware-delivery"), later)
    events = _do(events, _confirm(events, "P-3", later), later)
    assert _open(events, later) == 0
    state = deal_state(DEAL, events, on=later)
    assert state.balances["acme"].paid.amount == D("88200.00")  # = earned: nothing lost
    # anything else still waits on the settlement alone
    for for_ in (None, "VW-1"):
        with pytest.raises(RefusedCommand):
            _do(events, _pay(events, "1.00", "P-4", later, for_), later)


def test_a_payment_for_an_invoice_is_refused_when_the_exit_left_nothing_open() -> None:
    """With 88,200.00 paid before the exit, the invoice is paid and nothing is open."""
    events: list[Event] = [Signed(at=date(2026, 5, 20), deal=DEAL.id, by=["ana", "sam"])]
    events = _accepted(events, "design-approval", "VW-1", date(2026, 7, 10))
    events = _accepted(events, "hardware-delivery", "VW-2", date(2026, 9, 28))
    events += _pay(events, "88200.00", "P-1", date(2026, 10, 5), "VW-2")
    events += _confirm(events, "P-1", date(2026, 10, 5))
    events += invoke_exit(DEAL, events, trigger="convenience", by="ana", at=INVOKED)
    assert _open(events, AFTER) == 0
    with pytest.raises(RefusedCommand):
        _do(events, _pay(events, "1.00", "P-2", AFTER, "VW-2"), AFTER)


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.integers(min_value=1, max_value=9_000_000), min_size=1, max_size=6))
def test_no_split_takes_more_than_the_exit_left_open(parts: list[int]) -> None:
    events = _exited()
    cap = D("8320000")  # 83,200.00 in cents
    taken = 0
    for n, cents in enumerate(parts):
        amount = str(D(cents) / 100)
        day = AFTER + timedelta(days=n)
        try:
            events = _do(events, _pay(events, amount, f"P-{n + 2}", day, "VW-2"), day)
        except RefusedCommand:
            assert taken + cents > cap  # refused only when it would take too much
            continue
        events = _do(events, _confirm(events, f"P-{n + 2}", day), day)
        taken += cents
        assert taken <= cap
        assert _open(events, day) * 100 == cap - taken


def test_unconverted_support_counts_against_the_open_invoices() -> None:
    """The same deal with 20,000.00 of convertible support (a window on 2026-12-15), paid on
    2026-10-05 and never converted: paid 20,000.00 − earned 88,200.00, so 68,200.00 is open on
    VW-2, which itself has 88,200.00 outstanding (support settles no invoice until it
    converts). After the exit 88,200.00 for VW-2 is refused although the invoice has it
    outstanding: the support is kept against it, and 68,200.00 is what Acme still pays."""
    terms = Convertible(
        amount=D(20000), converts_to="service-credits", windows=[date(2026, 12, 15)]
    )
    deal = DEAL.model_copy(update={"convertible": terms})
    events: list[Event] = [Signed(at=date(2026, 5, 20), deal=deal.id, by=["ana", "sam"])]
    events = _accepted(events, "design-approval", "VW-1", date(2026, 7, 10), deal)
    events = _accepted(events, "hardware-delivery", "VW-2", date(2026, 9, 28), deal)
    events += _pay(events, "20000.00", "S-1", date(2026, 10, 5), "convertible", deal)
    events += _confirm(events, "S-1", date(2026, 10, 5), deal)
    events += invoke_exit(deal, events, trigger="convenience", by="ana", at=INVOKED)
    settlement = settlement_of(deal, events)
    assert settlement is not None and settlement.refund.amount == 0
    assert _open(events, AFTER, deal) == D("68200.00")
    invoice = deal_state(deal, events, on=AFTER).book.find("VW-2")
    assert invoice is not None and invoice.outstanding.amount == D("88200.00")
    with pytest.raises(RefusedCommand, match=r"leaves 68,200\.00 USD to pay.*not 88,200"):
        _do(events, _pay(events, "88200.00", "P-2", AFTER, "VW-2", deal), AFTER, deal)
    events = _do(events, _pay(events, "68200.00", "P-2", AFTER, "VW-2", deal), AFTER, deal)
    events = _do(events, _confirm(events, "P-2", AFTER, deal), AFTER, deal)
    assert _open(events, AFTER, deal) == 0


def test_a_payment_made_before_the_exit_is_confirmed_after_it_and_counted() -> None:
    """Acme pays 10,000.00 on 2026-12-20, inside the notice; VoltWorks confirms it on
    2027-01-05, after the exit took effect. The money moved before the exit, so the
    confirmation is taken and the settlement counts it: paid 15,000.00, and 73,200.00 open on
    VW-2. A payment on account made after the exit is still refused."""
    events = _exited()
    during = date(2026, 12, 20)
    events += _pay(events, "10000.00", "P-9", during, None)
    assert _open(events, during) == D("83200.00")  # not confirmed yet
    events = _do(events, _confirm(events, "P-9", AFTER), AFTER)
    settlement = settlement_of(DEAL, events, state=deal_state(DEAL, events, on=AFTER))
    assert settlement is not None and settlement.paid.amount == D("15000.00")
    assert _open(events, AFTER) == D("73200.00")
    with pytest.raises(RefusedCommand, match="only its settlement moves money"):
        _do(events, _pay(events, "10.00", "P-10", AFTER, None), AFTER)
