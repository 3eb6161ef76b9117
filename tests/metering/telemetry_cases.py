"""Helpers for the metering tests: telemetry written as the files a user would give copact."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from copact.core.deal import Deal
from copact.metering.engines import DuckDBEngine, Engine
from copact.metering.meter import MeterReport, meter_month
from copact.metering.telemetry import read_telemetry
from copact.metering.tickets import read_tickets
from copact.metering.windows import read_windows
from tests.conftest import load_example

Row = tuple[str, str, str, Any]


def hybrid(**sla: Any) -> Deal:
    """examples/hybrid-dc1.yaml (site dc1 in New York, gap tolerance 5m, unknown: down, fee
    4000 USD, availability credits 5% below 99.95% and 15% below 99.5%, bonus 2% at 99.99%,
    repair credit 5% above 4h, cap 25%), with some of its sla keys replaced."""
    deal = load_example("hybrid-dc1.yaml")
    assert deal.sla is not None
    return deal.model_copy(update={"sla": deal.sla.model_copy(update=sla)})


def every(
    start: str, end: str, *, signal: str, value: Any, minutes: int = 5, site: str = "dc1"
) -> list[Row]:
    """A sample of ``signal`` every ``minutes`` in ``[start, end)`` (ISO instants)."""
    t, stop = datetime.fromisoformat(start), datetime.fromisoformat(end)
    rows = []
    while t < stop:
        rows.append((site, t.isoformat(), signal, value))
        t += timedelta(minutes=minutes)
    return rows


def replace_between(rows: Sequence[Row], start: str, end: str, value: Any | None) -> list[Row]:
    """Rows with the samples in ``[start, end)`` set to ``value`` (or removed, for None)."""
    lo, hi = datetime.fromisoformat(start), datetime.fromisoformat(end)
    out: list[Row] = []
    for site, ts, signal, v in rows:
        inside = lo <= datetime.fromisoformat(ts) < hi
        if not inside:
            out.append((site, ts, signal, v))
        elif value is not None:
            out.append((site, ts, signal, value))
    return out


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def meter(
    tmp: Path,
    deal: Deal,
    rows: Sequence[Row],
    *,
    month: str = "2027-03",
    windows: Sequence[Sequence[str]] = (),
    tickets: Sequence[Sequence[str]] = (),
    engine: Engine | None = None,
) -> MeterReport:
    """Write the inputs as CSV files, read them back and meter ``month`` on DuckDB."""
    assert deal.sla is not None
    sites = {s.id: s.timezone for s in deal.sla.sites}
    tel = write_csv(tmp / "telemetry.csv", ["site", "ts", "signal", "value"], rows)
    win = write_csv(tmp / "windows.csv", ["site", "start", "end", "kind"], windows)
    tix = write_csv(
        tmp / "tickets.csv",
        ["site", "id", "fault_start", "alert", "ack", "restored", "hold_minutes"],
        tickets,
    )
    data, problems = read_telemetry([tel], sites)
    window_list, p2 = read_windows(win, sites)
    ticket_list, p3 = read_tickets(tix, sites)
    assert not problems + p2 + p3, problems + p2 + p3
    runner = engine or DuckDBEngine()
    return meter_month(
        deal,
        telemetry=data,
        windows=window_list,
        tickets=ticket_list,
        month=month,
        engine=runner,
    )


def demo_dc1_args(out: Path, *, start: str, days: int) -> list[str]:
    """``copact demo-data`` arguments for one site named dc1 (hybrid-dc1's), 5-minute samples,
    seed 3, with its windows and tickets, into ``out``."""
    return [
        "demo-data",
        str(out),
        "--site-prefix",
        "dc1",
        "--days",
        str(days),
        "--start",
        start,
        "--interval",
        "300",
        "--seed",
        "3",
    ]
