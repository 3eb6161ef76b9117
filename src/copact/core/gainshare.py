"""Gainshare money (DESIGN §6.5): savings against the locked baseline, invoiced and trued up.

Per month, savings S = predicted baseline − actual (in the measure's unit). The month's invoice
is the base fee plus the supplier's share of the positive savings at the deal's price,
``share × max(0, S) × price`` (half-even to the minor unit), until the contract year's cap is
reached. At the year's end a true-up line settles what the whole year earned,
``min(cap, share × max(0, ΣS) × price)``, against what the months already invoiced: a bad month
no longer pays for itself twice, and the true-up may be a credit. Worked example
(share 30%, price 1.45, base fee 1,500, cap 1,000, three months standing for a year)::

    month   S (litres)   30% × max(0,S) × 1.45   cap left   share invoiced   invoice
    1         1,500.0          652.50              1,000         652.50      2,152.50
    2         1,200.0          522.00                347.50      347.50      1,847.50  cap reached
    3        −2,400.0            0.00                  0.00        0.00      1,500.00
    year: ΣS = 300.0 → 30% × 300 × 1.45 = 130.50 (under the cap); invoiced 1,000.00
    true-up 130.50 − 1,000.00 = −869.50  (a credit to the buyer)

A baseline is locked by its hash; :func:`admit_baseline` refuses a different one unless a change
order that touches ``gainshare`` was approved after the lock by the sides the deal's
``rebaseline`` names. Nothing here reads a clock, a file or a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from copact.core.changes import ChangeState
from copact.core.deal import Deal
from copact.core.money import Currency, Money
from copact.errors import RefusedCommand

__all__ = [
    "GainshareTerms",
    "GainshareYear",
    "MonthInvoice",
    "MonthSavings",
    "TrueUp",
    "admit_baseline",
    "settle_gainshare",
    "share_of",
]


@dataclass(frozen=True, slots=True)
class GainshareTerms:
    """What the deal says about the money: contract years run from ``start``."""

    start: date
    base_fee: Money
    price: Decimal
    share: Decimal
    """The supplier's share of savings as a fraction (30% is ``Decimal('0.3')``)."""
    cap: Money | None
    """The most the shares of one contract year may add up to; None is uncapped."""

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.share <= Decimal(1):
            raise ValueError(f"a share is a fraction between 0 and 1, not {self.share}")
        if self.cap is not None and self.cap.amount < 0:
            raise ValueError("a cap cannot be negative")
        if self.cap is not None and self.cap.currency != self.base_fee.currency:
            raise ValueError("the cap and the base fee are in different currencies")

    @property
    def currency(self) -> Currency:
        return self.base_fee.currency

    @classmethod
    def from_deal(cls, deal: Deal, party: str | None = None) -> GainshareTerms:
        """The deal's ``gainshare`` terms for one supplier (``party``, or the only one)."""
        g = deal.gainshare
        if g is None or g.from_ is None or g.price is None:
            raise RefusedCommand(f"{deal.id} has no gainshare with a start (from) and a price")
        if party is None:
            if len(g.share) != 1:
                raise RefusedCommand("the gainshare names several parties: say which one")
            party = next(iter(g.share))
        if party not in g.share:
            raise RefusedCommand(f"{party} has no share of the gainshare")
        if g.base_fee is not None and g.base_fee.every != "month":
            raise RefusedCommand("a gainshare base fee is charged every month")
        fee = deal.money(g.base_fee.amount if g.base_fee else 0)
        cap = deal.money(g.cap) if g.cap is not None else None
        return cls(g.from_, fee, g.price, g.share[party].fraction, cap)


@dataclass(frozen=True, slots=True)
class MonthSavings:
    """A month's baseline prediction and actual use (same unit; ``month`` is its first day)."""

    month: date
    predicted: Decimal
    actual: Decimal

    @property
    def savings(self) -> Decimal:
        return self.predicted - self.actual


@dataclass(frozen=True, slots=True)
class MonthInvoice:
    month: date
    savings: Decimal
    base_fee: Money
    earned: Money
    """``share × max(0, S) × price`` before the cap."""
    share: Money
    """What is invoiced of it: ``earned`` limited to what is left of the year's cap."""

    @property
    def total(self) -> Money:
        return self.base_fee + self.share

    @property
    def capped(self) -> bool:
        return self.share < self.earned


@dataclass(frozen=True, slots=True)
class TrueUp:
    """The year-end line: the year's capped share less the monthly shares already invoiced."""

    year_start: date
    savings: Decimal
    year_share: Money
    invoiced: Money
    amount: Money

    @property
    def is_credit(self) -> bool:
        return self.amount.amount < 0


@dataclass(frozen=True, slots=True)
class GainshareYear:
    start: date
    months: tuple[MonthInvoice, ...]
    true_up: TrueUp | None
    """None until the year's twelfth month is settled."""


def share_of(terms: GainshareTerms, savings: Decimal) -> Money:
    """The supplier's share of ``savings`` at the price, before any cap: never negative."""
    positive = max(Decimal(0), savings)
    return Money(terms.share * positive * terms.price, terms.currency).quantize()


def _month_index(start: date, month: date) -> int:
    return (month.year - start.year) * 12 + month.month - start.month


def _limit(amount: Money, room: Money | None) -> Money:
    return amount if room is None or amount <= room else room


def settle_gainshare(terms: GainshareTerms, months: Sequence[MonthSavings]) -> list[GainshareYear]:
    """Invoices and true-ups for consecutive months from the first month of ``terms.start``."""
    years: list[GainshareYear] = []
    zero = Money.zero(terms.currency)
    for position, month in enumerate(months):
        if month.month.day != 1 or _month_index(terms.start, month.month) != position:
            raise RefusedCommand(
                f"gainshare months run one after the other from {terms.start:%Y-%m}; "
                f"month {position + 1} is {month.month}"
            )
    for first in range(0, len(months), 12):
        chunk = months[first : first + 12]
        invoices: list[MonthInvoice] = []
        invoiced = zero
        for m in chunk:
            earned = share_of(terms, m.savings)
            room = None if terms.cap is None else max(zero, terms.cap - invoiced)
            share = _limit(earned, room)
            invoiced = invoiced + share
            invoices.append(MonthInvoice(m.month, m.savings, terms.base_fee, earned, share))
        true_up = None
        if len(chunk) == 12:
            total = sum((m.savings for m in chunk), Decimal(0))
            year_share = _limit(share_of(terms, total), terms.cap)
            true_up = TrueUp(chunk[0].month, total, year_share, invoiced, year_share - invoiced)
        years.append(GainshareYear(chunk[0].month, tuple(invoices), true_up))
    return years


def admit_baseline(
    deal: Deal,
    *,
    locked_hash: str,
    locked_on: date,
    candidate_hash: str,
    changes: Mapping[str, ChangeState],
    via: str | None = None,
) -> None:
    """Refuse a baseline whose hash is not the locked one, unless change ``via`` re-baselines.

    The change must be approved, on or after the lock, touch ``gainshare`` in its patch and
    carry the approvals the deal's ``rebaseline`` asks for (``mutual``, the default: a person of
    the buyer and one of a supplier; ``buyer`` / ``supplier``: one of that side; ``none``: never).
    """
    if candidate_hash == locked_hash:
        return
    refused = (
        f"baseline {candidate_hash[:19]}… is not the one locked on {locked_on} "
        f"({locked_hash[:19]}…)"
    )
    g = deal.gainshare
    rule = (g.baseline.rebaseline if g and g.baseline else None) or "mutual"
    if rule == "none":
        raise RefusedCommand(f"{refused}; the deal allows no re-baseline (rebaseline: none)")
    if via is None:
        raise RefusedCommand(
            f"{refused}; a re-baseline needs a change order approved by "
            f"{'both sides' if rule == 'mutual' else 'the ' + rule}"
        )
    change = changes.get(via)
    if change is None:
        raise RefusedCommand(f"{refused}; no change order {via!r} was proposed")
    if change.status != "approved" or change.decided_on is None:
        raise RefusedCommand(f"{refused}; change order {via} is {change.status}, not approved")
    if change.decided_on < locked_on:
        raise RefusedCommand(
            f"{refused}; change order {via} was approved on {change.decided_on}, before the lock"
        )
    if not change.patch or "gainshare" not in change.patch:
        raise RefusedCommand(f"{refused}; change order {via} does not amend the gainshare")
    roles = {deal.role_of_person(p) for p in change.approvals}
    needed = {"buyer", "supplier"} if rule == "mutual" else {rule}
    if not needed <= roles:
        missing = " and ".join(sorted(needed - roles))
        raise RefusedCommand(f"{refused}; change order {via} lacks the {missing}'s approval")
