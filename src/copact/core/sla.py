"""SLA settlement of a period (DESIGN §6.4): measured metrics in, the amount due out.

For each metric the credit is the **largest** credit tier whose condition holds (tiers are not
cumulative), likewise the bonus. Credits are summed over metrics and capped at ``credit-cap`` of
the fee; the amount due is ``fee × (1 − credits + bonuses)`` rounded half-even once, never
below zero. A worked example, the hybrid-dc1 deal in a month with availability 99.7%::

    credit tiers: below 99.95% → 5%, below 99.5% → 15%      99.7% holds the first only: 5%
    fee 4000.00 USD × (1 − 0.05 + 0) = 3800.00 USD; the credit line is 200.00 USD

A period whose telemetry could not say anything for more than 10% of its time is flagged for a
person to review before it is invoiced. Pure: no clock, no files, Decimal and Fraction only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from copact.core.mechanisms import BonusTier, CreditTier, Metric, Sla
from copact.core.money import Currency, Money
from copact.core.quantities import Duration, Percent

__all__ = [
    "REVIEW_UNKNOWN_SHARE",
    "Measured",
    "MetricTerms",
    "SlaSettlement",
    "Unit",
    "period_fee",
    "settle_period",
]

Unit = Literal["ratio", "s", "kW", "kWh/l", "cycles"]
REVIEW_UNKNOWN_SHARE = Fraction(1, 10)
"""Unknown time above this share of the period flags the settlement for review."""


@dataclass(frozen=True, slots=True)
class Measured:
    """A metric's exact value for the period (``None``: nothing to measure, e.g. no tickets)."""

    value: Fraction | None
    unit: Unit


@dataclass(frozen=True, slots=True)
class MetricTerms:
    """What one metric contributes: the credit and bonus rates of the tiers that apply."""

    metric: str
    credit: Decimal
    bonus: Decimal
    note: str = ""


@dataclass(frozen=True, slots=True)
class SlaSettlement:
    fee: Money
    credit_rate: Decimal
    """Summed credits after the cap, as a fraction of the fee."""
    credit_rate_uncapped: Decimal
    bonus_rate: Decimal
    credits: Money
    bonuses: Money
    amount: Money
    flags: tuple[str, ...]
    terms: tuple[MetricTerms, ...]


def _threshold(threshold: object, unit: Unit) -> Fraction | None:
    """A tier's threshold in the metric's unit, or ``None`` when the kinds do not match."""
    if isinstance(threshold, Percent):
        return Fraction(threshold.fraction) if unit == "ratio" else None
    if isinstance(threshold, Duration):
        return Fraction(threshold.seconds) if unit == "s" else None
    if isinstance(threshold, Decimal):
        return Fraction(threshold)
    return None


def _credit_holds(tier: CreditTier, value: Fraction, unit: Unit) -> bool | None:
    if tier.below is not None:
        limit = _threshold(tier.below, unit)
        return None if limit is None else value < limit
    limit = _threshold(tier.above, unit)
    return None if limit is None else value > limit


def _bonus_holds(tier: BonusTier, value: Fraction, unit: Unit) -> bool | None:
    if tier.at_least is not None:
        limit = _threshold(tier.at_least, unit)
        return None if limit is None else value >= limit
    limit = _threshold(tier.at_most, unit)
    return None if limit is None else value <= limit


def _terms(metric: Metric, measured: Measured | None, flags: list[str]) -> MetricTerms:
    if measured is None or measured.value is None:
        if metric.credits or metric.bonuses:
            flags.append(f"{metric.id}: no value this period, so no credit or bonus applies")
        return MetricTerms(metric.id, Decimal(0), Decimal(0), "not measured")
    value, unit = measured.value, measured.unit
    credit = Decimal(0)
    for tier in metric.credits:
        holds = _credit_holds(tier, value, unit)
        if holds is None:
            flags.append(f"{metric.id}: a credit tier's threshold does not fit a value in {unit}")
        elif holds:
            credit = max(credit, tier.credit.fraction)
    bonus = Decimal(0)
    for b in metric.bonuses:
        holds = _bonus_holds(b, value, unit)
        if holds is None:
            flags.append(f"{metric.id}: a bonus tier's threshold does not fit a value in {unit}")
        elif holds:
            bonus = max(bonus, b.bonus.fraction)
    return MetricTerms(metric.id, credit, bonus)


def period_fee(sla: Sla, currency: Currency, *, months: int = 1) -> tuple[Money, list[str]]:
    """The fee a period of ``months`` months (1 or 3) settles against, with a note when it had
    to be prorated from the fee's own cadence."""
    if sla.fee is None:
        return Money.zero(currency), ["the SLA has no fee: credits and bonuses come to nothing"]
    fee = Money.of(sla.fee.amount, currency)
    per_month = {"month": 1, "quarter": 3, "year": 12}
    if sla.fee.every in per_month:
        every = per_month[sla.fee.every]
        span = "a month" if months == 1 else f"{months} months"
        notes = [] if every == months else [f"the fee is per {sla.fee.every}: {span} of it"]
        return Money(fee.amount * months / every, currency).quantize(), notes
    return Money.zero(currency), ["a one-off fee has no periodic SLA settlement"]


def settle_period(
    metrics: Sequence[Metric],
    measured: Mapping[str, Measured],
    *,
    fee: Money,
    credit_cap: Percent | None,
    unknown_s: Fraction,
    period_s: Fraction,
    notes: Sequence[str] = (),
) -> SlaSettlement:
    """The settlement of one period from the metrics' measured values (by metric id)."""
    flags = list(notes)
    terms = tuple(_terms(m, measured.get(m.id), flags) for m in metrics)
    uncapped = sum((t.credit for t in terms), Decimal(0))
    credit_rate = uncapped if credit_cap is None else min(uncapped, credit_cap.fraction)
    if credit_rate < uncapped:
        flags.append(f"credits {uncapped:.2%} capped at {credit_rate:.2%} of the fee")
    bonus_rate = sum((t.bonus for t in terms), Decimal(0))
    factor = Decimal(1) - credit_rate + bonus_rate
    amount = fee.times(max(factor, Decimal(0)))
    bonuses = fee.times(bonus_rate)
    # the credit line is what makes fee − credits + bonuses equal the amount to the cent
    credits = fee + bonuses - amount
    if period_s > 0 and unknown_s > REVIEW_UNKNOWN_SHARE * period_s:
        share = float(unknown_s / period_s)
        flags.append(f"review: telemetry is unknown for {share:.1%} of the period (more than 10%)")
    return SlaSettlement(
        fee=fee,
        credit_rate=credit_rate,
        credit_rate_uncapped=uncapped,
        bonus_rate=bonus_rate,
        credits=credits,
        bonuses=bonuses,
        amount=amount,
        flags=tuple(flags),
        terms=terms,
    )
