"""Money: a Decimal amount with its ISO 4217 currency, exact to the currency's minor unit.

Money never comes from a float, never mixes currencies and never loses a cent when split::

    >>> usd = Currency.of("USD")
    >>> total = Money.of("100.00", usd)
    >>> [str(m) for m in allocate(total, [Decimal(1), Decimal(1), Decimal(1)])]
    ['33.34 USD', '33.33 USD', '33.33 USD']

Rounding is half-even and only happens where a caller asks for it (:meth:`Money.quantize`,
:meth:`Money.times`); ``+`` and ``-`` are exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from copact.errors import CurrencyMismatch, MoneyError

__all__ = ["Currency", "Money", "allocate", "read_amount", "to_decimal"]


def to_decimal(value: object) -> Decimal:
    """Turn an int, a Decimal or a decimal string into a Decimal; refuse floats and the rest."""
    if isinstance(value, bool):
        raise MoneyError(f"a boolean is not an amount: {value!r}")
    if isinstance(value, float):
        raise MoneyError(f"a float is never money (write {value!r} as a string or Decimal)")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        if not value.isascii():  # Decimal reads "١٢٣" as 123: no one wrote that figure
            raise MoneyError(f"an amount is written in ASCII digits 0-9: {value!r}")
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise MoneyError(f"not a decimal number: {value!r}") from None
    else:
        raise MoneyError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise MoneyError(f"an amount must be finite: {value!r}")
    return result


_PLAIN = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def read_amount(text: str) -> Decimal:
    """The amount a person typed: ASCII digits with an optional sign and decimal point, and
    commas only where they group thousands::

        >>> read_amount("12,000.00"), read_amount("-7.5")
        (Decimal('12000.00'), Decimal('-7.5'))

    Anything else raises ``ValueError`` saying how to write it: "1,50" (a decimal comma),
    "1,2,3,4" or "12,0000" (not groups of three) would otherwise be read as another figure,
    and "١٢٣" or "1e3" is not how an amount is written on an invoice.
    """
    written = text.strip()
    if _PLAIN.fullmatch(written) or _GROUPED.fullmatch(written):
        return Decimal(written.replace(",", ""))
    if "," in written and written.isascii():
        raise ValueError(
            f"cannot read the amount {text!r}: a comma only groups thousands in threes "
            "(12,000.00); write 1.50 for one and a half, 12000.00 for twelve thousand"
        )
    raise ValueError(
        f"cannot read the amount {text!r}: write it with the digits 0-9 and a decimal point, "
        "e.g. 12000.00 or 12,000.00"
    )


_new = object.__new__
_put = object.__setattr__  # what a frozen dataclass's __init__ sets its fields with

_WIDE = Context(prec=80, rounding=ROUND_HALF_EVEN)
"""Rounding to the minor unit in this context never overflows: the read side of a journal
shows whatever amount it holds (the doors keep absurd ones out: ``core.bounds``), instead of
failing on the 29th digit of the default context."""


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency and the number of digits of its minor unit (USD 2, JPY 0, BHD 3)."""

    code: str
    digits: int

    @staticmethod
    @cache
    def of(code: str) -> Currency:
        code = code.upper()
        if len(code) != 3 or code not in _known_currencies():
            raise MoneyError(f"unknown ISO 4217 currency: {code!r}")
        return Currency(code, get_currency_precision(code))

    @property
    def minor_unit(self) -> Decimal:
        return Decimal(1).scaleb(-self.digits)

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Build it with :meth:`of`; arithmetic keeps the currency."""

    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise MoneyError(f"Money needs a Decimal amount, got {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise MoneyError("an amount must be finite")

    @classmethod
    def of(cls, amount: object, currency: Currency | str) -> Money:
        cur = currency if isinstance(currency, Currency) else Currency.of(currency)
        return cls(to_decimal(amount), cur)

    @classmethod
    def zero(cls, currency: Currency | str) -> Money:
        return cls.of(0, currency)

    @classmethod
    def from_minor(cls, units: int, currency: Currency) -> Money:
        return cls(Decimal(units).scaleb(-currency.digits), currency)

    def _with(self, amount: Decimal) -> Money:
        """``Money(amount, self.currency)`` for the sum or difference of two amounts already
        checked: filled in directly, without the frozen ``__init__``'s and ``__post_init__``'s
        calls (the fold does arithmetic on every payment of the journal). A sum of finite
        decimals is finite, or Decimal's Overflow trap has raised; it is checked all the same."""
        if not amount.is_finite():
            raise MoneyError("an amount must be finite")
        money: Money = _new(Money)
        _put(money, "amount", amount)
        _put(money, "currency", self.currency)
        return money

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine money with {type(other).__name__}")
        if other.currency is not self.currency and other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        if other.__class__ is not Money or other.currency is not self.currency:
            self._same(other)  # refuses what is not money in this currency
        return self._with(self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        if other.__class__ is not Money or other.currency is not self.currency:
            self._same(other)
        return self._with(self.amount - other.amount)

    def __neg__(self) -> Money:
        return self._with(-self.amount)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def minor_units(self) -> int:
        """The amount in minor units; refuses an amount finer than the minor unit."""
        scaled = self.amount.scaleb(self.currency.digits)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{self.amount} has more digits than {self.currency} allows")
        return int(scaled)

    def quantize(self) -> Money:
        """Round half-even to the currency's minor unit."""
        minor = self.currency.minor_unit
        return Money(
            self.amount.quantize(minor, rounding=ROUND_HALF_EVEN, context=_WIDE), self.currency
        )

    def times(self, factor: Decimal | int) -> Money:
        """Multiply by a rate or a count and round half-even to the minor unit."""
        if isinstance(factor, float):
            raise MoneyError("a float factor would make money inexact; use Decimal")
        return Money(_WIDE.multiply(self.amount, Decimal(factor)), self.currency).quantize()

    def __str__(self) -> str:
        return f"{self.quantize().amount:f} {self.currency}"

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else format(str(self), spec)


def allocate(total: Money, weights: Sequence[Decimal | int]) -> list[Money]:
    """Split ``total`` in proportion to ``weights`` without losing a minor unit.

    Each part gets the floor of its exact share in minor units; the units left over go one each
    to the parts with the largest remainders (ties to the earlier part). The parts always add up
    to ``total`` and each differs from its exact share by less than one minor unit.
    """
    if not weights:
        raise MoneyError("allocate needs at least one weight")
    ws = [to_decimal(w) for w in weights]
    if any(w < 0 for w in ws):
        raise MoneyError("allocation weights must not be negative")
    weight_sum = sum(ws, Decimal(0))
    if weight_sum == 0:
        raise MoneyError("allocation weights must not all be zero")
    units = total.minor_units
    sign = -1 if units < 0 else 1
    units = abs(units)
    exact = [Decimal(units) * w / weight_sum for w in ws]
    floors = [int(e) for e in exact]  # exact is non-negative, so int() floors
    left = units - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Money.from_minor(sign * f, total.currency) for f in floors]
