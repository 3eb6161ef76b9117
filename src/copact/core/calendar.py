"""Business days: weekends and a country's public holidays skipped.

A deal's ``calendar:`` is an ISO 3166 country code the ``holidays`` package knows (``US``,
``GB``, ``DE``…), optionally with a subdivision (``US-CA``). Review periods are counted in
business days::

    >>> cal = BusinessCalendar.of("US")
    >>> cal.add_business_days(date(2026, 7, 2), 1)   # Friday 3 July is observed Independence Day
    datetime.date(2026, 7, 6)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, lru_cache

import holidays

from copact.errors import CalendarError

__all__ = ["BusinessCalendar", "is_known_calendar"]


@cache
def _supported() -> dict[str, list[str]]:
    return {code: list(subdivs) for code, subdivs in holidays.list_supported_countries().items()}


def is_known_calendar(code: str) -> bool:
    """Whether ``code`` (``US`` or ``US-CA``) names a country and subdivision with holidays."""
    country, _, subdiv = code.partition("-")
    subdivs = _supported().get(country)
    if subdivs is None:
        return False
    return not subdiv or subdiv in subdivs


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekdays minus the public holidays of ``code`` (or weekdays only when ``code`` is None)."""

    code: str | None = None
    _holidays: holidays.HolidayBase | None = field(default=None, compare=False, repr=False)

    @staticmethod
    @lru_cache(maxsize=64)
    def of(code: str | None) -> BusinessCalendar:
        if code is None:
            return BusinessCalendar(None, None)
        if not is_known_calendar(code):
            raise CalendarError(f"unknown calendar {code!r}: use an ISO 3166 country code")
        country, _, subdiv = code.partition("-")
        return BusinessCalendar(code, holidays.country_holidays(country, subdiv=subdiv or None))

    def is_business_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        return self._holidays is None or day not in self._holidays

    def add_business_days(self, start: date, days: int) -> date:
        """The ``days``-th business day after ``start`` (``start`` itself never counts)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_business_day(current):
                counted += 1
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in ``(start, end]``."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_business_day(current):
                count += 1
        return count
