"""Concurrent approvals: 32 threads released together accept and invoice one milestone.

Exactly one acceptance and one invoice come out of every round, on SQLite and on PostgreSQL,
and every other thread gets a refusal, never a crash. The unique key on (deal, once) is what
decides; ``test_without_the_unique_key_the_race_is_lost`` shows the same race without it.
"""

from __future__ import annotations

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
            outcome = ops.accept(
                ops.Accept(deal_id, milestone, "marcus", key=f"{deal_id}-{uuid.uuid4().hex}"),
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


def _evidence() -> list[EvidenceRef]:
    return [EvidenceRef(name=f"{k}.pdf", sha256="a" * 64, kind=k) for k in SAMPLES]


def _prepare(ws: Workspace, n: int) -> str:
    deal, _ = ws.add_deal(_deal_text(n), f"race-{n}.yaml")
    ws.run(deal.id, commands.submit, milestone="prototype-samples", evidence=_evidence(), by="luis")
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


def test_without_the_unique_keys_the_race_is_lost(workspace: Workspace) -> None:  # noqa: F811
    """The same race with the journal's unique keys dropped: more than one acceptance gets in,
    which is why the keys are there. Shown on PostgreSQL, where concurrent transactions both
    commit; SQLite's snapshot isolation refuses the second writer even without them."""
    if workspace.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers by itself; the lost race shows on PostgreSQL")
    workspace.clock = _clock
    with workspace.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE events DROP CONSTRAINT events_once_per_deal"))
        conn.execute(sa.text("ALTER TABLE events DROP CONSTRAINT events_pkey"))
    seen = 0
    for n in range(10):
        deal_id = _prepare(workspace, n)
        _race(workspace, deal_id, "prototype-samples")
        seen = max(seen, sum(1 for e in workspace.events(deal_id) if e.type == "accepted"))
    assert seen > 1, "without the unique keys, concurrent acceptances must be able to double up"
