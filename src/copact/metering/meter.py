"""One month of an SLA deal metered: the use case behind ``copact meter`` (DESIGN §6).

Telemetry, windows, tickets and deliveries go in; per site, every metric of the deal's ``sla``
section and its settlement come out. Each measure is computed from one input
(:data:`MEASURE_INPUTS`); a metric whose input was not given is never settled as if it had
no value: the caller refuses first (:mod:`copact.services.metering`), and here it is a
``ValueError``, except tickets, whose absence is flagged for review (a month without faults
has no tickets). Each result carries the SHA-256 of what it was computed from (the
input files' digests, the site, the month and the metric's definition), so an invoice can be
recomputed later and shown to rest on the same data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from copact.core.deal import Deal
from copact.core.mechanisms import Metric, Sla
from copact.core.money import allocate
from copact.core.sla import Measured, SlaSettlement, period_fee, settle_period
from copact.metering.deliveries import Delivery, delivery_metric
from copact.metering.engines import Engine
from copact.metering.metrics import (
    SitePeriod,
    availability,
    battery_cycles,
    fuel_efficiency,
    load_inputs,
    monitoring_uptime,
    peak_demand,
    ride_through,
    signals_present,
)
from copact.metering.periods import Period, local_period
from copact.metering.results import MetricResult
from copact.metering.telemetry import Duplicates, Telemetry
from copact.metering.tickets import Ticket, ticket_metric
from copact.metering.windows import Window

__all__ = [
    "DEFAULT_GAP_TOLERANCE_S",
    "MEASURE_INPUTS",
    "MeterReport",
    "SiteReport",
    "file_digest",
    "meter_month",
    "report_to_json",
]

DEFAULT_GAP_TOLERANCE_S = 300

MEASURE_INPUTS: Mapping[str, str] = {
    "availability": "telemetry",
    "ride-through": "telemetry",
    "peak-demand": "telemetry",
    "monitoring-uptime": "telemetry",
    "fuel-efficiency": "telemetry",
    "battery-cycles": "telemetry",
    "time-to-repair": "tickets",
    "response-time": "tickets",
    "on-time-delivery": "deliveries",
}
"""The input each measure copact meter computes is computed from; a measure not listed is
not computed, and a deal that names one cannot be metered."""


@dataclass(frozen=True, slots=True)
class SiteReport:
    site: str
    period: Period
    metrics: dict[str, MetricResult]
    settlement: SlaSettlement
    duplicates: Duplicates | None = None
    """Samples of the site read more than once, and what was done with them."""


@dataclass(frozen=True, slots=True)
class MeterReport:
    deal: str
    month: str
    engine: str
    sites: tuple[SiteReport, ...]

    @property
    def review(self) -> tuple[str, ...]:
        """The ``review:`` flags, each with its site: what in the inputs stops the period from
        being taken as measured (telemetry unknown for more than 10% of it, conflicting
        samples, tickets not given). Empty for a clean period. A metric that merely had no
        value (a month without faults) is flagged, not put up for review here."""
        return tuple(
            f"{s.site}: {flag}"
            for s in self.sites
            for flag in s.settlement.flags
            if "review:" in flag
        )


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _inputs_hash(files: str, site: str, month: str, metric: Metric, sla: Sla) -> str:
    doc = {
        "files": files,
        "site": site,
        "month": month,
        "metric": metric.model_dump(mode="json", by_alias=True),
        "unknown": sla.unknown,
        "gap_tolerance": str(sla.gap_tolerance) if sla.gap_tolerance else None,
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _not_measured(metric: Metric, site: str, period: Period, why: str) -> MetricResult:
    return MetricResult(
        metric=metric.id,
        measure=metric.measure,
        site=site,
        period=period.month,
        unit="s",
        value=None,
        numerator=Fraction(0),
        denominator=Fraction(0),
        unknown_s=Fraction(0),
        coverage=None,
        details={"note": why},
    )


def _ticket_result(
    tickets: Sequence[Ticket] | None, metric: Metric, sp: SitePeriod
) -> MetricResult:
    if tickets is None:
        why = f"review: no tickets were given, so {metric.measure} was not measured"
        return _not_measured(metric, sp.site, sp.period, why)
    return ticket_metric(
        tickets,
        metric=metric.id,
        measure=metric.measure,
        site=sp.site,
        period=sp.period,
        stat=metric.stat or "mean",
    )


def meter_month(
    deal: Deal,
    *,
    telemetry: Telemetry,
    windows: Sequence[Window],
    tickets: Sequence[Ticket] | None,
    month: str,
    engine: Engine,
    deliveries: Sequence[Delivery] | None = None,
    file_digests: Sequence[tuple[str, str]] = (),
) -> MeterReport:
    """Meter every site of ``deal`` over the local month ``month`` (``YYYY-MM``) or, for an SLA
    that settles per quarter, the local quarter (``YYYY-Qn``).

    ``tickets`` or ``deliveries`` ``None`` means the input was not given (``[]``: given, and
    empty). Raises ``ValueError`` for a metric copact does not compute and for on-time
    delivery without deliveries; ticket metrics without tickets have no value and are flagged
    for review."""
    sla = deal.sla
    if sla is None or not sla.sites:
        raise ValueError(f"{deal.id} has no sla section with sites to meter")
    for m in sla.metrics:
        if m.measure not in MEASURE_INPUTS:
            raise ValueError(f"{m.id}: copact meter does not compute {m.measure}")
        if MEASURE_INPUTS[m.measure] == "deliveries" and deliveries is None:
            raise ValueError(f"{m.id}: {m.measure} needs the deliveries; none were given")
    periods = [SitePeriod(s.id, local_period(s.timezone, month)) for s in sla.sites]
    quarter = periods[0].period.quarter
    if quarter and sla.period != "quarter":
        raise ValueError(f"the SLA of {deal.id} settles per month: meter a month, YYYY-MM")
    month = periods[0].period.month  # the label as written back: 2027-q1 is 2027-Q1
    tolerance_ms = (
        sla.gap_tolerance.seconds if sla.gap_tolerance else DEFAULT_GAP_TOLERANCE_S
    ) * 1000
    files = "|".join(f"{role}:{digest}" for role, digest in file_digests)
    measures = {m.measure for m in sla.metrics}
    load_inputs(engine, telemetry, windows, periods)

    by_measure: dict[str, dict[tuple[str, str], MetricResult]] = {}
    if measures & {"availability", "ride-through"}:
        from copact.metering import definitions

        lo = min(p.period.start_ms for p in periods)
        hi = max(p.period.end_ms for p in periods)
        rows = engine.query(
            definitions.availability_sql(
                signals=signals_present(engine), tolerance_ms=tolerance_ms, lo_ms=lo, hi_ms=hi
            )
        )
        by_measure["availability"] = availability(
            engine, periods, tolerance_ms=tolerance_ms, unknown=sla.unknown, rows=rows
        )
        by_measure["ride-through"] = ride_through(
            engine, periods, tolerance_ms=tolerance_ms, rows=rows
        )
    if "peak-demand" in measures:
        by_measure["peak-demand"] = peak_demand(engine, periods)
    if "monitoring-uptime" in measures:
        by_measure["monitoring-uptime"] = monitoring_uptime(engine, periods)
    if "fuel-efficiency" in measures:
        by_measure["fuel-efficiency"] = fuel_efficiency(engine, periods, tolerance_ms=tolerance_ms)
    if "battery-cycles" in measures:
        usable = {s.id: s.usable_kwh for s in sla.sites}
        by_measure["battery-cycles"] = battery_cycles(engine, periods, usable_kwh=usable)

    fee, notes = period_fee(sla, deal.money_currency, months=3 if quarter else 1)
    if sla.period == "quarter" and not quarter:
        notes.append("the SLA settles per quarter: this is one month of it, for review")
    shares = allocate(fee, [1] * len(periods))
    reports = []
    for sp, fee_share in zip(periods, shares, strict=True):
        results: dict[str, MetricResult] = {}
        for metric in sla.metrics:
            if metric.measure in ("time-to-repair", "response-time"):
                result = _ticket_result(tickets, metric, sp)
            elif metric.measure == "on-time-delivery":
                result = delivery_metric(
                    deliveries or (), metric=metric.id, site=sp.site, period=sp.period
                )
            else:
                result = replace(
                    by_measure[metric.measure][(sp.site, sp.period.month)], metric=metric.id
                )
            results[metric.id] = replace(
                result, inputs=_inputs_hash(files, sp.site, month, metric, sla)
            )
        site_notes = list(notes)
        for r in results.values():
            censored = r.details.get("censored")
            if isinstance(censored, int) and censored:
                site_notes.append(
                    f"{r.metric}: {censored} ticket(s) open at the end of the period "
                    "settle when restored"
                )
            note = r.details.get("note")
            if isinstance(note, str):
                site_notes.append(f"{r.metric}: {note}")
        repeated = telemetry.duplicates_of(sp.site)
        if repeated is not None and repeated.conflicting:
            site_notes.append(
                f"review: {repeated.conflicting:,} telemetry samples conflict (one signal and "
                f"instant, different values; first at {repeated.first_rows[0]}): their rows "
                "are left out"
            )
        avail = by_measure.get("availability", {}).get((sp.site, sp.period.month))
        settlement = settle_period(
            sla.metrics,
            {k: Measured(v.value, v.unit) for k, v in results.items() if "note" not in v.details},
            fee=fee_share,
            credit_cap=sla.credit_cap,
            unknown_s=avail.unknown_s if avail else Fraction(0),
            period_s=Fraction(sp.period.ms, 1000),
            notes=site_notes,
        )
        reports.append(SiteReport(sp.site, sp.period, results, settlement, repeated))
    return MeterReport(deal.id, month, engine.name, tuple(reports))


def report_to_json(report: MeterReport) -> dict[str, object]:
    """DESIGN §11 ``meter``: ``{"deal", "period", "sites": [{"site", "metrics", "settlement"}]}``.

    Each metric carries, besides its figures, the credit and bonus rates its tiers gave
    (``credit_rate``, ``bonus_rate``: fractions of the fee) and ``period_s``, the length of the
    site's local month in seconds (2,674,800 for a New York March). ``duplicates`` counts the
    site's samples read more than once: ``identical`` rows dropped, ``conflicting`` samples left
    out, and the ``first_rows`` (``file:line``) of the conflicts."""
    sites = []
    for s in report.sites:
        terms = {t.metric: t for t in s.settlement.terms}
        metrics = {}
        for metric_id, result in s.metrics.items():
            doc = result.to_json()
            doc.setdefault("period_s", s.period.ms // 1000)
            t = terms.get(metric_id)
            doc["credit_rate"] = float(t.credit) if t else 0.0
            doc["bonus_rate"] = float(t.bonus) if t else 0.0
            metrics[metric_id] = doc
        repeated = s.duplicates or Duplicates(s.site, 0, 0)
        sites.append(
            {
                "site": s.site,
                "metrics": metrics,
                "settlement": _settlement_json(s.settlement),
                "duplicates": repeated.to_json(),
            }
        )
    return {"deal": report.deal, "period": report.month, "sites": sites}


def _settlement_json(s: SlaSettlement) -> dict[str, object]:
    """DESIGN §11 ``meter`` settlement: ``fee``, ``credits``, ``bonuses`` and ``amount`` as
    decimal strings, and the ``flags`` for review."""
    return {
        "fee": f"{s.fee.amount:f}",
        "credits": f"{s.credits.amount:f}",
        "bonuses": f"{s.bonuses.amount:f}",
        "amount": f"{s.amount.amount:f}",
        "flags": list(s.flags),
    }
