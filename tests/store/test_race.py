"""Concurrent approvals: 32 threads released together accept and invoice one milestone.

Exactly one acceptance and one invoice come out of every round, on SQLite and on PostgreSQL,
and every other thread gets a refusal, never a crash. The unique key on (deal, once) is what
decides; ``test_without_the_unique_key_the_race_is_lost`` shows the same race without it.
"""

from __future__ import annotations

import io
import os
import threading
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from copact.core import commands
from copact.core.events import EvidenceRef
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.workspace import Workspace
from copact.store import journal
from tests.conftest import run_command, sign_deal
from tests.store.test_workspace import DEAL, workspace  # noqa: F401  (the fixture)

THREADS = 32
# COPACT_RACE_ROUNDS=20 for a quick look while developing
ROUNDS = int(os.environ.get("COPACT_RACE_ROUNDS", "500"))
SAMPLES = ("delivery-receipt", "inspection-report", "test-report", "photo")


def _clock() -> datetime:
    return datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _race(ws: Workspace, deal_id: str, milestone: str) -> list[str]:
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            # the service accepts and issues the invoice in one transaction
            outcome = ops.execute(
                ops.Accept(
                    deal=deal_id,
                    milestone=milestone,
                    by="marcus",
                    key=f"{deal_id}-{uuid.uuid4().hex}",
                ),
                uow=ws,
                clock=_clock,
            )
            result = "+".join(e.type for e in outcome.events)
        except RefusedCommand:
            result = "refused"
        except Exception as exc:
            result = f"crash: {type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _deal_text(n: int) -> str:
    return DEAL.read_text().replace("id: heat-sensor-housing", f"id: race-{n}", 1)


PDF = b"%PDF-1.7\n" + b"0" * 2000
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\0" * 200


def held_evidence(ws: Workspace, deal_id: str) -> list[EvidenceRef]:
    """One file of each kind the prototype samples need, held in the workspace's store."""
    refs = []
    for kind in SAMPLES:
        content = (PNG if kind == "photo" else PDF) + kind.encode()
        name = f"{kind}.png" if kind == "photo" else f"{kind}.pdf"
        record = ws.add_evidence(deal_id, io.BytesIO(content), name=name, kind=kind, by="luis")
        refs.append(EvidenceRef(name=record.name, sha256=record.sha256, kind=kind))
    return refs


def _prepare(ws: Workspace, n: int) -> str:
    deal, _ = ws.add_deal(_deal_text(n), f"race-{n}.yaml")
    sign_deal(ws, deal.id, clock=_clock)  # it binds, so it operates
    evidence = held_evidence(ws, deal.id)
    run_command(
        ws, deal.id, commands.submit, milestone="prototype-samples", evidence=evidence, by="luis"
    )
    return deal.id


def test_exactly_one_acceptance_and_one_invoice_per_round(workspace: Workspace) -> None:  # noqa: F811
    workspace.clock = _clock
    for n in range(ROUNDS):
        deal_id = _prepare(workspace, n)
        outcomes = _race(workspace, deal_id, "prototype-samples")
        crashes = [o for o in outcomes if "crash" in o]
        assert crashes == [], crashes[:3]
        assert sorted(set(outcomes)) == ["accepted+invoice", "refused"]
        assert outcomes.count("accepted+invoice") == 1
        events = workspace.events(deal_id)
        assert sum(1 for e in events if e.type == "accepted") == 1
        assert sum(1 for e in events if e.type == "invoice") == 1
        assert workspace.verify(deal_id).ok


def _drop_unique_keys(ws: Workspace) -> None:
    with ws.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE events DROP CONSTRAINT events_once_per_deal"))
        conn.execute(sa.text("ALTER TABLE events DROP CONSTRAINT events_pkey"))


def _most_acceptances(ws: Workspace, rounds: int) -> int:
    seen = 0
    for n in range(rounds):
        deal_id = _prepare(ws, n)
        _race(ws, deal_id, "prototype-samples")
        seen = max(seen, sum(1 for e in ws.events(deal_id) if e.type == "accepted"))
    return seen


def test_the_deal_lock_alone_gives_one_acceptance(workspace: Workspace) -> None:  # noqa: F811
    """Defence in depth: with the journal's unique keys dropped, the deal's write lock still
    lets exactly one acceptance in every round. (PostgreSQL only: SQLite cannot drop a
    constraint in place.)"""
    if workspace.engine.dialect.name != "postgresql":
        pytest.skip("SQLite cannot drop a table constraint; the lock is tested with the keys")
    workspace.clock = _clock
    _drop_unique_keys(workspace)
    assert _most_acceptances(workspace, 10) == 1


def test_without_lock_and_keys_the_race_is_lost(
    workspace: Workspace,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same race with both safeguards gone (the lock reduced to an existence check, the
    unique keys dropped): more than one acceptance gets in, which is why they are there."""
    if workspace.engine.dialect.name != "postgresql":
        pytest.skip("SQLite cannot drop a table constraint; the lost race shows on PostgreSQL")
    workspace.clock = _clock
    _drop_unique_keys(workspace)

    def exists_only(conn: sa.Connection, deal_id: str) -> bool:
        found = conn.execute(sa.text("SELECT 1 FROM deals WHERE id = :d"), {"d": deal_id})
        return found.first() is not None

    monkeypatch.setattr(journal, "lock_deal", exists_only)
    assert _most_acceptances(workspace, 10) > 1, "without lock or keys, acceptances double up"
