"""Bounds at the door: the amounts and dates a deal's journal may take in at all.

A value that gets into the journal stays there (nothing is ever updated or deleted), so a
payment of 999,999,999,999.99 on a 200,000 deal, a claim of 0.000001, or an event dated
9999-12-31 would falsify every later figure or block every later command. Each command and
every imported event is held to these bounds before it is appended.

**The ceiling of a deal** is ten times everything the deal could ever price, and never less
than 1,000,000 minor units (10,000.00 USD)::

    everything = value + prepaid + cost-plus cap + convertible amount
               + 10 years of the SLA fee and the gainshare base fee + 10 × gainshare cap
               + 10 years of the volume commitment at its price + innovation bonuses

    hybrid-dc1: 420,000 + 10 × 12 × 4,000 + 10 × 12 × 1,500 + 10 × 60,000 = 1,680,000
    → ceiling 16,800,000.00 USD

Ten times is far above what an honest entry reaches (a change order adds to value, a true-up
or an exit settles within it) and far below what breaks a figure. An amount must also be
written in the currency's minor unit (no fraction of a cent in USD, no decimals in JPY).

**Dates** of an event sit within :data:`BEFORE_EFFECTIVE` before the deal's effective date and
no more than :data:`AHEAD` after the workspace's clock. Commands are dated by the clock itself;
the window is for imported journals, which may come from a workspace whose clock runs a little
ahead (and the examples' scenario journal is dated a few days into the future). An event dated
9999-12-31 would otherwise stop every later command, which may not be dated before it.

**The reach of a deal**: a day a person asks about without recording it (an exit preview's
date, a contract year to true up, a month to settle) lies within :data:`BEFORE_EFFECTIVE`
before the deal's effective date and :data:`REACH_YEARS` after it. No deal runs a century,
and a day near 9999-12-31 would fail the arithmetic on it (a notice period added to it, the
month after it) instead of being refused::

    check_reach(hybrid_dc1, date(9999, 12, 31), what="an exit on")
    → RefusedCommand: an exit on 9999-12-31 is more than 100 years after ... 2026-06-01
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from copact.core.deal import Deal
from copact.core.money import Currency, Money
from copact.errors import RefusedCommand

__all__ = [
    "AHEAD",
    "BEFORE_EFFECTIVE",
    "REACH_YEARS",
    "ceiling",
    "check_amount",
    "check_day",
    "check_reach",
]

BEFORE_EFFECTIVE = timedelta(days=2 * 366)
"""How long before its effective date a deal's journal may start (negotiation, signing)."""
AHEAD = timedelta(days=31)
"""How far after the workspace's clock an imported event may be dated."""
REACH_YEARS = 100
"""How many years after its effective date a deal's days may be asked about."""
_LAST_YEAR = 9000
"""No deal reaches past the end of this year, whatever its effective date: room enough for the
arithmetic on a day (10 years of notice, a contract year) below :data:`datetime.MAXYEAR`."""

_TIMES = 10
_YEARS = 10
_FLOOR_UNITS = 1_000_000
_PER_YEAR = {"once": 1, "month": 12, "quarter": 4, "year": 1}


_KEPT = 16
_CEILINGS: dict[int, tuple[Deal, Money]] = {}
"""The ceilings of the deals asked about last, by the deal object's identity: an import checks
the amount of every payment and claim against the same deal. A deal is frozen, and each entry
holds its deal, so an id cannot be reused while its entry is kept."""


def ceiling(deal: Deal) -> Money:
    """The largest amount one entry of ``deal`` may carry (see the module's worked example)."""
    kept = _CEILINGS.get(id(deal))
    if kept is not None and kept[0] is deal:
        return kept[1]
    limit = _ceiling(deal)
    if len(_CEILINGS) >= _KEPT:
        _CEILINGS.clear()
    _CEILINGS[id(deal)] = (deal, limit)
    return limit


def _ceiling(deal: Deal) -> Money:
    total = Decimal(0)
    total += deal.value or 0
    if deal.prepaid is not None:
        total += deal.prepaid.amount
    total += sum((m.amount or Decimal(0) for m in deal.milestones), Decimal(0))
    if deal.cost_plus is not None:
        total += deal.cost_plus.cap or 0
    if deal.convertible is not None:
        total += deal.convertible.amount
    if deal.volume is not None:
        total += deal.volume.commitment * (deal.volume.price or 0) * _YEARS
    total += sum((b.amount for b in deal.innovation_bonus), Decimal(0))
    fees = []
    if deal.sla is not None and deal.sla.fee is not None:
        fees.append(deal.sla.fee)
    if deal.gainshare is not None:
        if deal.gainshare.base_fee is not None:
            fees.append(deal.gainshare.base_fee)
        total += (deal.gainshare.cap or 0) * _YEARS
    for fee in fees:
        total += fee.amount * _PER_YEAR.get(fee.every, 12) * _YEARS
    currency = Currency.of(deal.currency)
    floor = Money.from_minor(_FLOOR_UNITS, currency)
    return max(Money.of(abs(total) * _TIMES, currency).quantize(), floor)


def check_amount(deal: Deal, amount: Decimal, *, what: str, signed: bool = False) -> None:
    """Refuse ``amount`` for an entry ``what`` of ``deal``: not positive (unless ``signed``),
    finer than the currency's minor unit, or above the deal's :func:`ceiling`."""
    if not amount.is_finite():
        raise RefusedCommand(f"{what} must be a finite amount")
    if not signed and amount <= 0:
        raise RefusedCommand(f"{what} is a positive amount, not {amount}")
    currency = Currency.of(deal.currency)
    if abs(amount) < 10**18 and amount.quantize(currency.minor_unit) != amount:
        raise RefusedCommand(
            f"{what} {amount} is finer than {deal.currency} allows "
            f"({currency.digits} decimal places)"
        )
    limit = ceiling(deal)
    if abs(amount) > limit.amount:
        raise RefusedCommand(
            f"{what} {amount} {deal.currency} is far above anything deal {deal.id} can owe "
            f"(its ceiling is {limit.amount:,} {deal.currency}, ten times all it prices); "
            "check the figure"
        )


def check_day(deal: Deal, day: date, *, today: date) -> None:
    """Refuse an event dated ``day``: more than :data:`AHEAD` after the workspace's clock
    (``today``) or more than :data:`BEFORE_EFFECTIVE` before the deal's effective date."""
    if day > today + AHEAD:
        raise RefusedCommand(
            f"the event is dated {day}, more than {AHEAD.days} days after today ({today}): "
            "a journal records what happened"
        )
    earliest = deal.effective - BEFORE_EFFECTIVE
    if day < earliest:
        raise RefusedCommand(
            f"the event is dated {day}, more than two years before the deal's effective date "
            f"{deal.effective}"
        )


def check_reach(deal: Deal, day: date, *, what: str = "the date") -> None:
    """Refuse ``day`` as a day of ``deal`` to ask about (see the module's reach of a deal):
    more than :data:`BEFORE_EFFECTIVE` before its effective date or more than
    :data:`REACH_YEARS` after it. ``what`` names the day in the refusal ("an exit on")."""
    effective = deal.effective
    latest = date(min(effective.year + REACH_YEARS, _LAST_YEAR), 12, 31)
    if day > latest:
        raise RefusedCommand(
            f"{what} {day} is more than {REACH_YEARS} years after the deal's effective date "
            f"{effective}: no deal runs that long; ask about a day before {latest}"
        )
    earliest = effective - BEFORE_EFFECTIVE if effective.year > 2 else date.min
    if day < earliest:
        raise RefusedCommand(
            f"{what} {day} is more than two years before the deal's effective date {effective}"
        )
