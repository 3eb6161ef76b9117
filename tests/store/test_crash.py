"""Crash test: a child process imports a long journal into a SQLite workspace and is killed with
SIGKILL at a random moment, 200 times. After every kill the database passes SQLite's integrity
check, the hash chain verifies, the journal holds all of the file or none of it (never a
half-written event), and importing the file again completes it exactly.

The kill moments are spread (seeded) over the import's whole life: before the transaction
opens, while events are checked and written, during the commit and after it, so both outcomes
of a crash are exercised; the test asserts that both happened.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from copact.services.workspace import Workspace
from tests.conftest import EXAMPLES

KILLS = int(os.environ.get("COPACT_CRASH_KILLS", "200"))
EVENTS = int(os.environ.get("COPACT_CRASH_EVENTS", "3000"))
DEAL_TEXT = (EXAMPLES / "heat-sensor-housing.yaml").read_text()


def _importer(root: Path, deal: str, journal: Path) -> tuple[int, int]:
    """Fork a process that opens the workspace, says so on a pipe, imports the journal and
    says so again. Forking the test process (copact already imported) makes a kill cost
    milliseconds instead of an interpreter start. Returns (pid, read end of the pipe)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read)
            ws = Workspace.open(root, clock=_clock)
            os.write(write, b"r")
            ws.import_journal(deal, journal.read_text(), str(journal))
            os.write(write, b"d")
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _journal(deal: str) -> str:
    """EVENTS payments, each with its own reference: all pass the guards."""
    first = date(2026, 7, 1)
    lines = []
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


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX fork and SIGKILL")
def test_an_import_killed_at_any_moment_leaves_all_or_nothing(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    ws = Workspace.init(root, database=None, clock=_clock)
    db = root / "copact.db"
    rng = random.Random(20261122)

    # how long a whole import takes here, so the kill moments cover all of it
    ws.add_deal(DEAL_TEXT.replace("id: heat-sensor-housing", "id: probe", 1), "probe.yaml")
    probe = tmp_path / "probe.jsonl"
    probe.write_text(_journal("probe"))
    ws.engine.dispose()
    pid, pipe = _importer(root, "probe", probe)
    assert os.read(pipe, 1) == b"r"
    began = time.perf_counter()
    assert os.read(pipe, 1) == b"d"
    whole = time.perf_counter() - began  # from an open workspace to a committed import
    assert os.waitpid(pid, 0)[1] == 0
    os.close(pipe)

    outcomes = {"none": 0, "all": 0}
    for n in range(KILLS):
        deal = f"crash-{n}"
        ws = Workspace.open(root, clock=_clock)
        ws.add_deal(DEAL_TEXT.replace("id: heat-sensor-housing", f"id: {deal}", 1), f"{deal}.yaml")
        ws.engine.dispose()
        journal = tmp_path / f"{deal}.jsonl"
        text = _journal(deal)
        journal.write_text(text)
        pid, pipe = _importer(root, deal, journal)
        assert os.read(pipe, 1) == b"r"  # the workspace is open
        time.sleep(rng.uniform(0, whole * 1.2))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(pipe)

        held = _count(db, deal)
        assert held in (0, EVENTS), f"kill {n}: {held} of {EVENTS} events: half-written"
        outcomes["all" if held == EVENTS else "none"] += 1
        ws = Workspace.open(root, clock=_clock)
        assert ws.verify(deal).ok
        appended = ws.import_journal(deal, text, str(journal))
        assert appended == EVENTS - held
        assert ws.export_journal(deal) == text
        assert ws.verify(deal).count == EVENTS
        ws.engine.dispose()
        journal.unlink()
    assert _count(db, "probe") == EVENTS
    # both outcomes of a crash were exercised
    assert outcomes["none"] > 0 and outcomes["all"] > 0, outcomes
