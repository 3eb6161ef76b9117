"""P601–P609: payment mechanisms that cannot be gamed, overrun or left without a measure."""

from __future__ import annotations

from collections.abc import Iterator

from copact.core.convertible import formula_ratio
from copact.core.deal import STRUCTURE_NEEDS, Deal, Structure
from copact.core.diagnostic import Severity
from copact.rules.registry import Finding, rule

MACHINE_SOURCES = frozenset({"telemetry", "tickets", "meter", "deliveries"})
"""Sources a program can read and recompute: telemetry exports, ticket logs, meter reads and
delivery-receipt logs."""


@rule(
    "P601",
    "metric-without-source",
    Severity.ERROR,
    "a payment depends on a metric with no machine-readable source",
    hint="set `source:` to telemetry, tickets, meter or deliveries",
)
def metric_without_source(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every SLA metric that carries credits or bonuses names a
    machine-readable `source` (`telemetry`, `tickets`, `meter`, `deliveries`), and a
    gainshare baseline names its data `sources`.

    **Why.** Money that moves on a number needs a number both sides can recompute from the
    same data. A metric read off a dashboard screenshot or a monthly opinion is a dispute in
    waiting.

    **Example.**

        metrics: [{id: availability, measure: availability, source: monthly-report,
                   credits: [{below: 99.9%, credit: 5%}]}]

    **Use instead.** `source: telemetry`, with the telemetry export as evidence.
    """
    if deal.sla:
        for i, metric in enumerate(deal.sla.metrics):
            if not (metric.credits or metric.bonuses):
                continue
            if metric.source is None:
                yield Finding(f"/sla/metrics/{i}", f"metric {metric.id} names no source")
            elif metric.source not in MACHINE_SOURCES:
                yield Finding(
                    f"/sla/metrics/{i}/source",
                    f"metric {metric.id} is read from '{metric.source}', which a program "
                    "cannot recompute",
                )
    gain = deal.gainshare
    if gain and gain.baseline and not gain.baseline.sources:
        yield Finding("/gainshare/baseline", "the gainshare baseline names no data sources")


@rule(
    "P602",
    "uncapped-credits",
    Severity.WARNING,
    "SLA credits uncapped, or a cap above 100% of the fee",
    hint="set `sla.credit-cap`, e.g. 25% of the period's fee",
)
def uncapped_credits(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** An SLA with credit tiers has a `credit-cap` of at most 100% of the
    period's fee.

    **Why.** Without a cap, one bad month can wipe out the fee and more, and the supplier
    prices that risk into every month. A cap keeps credits an incentive, not a penalty.

    **Example.**

        sla: {fee: {amount: 4000}, metrics: [{credits: [{below: 99.5%, credit: 15%}]}]}

    **Use instead.** `credit-cap: 25%`.
    """
    sla = deal.sla
    if sla is None or not any(m.credits for m in sla.metrics):
        return
    if sla.credit_cap is None:
        yield Finding("/sla", "SLA credits have no cap")
    elif sla.credit_cap.fraction > 1:
        yield Finding("/sla/credit-cap", f"the credit cap of {sla.credit_cap} exceeds the fee")


@rule(
    "P603",
    "gainshare-without-baseline",
    Severity.ERROR,
    "gainshare without a baseline period and its data sources",
    hint="add `baseline: {from, to, sources}` to the gainshare",
)
def gainshare_without_baseline(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `gainshare` has a `baseline` with a period (`from`, `to`) and the
    data `sources` it is computed from.

    **Why.** Savings are measured against what the system did before the project. Without a
    fixed period and data, the baseline is whatever the party that benefits says it was.

    **Example.**

        gainshare: {measure: fuel-litres, share: {voltworks: 30%}}

    **Use instead.** `baseline: {from: 2025-01-01, to: 2025-12-31, sources: [fuel-logs],
    locked: 2026-05-01, rebaseline: mutual}`.
    """
    gain = deal.gainshare
    if gain is None:
        return
    base = gain.baseline
    if base is None:
        yield Finding("/gainshare", "the gainshare has no baseline")
        return
    missing = [k for k, v in (("from", base.from_), ("to", base.to)) if v is None]
    if not base.sources:
        missing.append("sources")
    if missing:
        yield Finding("/gainshare/baseline", f"the baseline lacks {', '.join(missing)}")


@rule(
    "P604",
    "baseline-not-locked",
    Severity.WARNING,
    "baseline not locked, or re-baselining without mutual approval",
    hint="set `locked:` to the date it was frozen and `rebaseline: mutual`",
)
def baseline_not_locked(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The gainshare baseline has a `locked` date, the `hash` of the fit
    locked on it, and `rebaseline: mutual`.

    **Why.** A baseline that can still move changes every savings figure after the fact. It
    is locked by its hash on a date; re-baselining is a change order both sides approve.

    **Example.**

        baseline: {from: 2025-01-01, to: 2025-12-31, sources: [fuel-logs], rebaseline: supplier}

    **Use instead.** `locked: 2026-05-01, rebaseline: mutual`, and once both sides agree on
    the fit, the `hash:` that `copact baseline` prints, so a different fit is refused.
    """
    gain = deal.gainshare
    if gain is None or gain.baseline is None:
        return
    if gain.baseline.locked is None:
        yield Finding("/gainshare/baseline", "the baseline has no `locked` date")
    elif gain.baseline.hash is None:
        yield Finding(
            "/gainshare/baseline",
            f"the baseline is locked on {gain.baseline.locked} but names no `hash`: no month's "
            "savings can be settled until it does (record the hash `copact baseline` prints; "
            "once the deal binds, by a change order both sides approve)",
        )
    if gain.baseline.rebaseline != "mutual":
        where = (
            "/gainshare/baseline/rebaseline" if gain.baseline.rebaseline else "/gainshare/baseline"
        )
        yield Finding(where, "re-baselining does not need both sides' approval")


@rule(
    "P605",
    "gainshare-uncapped",
    Severity.WARNING,
    "gainshare without a cap",
    hint="set `gainshare.cap` per contract year",
)
def gainshare_uncapped(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `gainshare` has a yearly `cap`.

    **Why.** Savings can spike for reasons nobody engineered (a mild winter, fewer outages);
    a cap keeps the share proportionate and the buyer's budget predictable.

    **Example.**

        gainshare: {measure: fuel-litres, share: {voltworks: 30%}, price: 1.45}

    **Use instead.** `cap: 60000`.
    """
    if deal.gainshare is not None and deal.gainshare.cap is None:
        yield Finding("/gainshare", "the gainshare has no cap")


@rule(
    "P606",
    "cost-plus-uncapped",
    Severity.ERROR,
    "cost-plus without a budget cap or without prior approval of overruns",
    hint="set `cost-plus.cap` and `overruns: prior-written-approval`",
)
def cost_plus_uncapped(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `cost-plus` reimbursement has a budget `cap` and requires
    `overruns: prior-written-approval`.

    **Why.** Cost-plus pays whatever the work costs plus a markup: without a cap and an
    approval step, scope creep and bloated costs land on the buyer.

    **Example.**

        cost-plus: {markup: 10%, evidence: [receipts]}

    **Use instead.** `cost-plus: {cap: 80000, markup: 10%, overruns: prior-written-approval,
    evidence: [receipts]}`.
    """
    cp = deal.cost_plus
    if cp is None:
        return
    if cp.cap is None:
        yield Finding("/cost-plus", "cost-plus has no budget cap")
    if cp.overruns != "prior-written-approval":
        where = "/cost-plus/overruns" if cp.overruns else "/cost-plus"
        yield Finding(where, "overruns do not need prior written approval")


@rule(
    "P607",
    "volume-without-forecast",
    Severity.WARNING,
    "volume commitment without rolling forecast and true-up",
    hint="set `forecast: rolling-quarterly` and `true-up: annual`",
)
def volume_without_forecast(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `volume` commitment has a rolling `forecast` and a `true-up`.

    **Why.** A commitment sized on today's forecast will be wrong; rolling forecasts let the
    supplier plan capacity and a true-up settles the difference once a year instead of in a
    dispute.

    **Example.**

        volume: {commitment: 10000, unit: connector, per: year, price: 4.20}

    **Use instead.** Add `forecast: rolling-quarterly, true-up: annual`.
    """
    vol = deal.volume
    if vol is None:
        return
    if vol.forecast is None or not vol.forecast.startswith("rolling"):
        where = "/volume/forecast" if vol.forecast else "/volume"
        yield Finding(where, "the volume commitment has no rolling forecast")
    if vol.true_up in (None, "none"):
        where = "/volume/true-up" if vol.true_up else "/volume"
        yield Finding(where, "the volume commitment has no true-up")


@rule(
    "P608",
    "convertible-without-terms",
    Severity.ERROR,
    "convertible support without a conversion formula and exit windows",
    hint="set `formula` and the `windows` (dates) in which it converts",
)
def convertible_without_terms(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `convertible` support package states its conversion `formula`
    and the `windows` (dates) in which it converts.

    **Why.** Support that later turns into credits or equity is worth nothing until both
    sides agree how much it turns into and when; set it in advance or argue about the
    valuation later.

    **Example.**

        convertible: {amount: 100000, converts-to: service-credits}

    A formula the conversions cannot read (not `<credit> credit per <paid> paid`, or more than
    10 credit per 1.00 paid) is no formula either: it is reported on its line.

    **Use instead.** `formula: 1.15 credit per 1.00, windows: [2027-06-30, 2027-12-31]`.
    """
    conv = deal.convertible
    if conv is None:
        return
    if not conv.formula:
        yield Finding("/convertible", "the convertible support has no conversion formula")
    else:
        try:
            formula_ratio(conv.formula)
        except ValueError as exc:
            yield Finding("/convertible/formula", str(exc))
    if not conv.windows:
        yield Finding("/convertible", "the convertible support has no exit windows")


@rule(
    "P609",
    "structure-without-mechanism",
    Severity.ERROR,
    "a structure without the mechanism it needs",
    hint="add the section the structure implies, or pick the structure the deal really is",
)
def structure_without_mechanism(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The deal's `structure` has the mechanism it implies: a
    `sla-managed-service` an `sla`, a `gainshare` a `gainshare`, a `milestone-funding` its
    `milestones`, a `prepaid-development-fee` a `prepaid`…, and a `joint-development` its
    foreground IP terms.

    **Why.** The structure is the headline both sides agreed on; a deal called an SLA-managed
    service with no SLA bills a fee against nothing.

    **Example.**

        structure: sla-managed-service
        milestones: [...]            # but no sla section

    **Use instead.** Add the `sla:` section, or call the structure `milestone-funding`.
    """
    present = set(deal.mechanisms)
    for needed in STRUCTURE_NEEDS[deal.structure]:
        if not needed & present:
            names = " or ".join(f"`{n}`" for n in sorted(needed))
            yield Finding("/structure", f"a {deal.structure.value} deal needs {names}")
    if deal.structure is Structure.JOINT_DEVELOPMENT and not (deal.ip and deal.ip.foreground):
        yield Finding("/structure", "a joint-development deal needs `ip.foreground`")
