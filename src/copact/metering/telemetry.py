"""Telemetry files (DESIGN §6.1): long form ``site, ts, signal, value`` in CSV or Parquet.

Every malformed row comes back as a :class:`Diagnostic` with its file and row, and the rows
that are fine are kept; the caller decides that an error means nothing settles. Rows of a signal
copact does not know, or of a site the deal does not declare, are ignored with one warning per
name. The result is one Arrow table, UTC milliseconds plus the local fields computed once::

    site  t (ms, UTC)    signal     value  sid  day    month   block (UTC ms of the local 15 min)
    dc1   1803956400000  supply_ok  1.0    0    20879  202703  1803956400000
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from copact.core.diagnostic import Diagnostic, Severity
from copact.metering.instants import parse_instants, parse_numbers
from copact.metering.periods import local_fields

__all__ = [
    "COLUMNS",
    "MAX_ROW_REPORTS",
    "SCHEMA",
    "Signal",
    "Telemetry",
    "read_telemetry",
    "telemetry_from_table",
]

COLUMNS = ("site", "ts", "signal", "value")
MAX_ROW_REPORTS = 10_000
"""Rows reported one by one per file and problem; past that, one line counts the rest."""

SCHEMA = pa.schema(
    [
        ("site", pa.dictionary(pa.int32(), pa.string())),
        ("t", pa.int64()),
        ("signal", pa.dictionary(pa.int32(), pa.string())),
        ("value", pa.float64()),
        ("sid", pa.int32()),
        ("day", pa.int32()),
        ("month", pa.int32()),
        ("block", pa.int64()),
    ]
)


class Signal(StrEnum):
    SUPPLY_OK = "supply_ok"
    CAPABILITY = "capability"
    UTILITY_OK = "utility_ok"
    GEN_RUNNING = "gen_running"
    GEN_KW = "gen_kw"
    FUEL_L = "fuel_l"
    LOAD_KW = "load_kw"
    SOC_PCT = "soc_pct"
    BATT_DISCHARGE_KWH = "batt_discharge_kwh"
    HEARTBEAT = "heartbeat"


_BINARY = ("supply_ok", "utility_ok", "gen_running", "heartbeat")
_RANGES: dict[str, tuple[float, float]] = {
    "capability": (0.0, 1.0),
    "soc_pct": (0.0, 100.0),
    "fuel_l": (0.0, float("inf")),
    "batt_discharge_kwh": (0.0, float("inf")),
    "gen_kw": (0.0, float("inf")),
    "load_kw": (0.0, float("inf")),
}


@dataclass(frozen=True, slots=True)
class Telemetry:
    """The valid rows of one or more telemetry files, in :data:`SCHEMA`."""

    table: pa.Table
    files: tuple[str, ...]
    site_ids: tuple[str, ...] = ()
    """The deal's site ids, sorted: a row's ``sid`` is its site's index here."""

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)


def _problem(code: str, message: str, hint: str, path: str, line: int, column: int) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, hint, path=path, line=line, column=column)


class _Reporter:
    """Collects row problems of one file, one by one up to a limit, then as a count."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[Diagnostic] = []

    def rows(
        self,
        mask: npt.NDArray[np.bool_],
        lines: npt.NDArray[np.int64],
        *,
        code: str,
        column: int,
        message: Callable[[int], str],
        hint: str,
    ) -> None:
        where = np.flatnonzero(mask)
        for i in where[:MAX_ROW_REPORTS]:
            self.found.append(
                _problem(code, message(int(i)), hint, self.path, int(lines[i]), column)
            )
        if len(where) > MAX_ROW_REPORTS:
            rest = len(where) - MAX_ROW_REPORTS
            self.found.append(
                _problem(
                    code,
                    f"{rest:,} more rows like this one (not listed)",
                    hint,
                    self.path,
                    int(lines[where[MAX_ROW_REPORTS]]),
                    column,
                )
            )


def _read_csv(path: Path, report: _Reporter) -> tuple[pa.Table, npt.NDArray[np.int64]] | None:
    """All four columns as text, and the file line of each row (header is line 1)."""
    skipped: list[tuple[int, int]] = []

    def invalid(row: pa_csv.InvalidRow) -> str:
        skipped.append((row.number if row.number is not None else -1, row.actual_columns))
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(use_threads=threads, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=invalid),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(COLUMNS, pa.string()),
                include_columns=list(COLUMNS),
                strings_can_be_null=False,
            ),
        )

    try:
        table = read(threads=True)
        if any(number < 0 for number, _ in skipped):
            skipped.clear()
            table = read(threads=False)  # row numbers are only known reading in one thread
    except (pa.ArrowInvalid, pa.ArrowKeyError, OSError) as exc:
        text = str(exc) or type(exc).__name__
        missing = [c for c in COLUMNS if f"'{c}'" in text or f'"{c}"' in text]
        message = (
            f"missing column {missing[0]!r}: telemetry needs columns site, ts, signal, value"
            if missing
            else f"not a readable CSV file: {text.splitlines()[0]}"
        )
        report.found.append(
            _problem("M100", message, "write a header line site,ts,signal,value", report.path, 1, 1)
        )
        return None
    for number, actual in skipped:
        report.found.append(
            _problem(
                "M104",
                f"row has {actual} fields, expected 4 (site, ts, signal, value)",
                "each line is site,ts,signal,value; quote a field that holds a comma",
                report.path,
                number,
                1,
            )
        )
    n = table.num_rows
    bad_lines = np.array(sorted(number for number, _ in skipped), dtype=np.int64)
    if len(bad_lines) == 0:
        lines = np.arange(2, n + 2, dtype=np.int64)
    else:
        lines = np.setdiff1d(np.arange(2, n + len(bad_lines) + 2, dtype=np.int64), bad_lines)[:n]
    return table, lines


def _read_parquet(path: Path, report: _Reporter) -> tuple[pa.Table, npt.NDArray[np.int64]] | None:
    try:
        table = pq.read_table(path, columns=list(COLUMNS), read_dictionary=["site", "signal"])
    except (pa.ArrowInvalid, OSError, KeyError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        report.found.append(
            _problem(
                "M100",
                f"not a readable telemetry Parquet file: {message}",
                "telemetry Parquet needs columns site, ts (timestamp with time zone), "
                "signal, value",
                report.path,
                1,
                1,
            )
        )
        return None
    ts_type = table.schema.field("ts").type
    if pa.types.is_timestamp(ts_type) and ts_type.tz is None:
        report.found.append(
            _problem(
                "M102",
                "column ts is a timestamp without a time zone",
                "write ts as a timestamp with time zone (UTC), so every instant is unambiguous",
                report.path,
                1,
                2,
            )
        )
        return None
    return table, np.arange(1, table.num_rows + 1, dtype=np.int64)


def _codes(column: pa.ChunkedArray) -> tuple[npt.NDArray[np.int32], list[str]]:
    """Dictionary codes of a text column and its names; null and blank rows get code -1.

    Per-row checks then index small per-name tables instead of comparing every string."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(pc.cast(column, pa.string()))
    column = column.unify_dictionaries() if isinstance(column, pa.ChunkedArray) else column
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not chunks:
        return np.zeros(0, dtype=np.int32), []
    names = [str(x) if x is not None else "" for x in chunks[0].dictionary.to_pylist()]
    parts = [
        pc.fill_null(pc.cast(c.indices, pa.int32()), -1).to_numpy(zero_copy_only=False)
        for c in chunks
    ]
    codes = np.concatenate(parts).astype(np.int32, copy=False)
    blank = np.array([not n.strip() for n in names] + [True], dtype=bool)
    codes = np.where(blank[codes], np.int32(-1), codes)
    return codes, names


def _table_of(
    names: list[str], values: dict[str, float], default: float
) -> npt.NDArray[np.float64]:
    """A per-name lookup table, with one extra slot at the end for code -1."""
    return np.array([values.get(n, default) for n in names] + [default], dtype=np.float64)


def _file_rows(
    path: Path,
    sites: Mapping[str, str],
    report: _Reporter,
    warnings: list[Diagnostic],
) -> pa.Table | None:
    name = str(path)
    parquet = path.suffix.lower() in (".parquet", ".pq")
    read = _read_parquet(path, report) if parquet else _read_csv(path, report)
    if read is None:
        return None
    table, lines = read
    n = table.num_rows
    site_codes, site_names = _codes(table.column("site"))
    signal_codes, signal_names = _codes(table.column("signal"))
    ts = table.column("ts")
    if pa.types.is_timestamp(ts.type):
        ms = pc.cast(pc.cast(ts, pa.timestamp("ms", tz="UTC"), safe=False), pa.int64())
        bad_ts = pc.is_null(ms).to_numpy(zero_copy_only=False)
        t = pc.fill_null(ms, 0).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        naive = np.zeros(n, dtype=bool)
    else:
        t, bad_ts, naive = parse_instants(ts)
    value, bad_value = parse_numbers(table.column("value"))
    blank_site = site_codes < 0
    blank_signal = signal_codes < 0
    report.rows(
        blank_site,
        lines,
        code="M104",
        column=1,
        message=lambda i: "row has no site",
        hint="every row names its site, as declared in the deal's sla.sites",
    )
    report.rows(
        naive & ~blank_site,
        lines,
        code="M102",
        column=2,
        message=lambda i: f"timestamp {ts[i].as_py()!r} has no UTC offset",
        hint="write instants with their offset, e.g. 2027-03-14T02:30:00-04:00 or ...Z",
    )
    report.rows(
        bad_ts & ~naive & ~blank_site,
        lines,
        code="M101",
        column=2,
        message=lambda i: f"not an ISO 8601 instant: {ts[i].as_py()!r}",
        hint="write instants like 2027-03-01T00:00:00-05:00",
    )
    report.rows(
        blank_signal & ~blank_site,
        lines,
        code="M104",
        column=3,
        message=lambda i: "row has no signal",
        hint="name the signal, e.g. supply_ok",
    )
    values = table.column("value")
    report.rows(
        bad_value & ~blank_site,
        lines,
        code="M103",
        column=4,
        message=lambda i: f"value {values[i].as_py()!r} is not a finite number",
        hint="write a decimal number such as 1, 0 or 0.75",
    )
    ok = ~(blank_site | blank_signal | naive | bad_ts | bad_value)

    # the domain of each known signal, looked up by code
    lo = _table_of(signal_names, {k: r[0] for k, r in _RANGES.items()}, -np.inf)[signal_codes]
    hi = _table_of(signal_names, {k: r[1] for k, r in _RANGES.items()}, np.inf)[signal_codes]
    binary = _table_of(signal_names, dict.fromkeys(_BINARY, 1.0), 0.0)[signal_codes] > 0
    out_of_range = ok & ((value < lo) | (value > hi) | (binary & (value != 0) & (value != 1)))
    report.rows(
        out_of_range,
        lines,
        code="M105",
        column=4,
        message=lambda i: (
            f"value {value[i]:g} is outside the range of {signal_names[signal_codes[i]]}"
        ),
        hint="supply_ok, utility_ok, gen_running and heartbeat are 0 or 1; capability is 0..1; "
        "soc_pct 0..100; counters and powers are not negative",
    )
    ok &= ~out_of_range

    known = {s.value: 1.0 for s in Signal}
    known_signal = _table_of(signal_names, known, 0.0)[signal_codes] > 0
    known_site = _table_of(site_names, dict.fromkeys(sites, 1.0), 0.0)[site_codes] > 0
    for mask, what, codes, names, code, hint in (
        (
            ok & ~known_signal,
            "signal",
            signal_codes,
            signal_names,
            "M106",
            "known signals: " + ", ".join(s.value for s in Signal),
        ),
        (
            ok & known_signal & ~known_site,
            "site",
            site_codes,
            site_names,
            "M107",
            "declare the site in the deal's sla.sites, or leave its rows out",
        ),
    ):
        if mask.any():
            where = np.flatnonzero(mask)
            found, first, counts = np.unique(codes[where], return_index=True, return_counts=True)
            for c, f, k in zip(found, first, counts, strict=True):
                warnings.append(
                    Diagnostic(
                        code,
                        Severity.WARNING,
                        f"unknown {what} {names[c]!r}: its {int(k):,} row(s) are ignored",
                        hint,
                        path=name,
                        line=int(lines[where[f]]),
                        column=1 if what == "site" else 3,
                    )
                )
    keep = ok & known_signal & known_site
    everything = bool(keep.all())
    return pa.table(
        {
            "site": pa.DictionaryArray.from_arrays(
                pa.array(site_codes if everything else site_codes[keep]),
                pa.array(site_names, pa.string()),
            ),
            "t": pa.array(t if everything else t[keep]),
            "signal": pa.DictionaryArray.from_arrays(
                pa.array(signal_codes if everything else signal_codes[keep]),
                pa.array(signal_names, pa.string()),
            ),
            "value": pa.array(value if everything else value[keep]),
        }
    )


def _with_local_fields(table: pa.Table, sites: Mapping[str, str]) -> pa.Table:
    """Add ``sid`` (the site's index among the sorted site ids: queries partition on a small
    integer, not a string) and ``day``, ``month`` and ``block`` from each site's own zone."""
    n = table.num_rows
    t = table.column("t").to_numpy()
    ids = sorted(sites)
    codes, names = _codes(table.column("site"))
    lookup = np.array([ids.index(x) if x in sites else -1 for x in names] + [-1], dtype=np.int32)
    sid = lookup[codes] if n else np.zeros(0, dtype=np.int32)
    day = np.zeros(n, dtype=np.int32)
    month = np.zeros(n, dtype=np.int32)
    block = np.zeros(n, dtype=np.int64)
    zones: dict[str, list[int]] = {}
    for site_id, zone in sites.items():
        zones.setdefault(zone, []).append(ids.index(site_id))
    for zone, members in zones.items():
        if len(zones) == 1:
            fields = local_fields(zone, t)
            day, month, block = fields.day, fields.month, fields.block
            continue
        mask = np.isin(sid, members)
        fields = local_fields(zone, t[mask])
        day[mask], month[mask], block[mask] = fields.day, fields.month, fields.block
    return (
        table.append_column("sid", pa.array(sid))
        .append_column("day", pa.array(day))
        .append_column("month", pa.array(month))
        .append_column("block", pa.array(block))
    )


def read_telemetry(
    paths: Sequence[Path],
    sites: Mapping[str, str],
    *,
    on_file: Callable[[Path], None] | None = None,
) -> tuple[Telemetry, list[Diagnostic]]:
    """Read telemetry files for ``sites`` (id → IANA zone): the valid rows and every problem."""
    problems: list[Diagnostic] = []
    parts: list[pa.Table] = []
    for path in paths:
        if on_file is not None:
            on_file(path)
        report = _Reporter(str(path))
        warnings: list[Diagnostic] = []
        rows = _file_rows(path, sites, report, warnings)
        problems.extend(report.found)
        problems.extend(warnings)
        if rows is not None:
            parts.append(rows)
    if parts:
        table = pa.concat_tables(parts)
    else:
        table = pa.table(
            {
                "site": pa.array([], pa.string()),
                "t": pa.array([], pa.int64()),
                "signal": pa.array([], pa.string()),
                "value": pa.array([], pa.float64()),
            }
        )
    return telemetry_from_table(table, sites, files=tuple(str(p) for p in paths)), problems


def telemetry_from_table(
    table: pa.Table, sites: Mapping[str, str], *, files: tuple[str, ...] = ()
) -> Telemetry:
    """Valid rows (``site, t, signal, value``; t in UTC ms) with their local fields added."""
    for name in ("site", "signal"):
        column = table.column(name)
        if not pa.types.is_dictionary(column.type):
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, pc.dictionary_encode(column))
    return Telemetry(_with_local_fields(table, sites).cast(SCHEMA), files, tuple(sorted(sites)))
