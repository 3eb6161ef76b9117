"""Instants as written in input files: ISO 8601 with an offset, never a naive local time.

A naive ``2027-03-14T02:30:00`` could be either of two instants (or none) on a daylight-saving
night, so it is refused with its row rather than guessed. Parsed instants are integer
milliseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ISO_NAIVE", "ISO_WITH_OFFSET", "parse_instant", "parse_instants", "parse_numbers"]

ISO_WITH_OFFSET = (
    r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)\s*$"
)
ISO_NAIVE = r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?\s*$"
_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
_WITH_OFFSET = re.compile(ISO_WITH_OFFSET)
_NAIVE = re.compile(ISO_NAIVE)


def parse_instant(text: str) -> int | str:
    """Milliseconds since the epoch, or the reason the text is not an instant with an offset."""
    text = text.strip()
    if _NAIVE.match(text):
        return "naive"
    if not _WITH_OFFSET.match(text):
        return "malformed"
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return "malformed"
    if moment.tzinfo is None:  # pragma: no cover - the pattern requires an offset
        return "naive"
    return int(moment.timestamp() * 1000)


def parse_instants(
    column: pa.Array | pa.ChunkedArray,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Parse a string column: (ms, malformed mask, naive mask). Bad rows hold 0 in ``ms``.

    The whole column is cast in one call; only when that fails are the rows looked at one
    pattern at a time to say which ones are wrong and why.
    """
    n = len(column)
    try:
        cast = pc.cast(column, pa.timestamp("ms", tz="UTC"))
        ms = pc.cast(cast, pa.int64()).to_numpy(zero_copy_only=False)
        nulls = pc.is_null(cast).to_numpy(zero_copy_only=False)
        if not nulls.any():
            return ms.astype(np.int64), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    texts = pc.fill_null(pc.cast(column, pa.string()), "")
    naive = pc.match_substring_regex(texts, ISO_NAIVE).to_numpy(zero_copy_only=False)
    good = pc.match_substring_regex(texts, ISO_WITH_OFFSET).to_numpy(zero_copy_only=False)
    ms = np.zeros(n, dtype=np.int64)
    bad = ~good & ~naive
    if good.any():
        subset = pc.filter(texts, pa.array(good))
        try:
            parsed = pc.cast(pc.cast(subset, pa.timestamp("ms", tz="UTC")), pa.int64())
            ms[good] = parsed.to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # a well-shaped but impossible instant (month 13): find it row by row
            for i in np.flatnonzero(good):
                result = parse_instant(texts[int(i)].as_py())
                if isinstance(result, int):
                    ms[i] = result
                else:
                    bad[i] = True
    return ms, bad, naive


def parse_numbers(
    column: pa.Array | pa.ChunkedArray,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Parse a column of numbers (numeric or text): (values, malformed mask)."""
    n = len(column)
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        cast = pc.cast(column, pa.float64())
        if cast.null_count == 0:  # the usual case: the column as it is, no copy
            values = cast.to_numpy(zero_copy_only=False)
            return values, ~np.isfinite(values)
        bad = pc.is_null(cast).to_numpy(zero_copy_only=False).copy()
        values = pc.fill_null(cast, 0.0).to_numpy(zero_copy_only=False).astype(np.float64)
    else:
        values = np.zeros(n, dtype=np.float64)
        texts = pc.fill_null(pc.cast(column, pa.string()), "")
        good = pc.match_substring_regex(texts, _NUMBER).to_numpy(zero_copy_only=False)
        bad = ~good
        if good.any():
            subset = pc.filter(texts, pa.array(good))
            values[good] = pc.cast(pc.utf8_trim_whitespace(subset), pa.float64()).to_numpy(
                zero_copy_only=False
            )
    bad = bad | ~np.isfinite(values)
    return values, bad
