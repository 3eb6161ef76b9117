"""An import writes exactly what one event at a time writes (issue 14 §5).

``Workspace.import_journal`` appends a whole file in one statement, hashing the chain in one
pass, and amends the deal from its running fold instead of folding the journal again. The
rows must not tell: a year of hybrid-dc1 (the journal of ``bench/fold.py``: payments and their
confirmations, refunds, decisions, windows, risks, gate votes, claims, change orders, the
milestones' story), then a decision in words that are not ASCII (with a U+2028, which
canonical JSON keeps as is), a change order whose patch renames the deal and sets its payment
terms, and its approval, which makes version 2. Some lines are written loosely (spaces, keys
out of order): the journal stores their canonical text.

The same file imported a line at a time into a fresh SQLite workspace (each line its own
import: one event, one single-row INSERT, the amendment folded as the command does) must leave
the same rows, hash for hash and byte for byte, the same deal versions, and the chain that
``hash(n) = SHA-256(hash(n−1) + canonical JSON of event n)`` gives. On PostgreSQL too.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from copact.core.changes import approve_change, propose_change
from copact.core.commands import log_decision
from copact.core.events import Event, canonical_json, dumps_events, parse_events
from copact.core.state import RunningFold
from copact.services.workspace import Workspace
from copact.store import journal
from copact.store.tables import deal_versions, events
from tests.conftest import EXAMPLES, ROOT, load_example
from tests.store.test_workspace import PG_URL, _postgres_schema

DEAL = "hybrid-dc1"
DEAL_TEXT = (EXAMPLES / "hybrid-dc1.yaml").read_text()
HYBRID = load_example("hybrid-dc1.yaml")
CLOCK = datetime(2027, 6, 30, 12, 0, tzinfo=UTC)  # the bench's: a month after its journal
EVENTS = 200


def _bench_journal(n: int) -> list[Event]:
    spec = importlib.util.spec_from_file_location("bench_fold", ROOT / "bench" / "fold.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    parsed, problems = parse_events(bench.build_journal(n))
    assert not problems
    return parsed


def _journal() -> str:
    """The bench's year, then the unicode decision and the change order that amends the deal,
    as JSON Lines with every fifth line written loosely."""
    made = _bench_journal(EVENTS)
    running = RunningFold(HYBRID, made)
    day = date(2027, 5, 31)  # the journal's last day
    patch = {"title": "Hybrid DC1 — rev. 2", "payment-terms": 45}
    tail: list[Event] = []
    tail += log_decision(
        HYBRID,
        running.state_on(day),
        decision="revue n°7 — café, naïve ✓\u2028second line",
        by=["ana"],
        topic="élan",
        at=day,
    )
    tail += propose_change(
        HYBRID, running.state_on(day).changes, change="co-terms", amount=None, patch=patch,
        by="sam", at=day,
    )  # fmt: skip
    running.push(tail[-1])
    tail += approve_change(  # new payment terms: the named approvers, sam and ana
        HYBRID, running.state_on(day).changes, change="co-terms", by="ana", at=day
    )
    lines = []
    for i, event in enumerate([*made, *tail]):
        body = canonical_json(event)
        if i % 5 == 2:  # loosely: keys out of order, spaces, non-ASCII escaped
            loose: dict[str, Any] = dict(reversed(json.loads(body).items()))
            body = json.dumps(loose, separators=(", ", ": "))
        lines.append(body)
    return "\n".join(lines) + "\n"


JOURNAL = _journal()


def _workspace(root: Path, database: str | None) -> Workspace:
    ws = Workspace.init(root, database=database, clock=lambda: CLOCK)
    ws.add_deal(DEAL_TEXT, "hybrid-dc1.yaml")
    return ws


@pytest.fixture(params=["sqlite", "postgresql"])
def bulk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh workspace of hybrid-dc1 on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        ws = _workspace(tmp_path / "bulk", None)
        yield ws
        ws.engine.dispose()
        return
    schema = _postgres_schema()
    if schema is None:
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432 (trust auth, database test)")
    ws = _workspace(tmp_path / "bulk", f"{PG_URL}?options=-csearch_path%3D{schema}")
    yield ws
    ws.engine.dispose()
    with sa.create_engine(PG_URL).begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


def _rows(ws: Workspace) -> list[tuple[Any, ...]]:
    with ws.engine.connect() as conn:
        found = conn.execute(
            sa.select(
                events.c.seq,
                events.c.type,
                events.c.body,
                events.c.prev_hash,
                events.c.hash,
                events.c.once,
            )
            .where(events.c.deal == DEAL)
            .order_by(events.c.seq)
        ).all()
    return [tuple(row) for row in found]


def _versions(ws: Workspace) -> list[tuple[Any, ...]]:
    with ws.engine.connect() as conn:
        found = conn.execute(
            sa.select(deal_versions.c.version, deal_versions.c.text, deal_versions.c.sha256)
            .where(deal_versions.c.deal == DEAL)
            .order_by(deal_versions.c.version)
        ).all()
    return [tuple(row) for row in found]


def test_a_bulk_import_stores_what_one_event_at_a_time_stores(
    bulk: Workspace, tmp_path: Path
) -> None:
    lines = JOURNAL.removesuffix("\n").split("\n")  # not splitlines(): a U+2028 is no break
    assert bulk.import_journal(DEAL, JOURNAL, "year.jsonl") == len(lines)

    one_by_one = _workspace(tmp_path / "one-by-one", None)
    for n, line in enumerate(lines, start=1):
        assert one_by_one.import_journal(DEAL, line + "\n", f"line-{n}.jsonl") == 1

    rows = _rows(bulk)
    assert rows == _rows(one_by_one)
    assert _versions(bulk) == _versions(one_by_one)
    one_by_one.engine.dispose()

    parsed, _ = parse_events(JOURNAL)
    prev = journal.GENESIS
    for (seq, kind, body, prev_hash, digest, once), event in zip(rows, parsed, strict=True):
        assert (kind, body, prev_hash) == (event.type, canonical_json(event), prev), seq
        assert digest == journal.chain_hash(prev, body) and once == journal.once_key(event)
        prev = digest
    assert [seq for seq, *_ in rows] == list(range(1, len(lines) + 1))
    assert "café, naïve ✓\u2028second line" in rows[-3][2]  # as is, not \u-escaped
    assert bulk.export_journal(DEAL) == dumps_events(parsed) != JOURNAL  # loose lines canonical

    versions = _versions(bulk)
    assert [v for v, _, _ in versions] == [1, 2]
    assert "Hybrid DC1 — rev. 2" in versions[1][1] and "payment-terms: 45" in versions[1][1]
    assert bulk.verify(DEAL).ok
