"""SLA: last month of site-1's managed service (UTC), metered from a telemetry export the test
writes, on the command line and on the web, and invoiced.

The export holds ``supply_ok`` every 5 minutes (the deal's gap tolerance, so nothing is unknown)
for the whole month, down twice: on the 3rd from 02:00 to 04:00 (switchgear service, a planned
window Acme's owner approves with ``copact window``: taken out of availability) and on the 10th
from 02:00 to 07:00 (a forced outage; its ticket is restored at 07:00, 5 h after the fault).
For a month of d days (d × 86,400 s), with the planned 7,200 s taken out::

    availability = (d × 86,400 − 7,200 − 18,000) / (d × 86,400 − 7,200)
                 = 2,566,800 / 2,584,800 = 99.30% for 30 days (99.25% … 99.33% for 28 … 31):
                 below 99.5%, a 15% credit (the tiers are not cumulative: 15%, not 5% + 15%)
    time-to-repair = 07:00 − 02:00 = 300 min, above 4 h: a 5% credit
    credits = 20% of the 2,000.00 fee = 400.00 (within the 25% cap, 500.00)
    invoice = 2,000.00 − 400.00 + 0.00 bonuses = 1,600.00 + 19% VAT 304.00 = 1,904.00

Over the API Acme's owner meters the month first (nothing recorded: the same figures, the
journal's window included); on the command line VoltWorks' account lead meters it with
``--record`` (no flag, so no review is needed); VoltWorks' billing clerk invoices it over the
API. At the exit the settlement counts it as earned beside the two milestones the milestones
lifecycle invoiced: 70,000.00 + 19% VAT = 83,300.00, + 1,904.00 = 85,204.00.

The starter's SLA runs from 2026-11-01 and a period is settled only once it has ended, so on
2026-12-04 last month is the only one there is: the test meters one period (two once today is
past January 2027, but a test cannot wait for that)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.lifecycles.common import DEAL, Run, month

FEE = Decimal("2000.00")
PLANNED = (2, 7_200)  # the 3rd from 02:00, for 2 h: approved maintenance
FORCED = (9, 18_000)  # the 10th from 02:00, for 5 h: the outage of ticket t-1


def _days(period: str) -> tuple[datetime, datetime]:
    """The first instant of ``period`` (UTC, site-1's zone) and the first after it."""
    first = date.fromisoformat(f"{period}-01")
    after = (first + timedelta(days=31)).replace(day=1)
    return (
        datetime(first.year, first.month, 1, tzinfo=UTC),
        datetime(after.year, after.month, 1, tzinfo=UTC),
    )


def _down(start: datetime, outage: tuple[int, int]) -> tuple[datetime, datetime]:
    begins = start + timedelta(days=outage[0], hours=2)
    return begins, begins + timedelta(seconds=outage[1])


def _telemetry(run: Run, period: str) -> Path:
    """supply_ok every 5 minutes of ``period``, 0 during the two outages, as Parquet (a CSV of
    a month of 5-minute samples would not fit the web app's 256 KiB upload limit)."""
    start, end = _days(period)
    outages = [_down(start, PLANNED), _down(start, FORCED)]
    instants, values = [], []
    t = start
    while t < end:
        instants.append(t)
        values.append(0.0 if any(a <= t < b for a, b in outages) else 1.0)
        t += timedelta(minutes=5)
    table = pa.table(
        {
            "site": ["site-1"] * len(values),
            "ts": pa.array(instants, type=pa.timestamp("ms", tz="UTC")),
            "signal": ["supply_ok"] * len(values),
            "value": values,
        }
    )
    path = run.tmp / f"site-1-{period}.parquet"
    pq.write_table(table, path)
    return path


def _tickets(run: Run, period: str) -> Path:
    fault, restored = _down(_days(period)[0], FORCED)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    alert, ack = fault + timedelta(minutes=2), fault + timedelta(minutes=10)
    path = run.tmp / f"tickets-{period}.csv"
    path.write_text(
        "site,id,fault_start,alert,ack,restored,hold_minutes\n"
        f"site-1,t-1,{fault:{stamp}},{alert:{stamp}},{ack:{stamp}},{restored:{stamp}},0\n"
    )
    return path


def _deal_file(run: Run) -> Path:
    """The deal file as the workspace holds it (`copact meter` reads a file)."""
    path = run.tmp / "sla-deal.yaml"
    path.write_text(run.cli("deal", "show", DEAL, "--version", "1"))
    return path


def lifecycle(run: Run) -> None:
    period = month(-1)
    start, end = _days(period)
    seconds = int((end - start).total_seconds())
    telemetry, tickets = _telemetry(run, period), _tickets(run, period)
    planned = _down(start, PLANNED)
    approved = run.cli(
        "window", DEAL, "site-1", "--start", planned[0].isoformat(),
        "--end", planned[1].isoformat(), "--by", "owner", "--note", "switchgear service",
    )  # fmt: skip
    assert "planned window of site-1" in approved and "approved by owner" in approved

    # the web: Acme's owner meters the month from the same files; nothing is recorded
    files = [
        ("telemetry", (telemetry.name, telemetry.read_bytes(), "application/octet-stream")),
        ("tickets", (tickets.name, tickets.read_bytes(), "text/csv")),
    ]
    metered = run.post("acme", "meter", "sla-preview", files=files, data={"period": period})
    (site,) = metered["sites"]
    availability, repair = site["metrics"]["availability"], site["metrics"]["repair"]
    assert (availability["planned_s"], availability["forced_s"]) == (7_200, 18_000)
    assert availability["numerator"] == seconds - 7_200 - 18_000
    assert availability["denominator"] == seconds - 7_200
    assert availability["unknown_s"] == 0 and availability["credit_rate"] == 0.15
    assert (repair["value"], repair["credit_rate"]) == (18_000, 0.05)
    assert site["settlement"] == {
        "fee": "2000.00", "credits": "400.00", "bonuses": "0.00", "amount": "1600.00",
        "flags": [],
    }  # fmt: skip

    # the command line: VoltWorks' account lead meters it again and records the settlement
    deal_file = str(_deal_file(run))
    meter = ["meter", deal_file, "-t", str(telemetry), "--tickets", str(tickets)]
    printed = json.loads(run.cli(*meter, "--period", period, "-f", "json"))
    assert printed["sites"][0]["settlement"] == site["settlement"]
    recorded = run.cli(*meter, "--period", period, "--record", "--by", "account-lead")
    assert "fee 2,000.00 − credits 400.00 + bonuses 0.00 = 1,600.00 EUR" in recorded
    assert f"service period {period} settled by account-lead: 1,600.00 to bill" in recorded

    # the web: VoltWorks' billing clerk invoices it
    billed = run.post("billing", f"service-periods/{period}/invoice", "sla-bill", json={})
    assert [e["type"] for e in billed["events"]] == ["invoice"]
    (invoice,) = [i for i in run.invoices() if i["lines"][0]["for"].startswith("sla:")]
    assert [(ln["for"], Decimal(ln["amount"])) for ln in invoice["lines"]] == [
        (f"sla:{period}:site-1", FEE - Decimal("400.00"))
    ]
    assert Decimal(invoice["total"]) == Decimal("1904.00")
    assert Decimal("1904.00") in run.totals()


def settled(run: Run, settlement: dict[str, str]) -> None:
    assert Decimal(settlement["earned"]) == Decimal("83300.00") + Decimal("1904.00")
