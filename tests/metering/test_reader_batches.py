"""A telemetry file is checked a batch of rows at a time; nothing a user sees may depend on
where the batches fall: the rows kept, their local fields, every problem and its line."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.diagnostic import Diagnostic
from copact.metering import telemetry as telemetry_module
from copact.metering.periods import ZoneClock, local_fields
from copact.metering.telemetry import read_telemetry

SITES = {"dc1": "America/New_York", "ams": "Europe/Amsterdam", "kol": "Asia/Kolkata"}

# one line of each kind the reader must tell apart, good ones first
LINES = {
    "good": "dc1,2027-03-14T06:59:00Z,supply_ok,1",
    "good_fall": "ams,2027-10-31T00:30:00Z,capability,0.5",
    "good_half_hour": "kol,2027-03-31T18:29:00Z,load_kw,181.5",
    "no_site": ",2027-03-01T00:02:00-05:00,supply_ok,1",
    "naive": "dc1,2027-03-14T02:30:00,supply_ok,1",
    "not_instant": "dc1,yesterday,supply_ok,1",
    "no_signal": "dc1,2027-03-01T00:03:00Z,,1",
    "not_number": "dc1,2027-03-01T00:03:00Z,supply_ok,x",
    "out_of_range": "dc1,2027-03-01T00:04:00Z,capability,1.5",
    "unknown_signal": "dc1,2027-03-01T00:05:00Z,temperature,21",
    "unknown_site": "dc9,2027-03-01T00:07:00Z,supply_ok,1",
    "five_fields": "dc1,2027-03-01T00:01:00-05:00,supply_ok,1,extra",
}


def _said(problems: list[Diagnostic]) -> list[tuple[str, str, int | None, int | None, str]]:
    return [(p.code, p.severity.value, p.line, p.column, p.message) for p in problems]


def _read(path: Path, batch_rows: int) -> tuple[list[dict[str, object]], list[tuple]]:
    telemetry, problems = read_telemetry([path], SITES, batch_rows=batch_rows)
    return telemetry.table.to_pylist(), _said(problems)


@settings(max_examples=40, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(sorted(LINES)), min_size=1, max_size=40),
    batch_rows=st.integers(min_value=1, max_value=9),
)
def test_batches_do_not_change_the_rows_or_the_problems(kinds: list[str], batch_rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_text("site,ts,signal,value\n" + "".join(LINES[k] + "\n" for k in kinds))
        whole = _read(path, batch_rows=1 << 20)
        assert _read(path, batch_rows=batch_rows) == whole
    rows, problems = whole
    # a good line given twice is one sample read twice: kept once (M109)
    assert len(rows) == len({k for k in kinds if k.startswith("good")})
    errors = [p for p in problems if p[1] == "error"]
    assert len(errors) == sum(
        k not in ("unknown_signal", "unknown_site") and not k.startswith("good") for k in kinds
    )
    # each bad row is reported at its own line (the header is line 1)
    bad_lines = sorted(i + 2 for i, k in enumerate(kinds) if not k.startswith(("good", "unknown")))
    assert sorted(p[2] for p in errors) == bad_lines


def test_the_report_limit_counts_rows_across_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telemetry_module, "MAX_ROW_REPORTS", 3)
    path = tmp_path / "t.csv"
    path.write_text(
        "site,ts,signal,value\n"
        + "dc1,2027-03-01T00:00:00Z,supply_ok,1\n"
        + "dc1,2027-03-01T00:01:00Z,supply_ok,x\n" * 10
    )
    _, problems = read_telemetry([path], SITES, batch_rows=4)
    assert [(p.code, p.line) for p in problems] == [
        ("M103", 3),
        ("M103", 4),
        ("M103", 5),
        ("M103", 6),
    ]
    assert problems[-1].message == "7 more rows like this one (not listed)"


def test_unknown_names_are_counted_once_over_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "site,ts,signal,value\n"
        + "dc1,2027-03-01T00:05:00Z,temperature,21\n" * 5
        + "dc9,2027-03-01T00:07:00Z,supply_ok,1\n" * 4
    )
    _, problems = read_telemetry([path], SITES, batch_rows=2)
    assert [(p.code, p.line, p.message) for p in problems] == [
        ("M106", 2, "unknown signal 'temperature': its 5 row(s) are ignored"),
        ("M107", 7, "unknown site 'dc9': its 4 row(s) are ignored"),
    ]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(
        ["America/New_York", "Europe/Amsterdam", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
    ),
    instants=st.lists(
        st.integers(min_value=1_577_836_800_000, max_value=1_893_456_000_000),  # 2020..2030
        min_size=1,
        max_size=60,
    ),
    cuts=st.lists(st.integers(min_value=1, max_value=59), max_size=4),
)
def test_a_zone_clock_asked_batch_by_batch_gives_each_instant_its_local_date(
    zone: str, instants: list[int], cuts: list[int]
) -> None:
    t = np.array(instants, dtype=np.int64)
    clock = ZoneClock(zone)
    edges = [0, *sorted(c for c in cuts if c < len(t)), len(t)]
    parts = [clock.fields(t[a:b]) for a, b in pairwise(edges)]
    whole = local_fields(zone, t)
    assert np.concatenate([p.day for p in parts]).tolist() == whole.day.tolist()
    assert np.concatenate([p.month for p in parts]).tolist() == whole.month.tolist()
    assert np.concatenate([p.block for p in parts]).tolist() == whole.block.tolist()
    tz = ZoneInfo(zone)
    for i, ms in enumerate(instants):
        local = datetime.fromtimestamp(ms / 1000, UTC).astimezone(tz)
        assert whole.day[i] == (local.date() - datetime(1970, 1, 1).date()).days
        assert whole.month[i] == local.year * 100 + local.month
        start = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
        # the block starts at the local quarter hour, one wall-clock pass at a time
        assert whole.block[i] == int(
            (start.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1)
        )
