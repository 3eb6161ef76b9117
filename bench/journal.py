"""Benchmark: append 1,000,000 events to a deal's journal on SQLite in batches, then verify the
whole hash chain, against two floors measured in the same run on the same rows:

- hashing: SHA-256 over the same bodies, chained, with nothing else (what verify must do);
- scanning: a bare ``SELECT body FROM events`` over the same table (what reading costs).

Goal (issue 4): append at 5,000 events/s or better, verify at 500,000 events/s or better.

    .venv/bin/python bench/journal.py [--events 1000000] [--batch 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rich.progress import Progress

from copact.core.events import Payment
from copact.store import journal
from copact.store.engine import migrate, open_engine

DEAL = "bench-deal"


def events(start: int, count: int) -> list[Payment]:
    first = date(2026, 1, 1)
    return [
        Payment(
            at=first + timedelta(days=n // 1000),
            deal=DEAL,
            from_="acme",
            to="voltworks",
            amount=Decimal(1000 + n % 977) / 100,
            ref=f"R{n}",
        )
        for n in range(start, start + count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="copact-bench-"))
    path = folder / "journal.db"
    engine = open_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.begin() as conn:
        journal.add_deal(
            conn, deal_id=DEAL, title="bench", text="id: bench-deal\n", now=datetime.now(UTC)
        )

    appended = 0.0
    with Progress(transient=True) as progress:
        task = progress.add_task("appending", total=args.events)
        for start in range(0, args.events, args.batch):
            batch = events(start, min(args.batch, args.events - start))
            began = time.perf_counter()
            with engine.begin() as conn:
                journal.append(conn, DEAL, batch)
            appended += time.perf_counter() - began
            progress.advance(task, len(batch))

    began = time.perf_counter()
    with engine.connect() as conn:
        result = journal.verify(conn, DEAL)
    verified = time.perf_counter() - began
    assert result.ok and result.count == args.events, result

    raw = sqlite3.connect(path)
    began = time.perf_counter()
    bodies = [body for (body,) in raw.execute("SELECT body FROM events ORDER BY seq")]
    scanned = time.perf_counter() - began
    began = time.perf_counter()
    prev = journal.GENESIS
    for body in bodies:
        prev = hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
    hashed = time.perf_counter() - began
    assert prev == result.head
    raw.close()
    size = path.stat().st_size
    engine.dispose()

    n = args.events
    figures = {
        "events": n,
        "batch": args.batch,
        "append_s": round(appended, 2),
        "append_per_s": round(n / appended),
        "verify_s": round(verified, 2),
        "verify_per_s": round(n / verified),
        "floor_scan_s": round(scanned, 2),
        "floor_hash_s": round(hashed, 2),
        "verify_over_floors": round(verified / (scanned + hashed), 2),
        "database_mb": round(size / 1e6),
    }
    print(json.dumps(figures, indent=2))
    print(
        f"append: {figures['append_per_s']:,} events/s (goal ≥ 5,000) · "
        f"verify: {figures['verify_per_s']:,} events/s (goal ≥ 500,000) · "
        f"verify is {figures['verify_over_floors']}× scan + hash alone"
    )


if __name__ == "__main__":
    main()
