"""Reading a workspace writes nothing: an auditor's read-only copy verifies and exports, and a
workspace being written by a long import can still be read.

Tests run as root, which file permissions do not stop; the read-only path is opened explicitly
(``Workspace.open(readonly=True)``, which the CLI's read commands use) and checked to leave the
database file byte for byte as it was. The last test runs the real CLI as ``nobody`` on a
folder nobody may write, when the machine lets the test switch users.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from copact.services.workspace import Workspace, WorkspaceError
from copact.store.engine import is_read_only
from tests.conftest import EXAMPLES

DEAL = EXAMPLES / "heat-sensor-housing.yaml"
JOURNAL = (EXAMPLES / "journals" / "heat-sensor-housing.jsonl").read_text()
ID = "heat-sensor-housing"


def _clock() -> datetime:
    return datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def _workspace(root: Path) -> Path:
    ws = Workspace.init(root, database=None, clock=_clock)
    ws.add_deal(DEAL.read_text(), str(DEAL))
    ws.import_journal(ID, JOURNAL, "j.jsonl")
    ws.engine.dispose()  # the last connection checkpoints the WAL into the file and removes it
    return root


def _fingerprint(db: Path) -> tuple[str, int, int]:
    st = db.stat()
    return hashlib.sha256(db.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns


def test_a_read_only_open_reads_everything_and_writes_nothing(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    db = root / "copact.db"
    before = _fingerprint(db)
    ws = Workspace.open(root, clock=_clock, readonly=True)
    assert [d[0] for d in ws.deals()] == [ID]
    assert ws.export_journal(ID) == JOURNAL
    assert ws.verify(ID).ok
    with pytest.raises(OperationalError) as refused:  # the CLI says "read-only"
        ws.add_deal(DEAL.read_text().replace(f"id: {ID}", "id: other", 1), "other.yaml")
    assert is_read_only(refused.value)
    ws.engine.dispose()
    assert _fingerprint(db) == before
    wal = root / "copact.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # not a page went into the WAL either


def test_a_workspace_opens_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    """Opening migrated even at the newest schema, which takes SQLite's write lock: a
    `journal verify` during a long import waited, then failed with "database is locked"."""
    root = _workspace(tmp_path / "ws")
    writer = sqlite3.connect(root / "copact.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what an import holds until it commits
    try:
        for readonly in (True, False):
            ws = Workspace.open(root, clock=_clock, readonly=readonly)
            assert ws.verify(ID).count == 8
            ws.engine.dispose()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_read_only_open_of_a_workspace_behind_the_schema_says_how_to_upgrade(
    tmp_path: Path,
) -> None:
    root = _workspace(tmp_path / "ws")
    with sqlite3.connect(root / "copact.db") as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0003'")
    before = _fingerprint(root / "copact.db")
    with pytest.raises(WorkspaceError) as refused:
        Workspace.open(root, clock=_clock, readonly=True)
    assert "copact init" in str(refused.value) and "0003" in str(refused.value)
    assert _fingerprint(root / "copact.db") == before


def _can_switch_users() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to run the CLI as nobody"
    if shutil.which("setpriv") is None:
        return "needs setpriv (util-linux) to run the CLI as nobody"
    return None


@pytest.fixture
def unwritable() -> Iterator[Path]:
    """A workspace in a folder that nobody (uid 65534) can read but not write."""
    why = _can_switch_users()
    if why:
        pytest.skip(why)
    top = Path(tempfile.mkdtemp(prefix="copact-ro-", dir="/tmp"))
    try:
        root = _workspace(top / "ws")
        for path in [top, *top.rglob("*")]:
            mode = stat.S_IMODE(path.stat().st_mode)
            path.chmod((mode | 0o444 | (0o111 if path.is_dir() else 0)) & ~0o222)
        yield root
    finally:
        for path in [top, *top.rglob("*")]:
            path.chmod(stat.S_IMODE(path.stat().st_mode) | 0o200)
        shutil.rmtree(top)


def _as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("copact")), *args]
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": "/tmp", "COPACT_WORKSPACE": ""},
        cwd="/tmp",
        timeout=120,
    )


def test_the_cli_reads_a_workspace_nobody_may_write(unwritable: Path) -> None:
    ws = str(unwritable)
    before = _fingerprint(unwritable / "copact.db")
    files = sorted(unwritable.rglob("*"))
    verified = _as_nobody("journal", "verify", "--deal", ID, "--no-evidence", "-w", ws)
    assert verified.returncode == 0, verified.stderr
    assert "8 events verified" in verified.stdout
    exported = _as_nobody("journal", "export", "--deal", ID, "-w", ws)
    assert exported.returncode == 0 and exported.stdout == JOURNAL, exported.stderr
    listed = _as_nobody("deal", "list", "-w", ws)
    assert listed.returncode == 0 and ID in listed.stdout, listed.stderr
    state = _as_nobody("state", ID, "-w", ws)  # a read command of another module: detected
    assert state.returncode == 0, state.stderr
    paid = _as_nobody("deal", "add", str(EXAMPLES / "hybrid-dc1.yaml"), "-w", ws)
    assert paid.returncode == 2 and "read-only" in paid.stderr, paid.stderr
    assert "Traceback" not in paid.stderr and "internal error" not in paid.stderr
    assert _fingerprint(unwritable / "copact.db") == before
    assert sorted(unwritable.rglob("*")) == files
