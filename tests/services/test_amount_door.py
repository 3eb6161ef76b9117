"""An amount typed at the door (the API's JSON, the command line's ``--amount``) is read as the
figure the person wrote, or refused with how to write it: never another figure.

A comma only groups thousands (``12,000.00``); a decimal comma (``1,50``) or a broken grouping
(``1,2,3,4``, ``12,0000``) used to lose its commas and become 150 or 1234. Digits are ASCII:
``١٢٣`` is not how an invoice is written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from copact.core.conversion import conversion_ratio
from copact.core.money import read_amount, to_decimal
from copact.errors import InvalidCommand, MoneyError
from copact.services import operations as ops


def _payment(amount: object) -> ops.RecordPayment:
    return ops.RecordPayment.model_validate(
        {"deal": "d", "payer": "acme", "payee": "voltworks", "amount": amount, "ref": "R-1"}
    )


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("12,000.00", Decimal("12000.00")),
        ("1,234,567.5", Decimal("1234567.5")),
        ("999", Decimal("999")),
        (" 6411.60 ", Decimal("6411.60")),
        ("-7.50", Decimal("-7.50")),
        ("100,000", Decimal("100000")),
    ],
)
def test_an_amount_written_plainly_or_in_thousands_is_the_figure_written(
    typed: str, read: Decimal
) -> None:
    assert _payment(typed).amount == read


@pytest.mark.parametrize("typed", ["1,50", "1,2,3,4", "12,0000", "1234,567", ",500", "1,000,"])
def test_a_comma_that_does_not_group_thousands_is_refused_with_how_to_write_it(
    typed: str,
) -> None:
    with pytest.raises(InvalidCommand, match=r"write 1\.50 .* 12000\.00") as refused:
        _payment(typed)
    assert typed in str(refused.value)


@pytest.mark.parametrize("typed", ["١٢٣", "１２３", "12e3", "12_000", "1.2.3", "", "12 000"])
def test_anything_but_ascii_digits_a_sign_and_a_point_is_refused(typed: str) -> None:
    with pytest.raises(InvalidCommand, match="digits 0-9"):
        _payment(typed)


def test_the_existing_bounds_still_hold() -> None:
    with pytest.raises(InvalidCommand, match="float"):
        _payment(12.5)
    with pytest.raises(InvalidCommand, match="decimal places"):
        _payment("1.1234567")
    with pytest.raises(InvalidCommand, match="18 digits"):
        _payment("1234567890123456789")


def test_a_deal_file_amount_in_other_digits_is_refused() -> None:
    with pytest.raises(MoneyError, match="ASCII"):
        to_decimal("١٢٣")


# -- properties: what is written is what is read -------------------------------------------

door_amounts = st.decimals(
    min_value=Decimal("-999999999999.999999"),
    max_value=Decimal("999999999999.999999"),
    places=6,
    allow_nan=False,
    allow_infinity=False,
).map(lambda d: d.normalize() if d == d.to_integral() else d)


@given(door_amounts)
def test_any_amount_written_plainly_reads_back_exactly(amount: Decimal) -> None:
    written = f"{amount:f}"
    assert read_amount(written) == amount
    assert _payment(written).amount == amount


@given(door_amounts)
def test_any_amount_written_with_thousands_separators_reads_back_exactly(
    amount: Decimal,
) -> None:
    written = f"{amount:,f}"
    assert read_amount(written) == amount
    assert _payment(written).amount == amount


@given(
    st.lists(st.text("0123456789", min_size=0, max_size=6), min_size=2, max_size=5),
    st.sampled_from(["", ".5", ".00"]),
)
def test_a_wrong_grouping_is_always_refused(groups: list[str], fraction: str) -> None:
    first, *rest = groups
    assume(not (1 <= len(first) <= 3 and all(len(g) == 3 for g in rest)))
    written = ",".join(groups) + fraction
    with pytest.raises(ValueError, match="cannot read the amount"):
        read_amount(written)
    with pytest.raises(InvalidCommand):
        _payment(written)


def test_a_conversion_formula_in_other_digits_is_refused() -> None:
    assert conversion_ratio("23,000 credits per 20,000 paid") == Decimal("1.15")
    with pytest.raises(ValueError, match="cannot read the conversion formula"):
        conversion_ratio("١.١٥ credit per ١ paid")
