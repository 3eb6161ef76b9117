"""The building blocks of the deal model: the frozen base model and the field types.

``Amount`` is money in the deal's currency (an int, a decimal number or a decimal string, never
a float); ``Slug`` is a lower-case id; ``Threshold`` a percentage, a duration or a number.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from copact.core.calendar import is_known_calendar
from copact.core.money import Currency, to_decimal
from copact.core.quantities import Duration, Percent
from copact.errors import MoneyError

__all__ = [
    "Amount",
    "Duty",
    "Frequency",
    "Level",
    "Model",
    "Slug",
    "Text",
    "Threshold",
    "check_calendar",
    "check_currency",
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


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. America/New_York)") from None
    return name


Amount = Annotated[Decimal, BeforeValidator(_amount)]
"""Money in the deal's currency: an int, a decimal number or a decimal string, never a float."""
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1)]
Threshold = Annotated[Percent | Duration | Amount, Field(union_mode="left_to_right")]
Frequency = Literal["once", "month", "quarter", "year"]
Level = Literal["low", "medium", "high"]
Duty = Literal["owner", "vendor-contact", "technical-acceptance", "invoice-approval", "steering"]
