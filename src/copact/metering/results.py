"""A metric's result for one site and period, exact, with what it was computed from.

``value`` is ``numerator / denominator`` for every measure that is a ratio or a mean, so results
of several sites or months combine by summing numerators and denominators, never by averaging
values (:func:`combine`). Figures are exact fractions; JSON turns them into numbers at the edge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from copact.core.sla import Unit

__all__ = ["MetricResult", "combine", "to_json_number"]

Figure = Fraction | int | str | None


def to_json_number(x: Figure) -> float | int | str | None:
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, int) or x.denominator == 1:
        return int(x)
    return float(x)


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One metric of one site over one period.

    ``unit`` says what ``value`` is in: ``ratio`` (0..1), ``s`` (seconds), ``kW``, ``kWh/l`` or
    ``cycles``. ``numerator`` and ``denominator`` are in the units the value is a ratio of
    (seconds for availability, seconds and tickets for a mean repair time). ``unknown_s`` is the
    time the telemetry could not say anything; ``coverage`` the share of the period it could.
    ``details`` holds the other figures of the measure (A_high, A_low, forced seconds, p95...).
    """

    metric: str
    measure: str
    site: str
    period: str
    unit: Unit
    value: Fraction | None
    numerator: Fraction
    denominator: Fraction
    unknown_s: Fraction
    coverage: Fraction | None
    details: Mapping[str, Figure] = field(default_factory=dict)
    inputs: str = ""
    stat: str | None = None

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "measure": self.measure,
            "unit": self.unit,
            "value": to_json_number(self.value),
            "numerator": to_json_number(self.numerator),
            "denominator": to_json_number(self.denominator),
            "unknown_s": to_json_number(self.unknown_s),
            "coverage": to_json_number(self.coverage),
        }
        if self.stat is not None:
            doc["stat"] = self.stat
        doc.update({k: to_json_number(v) for k, v in self.details.items()})
        doc["inputs"] = self.inputs
        return doc


_ADDITIVE_UNITS = ("ratio", "s", "kWh/l", "cycles")
_COUNTS = ("tickets", "censored", "due", "on_time", "late", "open")
"""Details that are counts, summed when results combine (tickets, deliveries)."""


def combine(results: Sequence[MetricResult], *, site: str, period: str) -> MetricResult:
    """Several sites' or months' results of one metric as one: numerators and denominators
    summed. Additive details (``*_s`` seconds, counts) are summed too; a maximum (peak demand)
    is the largest of the parts."""
    if not results:
        raise ValueError("combine needs at least one result")
    first = results[0]
    if any(r.measure != first.measure for r in results):
        raise ValueError("combine takes results of one measure")
    if first.unit == "kW":
        best = max(results, key=lambda r: r.value if r.value is not None else Fraction(-1))
        return replace(best, site=site, period=period)
    numerator = sum((r.numerator for r in results), Fraction(0))
    denominator = sum((r.denominator for r in results), Fraction(0))
    unknown = sum((r.unknown_s for r in results), Fraction(0))
    details: dict[str, Figure] = {}
    for r in results:
        for key, v in r.details.items():
            if key.endswith("_s") or key.endswith("_count") or key in _COUNTS:
                before = details.get(key) or 0
                if not isinstance(v, str) and not isinstance(before, str):
                    details[key] = before + (v or 0)
    period_s = details.get("period_s")
    coverage = None
    if period_s:
        coverage = 1 - Fraction(unknown) / Fraction(period_s)
    value = numerator / denominator if denominator else None
    if first.stat not in (None, "mean"):
        value = None  # a p90 or a maximum does not sum; recompute it from the tickets
    return MetricResult(
        metric=first.metric,
        measure=first.measure,
        site=site,
        period=period,
        unit=first.unit,
        value=value,
        numerator=numerator,
        denominator=denominator,
        unknown_s=unknown,
        coverage=coverage,
        details=details,
        inputs=first.inputs,
        stat=first.stat,
    )
