"""Milestone amounts, invoice amounts and the prepaid drawdown, worked on hybrid-dc1 (DESIGN §8).

The example's figures, by hand: value 420000.00 USD; payments 20/30/30/10/10%; the design
phase is funded 100% by the supplier (voltworks), the build phase 70% by the buyer (acme), the
operate phase has no funding entry (the buyer pays 100%)::

    design-approval    20% = 84000.00  ×   0% =     0.00
    hardware-delivery  30% = 126000.00 ×  70% = 88200.00
    installation       30% = 126000.00 ×  70% = 88200.00
    commissioning      10% = 42000.00  ×  70% = 29400.00
    stable-90-days     10% = 42000.00  × 100% = 42000.00
                            420000.00          247800.00
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copact.core.deal import Deal, Milestone, Party
from copact.core.invoicing import (
    Drawdown,
    advance_amount,
    buyer_share,
    invoice_amount,
    invoice_amounts,
    milestone_amounts,
    prepaid_drawdown,
    settlement_order,
    unused_advance,
)
from copact.core.mechanisms import Prepaid
from copact.core.quantities import Percent
from copact.core.work import Funding
from copact.dealfile.loader import load_text
from copact.errors import MoneyError, RefusedCommand
from tests.conftest import EXAMPLES, load_example, usd

HYBRID = load_example("hybrid-dc1.yaml")


def with_milestones(
    deal: Deal, milestones: list[Milestone], *, value: Decimal | None = None
) -> Deal:
    return deal.model_copy(update={"milestones": milestones, "value": value, "funding": []})


def by_percent(*points: str) -> list[Milestone]:
    return [Milestone(id=f"m{i}", payment=Percent.parse(p)) for i, p in enumerate(points, 1)]


# --- milestone amounts ----------------------------------------------------------------------


def test_hybrid_milestone_amounts_are_payment_times_value() -> None:
    assert milestone_amounts(HYBRID) == {
        "design-approval": usd("84000.00"),
        "hardware-delivery": usd("126000.00"),
        "installation": usd("126000.00"),
        "commissioning": usd("42000.00"),
        "stable-90-days": usd("42000.00"),
    }
    assert sum(milestone_amounts(HYBRID).values(), usd("0")) == usd("420000")


def test_a_cent_that_does_not_divide_goes_to_the_largest_remainder() -> None:
    # 1000.01 × 20/30/50% = 200.002 / 300.003 / 500.005: the cent left over goes to the 50%.
    deal = with_milestones(HYBRID, by_percent("20%", "30%", "50%"), value=Decimal("1000.01"))
    assert list(milestone_amounts(deal).values()) == [usd("200.00"), usd("300.00"), usd("500.01")]


def test_a_tie_goes_to_the_earlier_milestone() -> None:
    # 0.05 × 50% = 0.025 twice: half-even on each would pay 0.02 + 0.02 and lose a cent.
    deal = with_milestones(HYBRID, by_percent("50%", "50%"), value=Decimal("0.05"))
    assert list(milestone_amounts(deal).values()) == [usd("0.03"), usd("0.02")]


def test_percentages_short_of_100_split_value_times_their_sum() -> None:
    # M201 territory: 30% × 3 = 90% of 100.01 = 90.009, rounded half-even to 90.01; split in
    # three (30.0033… each, 3001 cents ÷ 3) the spare cent goes to the first milestone.
    deal = with_milestones(HYBRID, by_percent("30%", "30%", "30%"), value=Decimal("100.01"))
    assert list(milestone_amounts(deal).values()) == [usd("30.01"), usd("30.00"), usd("30.00")]


def test_percentages_above_100_are_honoured_as_written() -> None:
    # 60% + 60% of 1000 = 600.00 twice: the linter reports the deal, the amounts stay exact.
    deal = with_milestones(HYBRID, by_percent("60%", "60%"), value=Decimal(1000))
    assert list(milestone_amounts(deal).values()) == [usd("600.00"), usd("600.00")]


def test_amount_milestones_keep_their_amount_beside_percentages() -> None:
    milestones = [
        Milestone(id="kickoff", amount=Decimal("10000")),
        Milestone(id="rest", payment=Percent.parse("50%")),
        Milestone(id="odd", amount=Decimal("0.125")),  # finer than a cent: half-even to 0.12
    ]
    deal = with_milestones(HYBRID, milestones, value=Decimal(20000))
    assert milestone_amounts(deal) == {
        "kickoff": usd("10000.00"),
        "rest": usd("10000.00"),
        "odd": usd("0.12"),
    }


def test_unpriced_milestones_are_worth_nothing() -> None:
    # No value to take a percentage of, and a milestone with neither payment nor amount.
    milestones = [*by_percent("100%"), Milestone(id="free")]
    assert set(milestone_amounts(with_milestones(HYBRID, milestones)).values()) == {usd("0")}
    zero_percent = with_milestones(HYBRID, by_percent("0%", "0%"), value=Decimal(100))
    assert set(milestone_amounts(zero_percent).values()) == {usd("0")}


def test_a_negative_percentage_is_rounded_on_its_own() -> None:
    deal = with_milestones(HYBRID, by_percent("110%", "-10%"), value=Decimal("100.05"))
    # 110.055 → 110.06 and −10.005 → −10.00 (both half-even).
    assert list(milestone_amounts(deal).values()) == [usd("110.06"), usd("-10.00")]


def test_yen_are_split_in_whole_yen() -> None:
    deal = with_milestones(HYBRID, by_percent("33.33%", "33.33%", "33.34%"), value=Decimal(1000))
    deal = deal.model_copy(update={"currency": "JPY"})
    # 333.3 / 333.3 / 333.4 yen: floors of 333 leave one yen for the largest remainder, the third.
    amounts = list(milestone_amounts(deal).values())
    assert [m.amount for m in amounts] == [333, 333, 334]
    assert all(m.currency.code == "JPY" for m in amounts)


@st.composite
def percent_splits(draw: st.DrawFn) -> list[Percent]:
    """Between 1 and 12 percentages with up to two decimals that add up to exactly 100%."""
    n = draw(st.integers(min_value=1, max_value=12))
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 10_000]
    return [Percent(Decimal(b - a) / 10_000) for a, b in pairwise(bounds)]


values = st.integers(min_value=0, max_value=10**11).map(lambda cents: Decimal(cents) / 100)


@given(percent_splits(), values)
def test_milestone_amounts_add_up_to_value_when_percentages_make_100(
    split: list[Percent], value: Decimal
) -> None:
    milestones = [Milestone(id=f"m{i}", payment=p) for i, p in enumerate(split)]
    amounts = milestone_amounts(with_milestones(HYBRID, milestones, value=value))
    assert sum((m.amount for m in amounts.values()), Decimal(0)) == value
    for m, money in zip(milestones, amounts.values(), strict=True):
        assert m.payment is not None
        assert abs(money.amount - value * m.payment.fraction) < Decimal("0.01")


# --- invoice amounts ------------------------------------------------------------------------


def test_hybrid_invoice_amounts_are_the_buyers_share() -> None:
    assert invoice_amounts(HYBRID) == {
        "design-approval": usd("0.00"),  # 84000.00, design funded 100% by voltworks
        "hardware-delivery": usd("88200.00"),  # 126000.00 × 70%
        "installation": usd("88200.00"),  # 126000.00 × 70%
        "commissioning": usd("29400.00"),  # 42000.00 × 70%
        "stable-90-days": usd("42000.00"),  # operate has no funding entry: 100%
    }
    assert invoice_amount(HYBRID, "hardware-delivery") == usd("88200.00")
    assert sum(invoice_amounts(HYBRID).values(), usd("0")) == usd("247800.00")


def test_the_buyers_share_defaults_to_everything() -> None:
    shares = {m.id: buyer_share(HYBRID, m) for m in HYBRID.milestones}
    assert shares["design-approval"] == Percent.parse("0%")
    assert shares["hardware-delivery"] == Percent.parse("70%")
    assert shares["stable-90-days"] == Percent.parse("100%")


def test_an_invoice_is_rounded_half_even() -> None:
    # 100.05 × 50% = 50.025, which is half a cent: half-even gives 50.02.
    deal = with_milestones(HYBRID, [Milestone(id="only", phase="build", amount=Decimal("100.05"))])
    deal = deal.model_copy(
        update={"funding": [Funding(phase="build", shares={"acme": Percent.parse("50%")})]}
    )
    assert invoice_amount(deal, "only") == usd("50.02")


def test_an_unknown_milestone_is_a_programmer_error() -> None:
    with pytest.raises(KeyError, match="no-such"):
        invoice_amount(HYBRID, "no-such")


def test_a_deal_without_a_buyer_cannot_be_invoiced() -> None:
    suppliers_only = HYBRID.model_copy(update={"parties": HYBRID.suppliers})
    with pytest.raises(RefusedCommand, match="no buyer"):
        invoice_amounts(suppliers_only)


# --- the prepaid advance --------------------------------------------------------------------


def with_prepaid(deal: Deal, amount: str, due: date | None = date(2026, 6, 1)) -> Deal:
    return deal.model_copy(update={"prepaid": Prepaid(amount=Decimal(amount), due=due)})


def test_without_prepaid_everything_is_cash() -> None:
    drawdowns = prepaid_drawdown(HYBRID)
    assert all(d.from_advance.is_zero and d.cash == d.invoice for d in drawdowns.values())
    assert advance_amount(HYBRID) == usd("0") and unused_advance(HYBRID) == usd("0")


def test_an_advance_of_50000_covers_the_first_invoice_partly() -> None:
    # Due-date order: design-approval invoices 0.00 and takes nothing; hardware-delivery's
    # 88200.00 takes all 50000.00 and leaves 38200.00 in cash; the rest is cash.
    drawdowns = prepaid_drawdown(with_prepaid(HYBRID, "50000"))
    assert drawdowns["design-approval"] == Drawdown(
        "design-approval", invoice=usd("0"), from_advance=usd("0"), cash=usd("0")
    )
    assert drawdowns["hardware-delivery"] == Drawdown(
        "hardware-delivery",
        invoice=usd("88200.00"),
        from_advance=usd("50000.00"),
        cash=usd("38200.00"),
    )
    for later in ("installation", "commissioning", "stable-90-days"):
        assert drawdowns[later].from_advance.is_zero
        assert drawdowns[later].cash == drawdowns[later].invoice


def test_an_advance_of_100000_spills_into_the_second_invoice() -> None:
    # 100000 − 88200 = 11800 left for installation: 88200 − 11800 = 76400 in cash.
    drawdowns = prepaid_drawdown(with_prepaid(HYBRID, "100000"))
    assert drawdowns["hardware-delivery"].cash == usd("0")
    assert drawdowns["installation"].from_advance == usd("11800.00")
    assert drawdowns["installation"].cash == usd("76400.00")
    assert drawdowns["commissioning"].from_advance.is_zero


def test_an_advance_larger_than_every_invoice_leaves_some_unused() -> None:
    # 300000.00 − 247800.00 invoiced = 52200.00 left (a refund question for exit, §8).
    deal = with_prepaid(HYBRID, "300000")
    assert all(d.cash.is_zero for d in prepaid_drawdown(deal).values())
    assert unused_advance(deal) == usd("52200.00")


def test_the_advance_goes_in_due_date_order_not_file_order() -> None:
    reversed_file = HYBRID.model_copy(update={"milestones": list(reversed(HYBRID.milestones))})
    deal = with_prepaid(reversed_file, "50000")
    assert prepaid_drawdown(deal)["hardware-delivery"].from_advance == usd("50000.00")
    assert prepaid_drawdown(deal)["stable-90-days"].from_advance.is_zero


def test_an_undated_milestone_draws_last() -> None:
    first = HYBRID.milestones[1].model_copy(update={"due": None})  # hardware-delivery
    deal = HYBRID.model_copy(update={"milestones": [first, *HYBRID.milestones[2:]]})
    assert [m.id for m in settlement_order(deal)] == [
        "installation",
        "commissioning",
        "stable-90-days",
        "hardware-delivery",
    ]
    # 100000: installation 88200, then commissioning 11800 of its 29400; nothing is left for it.
    drawdowns = prepaid_drawdown(with_prepaid(deal, "100000"))
    assert drawdowns["commissioning"].from_advance == usd("11800.00")
    assert drawdowns["hardware-delivery"].from_advance.is_zero


def test_the_advance_only_settles_invoices_of_the_party_it_was_paid_to() -> None:
    bank = Party(id="bank", name="Lender", role="financier")
    stable = HYBRID.milestones[4].model_copy(update={"payee": "bank"})
    deal = HYBRID.model_copy(
        update={
            "parties": [*HYBRID.parties, bank],
            "milestones": [*HYBRID.milestones[:4], stable],
        }
    )
    # 300000 covers voltworks' 205800.00; stable-90-days is paid to the bank, in cash.
    deal = with_prepaid(deal, "300000")
    assert prepaid_drawdown(deal)["stable-90-days"].cash == usd("42000.00")
    assert unused_advance(deal) == usd("94200.00")


def test_an_advance_needs_a_single_supplier_to_be_paid_to() -> None:
    second = Party(id="gridco", name="GridCo", role="supplier")
    deal = with_prepaid(HYBRID.model_copy(update={"parties": [*HYBRID.parties, second]}), "1000")
    with pytest.raises(RefusedCommand, match="2 suppliers"):
        prepaid_drawdown(deal)


def test_a_drawdown_must_add_up() -> None:
    with pytest.raises(MoneyError):
        Drawdown("x", invoice=usd("10"), from_advance=usd("4"), cash=usd("5"))


def test_a_prepaid_deal_read_from_yaml() -> None:
    text = (EXAMPLES / "hybrid-dc1.yaml").read_text()
    text = text.replace(
        "payment-terms: 30\n",
        "payment-terms: 30\nprepaid: {amount: 60000.50, due: 2026-06-01}\n",
    )
    deal = load_text(text).deal
    assert deal is not None
    drawdowns = prepaid_drawdown(deal)
    # 60000.50 of hardware-delivery's 88200.00: 28199.50 in cash.
    assert drawdowns["hardware-delivery"].from_advance == usd("60000.50")
    assert drawdowns["hardware-delivery"].cash == usd("28199.50")


@given(st.integers(min_value=1, max_value=50_000_000).map(lambda c: Decimal(c) / 100))
def test_the_advance_covers_what_it_can_and_never_more(advance: Decimal) -> None:
    drawdowns = prepaid_drawdown(with_prepaid(HYBRID, str(advance))).values()
    used = sum((d.from_advance.amount for d in drawdowns), Decimal(0))
    assert used == min(advance, Decimal("247800.00"))
    for d in drawdowns:
        assert usd("0") <= d.from_advance <= d.invoice
        assert d.from_advance + d.cash == d.invoice
