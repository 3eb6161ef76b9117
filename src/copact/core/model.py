"""The building blocks of the deal model: the frozen base model and the field types.

``Amount`` is money in the deal's currency (an int, a decimal number or a decimal string, never
a float); ``Slug`` is a lower-case id; ``Threshold`` a percentage, a duration or a number.

The deal's own figures are held to the bounds of an amount at the door (at most
:data:`INTEGER_DIGITS` digits before the point) and to their sign: ``Positive`` for what the deal
is worth or prices (its value, a price, a milestone's amount, a prepayment), ``NonNegative`` for
what may be nothing (a cap, a fee, a phase's cost), ``Figure`` for a number that may be below
zero (a business-case flow). A deal worth ``-5`` or ``1e400`` is a finding of the loader (E002),
not a schedule of negative invoices or a failure to round::

    value: -5      → E002 value: must be above 0 (got -5)
    value: 1e400   → E002 value: a figure of the deal has at most 12 digits before the point
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from copact.core.calendar import is_known_calendar
from copact.core.money import Currency, to_decimal
from copact.core.quantities import Duration, Percent
from copact.errors import MoneyError

__all__ = [
    "INTEGER_DIGITS",
    "Amount",
    "Duty",
    "Figure",
    "Frequency",
    "Level",
    "Model",
    "NonNegative",
    "Positive",
    "Slug",
    "Text",
    "Threshold",
    "check_calendar",
    "check_country",
    "check_currency",
    "check_iban",
    "check_timezone",
]


def _kebab(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


class Model(BaseModel):
    """Base of every section: frozen, unknown keys refused, kebab-case aliases."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=_kebab,
        populate_by_name=True,
        use_enum_values=False,
    )


def _amount(value: Any) -> Decimal:
    try:
        return to_decimal(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


INTEGER_DIGITS = 12
"""The most digits before the point of a deal's figure, as of an amount at the door: a deal
worth 999,999,999,999 is far above any co-investment, and a figure past it (``1e400``) cannot
be rounded to a cent."""
_LIMIT = Decimal(10) ** INTEGER_DIGITS


def _figure(value: Any) -> Decimal:
    number = _amount(value)
    if abs(number) >= _LIMIT:
        raise PydanticCustomError(  # not the figure itself: 1e400 written out is 401 digits
            "figure_size",
            f"a figure of the deal has at most {INTEGER_DIGITS} digits before the point",
        )
    return number


def _positive(value: Any) -> Decimal:
    number = _figure(value)
    if number <= 0:
        raise PydanticCustomError("figure_sign", f"must be above 0 (got {number})")
    return number


def _non_negative(value: Any) -> Decimal:
    number = _figure(value)
    if number < 0:
        raise PydanticCustomError("figure_sign", f"cannot be below 0 (got {number})")
    return number


def check_currency(code: str) -> str:
    try:
        return Currency.of(code).code
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def check_calendar(code: str) -> str:
    if not is_known_calendar(code):
        raise ValueError(
            f"unknown calendar {code!r}: use an ISO 3166 country code such as US or DE"
        )
    return code


_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@cache
def _countries() -> frozenset[str]:
    from babel import Locale

    names = Locale.parse("en").territories
    codes = {k for k in names if isinstance(k, str) and len(k) == 2 and k.isalpha()}
    return frozenset(codes) - _NOT_COUNTRIES


def check_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 country code, as invoices name countries."""
    if code not in _countries():
        raise ValueError(f"unknown country {code!r}: use an ISO 3166 alpha-2 code such as DE or US")
    return code


def check_iban(text: str) -> str:
    """An IBAN, spaces allowed as printed; its ISO 13616 check digits must hold (mod 97)."""
    iban = text.replace(" ", "").upper()
    if not (
        15 <= len(iban) <= 34 and iban[:2].isalpha() and iban[2:4].isdigit() and iban.isalnum()
    ):
        raise ValueError(f"{text!r} is not an IBAN (two letters, two check digits, the account)")
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise ValueError(f"{text!r}: the IBAN's check digits do not match (a typo?)")
    return iban


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. America/New_York)") from None
    return name


Amount = Annotated[Decimal, BeforeValidator(_amount)]
"""Money in the deal's currency: an int, a decimal number or a decimal string, never a float."""
Figure = Annotated[Decimal, BeforeValidator(_figure)]
"""A number of the deal that may be below zero, with at most :data:`INTEGER_DIGITS` digits
before the point."""
Positive = Annotated[Decimal, BeforeValidator(_positive)]
"""A :data:`Figure` above zero: what the deal is worth or prices."""
NonNegative = Annotated[Decimal, BeforeValidator(_non_negative)]
"""A :data:`Figure` of zero or more: a cap, a fee, a cost, a threshold."""
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _in_years(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            f"{day} is outside the years a deal's dates fall in ({FIRST_DAY.year} to "
            f"{LAST_DAY.year}): a typo of the year?"
        )
    return day


Day = Annotated[date, AfterValidator(_in_years)]
"""A date of the deal file (effective, due, from, to, locked): between 1900 and 2199, so the
schedule, the simulation and the documents can count days from it without overflowing."""
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1)]
Threshold = Annotated[Percent | Duration | Figure, Field(union_mode="left_to_right")]
Frequency = Literal["once", "month", "quarter", "year"]
Level = Literal["low", "medium", "high"]
Duty = Literal["owner", "vendor-contact", "technical-acceptance", "invoice-approval", "steering"]
