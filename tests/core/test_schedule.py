"""The planned payment schedule of `copact schedule`, worked on hybrid-dc1 (DESIGN §7, §8).

Each milestone is paid its due date + 30 days (payment-terms), by acme to voltworks::

    design-approval    2026-07-15 + 30 = 2026-08-14         0.00
    hardware-delivery  2026-10-01 + 30 = 2026-10-31     88200.00
    installation       2026-12-01 + 30 = 2026-12-31     88200.00
    commissioning      2026-12-20 + 30 = 2027-01-19     29400.00
    stable-90-days     2027-03-31 + 30 = 2027-04-30     42000.00
                                                       247800.00
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copact.core.deal import Deal, Party
from copact.core.invoicing import invoice_amounts
from copact.core.mechanisms import Prepaid
from copact.core.money import Money
from copact.core.schedule import (
    ScheduleLine,
    ScheduleTotals,
    payment_date,
    planned_schedule,
    schedule_totals,
)
from copact.dealfile.loader import load_deal
from copact.errors import MoneyError, RefusedCommand
from tests.conftest import EXAMPLES, load_example, usd

HYBRID = load_example("hybrid-dc1.yaml")


def with_prepaid(deal: Deal, amount: str, due: date | None = date(2026, 6, 1)) -> Deal:
    return deal.model_copy(update={"prepaid": Prepaid(amount=Decimal(amount), due=due)})


def test_hybrid_schedule_is_due_date_plus_payment_terms() -> None:
    lines = planned_schedule(HYBRID)
    assert [(line.date, line.ref, line.gross) for line in lines] == [
        (date(2026, 8, 14), "design-approval", usd("0.00")),
        (date(2026, 10, 31), "hardware-delivery", usd("88200.00")),
        (date(2026, 12, 31), "installation", usd("88200.00")),
        (date(2027, 1, 19), "commissioning", usd("29400.00")),
        (date(2027, 4, 30), "stable-90-days", usd("42000.00")),
    ]
    assert {(line.kind, line.payer, line.payee) for line in lines} == {
        ("milestone", "acme", "voltworks")
    }
    assert all(line.cash == line.gross and line.from_advance.is_zero for line in lines)


def test_each_milestone_line_names_the_evidence_it_needs() -> None:
    first = planned_schedule(HYBRID)[0]
    assert first.evidence == ("signed-acceptance", "drawing", "test-report")
    assert first.label == "design-approval"  # no description: the id


def test_other_payment_terms_move_every_date() -> None:
    deal = HYBRID.model_copy(update={"payment_terms": 0})
    assert planned_schedule(deal)[0].date == date(2026, 7, 15)
    assert payment_date(HYBRID.model_copy(update={"payment_terms": 45}), HYBRID.milestones[0]) == (
        date(2026, 8, 29)
    )


def test_a_prepaid_line_comes_first_and_the_milestones_draw_on_it() -> None:
    # 50000.00 on 2026-06-01; hardware-delivery's 88200.00 is 50000.00 from it + 38200.00 cash.
    lines = planned_schedule(with_prepaid(HYBRID, "50000"))
    prepaid, _design, hardware, installation = lines[:4]
    assert prepaid == ScheduleLine(
        date=date(2026, 6, 1),
        kind="prepaid",
        ref="prepaid",
        label="prepaid advance",
        payer="acme",
        payee="voltworks",
        gross=usd("50000.00"),
        from_advance=usd("0"),
        cash=usd("50000.00"),
    )
    assert (hardware.gross, hardware.from_advance, hardware.cash) == (
        usd("88200.00"),
        usd("50000.00"),
        usd("38200.00"),
    )
    assert installation.cash == usd("88200.00")


def test_totals_per_payer_and_payee() -> None:
    # Cash: 50000.00 up front + 247800.00 − 50000.00 already covered = 247800.00 in all.
    totals = schedule_totals(planned_schedule(with_prepaid(HYBRID, "50000")))
    assert totals == {
        ("acme", "voltworks"): ScheduleTotals(
            gross=usd("297800.00"), from_advance=usd("50000.00"), cash=usd("247800.00")
        )
    }
    assert schedule_totals([]) == {}


def test_undated_lines_come_last_and_the_prepaid_leads_its_day() -> None:
    undated = HYBRID.milestones[1].model_copy(update={"due": None})
    milestones = [HYBRID.milestones[0], undated, *HYBRID.milestones[2:]]
    # The advance falls on design-approval's payment day, 2026-08-14: it is listed first.
    deal = with_prepaid(
        HYBRID.model_copy(update={"milestones": milestones}), "1000", date(2026, 8, 14)
    )
    refs = [(line.date, line.ref) for line in planned_schedule(deal)]
    assert refs[:2] == [(date(2026, 8, 14), "prepaid"), (date(2026, 8, 14), "design-approval")]
    assert refs[-1] == (None, "hardware-delivery")


def test_a_milestone_payee_overrides_the_supplier() -> None:
    bank = Party(id="bank", name="Lender", role="financier")
    stable = HYBRID.milestones[4].model_copy(update={"payee": "bank"})
    deal = HYBRID.model_copy(
        update={"parties": [*HYBRID.parties, bank], "milestones": [*HYBRID.milestones[:4], stable]}
    )
    totals = schedule_totals(planned_schedule(deal))
    assert totals[("acme", "bank")].cash == usd("42000.00")
    assert totals[("acme", "voltworks")].cash == usd("205800.00")


def test_two_suppliers_need_a_payee_on_each_milestone() -> None:
    second = Party(id="gridco", name="GridCo", role="supplier")
    deal = HYBRID.model_copy(update={"parties": [*HYBRID.parties, second]})
    with pytest.raises(RefusedCommand, match="design-approval"):
        planned_schedule(deal)
    named = [m.model_copy(update={"payee": "gridco"}) for m in HYBRID.milestones]
    lines = planned_schedule(deal.model_copy(update={"milestones": named}))
    assert {line.payee for line in lines} == {"gridco"}


def test_a_line_is_frozen_and_must_add_up() -> None:
    line = planned_schedule(HYBRID)[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.cash = usd("1")  # type: ignore[misc]
    with pytest.raises(MoneyError):
        dataclasses.replace(line, cash=usd("1"))


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_schedules_its_cash_exactly(name: str) -> None:
    deal = load_deal(EXAMPLES / name).deal
    assert deal is not None
    lines = planned_schedule(deal)
    cash = sum((line.cash for line in lines), Money.zero(deal.money_currency))
    invoiced = sum(invoice_amounts(deal).values(), Money.zero(deal.money_currency))
    prepaid = deal.prepaid.amount if deal.prepaid else Decimal(0)
    # What changes hands is the invoices, plus whatever of the advance they do not use.
    assert cash.amount == max(invoiced.amount, prepaid)
    dated = [line.date for line in lines if line.date is not None]
    assert dated == sorted(dated)


@given(st.integers(min_value=0, max_value=365), st.integers(1, 40_000_000))
def test_cash_is_the_advance_plus_what_it_does_not_cover(terms: int, cents: int) -> None:
    advance = Decimal(cents) / 100
    deal = with_prepaid(HYBRID.model_copy(update={"payment_terms": terms}), str(advance))
    lines = planned_schedule(deal)
    total = schedule_totals(lines)[("acme", "voltworks")]
    assert total.cash.amount == advance + max(Decimal("247800.00") - advance, Decimal(0))
    assert total.from_advance.amount == min(advance, Decimal("247800.00"))
    for line, milestone in zip(lines[1:], HYBRID.milestones, strict=True):
        assert milestone.due is not None
        assert line.date == milestone.due + timedelta(days=terms)
