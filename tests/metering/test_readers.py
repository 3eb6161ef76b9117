"""Reading telemetry, windows and tickets: every malformed row is named by file and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from copact.core.diagnostic import Diagnostic, Severity
from copact.metering.periods import month_period
from copact.metering.telemetry import read_telemetry
from copact.metering.tickets import read_tickets
from copact.metering.windows import read_windows

SITES = {"dc1": "America/New_York"}


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def where(problems: list[Diagnostic]) -> list[tuple[int, int, str]]:
    return sorted((p.line, p.column, p.code) for p in problems)


def test_each_malformed_row_is_reported_with_its_line_and_the_good_rows_are_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "site,ts,signal,value\n"
        "dc1,2027-03-01T00:00:00-05:00,supply_ok,1\n"  # 2 fine
        "dc1,2027-03-01T00:01:00-05:00,supply_ok,1,extra\n"  # 3 five fields
        ",2027-03-01T00:02:00-05:00,supply_ok,1\n"  # 4 no site
        "dc1,2027-03-14T02:30:00,supply_ok,1\n"  # 5 naive: does not exist in New York
        "dc1,yesterday,supply_ok,1\n"  # 6 not an instant
        "dc1,2027-03-01T00:03:00Z,supply_ok,x\n"  # 7 not a number
        "dc1,2027-03-01T00:04:00Z,capability,1.5\n"  # 8 out of range
        "dc1,2027-03-01T00:05:00Z,temperature,21\n"  # 9 unknown signal (warning)
        "dc1,2027-03-01T00:06:00Z,temperature,22\n"  # 10 same signal: one warning
        "dc9,2027-03-01T00:07:00Z,supply_ok,1\n"  # 11 unknown site (warning)
        "dc1,2027-03-01T00:08:00.250+00:00,load_kw,180.5\n",  # 12 fine, milliseconds kept
        encoding="utf-8",
    )
    telemetry, problems = read_telemetry([path], SITES)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    warnings = [p for p in problems if p.severity is Severity.WARNING]
    assert where(errors) == [
        (3, 1, "M104"),
        (4, 1, "M104"),
        (5, 2, "M102"),
        (6, 2, "M101"),
        (7, 4, "M103"),
        (8, 4, "M105"),
    ]
    assert all(p.path == str(path) for p in problems)
    assert where(warnings) == [(9, 3, "M106"), (11, 1, "M107")]
    assert "2 row(s) are ignored" in next(w.message for w in warnings if w.code == "M106")
    assert telemetry.table.column("t").to_pylist() == [
        ms("2027-03-01T00:00:00-05:00"),
        ms("2027-03-01T00:08:00.250+00:00"),
    ]


def test_local_month_and_day_are_computed_once_at_ingest(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    # 03:30 UTC on 1 April is 23:30 on 31 March in New York (EDT, UTC−4)
    path.write_text("site,ts,signal,value\ndc1,2027-04-01T03:30:00Z,supply_ok,1\n")
    telemetry, _ = read_telemetry([path], SITES)
    row = telemetry.table.to_pylist()[0]
    assert row["month"] == 202703
    assert row["day"] == (datetime(2027, 3, 31) - datetime(1970, 1, 1)).days
    assert row["block"] == ms("2027-04-01T03:30:00Z")  # 23:30 local starts a block


def test_parquet_with_a_zoned_timestamp_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    instant = datetime(2027, 3, 1, 5, tzinfo=UTC)
    pq.write_table(
        pa.table(
            {
                "site": ["dc1", "dc1"],
                "ts": pa.array([instant, instant], pa.timestamp("us", tz="Europe/Paris")),
                "signal": ["supply_ok", "load_kw"],
                "value": [1.0, None],
            }
        ),
        path,
    )
    telemetry, problems = read_telemetry([path], SITES)
    assert where(problems) == [(2, 4, "M103")]  # row 2: a null value
    assert telemetry.table.column("t").to_pylist() == [ms("2027-03-01T05:00:00Z")]


def test_parquet_with_naive_timestamps_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(
        pa.table(
            {
                "site": ["dc1"],
                "ts": pa.array([datetime(2027, 3, 1)], pa.timestamp("ms")),
                "signal": ["supply_ok"],
                "value": [1.0],
            }
        ),
        path,
    )
    telemetry, problems = read_telemetry([path], SITES)
    assert [(p.code, p.line) for p in problems] == [("M102", 1)]
    assert telemetry.rows == 0


def test_a_csv_without_the_telemetry_columns_is_one_problem_at_line_1(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("site,time,signal,value\ndc1,2027-03-01T00:00:00Z,supply_ok,1\n")
    _, problems = read_telemetry([path], SITES)
    assert [(p.code, p.line) for p in problems] == [("M100", 1)]
    assert "'ts'" in problems[0].message


def test_window_rows_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text(
        "site,start,end,kind\n"
        "dc1,2027-03-10T02:00:00-05:00,2027-03-10T04:00:00-05:00,planned\n"
        "dc1,2027-03-10T04:00:00-05:00,2027-03-10T02:00:00-05:00,planned\n"  # 3 ends first
        "dc1,2027-03-10T02:00:00-05:00,2027-03-10T04:00:00-05:00,holiday\n"  # 4 kind
        "dc1,2027-03-10T02:00:00,2027-03-10T04:00:00-05:00,excluded\n"  # 5 naive start
        "dc7,2027-03-10T02:00:00-05:00,2027-03-10T04:00:00-05:00,planned\n"  # 6 unknown site
    )
    windows, problems = read_windows(path, SITES)
    assert where(problems) == [(3, 3, "M202"), (4, 4, "M203"), (5, 2, "M102"), (6, 1, "M107")]
    assert [(w.start_ms, w.end_ms, w.kind) for w in windows] == [
        (ms("2027-03-10T02:00:00-05:00"), ms("2027-03-10T04:00:00-05:00"), "planned")
    ]


def test_ticket_rows_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    t = "2027-03-10T10:00:00-05:00"
    later = "2027-03-10T11:00:00-05:00"
    path.write_text(
        "site,id,fault_start,alert,ack,restored,hold_minutes\n"
        f"dc1,T-1,{t},{t},{later},{later},15\n"  # 2 fine: 45 minutes to repair
        f"dc1,T-2,{later},{t},,{t},\n"  # 3 restored before the fault
        f"dc1,T-3,{t},{t},,{later},90\n"  # 4 on hold longer than the fault lasted
        f"dc1,T-1,{t},{t},,,\n"  # 5 T-1 again
        f"dc1,T-4,{t},{t},,,soon\n"  # 6 hold is not a number
        f"dc1,T-5,{t},{t},,,\n"  # 7 fine: open
    )
    tickets, problems = read_tickets(path, SITES)
    assert where(problems) == [(3, 6, "M301"), (4, 7, "M302"), (5, 2, "M303"), (6, 7, "M103")]
    assert [(k.id, k.repair_ms) for k in tickets] == [("T-1", 45 * 60_000), ("T-5", None)]


def test_periods_are_local_months_in_utc() -> None:
    assert month_period("America/New_York", "2027-03").ms == 743 * 3_600_000
    assert month_period("America/New_York", "2027-11").ms == 721 * 3_600_000
    assert month_period("Europe/Amsterdam", "2027-03").ms == 743 * 3_600_000
    assert month_period("UTC", "2027-02").ms == 28 * 24 * 3_600_000
    march = month_period("America/New_York", "2027-03")
    assert march.start_ms == ms("2027-03-01T05:00:00Z")
    assert march.end_ms == ms("2027-04-01T04:00:00Z")
