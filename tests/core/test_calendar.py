"""Business days: review periods skip weekends and the deal calendar's public holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.calendar import BusinessCalendar, is_known_calendar
from copact.errors import CalendarError

US = BusinessCalendar.of("US")
WEEKDAYS = BusinessCalendar.of(None)


def test_a_ten_day_review_crosses_independence_day_observed() -> None:
    # Submitted Friday 2026-06-26. Independence Day, Saturday 4 July 2026, is observed on
    # Friday 3 July. Business days: Jun 29, 30, Jul 1, 2 (4), Jul 6-10 (9), Jul 13 (10).
    assert US.add_business_days(date(2026, 6, 26), 10) == date(2026, 7, 13)
    # Weekdays only, 3 July counts and the tenth day is Friday 10 July.
    assert WEEKDAYS.add_business_days(date(2026, 6, 26), 10) == date(2026, 7, 10)


def test_the_observed_holiday_is_no_business_day_but_the_saturday_is_no_weekday() -> None:
    assert not US.is_business_day(date(2026, 7, 3))
    assert WEEKDAYS.is_business_day(date(2026, 7, 3))
    assert not US.is_business_day(date(2026, 7, 4))


def test_thanksgiving_and_christmas_are_skipped() -> None:
    # Wednesday 2026-11-25 + 1 business day: Thursday 26 is Thanksgiving, so Friday 27.
    assert US.add_business_days(date(2026, 11, 25), 1) == date(2026, 11, 27)
    # Thursday 2026-12-24 + 1: Friday 25 is Christmas, then the weekend, so Monday 28.
    assert US.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 28)


def test_the_start_day_never_counts() -> None:
    assert WEEKDAYS.add_business_days(date(2026, 6, 26), 0) == date(2026, 6, 26)
    # Friday + 1 is Monday.
    assert WEEKDAYS.add_business_days(date(2026, 6, 26), 1) == date(2026, 6, 29)
    assert WEEKDAYS.business_days_between(date(2026, 6, 26), date(2026, 6, 26)) == 0
    # (Fri 26 June, Mon 29 June] holds only the Monday.
    assert WEEKDAYS.business_days_between(date(2026, 6, 26), date(2026, 6, 29)) == 1


def test_weekdays_only_without_a_calendar() -> None:
    # A fortnight from a Monday is ten business days whatever the holidays.
    assert WEEKDAYS.business_days_between(date(2026, 12, 21), date(2027, 1, 4)) == 10
    assert US.business_days_between(date(2026, 12, 21), date(2027, 1, 4)) == 8  # Dec 25, Jan 1


def test_a_subdivision_adds_its_own_holidays() -> None:
    # Cesar Chavez Day, 31 March, is a state holiday in California only.
    assert is_known_calendar("US-CA")
    assert not BusinessCalendar.of("US-CA").is_business_day(date(2027, 3, 31))
    assert US.is_business_day(date(2027, 3, 31))


@pytest.mark.parametrize("code", ["XX", "ZZ-12", "US-XX", "usa", ""])
def test_an_unknown_calendar_is_refused(code: str) -> None:
    assert not is_known_calendar(code)
    with pytest.raises(CalendarError):
        BusinessCalendar.of(code)


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        US.add_business_days(date(2026, 6, 26), -1)


calendars = st.sampled_from([US, WEEKDAYS, BusinessCalendar.of("GB"), BusinessCalendar.of("DE")])
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@settings(max_examples=200)
@given(calendars, days, st.integers(min_value=1, max_value=60))
def test_adding_business_days_lands_on_a_business_day_and_counts_back(
    calendar: BusinessCalendar, start: date, n: int
) -> None:
    end = calendar.add_business_days(start, n)
    assert calendar.is_business_day(end)
    assert calendar.business_days_between(start, end) == n
    # No earlier day would do: the day before the result is still short of n.
    assert calendar.business_days_between(start, end - timedelta(days=1)) == n - 1


@given(calendars, days)
def test_zero_business_days_is_the_start_itself(calendar: BusinessCalendar, start: date) -> None:
    assert calendar.add_business_days(start, 0) == start
