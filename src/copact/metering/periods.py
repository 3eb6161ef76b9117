"""Periods and local clocks: a civil month in a site's IANA zone as a half-open UTC interval.

A period is the local month converted to UTC, so its length is the elapsed time, not 24 h times
the days::

    >>> p = month_period("America/New_York", "2027-03")
    >>> p.seconds / 3600          # the spring-forward month loses an hour
    743.0
    >>> month_period("America/New_York", "2027-11").seconds / 3600
    721.0

Instants are integer milliseconds since the Unix epoch (UTC). :func:`local_fields` turns a column
of them into local dates, months and 15-minute blocks once, at ingest, from the zone's handful of
offset changes, instead of converting every row in every query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

__all__ = [
    "BLOCK_MS",
    "LocalFields",
    "Period",
    "ZoneClock",
    "local_fields",
    "local_period",
    "month_code",
    "month_period",
    "months_between",
    "parse_month",
    "parse_period",
]

BLOCK_MS = 15 * 60 * 1000
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_QUARTER = re.compile(r"^([0-9]{4})-[Qq]([1-4])$")
_YEARS = range(1900, 2200)  # as a deal file's dates (core.model.Day)


def parse_month(text: str) -> tuple[int, int]:
    """``"2027-03"`` → ``(2027, 3)``; refuses anything else."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) not in _YEARS:
        raise ValueError(f"a period is a month written YYYY-MM (years 1900 to 2199), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def parse_period(text: str) -> tuple[int, int, int]:
    """A settlement period's label as (year, first month, months): ``"2027-03"`` → ``(2027, 3,
    1)`` and ``"2027-Q2"`` → ``(2027, 4, 3)``; refuses anything else."""
    match = _QUARTER.match(text.strip())
    if match and int(match.group(1)) in _YEARS:
        return int(match.group(1)), 3 * int(match.group(2)) - 2, 3
    try:
        year, month = parse_month(text)
    except ValueError:
        raise ValueError(
            f"a period is a month written YYYY-MM or a quarter written YYYY-Qn (years 1900 to "
            f"2199), got {text!r}"
        ) from None
    return year, month, 1


def month_code(year: int, month: int) -> int:
    """The integer month key stored with each row: 2027-03 is 202703."""
    return year * 100 + month


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One local civil month of a site, as the UTC interval ``[start_ms, end_ms)``."""

    start_ms: int
    end_ms: int
    month: str
    timezone: str

    @property
    def months(self) -> tuple[int, ...]:
        """The month keys of the rows inside (``(202703,)``, or three for a quarter); none for
        a span that is not a month or a quarter, which the month-keyed metrics (peak demand)
        then find no rows for."""
        try:
            year, first, count = parse_period(self.month)
        except ValueError:
            return ()
        return tuple(month_code(year, m) for m in range(first, first + count))

    @property
    def code(self) -> int:
        """The key of the period among month-keyed rows: its first month's (202701 for
        2027-Q1), 0 for a span that is neither a month nor a quarter."""
        return self.months[0] if self.months else 0

    @property
    def quarter(self) -> bool:
        return len(self.months) == 3

    @property
    def ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def seconds(self) -> float:
        return self.ms / 1000

    def __str__(self) -> str:
        return f"{self.month} ({self.timezone})"


def month_period(timezone: str, month: str) -> Period:
    """The local month ``YYYY-MM`` in ``timezone`` as a UTC interval."""
    parse_month(month)
    return local_period(timezone, month)


def local_period(timezone: str, label: str) -> Period:
    """The local month ``YYYY-MM`` or quarter ``YYYY-Qn`` in ``timezone`` as a UTC interval."""
    year, first, count = parse_period(label)
    zone = ZoneInfo(timezone)
    start = datetime(year, first, 1, tzinfo=zone)
    after = first + count - 1  # the last month, then the one after it
    end = datetime(year + after // 12, after % 12 + 1, 1, tzinfo=zone)
    name = f"{year:04d}-{first:02d}" if count == 1 else f"{year:04d}-Q{(first + 2) // 3}"
    return Period(_ms(start), _ms(end), name, timezone)


def months_between(timezone: str, *, first_ms: int, last_ms: int) -> list[Period]:
    """Every local month of ``timezone`` that holds an instant of ``[first_ms, last_ms]``."""
    zone = ZoneInfo(timezone)
    first = datetime.fromtimestamp(first_ms / 1000, UTC).astimezone(zone)
    last = datetime.fromtimestamp(last_ms / 1000, UTC).astimezone(zone)
    periods = []
    year, mon = first.year, first.month
    while (year, mon) <= (last.year, last.month):
        periods.append(month_period(timezone, f"{year:04d}-{mon:02d}"))
        year, mon = year + mon // 12, mon % 12 + 1
    return periods


@dataclass(frozen=True, slots=True)
class LocalFields:
    """Per-row local fields: date (days since 1970-01-01), month key (202703) and the UTC start
    (ms) of the 15-minute block of the local clock the instant falls in."""

    day: npt.NDArray[np.int32]
    month: npt.NDArray[np.int32]
    block: npt.NDArray[np.int64]


def _offsets(zone: ZoneInfo, lo_ms: int, hi_ms: int) -> tuple[list[int], list[int]]:
    """The zone's UTC offsets (ms) and the instants they start, over ``[lo_ms, hi_ms]``.

    Offsets change at most a few times a year, so stepping by day and bisecting each change to
    the millisecond finds every transition without a private tz database API.
    """

    def offset(ms: int) -> int:
        moment = datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone)
        delta = moment.utcoffset() or timedelta(0)
        return int(delta.total_seconds() * 1000)

    starts, values = [lo_ms], [offset(lo_ms)]
    day = 86_400_000
    cursor = lo_ms
    while cursor < hi_ms:
        nxt = min(cursor + day, hi_ms)
        if offset(nxt) != values[-1]:
            a, b = cursor, nxt  # offset(a) is the old value, offset(b) the new one
            while b - a > 1:
                mid = (a + b) // 2
                if offset(mid) == values[-1]:
                    a = mid
                else:
                    b = mid
            starts.append(b)
            values.append(offset(b))
        cursor = nxt
    return starts, values


class ZoneClock:
    """A zone's local calendar for columns of instants, remembering the zone's offsets over the
    span it has been asked about, so a file read in batches looks them up once."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._span: tuple[int, int] | None = None
        self._starts: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._values: list[int] = []

    def _cover(self, lo: int, hi: int) -> tuple[npt.NDArray[np.int64], list[int]]:
        if self._span is None or lo < self._span[0] or hi > self._span[1]:
            year = 365 * 86_400_000  # whole years around the instants: few lookups per file
            lo = lo - lo % year
            hi = hi - hi % year + year
            if self._span is not None:
                lo, hi = min(lo, self._span[0]), max(hi, self._span[1])
            starts, self._values = _offsets(self.zone, lo, hi)
            self._starts = np.asarray(starts, dtype=np.int64)
            self._span = (lo, hi)
        return self._starts, self._values

    def fields(self, t_ms: npt.NDArray[np.int64]) -> LocalFields:
        """Local date, month key and 15-minute block of each instant (vectorised)."""
        if len(t_ms) == 0:
            empty32 = np.zeros(0, dtype=np.int32)
            return LocalFields(empty32, empty32.copy(), np.zeros(0, dtype=np.int64))
        lo, hi = int(t_ms.min()), int(t_ms.max())
        starts, values = self._cover(lo, hi)
        first = int(np.searchsorted(starts, lo, side="right")) - 1
        last = int(np.searchsorted(starts, hi, side="right"))
        if last - first == 1:  # no offset change in the span: one addition, no lookup
            offset: npt.NDArray[np.int64] | int = values[first]
        else:
            idx = np.searchsorted(starts[first:last], t_ms, side="right") - 1
            offset = np.asarray(values[first:last], dtype=np.int64)[idx]
        local = t_ms + offset
        day = np.floor_divide(local, 86_400_000)
        # a block is named by its UTC start, so the repeated hour of a fall-back night gives
        # four blocks of its own instead of doubling up with the first pass of the local clock;
        # when every offset is a whole number of quarter hours the local and UTC grids coincide
        if all(v % BLOCK_MS == 0 for v in values[first:last]):
            block = t_ms - np.remainder(t_ms, BLOCK_MS)
        else:
            block = np.floor_divide(local, BLOCK_MS) * BLOCK_MS - offset
        first_day, last_day = int(day.min()), int(day.max())
        epoch = date(1970, 1, 1)
        table = np.array(
            [
                month_code(d.year, d.month)
                for d in (epoch + timedelta(days=n) for n in range(first_day, last_day + 1))
            ],
            dtype=np.int32,
        )
        return LocalFields(day.astype(np.int32), table[day - first_day], block)


def local_fields(timezone: str, t_ms: npt.NDArray[np.int64]) -> LocalFields:
    """Local date, month key and 15-minute block of each instant (vectorised)."""
    return ZoneClock(timezone).fields(t_ms)
