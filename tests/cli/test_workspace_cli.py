"""The workspace commands as a user runs them: init, deal add/list, journal import/verify."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from typer.testing import CliRunner

from copact.cli.app import app
from copact.services import workspace as workspace_service
from tests.conftest import EXAMPLES, cli_ok, cli_sign

runner = CliRunner()


def test_a_new_workspace_takes_a_deal_and_its_journal(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["init", ws]).exit_code == 0
    added = runner.invoke(
        app, ["deal", "add", str(EXAMPLES / "heat-sensor-housing.yaml"), "-w", ws]
    )
    assert added.exit_code == 0 and "version 1" in added.output
    journal = str(EXAMPLES / "journals" / "heat-sensor-housing.jsonl")
    imported = runner.invoke(
        app, ["journal", "import", journal, "--deal", "heat-sensor-housing", "-w", ws]
    )
    assert imported.exit_code == 0 and "8 events" in imported.output
    verified = runner.invoke(app, ["journal", "verify", "--deal", "heat-sensor-housing", "-w", ws])
    # the example journal comes without its evidence folder: said, and exit 1
    assert verified.exit_code == 1 and "referenced but not held" in verified.output
    verified = runner.invoke(
        app, ["journal", "verify", "--deal", "heat-sensor-housing", "--no-evidence", "-w", ws]
    )
    assert verified.exit_code == 0 and "8 events verified" in verified.output
    again = runner.invoke(
        app, ["journal", "import", journal, "--deal", "heat-sensor-housing", "-w", ws]
    )
    assert again.exit_code == 0 and "0 events appended" in again.output  # a retry adds nothing
    listed = runner.invoke(app, ["deal", "list", "-w", ws])
    assert "heat-sensor-housing" in listed.output


def test_commands_outside_a_workspace_say_how_to_make_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["deal", "list", "-w", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "copact init" in result.output


def test_a_deal_run_from_the_command_line(tmp_path: Path) -> None:
    """Evidence in, submit, accept with its invoice, a change order to version 2, a checkpoint
    the other party keeps, and a preview then an invoked exit."""
    ws = str(tmp_path / "ws")
    deal = "heat-sensor-housing"
    cli_ok("init", ws)
    cli_ok("deal", "add", str(EXAMPLES / "heat-sensor-housing.yaml"), "-w", ws)
    cli_sign(ws, deal)
    evidence = []
    for kind in ("drawing", "simulation-report", "material-datasheet", "signed-acceptance"):
        f = tmp_path / f"{kind}.pdf"
        f.write_bytes(b"%PDF-1.7\n" + kind.encode() * 50)
        evidence += ["--evidence", f"{kind}={f}"]
    cli_ok("submit", deal, "design-freeze", "--by", "luis", *evidence, "-w", ws)
    refused = runner.invoke(app, ["accept", deal, "design-freeze", "--by", "luis", "-w", ws])
    assert refused.exit_code == 1 and "signed off by marcus, not luis" in refused.output
    accepted = json.loads(
        cli_ok(
            "accept", deal, "design-freeze", "--by", "marcus", "--key", "k1", "-f", "json", "-w", ws
        )
    )
    assert [e["type"] for e in accepted["events"]] == ["accepted", "invoice"]
    replay = json.loads(
        cli_ok(
            "accept", deal, "design-freeze", "--by", "marcus", "--key", "k1", "-f", "json", "-w", ws
        )
    )
    assert replay["replayed"] and replay["events"] == accepted["events"]
    invoices = json.loads(cli_ok("invoices", deal, "-f", "json", "-w", ws))["invoices"]
    assert [i["for"] for i in invoices] == [["design-freeze"]]
    cli_ok(
        "change",
        "propose",
        deal,
        "co-1",
        "--by",
        "luis",
        "--amount",
        "7500",
        "--patch",
        '{"payment-terms": 45}',
        "-w",
        ws,
    )
    approved = cli_ok("change", "approve", deal, "co-1", "--by", "hannah", "-w", ws)
    assert "version 2" in approved
    shown = json.loads(cli_ok("deal", "show", deal, "-f", "json", "-w", ws))
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert "payment-terms: 45" in cli_ok("deal", "show", deal, "--version", "2", "-w", ws)
    kept = tmp_path / "kept.json"
    cli_ok("journal", "checkpoint", "--deal", deal, "-o", str(kept), "-w", ws)
    assert "extends the checkpoint" in cli_ok(
        "journal", "verify", "--deal", deal, "--checkpoint", str(kept), "-w", ws
    )
    preview = json.loads(
        cli_ok("exit", deal, "--trigger", "convenience", "--by", "hannah", "-f", "json", "-w", ws)
    )
    assert preview["trigger"] == "convenience"
    refused = runner.invoke(
        app, ["exit", deal, "--trigger", "convenience", "--invoke", "--by", "luis", "-w", ws]
    )
    assert refused.exit_code == 1 and "only ridgeline" in refused.output
    cli_ok("exit", deal, "--trigger", "convenience", "--invoke", "--by", "hannah", "-w", ws)
    state = json.loads(cli_ok("state", deal, "-f", "json", "-w", ws))
    assert state["milestones"][0]["state"] == "accepted"


def test_evidence_that_lies_about_its_kind_is_refused(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    cli_ok("init", ws)
    cli_ok("deal", "add", str(EXAMPLES / "heat-sensor-housing.yaml"), "-w", ws)
    fake = tmp_path / "site.jpg"
    fake.write_text("not a picture at all\n")
    result = runner.invoke(
        app,
        [
            "evidence",
            "add",
            "heat-sensor-housing",
            str(fake),
            "--kind",
            "photo",
            "--by",
            "luis",
            "-w",
            ws,
        ],
    )
    assert result.exit_code == 1 and "its content is text" in result.output


# -- a full disk: said in one line (exit 2), nothing of the command kept --


def _utc_now() -> datetime:
    return datetime(2026, 11, 22, tzinfo=UTC)


def _no_room_in_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection the workspace opens may not grow its file by a page: SQLite's own
    SQLITE_FULL ("database or disk is full"), as on a full disk."""
    real = workspace_service.open_engine

    def opened(url: str, *, readonly: bool = False) -> Engine:
        engine = real(url, readonly=readonly)

        def no_room(dbapi: Any, _record: Any) -> None:
            (pages,) = dbapi.execute("PRAGMA page_count").fetchone()
            dbapi.execute(f"PRAGMA max_page_count = {pages}")

        event.listen(engine, "connect", no_room)
        return engine

    monkeypatch.setattr(workspace_service, "open_engine", opened)


def _no_space_on_device(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)


def test_a_full_disk_records_no_part_of_a_deal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = str(tmp_path / "ws")
    cli_ok("init", ws)
    cli_ok("deal", "add", str(EXAMPLES / "heat-sensor-housing.yaml"), "-w", ws)
    _no_room_in_the_database(monkeypatch)
    result = runner.invoke(app, ["deal", "add", str(EXAMPLES / "hybrid-dc1.yaml"), "-w", ws])
    assert result.exit_code == 2, result.output
    assert "disk full" in result.output and "nothing of this command was kept" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    monkeypatch.undo()
    listed = cli_ok("deal", "list", "-w", ws)
    assert "heat-sensor-housing" in listed and "hybrid-dc1" not in listed
    with sqlite3.connect(tmp_path / "ws" / "copact.db") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("SELECT count(*) FROM deal_versions").fetchone() == (1,)


def test_a_full_disk_keeps_no_part_of_an_evidence_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = str(tmp_path / "ws")
    cli_ok("init", ws)
    cli_ok("deal", "add", str(EXAMPLES / "heat-sensor-housing.yaml"), "-w", ws)
    report = tmp_path / "drawing.pdf"
    report.write_bytes(b"%PDF-1.7\n" + b"drawing " * 200_000)
    _no_space_on_device(monkeypatch)
    args = ["evidence", "add", "heat-sensor-housing", str(report), "--kind", "drawing"]
    result = runner.invoke(app, [*args, "--by", "luis", "-w", ws])
    assert result.exit_code == 2, result.output
    assert "disk full" in result.output and "drawing.pdf" in result.output
    monkeypatch.undo()
    assert [p for p in (tmp_path / "ws" / "evidence").rglob("*") if p.is_file()] == []
    held = workspace_service.Workspace.open(tmp_path / "ws", clock=_utc_now, readonly=True)
    assert held.evidence("heat-sensor-housing", party=None) == []  # nothing indexed either
    held.engine.dispose()


def test_a_full_disk_at_init_leaves_no_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_space_on_device(monkeypatch)
    result = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert result.exit_code == 2, result.output
    assert "disk full" in result.output
    assert not (tmp_path / "ws").exists()
    monkeypatch.undo()
    cli_ok("init", str(tmp_path / "ws"))  # once there is room, init just works


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 4 MiB file system (tmpfs), when this machine lets the test mount one."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        # lazily: the CLI run in this process may still hold the database open
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


def test_a_really_full_disk_keeps_no_part_of_an_evidence_file(tiny_disk: Path) -> None:
    ws = str(tiny_disk / "ws")
    cli_ok("init", ws)
    cli_ok("deal", "add", str(EXAMPLES / "heat-sensor-housing.yaml"), "-w", ws)
    report = tiny_disk.parent / "drawing.pdf"  # outside the tiny disk
    report.write_bytes(b"%PDF-1.7\n" + b"drawing " * 100_000)
    filler = os.open(tiny_disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:  # fill the disk to its last byte
        for block in (65536, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(filler, b"\0" * block)
    finally:
        os.close(filler)
    args = ["evidence", "add", "heat-sensor-housing", str(report), "--kind", "drawing"]
    result = runner.invoke(app, [*args, "--by", "luis", "-w", ws])
    assert result.exit_code == 2, result.output
    assert "disk full" in result.output
    assert [p for p in (tiny_disk / "ws" / "evidence").rglob("*") if p.is_file()] == []
