"""Metering a period of an SLA deal as a use case (DESIGN §6): the inputs read and checked, the
metrics run on an engine, the settlement of each site returned. ``copact meter``, the API and
the meter page all call :func:`meter_period`; each only renders what it returns.

Every metric the deal's SLA names is computed from an input (telemetry, tickets or deliveries,
:data:`~copact.metering.meter.MEASURE_INPUTS`); a request without the telemetry or the
deliveries a metric needs is refused before anything is read (:class:`InputNeeded`), so no
fee is ever settled as if the metric had no value. Tickets are the exception: a month without
faults has none, so without them a ticket metric has no value and the run is flagged for review.
An SLA with delivery metrics only needs no telemetry::

    request = MeterRequest(
        period="2026-10", deliveries=Path("examples/telemetry/tilburg-2026-10-deliveries.csv")
    )
    meter_period(seasonal_packaging, request)   # 38 of 40 on time: 95%, a 10% credit, 5,400.00

Nothing is recorded: a settlement goes into the journal by another use case::

    request = MeterRequest(
        telemetry=(Path("examples/telemetry/dc1-2027-03.parquet"),),
        period="2027-03",
        windows=Path("examples/telemetry/dc1-2027-03-windows.csv"),
        tickets=Path("examples/telemetry/dc1-2027-03-tickets.csv"),
    )
    check_request(request)              # options and paths, before the deal is even read
    result = meter_period(deal, request)
    result.report.sites[0].settlement.amount    # 3,800.00 USD: 5% availability credit on 4,000

An input given as bytes (:class:`~copact.services.inputs.InputFile`) settles the same as the
same bytes on disk: the digests, so the ``inputs`` hashes, are of the bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from copact.core.deal import Deal
from copact.core.diagnostic import Diagnostic, Severity
from copact.core.events import Event
from copact.core.mechanisms import Sla
from copact.metering.deliveries import DELIVERY_COLUMNS, Delivery, read_deliveries
from copact.metering.engines import ENGINES, make_engine, spark_missing
from copact.metering.meter import (
    DEFAULT_GAP_TOLERANCE_S,
    MEASURE_INPUTS,
    MeterReport,
    file_digest,
    meter_month,
    report_to_json,
)
from copact.metering.metrics import SitePeriod
from copact.metering.periods import local_period, parse_period
from copact.metering.telemetry import Telemetry, read_telemetry
from copact.metering.tickets import Ticket, read_tickets
from copact.metering.windows import Window, journal_windows, read_windows
from copact.services.inputs import (
    BadOption,
    MalformedInput,
    MissingTerms,
    Source,
    Spooled,
    relabel,
    relabelled,
    require_files,
    spooled,
)

if TYPE_CHECKING:
    from copact.services.workspace import Workspace

__all__ = [
    "PLOT_SUFFIXES",
    "InputNeeded",
    "MeterRequest",
    "MeterResult",
    "check_deal",
    "check_request",
    "meter_period",
]

PLOT_SUFFIXES = (".png", ".svg", ".pdf")

_WHAT = {
    "telemetry": "CSV or Parquet of site,ts,signal,value",
    "deliveries": f"a CSV of {','.join(DELIVERY_COLUMNS)}",
}
"""What each input a request must give is, as the refusal says it."""


class InputNeeded(BadOption):
    """A metric of the deal's SLA is computed from an input the request does not give (the
    deliveries of on-time delivery, the telemetry of availability): refused before anything is
    read, so nothing is settled as if the metric had no value. ``needs`` holds (metric,
    measure, input) of each such metric; ``option`` is the first one's input::

        on-time: on-time-delivery needs --deliveries (a CSV of site,id,due,delivered);
        nothing was settled
    """

    def __init__(self, needs: Sequence[tuple[str, str, str]]) -> None:
        parts, values = [], {}
        for i, (metric, measure, role) in enumerate(needs):
            parts.append(f"{{m{i}}}: {{x{i}}} needs {{{role}}} ({{w{i}}})")
            values.update({f"m{i}": metric, f"x{i}": measure, f"w{i}": _WHAT[role]})
        super().__init__(needs[0][2], "; ".join(parts) + "; nothing was settled", **values)
        self.needs = tuple(needs)


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterRequest:
    """What to meter: telemetry (one file or several; none for an SLA that needs none), the
    local month ``YYYY-MM`` (or quarter ``YYYY-Qn`` for an SLA that settles per quarter),
    maintenance windows, tickets and deliveries, where the metrics run, and where to draw each
    site's state timeline."""

    telemetry: tuple[Source, ...] = ()
    period: str
    windows: Source | None = None
    tickets: Source | None = None
    deliveries: Source | None = None
    engine: str = "duckdb"
    plot: Path | None = None


@dataclass(frozen=True, slots=True)
class MeterResult:
    """The period metered: per site its metrics and settlement (:attr:`report`), the warnings
    of the inputs (unknown signals, repeated samples; errors refuse, see
    :class:`~copact.services.inputs.MalformedInput`) and the digest of each input."""

    report: MeterReport
    currency: str
    warnings: tuple[Diagnostic, ...]
    inputs: tuple[tuple[str, str], ...]
    """(role, SHA-256) of each input in the order hashed: ``telemetry`` per file, then
    ``windows``, ``tickets``, ``deliveries`` and ``journal-windows`` when given."""

    @property
    def inputs_hash(self) -> str:
        """One hash of all the inputs: equal inputs, equal hash, however they were given."""
        text = "|".join(f"{role}:{digest}" for role, digest in self.inputs)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    def to_json(self) -> dict[str, object]:
        """DESIGN §11 ``meter``: exactly what ``copact meter --format json`` prints."""
        return report_to_json(self.report)


def _months(period: str) -> int:
    """How many months ``period`` spans (1 or 3), or :class:`BadOption`."""
    try:
        return parse_period(period)[2]
    except ValueError as exc:
        raise BadOption("period", "{period}: {why}", why=str(exc)) from None


def check_request(request: MeterRequest) -> None:
    """Refuse an option that cannot run or an input path that is not there
    (:class:`~copact.services.inputs.BadOption`), in the order ``copact meter`` names them."""
    if request.engine not in ENGINES:
        raise BadOption(
            "engine",
            "{engine} must be one of {engines}, got {given}",
            engines=", ".join(ENGINES),
            given=repr(request.engine),
        )
    _months(request.period)
    require_files(request.telemetry, "telemetry")
    for role in ("windows", "tickets", "deliveries"):
        source = getattr(request, role)
        require_files([source] if source is not None else [], role)
    plot = request.plot
    if plot is not None and plot.suffix.lower() not in PLOT_SUFFIXES:
        raise BadOption(
            "plot",
            "{plot}: write the timeline to a .png, .svg or .pdf file, not {name}",
            name=repr(plot.name),
        )
    if request.engine == "spark" and (reason := spark_missing()) is not None:
        raise BadOption("engine", "{engine} spark: {why}", why=reason)


def check_deal(deal: Deal, request: MeterRequest) -> Sla:
    """The deal's SLA, when ``request`` can settle its ``period``: refused for a deal without
    an ``sla`` with sites or with a metric copact does not compute
    (:class:`~copact.services.inputs.MissingTerms`), for a quarter when the SLA settles per
    month (:class:`~copact.services.inputs.BadOption`) and when a metric's telemetry or
    deliveries are not given (:class:`InputNeeded`)."""
    sla = deal.sla
    if sla is None or not sla.sites:
        raise MissingTerms(deal.id, "the deal has no sla section with sites to meter")
    for metric in sla.metrics:
        if metric.measure not in MEASURE_INPUTS:
            raise MissingTerms(
                deal.id,
                f"{metric.id}: copact meter does not compute {metric.measure}; nothing was settled",
            )
    if _months(request.period) == 3 and sla.period != "quarter":
        raise BadOption(
            "period",
            "{period} {given}: the deal's SLA settles per month; give a month, YYYY-MM",
            given=request.period,
        )
    given = {"telemetry": bool(request.telemetry), "deliveries": request.deliveries is not None}
    needs: dict[str, tuple[str, str, str]] = {}
    for metric in sla.metrics:
        role = MEASURE_INPUTS[metric.measure]
        if not given.get(role, True):
            needs.setdefault(role, (metric.id, metric.measure, role))
    if needs:
        raise InputNeeded(list(needs.values()))
    return sla


def _windows_of(workspace: Workspace, deal_id: str) -> tuple[list[Window], str]:
    """The windows the deal's journal records, and their digest; a workspace that does not
    hold the deal is refused (:class:`~copact.services.workspace.WorkspaceError`)."""
    workspace.deal_text(deal_id)
    return journal_windows(workspace.events(deal_id))


def _telemetry(
    files: Sequence[Spooled], sites: dict[str, str], on_step: Callable[[str], None]
) -> tuple[Telemetry, list[Diagnostic]]:
    names = {f.path: f.name for f in files}
    data, problems = read_telemetry(
        [f.path for f in files], sites, on_file=lambda p: on_step(f"reading {Path(names[p]).name}")
    )
    if all(f.name == str(f.path) for f in files):
        return data, problems
    text = relabel(files)
    duplicates = tuple(
        replace(d, first_rows=tuple(text(r) for r in d.first_rows)) for d in data.duplicates
    )
    data = replace(data, files=tuple(f.name for f in files), duplicates=duplicates)
    return data, relabelled(problems, files)


def meter_period(
    deal: Deal,
    request: MeterRequest,
    *,
    workspace: Workspace | None = None,
    journal: Sequence[Event] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> MeterResult:
    """Meter every site of ``deal`` over ``request.period`` and settle its fee.

    With ``workspace``, the maintenance windows its journal records for the deal count too
    (``copact window``), besides ``request.windows``; ``journal`` gives those events instead
    (the journal as it stood when a period was settled, to meter it again). ``on_step`` hears
    of each step as it starts (``reading dc1.csv``, ``hashing inputs``, ``metering on
    duckdb``, ``drawing``).

    Raises :class:`~copact.services.inputs.BadOption` for an option that cannot run (its
    :class:`InputNeeded` for a metric whose telemetry or deliveries are not given),
    :class:`~copact.services.inputs.MissingTerms` for a deal without an ``sla`` with sites,
    :class:`~copact.services.inputs.MalformedInput` when a row of an input is wrong (nothing
    is settled then), and ``WorkspaceError`` when ``workspace`` does not hold the deal."""
    step = on_step or (lambda _: None)
    check_request(request)
    sla = check_deal(deal, request)
    sites = {s.id: s.timezone for s in sla.sites}
    # the journal's windows first: a workspace that does not hold the deal is refused before
    # any telemetry is read
    recorded: list[Window] = []
    journal_digest = None
    if journal is not None:
        recorded, journal_digest = journal_windows(journal)
    elif workspace is not None:
        recorded, journal_digest = _windows_of(workspace, deal.id)

    with ExitStack() as stack:
        telemetry = stack.enter_context(spooled(request.telemetry, "telemetry"))
        windows = stack.enter_context(
            spooled([request.windows] if request.windows is not None else [], "windows")
        )
        tickets = stack.enter_context(
            spooled([request.tickets] if request.tickets is not None else [], "tickets")
        )
        deliveries = stack.enter_context(
            spooled([request.deliveries] if request.deliveries is not None else [], "deliveries")
        )
        data, problems = _telemetry(telemetry, sites, step)
        window_list: list[Window] = []
        ticket_list: list[Ticket] | None = None
        delivery_list: list[Delivery] | None = None
        for f in windows:
            window_list, found = read_windows(f.path, sites)
            problems.extend(relabelled(found, windows))
        for f in tickets:
            ticket_list, found = read_tickets(f.path, sites)
            problems.extend(relabelled(found, tickets))
        for f in deliveries:
            delivery_list, found = read_deliveries(f.path, sites)
            problems.extend(relabelled(found, deliveries))
        window_list.extend(recorded)
        errors = sum(1 for d in problems if d.severity is Severity.ERROR)
        if errors:
            raise MalformedInput(
                f"{errors:,} malformed row(s) in the inputs; nothing was settled", problems
            )
        step("hashing inputs")
        digests = [("telemetry", file_digest(f.path)) for f in telemetry]
        digests += [("windows", file_digest(f.path)) for f in windows]
        digests += [("tickets", file_digest(f.path)) for f in tickets]
        digests += [("deliveries", file_digest(f.path)) for f in deliveries]
        if journal_digest is not None:
            digests.append(("journal-windows", journal_digest))
        step(f"metering on {request.engine}")
        runner = make_engine(request.engine)
        stack.callback(runner.close)
        report = meter_month(
            deal,
            telemetry=data,
            windows=window_list,
            tickets=ticket_list,
            deliveries=delivery_list,
            month=request.period,
            engine=runner,
            file_digests=digests,
        )
        if request.plot is not None:
            from copact.metering.plot import draw_timeline

            step("drawing")
            tolerance = sla.gap_tolerance
            draw_timeline(
                runner,
                [SitePeriod(s.id, local_period(s.timezone, request.period)) for s in sla.sites],
                tolerance_ms=(tolerance.seconds if tolerance else DEFAULT_GAP_TOLERANCE_S) * 1000,
                path=request.plot,
            )
    return MeterResult(report, deal.currency, tuple(problems), tuple(digests))
