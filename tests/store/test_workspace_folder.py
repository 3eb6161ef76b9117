"""A workspace is its folder: copy it and the copy has its own journal, move it and it still
opens with its events. The default SQLite file is named in ``copact.toml`` relative to the
folder; a database file that is not there is an error, never a silent new empty journal."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from copact.core.commands import pay
from copact.services.workspace import Workspace, WorkspaceError
from tests.conftest import EXAMPLES, run_command

DEAL = EXAMPLES / "heat-sensor-housing.yaml"
JOURNAL = (EXAMPLES / "journals" / "heat-sensor-housing.jsonl").read_text()
ID = "heat-sensor-housing"


def _clock() -> datetime:
    return datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def _workspace(root: Path) -> Path:
    ws = Workspace.init(root, database=None, clock=_clock)
    ws.add_deal(DEAL.read_text(), str(DEAL))
    ws.import_journal(ID, JOURNAL, "j.jsonl")
    ws.engine.dispose()
    return root


def _pay(root: Path, ref: str) -> None:
    ws = Workspace.open(root, clock=_clock)
    run_command(
        ws,
        ID,
        pay,
        payer="ridgeline",
        payee="kestrel",
        amount=Decimal("250.00"),
        ref=ref,
        for_=None,
    )
    ws.engine.dispose()


def _events(root: Path) -> int:
    ws = Workspace.open(root, clock=_clock)
    try:
        return len(ws.events(ID))
    finally:
        ws.engine.dispose()


def test_a_copied_workspace_records_into_its_own_journal(tmp_path: Path) -> None:
    original = _workspace(tmp_path / "ws")
    copy = tmp_path / "ws-test"
    shutil.copytree(original, copy)
    _pay(copy, "TEST-1")
    assert _events(copy) == 9
    assert _events(original) == 8  # the real journal did not get the test payment


def test_a_moved_workspace_opens_with_its_events(tmp_path: Path) -> None:
    original = _workspace(tmp_path / "ws")
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(original, moved)
    assert _events(moved) == 8
    _pay(moved, "MOVED-1")
    assert _events(moved) == 9


def test_an_old_workspace_with_an_absolute_path_keeps_working_when_moved(tmp_path: Path) -> None:
    """Workspaces made before the relative path wrote the absolute one; moved with their folder
    (same name), they use the file in their folder."""
    original = _workspace(tmp_path / "old" / "ws")
    old_db = (original / "copact.db").resolve()
    (original / "copact.toml").write_text(f'database = "sqlite:///{old_db}"\n')
    moved = tmp_path / "new" / "ws"
    moved.parent.mkdir()
    shutil.move(original, moved)
    assert _events(moved) == 8
    assert not old_db.exists()  # no empty database appeared where it used to be


def test_an_old_copy_under_another_name_is_told_how_to_fix_its_config(tmp_path: Path) -> None:
    original = _workspace(tmp_path / "ws")
    (original / "copact.toml").write_text(
        f'database = "sqlite:///{(original / "copact.db").resolve()}"\n'
    )
    copy = tmp_path / "ws-test"
    shutil.copytree(original, copy)
    with pytest.raises(WorkspaceError) as refused:
        Workspace.open(copy, clock=_clock)
    message = str(refused.value)
    assert "copact.toml" in message and 'database = "sqlite:///copact.db"' in message
    assert _events(original) == 8


def test_a_missing_database_file_is_an_error_not_an_empty_journal(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    (root / "copact.db").rename(tmp_path / "kept-aside.db")
    with pytest.raises(WorkspaceError) as refused:
        Workspace.open(root, clock=_clock)
    assert "does not exist" in str(refused.value) and "copact.db" in str(refused.value)
    assert not (root / "copact.db").exists()  # nothing was created in its place


def test_init_writes_the_database_relative_to_the_folder(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    assert 'database = "sqlite:///copact.db"' in (root / "copact.toml").read_text()
    with sqlite3.connect(root / "copact.db") as raw:
        assert raw.execute("SELECT count(*) FROM events").fetchone() == (8,)


def test_init_of_an_existing_workspace_keeps_its_journal(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    Workspace.init(root, database=None, clock=_clock).engine.dispose()
    assert _events(root) == 8
