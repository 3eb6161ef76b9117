"""Percentages and durations as values, parsed from the deal file's text (``20%``, ``4h``).

    >>> Percent.parse("99.95%").fraction
    Decimal('0.9995')
    >>> str(Duration.parse("1h30m")), Duration.parse("5m").seconds
    ('1h30m', 300)

Both plug into pydantic: they validate from their text, serialise back to it and describe
themselves in the JSON Schema as patterned strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = ["DURATION_PATTERN", "PERCENT_PATTERN", "Duration", "Percent"]

PERCENT_PATTERN = r"^-?[0-9]+(\.[0-9]+)?%$"
DURATION_PATTERN = r"^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$"
_PERCENT = re.compile(PERCENT_PATTERN)
_DURATION = re.compile(DURATION_PATTERN)
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


@dataclass(frozen=True, order=True, slots=True)
class Percent:
    """A percentage, kept as its exact fraction (``20%`` is ``Decimal('0.2')``)."""

    fraction: Decimal

    @classmethod
    def parse(cls, text: str) -> Percent:
        text = text.strip()
        if not _PERCENT.match(text):
            raise ValueError(f"not a percentage: {text!r} (write it like 20% or 99.95%)")
        try:
            return cls(Decimal(text[:-1]) / 100)
        except InvalidOperation:  # pragma: no cover - the pattern already excludes this
            raise ValueError(f"not a percentage: {text!r}") from None

    @classmethod
    def of(cls, points: Decimal | int | str) -> Percent:
        """``Percent.of(20)`` is 20%."""
        return cls(Decimal(points) / 100)

    @property
    def points(self) -> Decimal:
        return self.fraction * 100

    def __str__(self) -> str:
        points = self.points.normalize()
        text = f"{points:f}"
        return f"{text}%"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: Any) -> Percent:
            if isinstance(value, Percent):
                return value
            if isinstance(value, str):
                try:
                    return cls.parse(value)
                except ValueError:
                    pass
            raise PydanticCustomError(
                "percent", "expected a percentage like 20% or 99.95%, got {value}", {"value": value}
            )

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": PERCENT_PATTERN, "examples": ["20%", "99.95%"]}


@dataclass(frozen=True, order=True, slots=True)
class Duration:
    """A span of time written ``4h``, ``5m``, ``30s``, ``2d`` or combined (``1h30m``)."""

    seconds: int

    @classmethod
    def parse(cls, text: str) -> Duration:
        text = text.strip()
        match = _DURATION.match(text)
        if not text or not match:
            raise ValueError(f"not a duration: {text!r} (write it like 4h, 15m, 30s or 2d)")
        total = 0
        for group, (_, factor) in zip(match.groups(), _UNITS, strict=True):
            if group:
                total += int(group[:-1]) * factor
        return cls(total)

    @property
    def timedelta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        if self.seconds == 0:
            return "0s"
        rest = self.seconds
        parts = []
        for unit, factor in _UNITS:
            count, rest = divmod(rest, factor)
            if count:
                parts.append(f"{count}{unit}")
        return "".join(parts)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: Any) -> Duration:
            if isinstance(value, Duration):
                return value
            if isinstance(value, str):
                try:
                    return cls.parse(value)
                except ValueError:
                    pass
            raise PydanticCustomError(
                "duration", "expected a duration like 4h, 15m or 30s, got {value}", {"value": value}
            )

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": DURATION_PATTERN, "examples": ["4h", "5m"]}
