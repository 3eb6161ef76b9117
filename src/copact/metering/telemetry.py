"""Telemetry files (DESIGN §6.1): long form ``site, ts, signal, value`` in CSV or Parquet.

Every malformed row comes back as a :class:`Diagnostic` with its file and row, and the rows
that are fine are kept; the caller decides that an error means nothing settles. Rows of a signal
copact does not know, or of a site the deal does not declare, are ignored with one warning per
name. The result is one Arrow table, UTC milliseconds plus the local fields computed once::

    site  t (ms, UTC)    signal     value  sid  day    month   block (UTC ms of the local 15 min)
    dc1   1803956400000  supply_ok  1.0    0    20879  202703  1803956400000
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from copact.core.diagnostic import Diagnostic, Severity
from copact.metering.instants import parse_instants, parse_numbers
from copact.metering.periods import ZoneClock

__all__ = [
    "BATCH_ROWS",
    "COLUMNS",
    "MAX_DUPLICATE_ROWS",
    "MAX_ROW_REPORTS",
    "SCHEMA",
    "Duplicates",
    "Signal",
    "Telemetry",
    "read_telemetry",
    "telemetry_from_table",
]

COLUMNS = ("site", "ts", "signal", "value")
BATCH_ROWS = 1 << 20
"""Rows checked at a time: small enough that each batch's arrays come back from the allocator
instead of faulting in fresh pages, large enough that numpy's per-call cost vanishes."""
MAX_ROW_REPORTS = 10_000
"""Rows reported one by one per file and problem; past that, one line counts the rest."""
MAX_DUPLICATE_ROWS = 10
"""Rows of conflicting samples named per site in a meter report (the warnings name them all)."""

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
class Duplicates:
    """Samples of one site read more than once: the same signal at the same instant, in one
    file or across files (two exports that overlap)."""

    site: str
    identical: int
    """Rows that repeat a sample with the same value: dropped, one of them kept."""
    conflicting: int
    """Samples given with different values: every row of each is left out, so the time they
    cover counts as the deal says for telemetry gaps, and the settlement is up for review."""
    first_rows: tuple[str, ...] = ()
    """``file:line`` of the first row of the first conflicting samples."""

    def to_json(self) -> dict[str, object]:
        return {
            "identical": self.identical,
            "conflicting": self.conflicting,
            "first_rows": list(self.first_rows),
        }


@dataclass(frozen=True, slots=True)
class Telemetry:
    """The valid rows of one or more telemetry files, in :data:`SCHEMA`."""

    table: pa.Table
    files: tuple[str, ...]
    site_ids: tuple[str, ...] = ()
    """The deal's site ids, sorted: a row's ``sid`` is its site's index here."""
    duplicates: tuple[Duplicates, ...] = ()
    """Per site with repeated samples, what was dropped or left out."""

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)

    def duplicates_of(self, site: str) -> Duplicates | None:
        return next((d for d in self.duplicates if d.site == site), None)


def _problem(code: str, message: str, hint: str, path: str, line: int, column: int) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, hint, path=path, line=line, column=column)


_FileLines = int | npt.NDArray[np.int64]
"""The rows' file lines: the first row's line when they follow one another, else each one."""


class _Lines:
    """The file line of each row of a batch: ``start + i``, or looked up when the CSV reader
    skipped rows (and so lines and rows no longer step together)."""

    def __init__(self, start: int, table: npt.NDArray[np.int64] | None = None) -> None:
        self.start = start
        self.table = table

    def __getitem__(self, i: int | np.integer[Any]) -> int:
        return int(self.table[i]) if self.table is not None else self.start + int(i)


class _Reporter:
    """Collects the row problems of one file, one by one up to a limit per kind, then as a
    count; the kinds come out in the order they were checked, whatever batch found them."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[Diagnostic] = []
        self._listed: dict[tuple[str, int], list[Diagnostic]] = {}
        self._more: dict[tuple[str, int], tuple[int, int, str]] = {}

    def rows(
        self,
        mask: npt.NDArray[np.bool_],
        lines: _Lines,
        *,
        code: str,
        column: int,
        message: Callable[[int], str],
        hint: str,
    ) -> None:
        listed = self._listed.setdefault((code, column), [])
        if not mask.any():
            return
        where = np.flatnonzero(mask)
        room = max(0, MAX_ROW_REPORTS - len(listed))
        for i in where[:room]:
            listed.append(_problem(code, message(int(i)), hint, self.path, lines[i], column))
        if len(where) > room:
            count, first, _ = self._more.get((code, column), (0, lines[where[room]], hint))
            self._more[(code, column)] = (count + len(where) - room, first, hint)

    def problems(self) -> list[Diagnostic]:
        found = list(self.found)
        for (code, column), listed in self._listed.items():
            found.extend(listed)
            if (code, column) in self._more:
                count, first, hint = self._more[(code, column)]
                found.append(
                    _problem(
                        code,
                        f"{count:,} more rows like this one (not listed)",
                        hint,
                        self.path,
                        first,
                        column,
                    )
                )
        return found


def _read_csv(path: Path, report: _Reporter) -> tuple[pa.Table, _FileLines] | None:
    """All four columns as text, and the file lines of the rows (header is line 1)."""
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
        return table, 2  # the header is line 1
    lines = np.setdiff1d(np.arange(2, n + len(bad_lines) + 2, dtype=np.int64), bad_lines)[:n]
    return table, lines


def _read_parquet(path: Path, report: _Reporter) -> tuple[pa.Table, _FileLines] | None:
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
    return table, 1


def _codes(column: pa.Array) -> tuple[npt.NDArray[np.int32], list[str]]:
    """Dictionary codes of a text column and its names; null and blank rows get code -1.

    Per-row checks then index small per-name tables instead of comparing every string."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(pc.cast(column, pa.string()))
    names = [str(x) if x is not None else "" for x in column.dictionary.to_pylist()]
    indices = column.indices
    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    codes = indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    blank = np.array([not n.strip() for n in names] + [True], dtype=bool)
    if blank[:-1].any():
        codes = np.where(blank[codes], np.int32(-1), codes)
    return codes, names


def _table_of(
    names: list[str], values: dict[str, float], default: float
) -> npt.NDArray[np.float64]:
    """A per-name lookup table, with one extra slot at the end for code -1."""
    return np.array([values.get(n, default) for n in names] + [default], dtype=np.float64)


_Instants = tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]


def _instants(ts: pa.Array) -> _Instants:
    """UTC ms, unreadable mask and naive mask of a ``ts`` column (typed or text)."""
    if not pa.types.is_timestamp(ts.type):
        return parse_instants(ts)
    ms = pc.cast(pc.cast(ts, pa.timestamp("ms", tz="UTC"), safe=False), pa.int64())
    if ms.null_count:
        bad = ms.is_null().to_numpy(zero_copy_only=False)
        ms = pc.fill_null(ms, 0)
    else:
        bad = np.zeros(len(ms), dtype=bool)
    t = ms.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return t, bad, np.zeros(len(t), dtype=bool)


class _Ignored:
    """Rows of an unknown signal or site, counted by name over a file's batches."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], tuple[int, int]] = {}

    def add(
        self,
        what: str,
        mask: npt.NDArray[np.bool_],
        codes: npt.NDArray[np.int32],
        names: list[str],
        lines: _Lines,
    ) -> None:
        if not mask.any():
            return
        where = np.flatnonzero(mask)
        found, first, counts = np.unique(codes[where], return_index=True, return_counts=True)
        for c, f, k in zip(found, first, counts, strict=True):
            count, line = self.names.get((what, names[c]), (0, lines[where[f]]))
            self.names[(what, names[c])] = (count + int(k), line)

    def warnings(self, path: str) -> list[Diagnostic]:
        hints = {
            "signal": ("M106", 3, "known signals: " + ", ".join(s.value for s in Signal)),
            "site": ("M107", 1, "declare the site in the deal's sla.sites, or leave its rows out"),
        }
        found = []
        # signals first, then sites; each in the order first seen (the sort is stable)
        ordered = sorted(self.names.items(), key=lambda item: item[0][0] == "site")
        for (what, name), (count, line) in ordered:
            code, column, hint = hints[what]
            found.append(
                Diagnostic(
                    code,
                    Severity.WARNING,
                    f"unknown {what} {name!r}: its {count:,} row(s) are ignored",
                    hint,
                    path=path,
                    line=line,
                    column=column,
                )
            )
        return found


_LO = {k: r[0] for k, r in _RANGES.items()}
_HI = {k: r[1] for k, r in _RANGES.items()}
_KNOWN = {s.value: 1.0 for s in Signal}


def _checked(
    batch: pa.RecordBatch,
    lines: _Lines,
    sites: Mapping[str, str],
    report: _Reporter,
    ignored: _Ignored,
) -> tuple[pa.RecordBatch, npt.NDArray[np.int64] | None]:
    """The valid rows of one batch as ``site, t, signal, value`` and which rows of the batch
    they are (``None``: all of them); its problems go to ``report`` and its rows of unknown
    signals and sites to ``ignored``.

    A batch with nothing wrong is passed on without copying its columns."""
    site_codes, site_names = _codes(batch.column("site"))
    signal_codes, signal_names = _codes(batch.column("signal"))
    ts = batch.column("ts")
    t, bad_ts, naive = _instants(ts)
    values = batch.column("value")
    value, bad_value = parse_numbers(values)
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
    lo = _table_of(signal_names, _LO, -np.inf)[signal_codes]
    hi = _table_of(signal_names, _HI, np.inf)[signal_codes]
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

    known_signal = _table_of(signal_names, _KNOWN, 0.0)[signal_codes] > 0
    known_site = _table_of(site_names, dict.fromkeys(sites, 1.0), 0.0)[site_codes] > 0
    ignored.add("signal", ok & ~known_signal, signal_codes, signal_names, lines)
    ignored.add("site", ok & known_signal & ~known_site, site_codes, site_names, lines)
    keep = ok & known_signal & known_site
    kept = None
    if not keep.all():
        kept = np.flatnonzero(keep)
        site_codes, t = site_codes[keep], t[keep]
        signal_codes, value = signal_codes[keep], value[keep]
    checked = pa.record_batch(
        {
            "site": pa.DictionaryArray.from_arrays(
                pa.array(site_codes), pa.array(site_names, pa.string())
            ),
            "t": pa.array(t),
            "signal": pa.DictionaryArray.from_arrays(
                pa.array(signal_codes), pa.array(signal_names, pa.string())
            ),
            "value": pa.array(value),
        }
    )
    return checked, kept


def _file_batches(
    path: Path, sites: Mapping[str, str], report: _Reporter, ignored: _Ignored, batch_rows: int
) -> Iterator[tuple[pa.RecordBatch, _FileLines]]:
    """The valid rows of one file, a batch at a time (a batch's arrays stay small enough to be
    reused from the allocator instead of faulting fresh pages for every column of the file),
    each with the file lines of its rows."""
    parquet = path.suffix.lower() in (".parquet", ".pq")
    read = _read_parquet(path, report) if parquet else _read_csv(path, report)
    if read is None:
        return
    table, lines = read
    offset = 0
    for batch in table.to_batches(max_chunksize=batch_rows):
        n = batch.num_rows
        where = (
            _Lines(lines + offset)
            if isinstance(lines, int)
            else _Lines(0, lines[offset : offset + n])
        )
        checked, kept = _checked(batch, where, sites, report, ignored)
        if kept is None:
            yield checked, where.start if where.table is None else where.table
        else:
            table_lines = where.table if where.table is not None else where.start + kept
            yield checked, (table_lines[kept] if where.table is not None else table_lines)
        offset += n


class _Local:
    """Adds ``sid`` (the site's index among the sorted site ids: queries partition on a small
    integer, not a string) and ``day``, ``month`` and ``block`` from each site's own zone."""

    def __init__(self, sites: Mapping[str, str]) -> None:
        self.ids = sorted(sites)
        self.index = {site: i for i, site in enumerate(self.ids)}
        self.zones: dict[str, list[int]] = {}
        for site_id, zone in sites.items():
            self.zones.setdefault(zone, []).append(self.index[site_id])
        self.clocks = {zone: ZoneClock(zone) for zone in self.zones}

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        n = batch.num_rows
        t = batch.column("t").to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        codes, names = _codes(batch.column("site"))
        lookup = np.array([self.index.get(x, -1) for x in names] + [-1], dtype=np.int32)
        sid = lookup[codes] if n else np.zeros(0, dtype=np.int32)
        if len(self.zones) == 1:
            fields = next(iter(self.clocks.values())).fields(t)
            day, month, block = fields.day, fields.month, fields.block
        else:
            day = np.zeros(n, dtype=np.int32)
            month = np.zeros(n, dtype=np.int32)
            block = np.zeros(n, dtype=np.int64)
            for zone, members in self.zones.items():
                mask = np.isin(sid, members)
                if mask.any():
                    fields = self.clocks[zone].fields(t[mask])
                    day[mask], month[mask], block[mask] = fields.day, fields.month, fields.block
        site = batch.column("site")
        signal = batch.column("signal")
        if not pa.types.is_dictionary(site.type):
            site = pc.dictionary_encode(site)
        if not pa.types.is_dictionary(signal.type):
            signal = pc.dictionary_encode(signal)
        return pa.record_batch(
            [
                site.cast(SCHEMA.field("site").type),
                pa.array(t),
                signal.cast(SCHEMA.field("signal").type),
                batch.column("value").cast(pa.float64()),
                pa.array(sid),
                pa.array(day),
                pa.array(month),
                pa.array(block),
            ],
            schema=SCHEMA,
        )


class _PhysicalLines:
    """Logical line (the CSV reader skips blank lines and numbers the others) → line of the
    file. The file is scanned for blank lines once, and only when a line is to be named."""

    def __init__(self, path: Path, csv: bool) -> None:
        self.path = path
        self.csv = csv
        self._marks: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None

    def _scan(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        marks: list[int] = []  # the logical line after one or more blank lines…
        blanks: list[int] = []  # …and the blank lines before it, in all
        logical = blank = 0
        pending = False
        with self.path.open("rb") as handle:
            for raw in handle:
                if not raw.strip(b"\r\n"):
                    blank += 1
                    pending = True
                    continue
                logical += 1
                if pending:
                    marks.append(logical)
                    blanks.append(blank)
                    pending = False
        return np.array(marks, dtype=np.int64), np.array(blanks, dtype=np.int64)

    def __call__(self, line: int) -> int:
        if not self.csv:
            return line
        if self._marks is None:
            self._marks = self._scan()
        marks, blanks = self._marks
        at = int(np.searchsorted(marks, line, side="right")) - 1
        return line + int(blanks[at]) if at >= 0 else line

    def place(self, found: list[Diagnostic]) -> list[Diagnostic]:
        return [d.at(path=d.path, line=self(d.line), column=d.column) for d in found]


class _Origins:
    """Which file and line each row of the concatenated table came from."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.parts: list[tuple[int, _FileLines]] = []
        self.rows = 0
        self._at: npt.NDArray[np.int64] | None = None

    def add(self, file: int, n: int, lines: _FileLines) -> None:
        if n:
            self._at = None
            self.starts.append(self.rows)
            self.parts.append((file, lines))
            self.rows += n

    def __call__(self, row: int) -> tuple[int, int]:
        if self._at is None:
            self._at = np.array(self.starts, dtype=np.int64)
        part = int(np.searchsorted(self._at, row, side="right")) - 1
        file, lines = self.parts[part]
        i = row - self.starts[part]
        return file, (lines + i if isinstance(lines, int) else int(lines[i]))


def _global_signals(column: pa.ChunkedArray) -> npt.NDArray[np.int64]:
    """Each row's signal as its index in :class:`Signal`, whatever the chunk's dictionary."""
    order = {s.value: i for i, s in enumerate(Signal)}
    parts = []
    for chunk in column.chunks:
        lookup = np.array([order.get(str(n), 15) for n in chunk.dictionary.to_pylist()] + [15])
        codes = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
        parts.append(lookup[codes].astype(np.int64))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _maybe_repeated(
    sid: npt.NDArray[np.int64], sig: npt.NDArray[np.int64], dt: npt.NDArray[np.int64]
) -> bool:
    """False when no (site, signal, instant) is read twice, in O(n) for files in time order
    (by instant then site, or by site then instant); True when a sort has to tell."""
    n = len(dt)
    tb = int(dt.max()).bit_length()
    sb = int(sid.max()).bit_length()
    if tb + sb > 62:
        return True
    for key in ((dt << sb) | sid, (sid << tb) | dt):
        if not np.all(key[1:] >= key[:-1]):
            continue
        same = key[1:] == key[:-1]
        if not same.any():
            return False
        # within a run of one site and instant each signal may appear once
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        bits = np.left_shift(np.uint16(1), sig.astype(np.uint16))
        signals = np.bitwise_count(np.bitwise_or.reduceat(bits, starts))
        return not np.array_equal(signals, np.diff(np.append(starts, n)))
    return True


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{ms % 1000:03d}Z" if ms % 1000 else f"{text}Z"


def _deduplicated(
    table: pa.Table,
    origins: _Origins,
    paths: Sequence[Path],
    physical: Sequence[_PhysicalLines],
    site_ids: Sequence[str],
) -> tuple[pa.Table, list[Diagnostic], tuple[Duplicates, ...]]:
    """``table`` without repeated samples: a repeat with the same value is dropped, a sample
    with two values loses all its rows (which is right cannot be told from the files, and
    keeping the first would make the fee depend on the order of the rows)."""
    n = table.num_rows
    if n < 2:
        return table, [], ()
    t = table.column("t").to_numpy().astype(np.int64, copy=False)
    sid = table.column("sid").to_numpy().astype(np.int64)
    sig = _global_signals(table.column("signal"))
    dt = t - t.min()
    if not _maybe_repeated(sid, sig, dt):
        return table, [], ()
    tb = int(dt.max()).bit_length()
    if int(sid.max()).bit_length() + 4 + tb <= 62:
        order = np.argsort((sid << (4 + tb)) | (sig << tb) | dt, kind="stable")
    else:
        order = np.lexsort((dt, sig, sid))  # stable too: rows of a sample keep file order
    k_sid, k_sig, k_t = sid[order], sig[order], t[order]
    same = (k_sid[1:] == k_sid[:-1]) & (k_sig[1:] == k_sig[:-1]) & (k_t[1:] == k_t[:-1])
    if not same.any():
        return table, [], ()
    value = table.column("value").to_numpy()[order]
    first = np.concatenate(([True], ~same))
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    conflict = np.minimum.reduceat(value, starts) != np.maximum.reduceat(value, starts)
    drop_sorted = ~first | conflict[group]
    drop = np.zeros(n, dtype=bool)
    drop[order] = drop_sorted

    def where(row: int) -> tuple[str, int, str]:
        file, line = origins(row)
        physical_line = physical[file](line)
        return str(paths[file]), physical_line, f"{paths[file]}:{physical_line}"

    problems: list[Diagnostic] = []
    summary: list[Duplicates] = []
    sizes = np.diff(np.append(starts, n))
    repeated = sizes > 1
    for site in np.unique(k_sid[starts[repeated]]):
        mine = repeated & (k_sid[starts] == site)
        name = site_ids[int(site)]
        identical_groups = np.flatnonzero(mine & ~conflict)
        conflicting_groups = np.flatnonzero(mine & conflict)
        extra = int((sizes[identical_groups] - 1).sum())
        if extra:
            # the first repeat in file order: the earliest second row of a sample
            second = int(order[starts[identical_groups] + 1].min())
            path, line, _ = where(second)
            problems.append(
                Diagnostic(
                    "M109",
                    Severity.WARNING,
                    f"{extra:,} rows repeat a sample of site {name} already read with the "
                    "same value (first here): dropped",
                    "overlapping exports are harmless when they agree; each sample counts once",
                    path=path,
                    line=line,
                    column=1,
                )
            )
        firsts = sorted(int(order[starts[g]]) for g in conflicting_groups)
        for g in conflicting_groups[:MAX_ROW_REPORTS]:
            a, b = int(order[starts[g]]), int(order[starts[g] + 1])  # in file order
            sample = starts[g]
            path, line, _ = where(a)
            _, _, other = where(b)
            signal = list(Signal)[int(k_sig[sample])].value
            problems.append(
                Diagnostic(
                    "M108",
                    Severity.WARNING,
                    f"site {name}, {signal} at {_iso(int(k_t[sample]))}: value "
                    f"{value[starts[g]]:g} here but {value[starts[g] + 1]:g} at {other}; "
                    "every row of this sample is left out and the settlement is for review",
                    "two rows disagree about one sample: correct the export, or drop the "
                    "wrong file, then meter again",
                    path=path,
                    line=line,
                    column=4,
                )
            )
        rows = [where(r)[2] for r in firsts[:MAX_DUPLICATE_ROWS]]
        summary.append(Duplicates(name, extra, len(conflicting_groups), tuple(rows)))
    return table.filter(pa.array(~drop)), problems, tuple(summary)


def read_telemetry(
    paths: Sequence[Path],
    sites: Mapping[str, str],
    *,
    on_file: Callable[[Path], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> tuple[Telemetry, list[Diagnostic]]:
    """Read telemetry files for ``sites`` (id → IANA zone): the valid rows and every problem.
    ``on_file`` hears of each file as it starts. A sample given twice (one site, signal and
    instant) is dropped when the values agree (M109) and left out when they do not (M108)."""
    problems: list[Diagnostic] = []
    local = _Local(sites)
    batches: list[pa.RecordBatch] = []
    origins = _Origins()
    physical: list[_PhysicalLines] = []
    for index, path in enumerate(paths):
        if on_file is not None:
            on_file(path)
        report = _Reporter(str(path))
        ignored = _Ignored()
        csv = path.suffix.lower() not in (".parquet", ".pq")
        physical.append(_PhysicalLines(path, csv))
        for batch, lines in _file_batches(path, sites, report, ignored, batch_rows):
            origins.add(index, batch.num_rows, lines)
            batches.append(local(batch))
        problems.extend(physical[index].place(report.problems()))
        problems.extend(physical[index].place(ignored.warnings(str(path))))
    table = pa.Table.from_batches(batches, SCHEMA)
    table, repeats, duplicates = _deduplicated(table, origins, paths, physical, local.ids)
    problems.extend(repeats)
    files = tuple(str(p) for p in paths)
    return Telemetry(table, files, tuple(local.ids), duplicates), problems


def telemetry_from_table(
    table: pa.Table, sites: Mapping[str, str], *, files: tuple[str, ...] = ()
) -> Telemetry:
    """Valid rows (``site, t, signal, value``; t in UTC ms) with their local fields added."""
    local = _Local(sites)
    batches = [local(b) for b in table.to_batches(max_chunksize=BATCH_ROWS)]
    return Telemetry(pa.Table.from_batches(batches, SCHEMA), files, tuple(local.ids))
