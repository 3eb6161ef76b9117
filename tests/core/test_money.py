"""Money: exact, one currency at a time, never a float, split without losing a minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copact.core.money import Currency, Money, allocate
from copact.errors import CurrencyMismatch, MoneyError

USD = Currency.of("USD")
JPY = Currency.of("JPY")
BHD = Currency.of("BHD")

currencies = st.sampled_from([USD, JPY, BHD, Currency.of("EUR")])
weights = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=1000),
        st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=12,
).filter(lambda ws: sum(Decimal(w) for w in ws) > 0)


@st.composite
def totals(draw: st.DrawFn) -> Money:
    currency = draw(currencies)
    units = draw(st.integers(min_value=-(10**12), max_value=10**12))
    return Money.from_minor(units, currency)


# --- worked examples ------------------------------------------------------------------------


def test_a_hundred_dollars_in_three_keeps_every_cent() -> None:
    parts = allocate(Money.of("100.00", USD), [1, 1, 1])
    # 100.00 / 3 = 33.333…: three floors of 33.33 leave one cent, which goes to the first part.
    assert [str(p) for p in parts] == ["33.34 USD", "33.33 USD", "33.33 USD"]


def test_the_left_over_unit_goes_to_the_largest_remainder() -> None:
    parts = allocate(Money.of("1000.01", USD), [Decimal("0.2"), Decimal("0.3"), Decimal("0.5")])
    # exact shares 200.002, 300.003, 500.005: remainders 0.2, 0.3 and 0.5 of a cent.
    assert [p.amount for p in parts] == [Decimal("200.00"), Decimal("300.00"), Decimal("500.01")]


def test_a_negative_total_is_split_like_a_positive_one() -> None:
    parts = allocate(Money.of("-100.00", USD), [1, 1, 1])
    assert [p.amount for p in parts] == [Decimal("-33.34"), Decimal("-33.33"), Decimal("-33.33")]


def test_yen_have_no_minor_unit_and_dinars_three() -> None:
    assert [p.amount for p in allocate(Money.of(100, JPY), [1, 1, 1])] == [34, 33, 33]
    dinars = allocate(Money.of("1.000", BHD), [1, 1, 1])
    assert [p.amount for p in dinars] == [Decimal("0.334"), Decimal("0.333"), Decimal("0.333")]


def test_allocate_refuses_no_weights_negative_weights_and_all_zero() -> None:
    total = Money.of(10, USD)
    for bad in ([], [1, -1], [0, 0]):
        with pytest.raises(MoneyError):
            allocate(total, bad)


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("0.125", "0.12"), ("0.135", "0.14"), ("0.115", "0.12"), ("-0.125", "-0.12")],
)
def test_quantize_rounds_half_to_even(amount: str, rounded: str) -> None:
    # A half cent goes to the even neighbour: 0.125 → 0.12 (2 is even), 0.135 → 0.14.
    assert Money.of(amount, USD).quantize().amount == Decimal(rounded)


def test_times_rounds_half_even_too() -> None:
    assert Money.of("0.25", USD).times(Decimal("0.5")).amount == Decimal("0.12")
    assert Money.of("126000.00", USD).times(Decimal("0.7")).amount == Decimal("88200.00")


def test_a_float_is_never_money() -> None:
    with pytest.raises(MoneyError):
        Money.of(1.5, "USD")
    with pytest.raises(MoneyError):
        Money.of(10, USD).times(0.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(1.5, USD)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        allocate(Money.of(10, USD), [0.5, 0.5])  # type: ignore[list-item]
    with pytest.raises(MoneyError):
        Money.of(True, USD)


def test_nan_infinity_and_unknown_currencies_are_refused() -> None:
    for bad in ("NaN", "Infinity", Decimal("-Infinity"), "twelve"):
        with pytest.raises(MoneyError):
            Money.of(bad, USD)
    with pytest.raises(MoneyError):
        Currency.of("XYZ")


def test_an_amount_finer_than_the_minor_unit_has_no_minor_units() -> None:
    with pytest.raises(MoneyError):
        _ = Money.of("0.005", USD).minor_units
    with pytest.raises(MoneyError):
        allocate(Money.of("10.5", JPY), [1, 1])


def test_currency_codes_know_their_minor_unit() -> None:
    assert (USD.digits, JPY.digits, BHD.digits) == (2, 0, 3)
    assert Currency.of("usd") == USD


# --- properties -----------------------------------------------------------------------------


@given(totals(), weights)
def test_allocate_always_adds_up_to_the_total(total: Money, ws: list[Decimal | int]) -> None:
    parts = allocate(total, ws)
    assert len(parts) == len(ws)
    assert sum((p.amount for p in parts), Decimal(0)) == total.amount
    assert all(p.currency == total.currency for p in parts)


@given(totals(), weights)
def test_each_part_is_within_one_minor_unit_of_its_exact_share(
    total: Money, ws: list[Decimal | int]
) -> None:
    weight_sum = sum((Decimal(w) for w in ws), Decimal(0))
    for part, w in zip(allocate(total, ws), ws, strict=True):
        exact = total.amount * Decimal(w) / weight_sum
        assert abs(part.amount - exact) < total.currency.minor_unit
        assert part.minor_units == part.amount.scaleb(total.currency.digits)  # whole minor units


@given(totals(), weights)
def test_a_negative_total_mirrors_the_positive_split(total: Money, ws: list[Decimal | int]) -> None:
    assert allocate(-total, ws) == [-p for p in allocate(total, ws)]


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.integers(min_value=-(10**9), max_value=10**9),
    currencies,
)
def test_addition_is_exact_and_keeps_the_currency(a: int, b: int, currency: Currency) -> None:
    x, y = Money.from_minor(a, currency), Money.from_minor(b, currency)
    assert (x + y).minor_units == a + b
    assert (x - y).minor_units == a - b
    assert (x + y).currency == currency


@given(currencies, currencies)
def test_money_never_mixes_currencies(first: Currency, second: Currency) -> None:
    x, y = Money.of(1, first), Money.of(1, second)
    if first == second:
        assert (x + y).amount == 2
        return
    for combine in (
        lambda: x + y,
        lambda: x - y,
        lambda: x < y,
        lambda: x <= y,
        lambda: x > y,
        lambda: x >= y,
    ):
        with pytest.raises(CurrencyMismatch):
            combine()


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9
    )
)
def test_quantize_is_at_most_half_a_minor_unit_away(amount: Decimal) -> None:
    rounded = Money.of(amount, USD).quantize()
    assert abs(rounded.amount - amount) <= Decimal("0.005")
    assert rounded.amount == rounded.amount.quantize(Decimal("0.01"))
