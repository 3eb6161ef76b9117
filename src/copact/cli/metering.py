"""copact meter and copact demo-data: telemetry, tickets and deliveries into SLA metrics and
settlements (DESIGN §6)."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from copact.cli.authoring import load_for_commands
from copact.cli.console import err, fail, now, out
from copact.cli.workspace import open_workspace
from copact.core.diagnostic import Diagnostic, Severity
from copact.errors import CopactError, NothingToDo, RefusedCommand
from copact.metering.demo import DemoSpec, write_demo
from copact.metering.engines import ENGINES
from copact.metering.meter import MeterReport
from copact.metering.results import MetricResult
from copact.services import operations as ops
from copact.services.inputs import BadOption, MalformedInput, MissingTerms
from copact.services.metering import (
    MeterRequest,
    MeterResult,
    check_deal,
    check_request,
    meter_period,
)
from copact.services.service_periods import keep_inputs, settlement_command
from copact.services.views import describe
from copact.services.workspace import Workspace, WorkspaceError

__all__ = ["register"]

LARGE_INPUT_BYTES = 50_000_000
"""Inputs above this size get a progress bar on stderr."""
MAX_PRINTED = 200


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class DataFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


def _report(problems: list[Diagnostic]) -> int:
    """Print problems as ``path:line:col: CODE message`` with a help line; count the errors."""
    console = err()
    ordered = sorted(problems, key=lambda d: (d.severity.rank, d.sort_key))
    for d in ordered[:MAX_PRINTED]:
        label = "error" if d.severity is Severity.ERROR else d.severity.value
        console.print(f"{d.path}:{d.line}:{d.column}: {d.code} {label}: {d.message}", markup=False)
        console.print(f"  help: {d.hint}", markup=False)
    if len(ordered) > MAX_PRINTED:
        console.print(f"… and {len(ordered) - MAX_PRINTED:,} more problems", markup=False)
    return sum(1 for d in problems if d.severity is Severity.ERROR)


def _value(r: MetricResult) -> str:
    if r.value is None:
        return "n/a"
    if r.unit == "ratio":
        return f"{float(r.value):.4%}"
    if r.unit == "s":
        minutes = float(r.value) / 60
        return f"{minutes:,.1f} min ({r.stat or 'mean'})"
    return f"{float(r.value):,.2f} {r.unit}"


def _coverage(r: MetricResult) -> str:
    return "" if r.coverage is None else f"{float(r.coverage):.2%}"


def _print_report(report: MeterReport, currency: str) -> None:
    console = out()
    for site in report.sites:
        hours = Fraction(site.period.ms, 3_600_000)
        table = Table(
            title=f"{report.deal} · {site.site} · {report.month} "
            f"({site.period.timezone}, {float(hours):g} h)"
        )
        for column in ("metric", "measure", "value", "coverage", "unknown", "credit", "bonus"):
            table.add_column(column, justify="left" if column in ("metric", "measure") else "right")
        terms = {t.metric: t for t in site.settlement.terms}
        for metric_id, r in site.metrics.items():
            t = terms.get(metric_id)
            table.add_row(
                metric_id,
                r.measure,
                _value(r),
                _coverage(r),
                f"{float(r.unknown_s) / 60:,.0f} min" if r.unknown_s else "",
                f"{t.credit:.0%}" if t and t.credit else "",
                f"{t.bonus:.0%}" if t and t.bonus else "",
            )
        console.print(table)
        s = site.settlement
        console.print(
            f"  fee {s.fee.amount:,.2f} − credits {s.credits.amount:,.2f} "
            f"+ bonuses {s.bonuses.amount:,.2f} = [bold]{s.amount.amount:,.2f} {currency}[/]"
        )
        for metric_id, r in site.metrics.items():
            if r.measure == "on-time-delivery" and r.details.get("due"):
                d = r.details
                console.print(
                    f"  {metric_id}: {d['on_time']} of {d['due']} deliveries due on time "
                    f"({d['late']} late, {d['open']} open at the period's end)",
                    markup=False,
                )
        for flag in s.flags:
            console.print(f"  [yellow]![/] {flag}")
        repeated = site.duplicates
        if repeated is not None and repeated.identical:
            console.print(f"  {repeated.identical:,} repeated samples dropped (same value)")


def meter(
    deal_path: Annotated[Path, typer.Argument(metavar="DEAL", help="A deal file with an sla.")],
    period: Annotated[
        str,
        typer.Option(
            help="The local month to settle, YYYY-MM; a quarter, YYYY-Qn, when the SLA settles "
            "per quarter."
        ),
    ],
    telemetry: Annotated[
        list[Path] | None,
        typer.Option(
            "--telemetry",
            "-t",
            help="Telemetry CSV or Parquet (site, ts, signal, value); repeat for several files. "
            "Needed when a metric comes from telemetry.",
        ),
    ] = None,
    windows: Annotated[
        Path | None, typer.Option(help="Maintenance windows CSV: site,start,end,kind.")
    ] = None,
    tickets: Annotated[
        Path | None,
        typer.Option(help="Tickets CSV: site,id,fault_start,alert,ack,restored,hold_minutes."),
    ] = None,
    deliveries: Annotated[
        Path | None,
        typer.Option(
            help="Deliveries CSV: site,id,due,delivered (dates or instants with their offset; "
            "delivered empty while not delivered). Needed for on-time-delivery."
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option(help=f"Where the metrics run: {' or '.join(ENGINES)}.")
    ] = "duckdb",
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.text,
    plot: Annotated[
        Path | None, typer.Option(help="Draw each site's state timeline (.png, .svg, .pdf).")
    ] = None,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Also take the windows recorded in this workspace's journal for the deal "
            "(`copact window`).",
        ),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Record the settlement in the workspace's journal (with --workspace and "
            "--by): the period's figures, its flags, the hash of its inputs and the input "
            "files as its evidence. A period is settled once; then `copact "
            "issue-service-invoice DEAL PERIOD` bills it.",
        ),
    ] = False,
    by: Annotated[
        str | None, typer.Option("--by", help="With --record: the person recording it.")
    ] = None,
) -> None:
    """SLA metrics of a month (or quarter) per site and the settlement of the fee (DESIGN §6).

    Availability, ride-through, peak demand, monitoring uptime, battery cycles and fuel
    efficiency come from the telemetry; time-to-repair and response-time from the tickets;
    on-time-delivery from the deliveries (on time: delivered by its due instant, a due date
    meaning the end of that local day; counted in the period it is due in). A metric whose
    telemetry or deliveries are not given is refused and nothing is settled (exit 2). A
    malformed row in any input is reported with its file and line and nothing is settled
    (exit 1). Unknown signals and sites are ignored with a warning.

    A period flagged for review (telemetry unknown for more than 10% of it, conflicting
    samples, tickets not given) is printed in full (and recorded, with --record) but exits 1,
    with a line on stderr saying why: a person reviews it before it is invoiced.

    Example: `copact meter examples/hybrid-dc1.yaml --telemetry
    examples/telemetry/dc1-2027-03.parquet --windows examples/telemetry/dc1-2027-03-windows.csv
    --tickets examples/telemetry/dc1-2027-03-tickets.csv --period 2027-03`

    Example: `copact meter examples/seasonal-packaging.yaml --deliveries
    examples/telemetry/tilburg-2026-10-deliveries.csv --period 2026-10`

    Example: `copact meter examples/hybrid-dc1.yaml ... --period 2027-03 --record --by sam
    -w ws`, then `copact issue-service-invoice hybrid-dc1 2027-03 -w ws`
    """
    if record and (workspace is None or not by):
        fail("--record needs --workspace (the journal it goes into) and --by (who records it)")
    files = tuple(telemetry or ())
    request = MeterRequest(
        telemetry=files,
        period=period,
        windows=windows,
        tickets=tickets,
        deliveries=deliveries,
        engine=engine,
        plot=plot,
    )
    try:
        check_request(request)
        deal = load_for_commands(deal_path)
        check_deal(deal, request)
        # options, then the deal, then the workspace: each refused before the next is read
        ws = open_workspace(workspace) if workspace is not None else None
        size = sum(p.stat().st_size for p in files)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err(),
            transient=True,
            disable=size < LARGE_INPUT_BYTES,
        ) as progress:
            task = progress.add_task("reading telemetry", total=len(files) + 3)
            steps = iter(range(len(files) + 4))

            def on_step(description: str) -> None:
                progress.update(task, description=description, completed=next(steps, 0))

            result = meter_period(deal, request, workspace=ws, on_step=on_step)
    except BadOption as exc:
        fail(exc.said(lambda name: f"--{name}"))
    except MissingTerms as exc:
        fail(f"{deal_path}: {exc.reason}", 1)
    except MalformedInput as exc:
        _report(list(exc.problems))
        fail(exc.summary, 1)
    except WorkspaceError as exc:
        fail(f"--workspace {workspace}: {exc}")
    _report(list(result.warnings))
    if plot is not None:
        err().print(f"Wrote {plot}", markup=False)
    if record:
        assert ws is not None and by is not None
        _record(ws, deal.id, request, result, by)
    if format is OutputFormat.json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        _print_report(result.report, result.currency)
    _refuse_clean_exit(result.report)


def _refuse_clean_exit(report: MeterReport) -> None:
    """Exit 1 when the period is flagged for review, so a script cannot take it for a clean
    run: the report (and the journal entry, with --record) is written, and stderr says why."""
    reasons = report.review
    if reasons:
        fail(
            escape(f"{report.deal} {report.month} needs review before it is invoiced: ")
            + escape("; ".join(reasons)),
            1,
        )


def _record(
    ws: Workspace, deal_id: str, request: MeterRequest, result: MeterResult, by: str
) -> None:
    """Record the metered period in the journal (told on stderr, so --format json stays the
    report): refused (exit 1) when the guard refuses it, nothing to do when it is recorded."""
    try:
        kept = keep_inputs(ws, deal_id, request, by=by)
        command = settlement_command(deal_id, result, by=by, evidence=kept)
        outcome = ops.execute(command, uow=ws, clock=now)
    except NothingToDo as exc:
        err().print(f"{deal_id}: {exc}: nothing new was recorded", markup=False)
        return
    except RefusedCommand as exc:
        fail(f"{deal_id}: {exc}", 1)
    except CopactError as exc:
        fail(str(exc))
    for seq, event in zip(outcome.seqs, outcome.events, strict=True):
        err().print(f"✓ {describe(event)} (event {seq})", markup=False)


def demo_data(
    out_dir: Annotated[Path, typer.Argument(metavar="DIR", help="Where to write the files.")],
    sites: Annotated[int, typer.Option(min=1, help="Number of sites.")] = 1,
    days: Annotated[int, typer.Option(min=1, help="Days of telemetry.")] = 31,
    start: Annotated[str, typer.Option(help="First local day, YYYY-MM-DD.")] = "2027-03-01",
    interval: Annotated[int, typer.Option(min=1, help="Seconds between samples.")] = 60,
    timezone: Annotated[str, typer.Option(help="The sites' IANA zone.")] = "America/New_York",
    site_prefix: Annotated[
        str, typer.Option(help="Site ids: PREFIX-001…; with one site, just PREFIX.")
    ] = "site",
    signals: Annotated[
        str, typer.Option(help="Comma-separated signals to write.")
    ] = "supply_ok,capability,utility_ok,load_kw,heartbeat",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same files.")] = 7,
    format: Annotated[DataFormat, typer.Option("--format", "-f")] = DataFormat.parquet,
) -> None:
    """Write synthetic telemetry, maintenance windows and tickets for demos and benchmarks.

    Outages (mostly ridden through), a planned window a month that sometimes overruns,
    degraded hours, telemetry gaps and the daylight-saving change of the zone are all in.

    Example: `copact demo-data demo/ --sites 3 --days 61 --start 2027-02-01 --format csv`
    """
    try:
        first = date.fromisoformat(start)
    except ValueError:
        fail(f"--start must be a date YYYY-MM-DD, got {start!r}")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except (ValueError, KeyError, OSError):
        fail(f"--timezone: unknown IANA time zone {timezone!r}")
    spec = DemoSpec(
        sites=sites,
        start=first,
        days=days,
        interval_s=interval,
        timezone=timezone,
        seed=seed,
        signals=tuple(s.strip() for s in signals.split(",") if s.strip()),
        site_prefix=site_prefix,
    )
    with Progress(console=err(), transient=True, disable=sites * days < 2000) as progress:
        progress.add_task(f"writing {sites} site(s) × {days} days", total=None)
        files = write_demo(out_dir, spec, format=format.value)
    console = out()
    console.print(f"Wrote {files.rows:,} telemetry rows to {files.telemetry[0]}", markup=False)
    console.print(f"Wrote {files.windows} and {files.tickets}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("meter")(meter)
    app.command("demo-data")(demo_data)
