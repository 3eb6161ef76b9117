"""Crash test: a child process imports a long journal into a SQLite workspace and is killed with
SIGKILL at chosen moments of the import. After every kill the database passes SQLite's
integrity check, the hash chain verifies, the journal holds all of the file or none of it (never
a half-written event), and importing the file again completes it exactly.

The kill moments are not guessed from a stopwatch (a loaded machine shifts them all to one
side). The child stops itself: a trace hook on its SQLite connection counts the statements it
starts and, at the one the parent chose, sends itself SIGSTOP; the parent waits until it is
stopped and kills it right there. A first import, traced to the end, lists the statements:
the reads before the transaction, its BEGIN, the first, middle and last INSERTs of the events
(with a tiny page cache, so the uncommitted part of the transaction is already in the WAL),
the COMMIT, and the moment after the import returned. Kills before the COMMIT must leave
nothing, the kill after it everything; the test asserts which, point by point.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from copact.core.events import Signed, dumps_events
from copact.services.workspace import Workspace
from tests.conftest import EXAMPLES

EVENTS = int(os.environ.get("COPACT_CRASH_EVENTS", "1500"))
SIGNATURES = 2  # the journal opens with a person of each party signing: the deal binds
LINES = SIGNATURES + EVENTS
DEAL_TEXT = (EXAMPLES / "heat-sensor-housing.yaml").read_text()
CACHE_PAGES = 8  # so the transaction spills pages into the WAL before its COMMIT


def _traced(ws: Workspace, on_statement: Callable[[str], None]) -> None:
    """Call ``on_statement`` with each SQL statement the workspace's connections start."""

    def hook(dbapi: Any, _record: Any) -> None:
        dbapi.execute(f"PRAGMA cache_size={CACHE_PAGES}")
        dbapi.set_trace_callback(on_statement)

    ws.engine.dispose()  # pooled connections would not have the hook
    event.listen(ws.engine, "connect", hook)


def _importer(root: Path, deal: str, journal: Path, stop_at: int) -> int:
    """Fork a process that opens the workspace and imports the journal, stopping itself
    (SIGSTOP) at the start of its ``stop_at``-th SQL statement, or after the import returned
    when ``stop_at`` is the number of statements. Forking the test process (copact already
    imported) makes a kill cost milliseconds instead of an interpreter start."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            ws = Workspace.open(root, clock=_clock)
            started = 0

            def count(_sql: str) -> None:
                nonlocal started
                if started == stop_at:
                    os.kill(os.getpid(), signal.SIGSTOP)
                started += 1

            _traced(ws, count)
            ws.import_journal(deal, journal.read_text(), str(journal))
            count("")  # after the import returned, its connection still open
            code = 0
        finally:
            os._exit(code)
    return pid


def _journal(deal: str) -> str:
    """The two signatures, then EVENTS payments, each with its own reference: all pass the
    guards."""
    first = date(2026, 7, 1)
    signed = [Signed(at=first, deal=deal, by=[who]) for who in ("hannah", "luis")]
    lines = dumps_events(signed).splitlines()
    assert len(lines) == SIGNATURES
    for n in range(EVENTS):
        lines.append(
            json.dumps(
                {
                    "amount": f"{100 + n % 50}.00",
                    "at": (first + timedelta(days=n // 100)).isoformat(),
                    "deal": deal,
                    "from": "ridgeline",
                    "ref": f"P-{n}",
                    "to": "kestrel",
                    "type": "payment",
                },
                sort_keys=True,
                separators=(",", ":"),
            )
        )
    return "\n".join(lines) + "\n"


def _clock() -> datetime:
    return datetime(2026, 11, 22, tzinfo=UTC)


def _count(db: Path, deal: str) -> int:
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (n,) = raw.execute("SELECT count(*) FROM events WHERE deal = ?", (deal,)).fetchone()
    return int(n)


def _add(root: Path, deal: str) -> None:
    ws = Workspace.open(root, clock=_clock)
    ws.add_deal(DEAL_TEXT.replace("id: heat-sensor-housing", f"id: {deal}", 1), f"{deal}.yaml")
    ws.engine.dispose()


def _kill_points(statements: list[str]) -> dict[int, str]:
    """Where to stop the child, by statement number, with what it was about to run."""
    inserts = [i for i, sql in enumerate(statements) if sql.startswith("INSERT INTO events")]
    commits = [i for i, sql in enumerate(statements) if sql.strip() == "COMMIT"]
    assert inserts and commits, "the import writes its events and commits"
    chosen = set(range(inserts[0]))  # every read, the BEGIN and what precedes the events
    chosen |= {inserts[0], inserts[1 % len(inserts)], inserts[len(inserts) // 2], inserts[-1]}
    chosen |= set(range(inserts[-1] + 1, len(statements)))  # what follows: the COMMIT
    points = {i: statements[i].split("\n")[0][:60] for i in sorted(chosen)}
    points[len(statements)] = "(the import returned)"
    return points


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX fork, SIGSTOP and SIGKILL")
def test_an_import_killed_at_any_moment_leaves_all_or_nothing(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.init(root, database=None, clock=_clock).engine.dispose()
    db = root / "copact.db"

    # the statements of one whole import, to choose where to stop the others
    _add(root, "probe")
    statements: list[str] = []
    ws = Workspace.open(root, clock=_clock)
    _traced(ws, statements.append)
    ws.import_journal("probe", _journal("probe"), "probe.jsonl")
    ws.engine.dispose()
    commit = max(i for i, sql in enumerate(statements) if sql.strip() == "COMMIT")
    points = _kill_points(statements)

    outcomes: dict[str, list[str]] = {"none": [], "all": []}
    for n, (stop_at, what) in enumerate(points.items()):
        deal = f"crash-{n}"
        _add(root, deal)
        journal = tmp_path / f"{deal}.jsonl"
        text = _journal(deal)
        journal.write_text(text)
        pid = _importer(root, deal, journal, stop_at)
        _, status = os.waitpid(pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"the child never reached statement {stop_at} ({what})"
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

        held = _count(db, deal)
        assert held in (0, LINES), f"killed at {what}: {held} of {LINES} events: half-written"
        expected = "all" if stop_at > commit else "none"
        assert held == (LINES if expected == "all" else 0), f"killed at {stop_at}: {what}"
        outcomes[expected].append(what)
        ws = Workspace.open(root, clock=_clock)
        assert ws.verify(deal).ok
        appended = ws.import_journal(deal, text, str(journal))
        assert appended == LINES - held
        assert ws.export_journal(deal) == text
        assert ws.verify(deal).count == LINES
        ws.engine.dispose()
        journal.unlink()
    assert _count(db, "probe") == LINES
    # both outcomes of a crash were exercised: before the COMMIT and after it
    assert outcomes["none"] and outcomes["all"], outcomes
