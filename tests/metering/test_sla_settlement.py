"""SLA settlement of a period (DESIGN §6.4): tiers, the cap, rounding and the review flag."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.mechanisms import Metric
from copact.core.money import Money
from copact.core.quantities import Percent
from copact.core.sla import Measured, SlaSettlement, period_fee, settle_period
from tests.conftest import load_example, usd

HYBRID = load_example("hybrid-dc1.yaml")
assert HYBRID.sla is not None
SLA = HYBRID.sla
HOUR = Fraction(3600)
MARCH_S = 743 * HOUR


def settle(
    availability: str, repair_h: Fraction | None = None, *, unknown_s: Fraction = Fraction(0)
) -> SlaSettlement:
    measured = {"availability": Measured(Fraction(Decimal(availability)), "ratio")}
    if repair_h is not None:
        measured["repair"] = Measured(repair_h * HOUR, "s")
    return settle_period(
        SLA.metrics,
        measured,
        fee=usd("4000.00"),
        credit_cap=SLA.credit_cap,
        unknown_s=unknown_s,
        period_s=MARCH_S,
    )


def test_the_largest_tier_that_holds_applies_not_the_sum_of_tiers() -> None:
    # 99.4% is below 99.95% (5%) and below 99.5% (15%): the credit is 15%, not 20%
    s = settle("0.994")
    assert s.credit_rate == Decimal("0.15")
    assert s.amount == usd("3400.00")  # 4000 × (1 − 0.15)
    assert s.credits == usd("600.00") and s.bonuses == usd("0.00")


def test_a_threshold_is_exact_at_its_edge() -> None:
    assert settle("0.9995").credit_rate == 0  # 99.95% is not below 99.95%
    assert settle("0.99949999").credit_rate == Decimal("0.05")
    assert settle("0.9999").bonus_rate == Decimal("0.02")  # at least 99.99%
    assert settle("0.99989999").bonus_rate == 0


def test_credits_of_several_metrics_add_up() -> None:
    # availability 99.7% (5%) and a mean repair of 5 h (above 4 h: 5%)
    s = settle("0.997", Fraction(5))
    assert s.credit_rate == Decimal("0.10")
    assert s.amount == usd("3600.00")


def test_credits_are_capped_at_the_credit_cap_of_the_fee() -> None:
    metrics = [
        Metric.model_validate(
            {
                "id": f"m{i}",
                "measure": "availability",
                "credits": [{"below": "99%", "credit": "15%"}],
            }
        )
        for i in range(3)
    ]  # 3 × 15% = 45%, capped at 25%
    s = settle_period(
        metrics,
        {m.id: Measured(Fraction(9, 10), "ratio") for m in metrics},
        fee=usd("4000.00"),
        credit_cap=Percent.parse("25%"),
        unknown_s=Fraction(0),
        period_s=MARCH_S,
    )
    assert s.credit_rate_uncapped == Decimal("0.45")
    assert s.credit_rate == Decimal("0.25")
    assert s.amount == usd("3000.00")
    assert any("capped" in f for f in s.flags)


def test_the_amount_is_rounded_half_even_once() -> None:
    # 100.10 × (1 − 15%) = 85.085: half-even keeps the 8, where half-up would give 85.09
    s = settle_period(
        SLA.metrics,
        {"availability": Measured(Fraction(99, 100), "ratio")},
        fee=usd("100.10"),
        credit_cap=None,
        unknown_s=Fraction(0),
        period_s=MARCH_S,
    )
    assert s.amount == usd("85.08")
    assert s.fee - s.credits + s.bonuses == s.amount  # the lines add up to the cent


def test_unknown_time_above_10_percent_flags_the_period_for_review() -> None:
    assert not any("review" in f for f in settle("1", unknown_s=MARCH_S / 10).flags)
    flagged = settle("1", unknown_s=MARCH_S / 10 + 1).flags
    assert any("review" in f and "10%" in f for f in flagged)


def test_a_metric_without_a_value_gets_no_credit_and_says_so() -> None:
    s = settle("0.9999")  # no tickets restored: repair has no value
    assert s.credit_rate == 0 and s.bonus_rate == Decimal("0.02")
    assert any(f.startswith("repair: no value") for f in s.flags)


def test_a_percentage_threshold_on_a_time_metric_is_flagged_not_guessed() -> None:
    metric = Metric.model_validate(
        {"id": "repair", "measure": "time-to-repair", "credits": [{"above": "5%", "credit": "5%"}]}
    )
    s = settle_period(
        [metric],
        {"repair": Measured(Fraction(3600), "s")},
        fee=usd("4000.00"),
        credit_cap=None,
        unknown_s=Fraction(0),
        period_s=MARCH_S,
    )
    assert s.credit_rate == 0
    assert any("does not fit" in f for f in s.flags)


def test_the_monthly_fee_of_the_deal() -> None:
    fee, notes = period_fee(SLA, HYBRID.money_currency)
    assert fee == usd("4000.00") and notes == []
    yearly = SLA.model_copy(update={"fee": SLA.fee.model_copy(update={"every": "year"})})
    fee, notes = period_fee(yearly, HYBRID.money_currency)
    assert fee == usd("333.33") and notes  # 4000 / 12, half-even


percents = st.integers(min_value=0, max_value=100).map(lambda p: f"{p}%")
tiers = st.lists(st.fixed_dictionaries({"below": percents, "credit": percents}), max_size=4)
bonus_tiers = st.lists(st.fixed_dictionaries({"at-least": percents, "bonus": percents}), max_size=3)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(tiers, bonus_tiers, st.fractions(0, 1)), min_size=1, max_size=4),
    st.one_of(st.none(), percents),
    st.decimals(min_value=0, max_value=1_000_000, places=2),
)
def test_credits_never_exceed_the_cap_and_the_amount_is_never_negative(
    metrics: list[tuple[list[dict[str, str]], list[dict[str, str]], Fraction]],
    cap: str | None,
    fee_amount: Decimal,
) -> None:
    defs = [
        Metric.model_validate(
            {"id": f"m{i}", "measure": "availability", "credits": c, "bonuses": b}
        )
        for i, (c, b, _) in enumerate(metrics)
    ]
    values = {f"m{i}": Measured(v, "ratio") for i, (_, _, v) in enumerate(metrics)}
    fee = Money.of(fee_amount, "USD")
    s = settle_period(
        defs,
        values,
        fee=fee,
        credit_cap=Percent.parse(cap) if cap else None,
        unknown_s=Fraction(0),
        period_s=MARCH_S,
    )
    if cap is not None:
        assert s.credit_rate <= Percent.parse(cap).fraction
    assert s.amount.amount >= 0
    assert s.fee - s.credits + s.bonuses == s.amount
    assert s.amount == s.amount.quantize()
