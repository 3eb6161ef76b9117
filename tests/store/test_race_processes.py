"""Decisions that race, with real processes on SQLite and on PostgreSQL.

Each round forks 16 processes that open the workspace on their own, wait at a barrier and then
all decide the same submitted milestone at once: 8 accept it, 8 reject it. Exactly one decision
is recorded every round (one acceptance with its invoice, or one rejection), the journal
verifies, and its export imports into a fresh workspace. Before appends to a deal were
serialised, both an acceptance and a rejection (or two rejections) got in most rounds.

The same holds for a retry racing its first call (same idempotency key: every process gets the
first call's answer) and for unrelated commands at once (16 payments with their own references:
all recorded, none refused).
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from copact.core import commands
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.workspace import Workspace
from tests.conftest import run_command, sign_deal
from tests.store.test_race import held_evidence
from tests.store.test_workspace import DEAL, workspace  # noqa: F401  (the fixture)

PROCESSES = 16
ROUNDS = int(os.environ.get("COPACT_RACE_ROUNDS_MP", "6"))
_fork = multiprocessing.get_context("fork")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX fork")


def _clock() -> datetime:
    return datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


Act = Callable[[Workspace, int], str]


def _child(root: Path, out: Path, barrier: object, act: Act, n: int) -> None:
    code = 1
    try:
        ws = Workspace.open(root, clock=_clock)
        barrier.wait()  # type: ignore[attr-defined]
        try:
            result = act(ws, n)
        except RefusedCommand as exc:
            result = f"refused: {exc}"
        except Exception as exc:  # a crash is a failure of the test, reported by the parent
            result = f"crash: {type(exc).__name__}: {exc}"
        out.write_text(result)
        code = 0
    finally:
        os._exit(code)


def _race(ws: Workspace, tmp: Path, act: Act) -> list[str]:
    """Run ``act`` in PROCESSES forked processes released together; their answers."""
    ws.engine.dispose()  # no connection of the parent crosses the fork
    barrier = _fork.Barrier(PROCESSES)
    outs = [tmp / f"out-{uuid.uuid4().hex}" for _ in range(PROCESSES)]
    procs = [
        _fork.Process(target=_child, args=(ws.root, out, barrier, act, n))
        for n, out in enumerate(outs)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    return [out.read_text() for out in outs]


def _prepared(ws: Workspace, n: int) -> str:
    text = DEAL.read_text().replace("id: heat-sensor-housing", f"id: race-{n}", 1)
    deal, _ = ws.add_deal(text, f"race-{n}.yaml")
    sign_deal(ws, deal.id, clock=_clock)  # it binds, so it operates
    refs = held_evidence(ws, deal.id)
    run_command(
        ws, deal.id, commands.submit, milestone="prototype-samples", evidence=refs, by="luis"
    )
    return deal.id


def _decide(deal_id: str) -> Act:
    def act(ws: Workspace, n: int) -> str:
        if n % 2 == 0:
            command: ops.Accept | ops.Reject = ops.Accept(
                deal=deal_id, milestone="prototype-samples", by="marcus"
            )
            outcome = ops.execute(command, uow=ws, clock=_clock)
        else:
            command = ops.Reject(
                deal=deal_id, milestone="prototype-samples", by="marcus", reasons=("cracked boss",)
            )
            outcome = ops.execute(command, uow=ws, clock=_clock)
        return "+".join(e.type for e in outcome.events)

    return act


def test_sixteen_racing_decisions_record_exactly_one(
    workspace: Workspace,  # noqa: F811
    tmp_path: Path,
) -> None:
    workspace.clock = _clock
    for n in range(ROUNDS):
        deal_id = _prepared(workspace, n)
        answers = _race(workspace, tmp_path, _decide(deal_id))
        assert [a for a in answers if a.startswith("crash")] == []
        decided = [a for a in answers if not a.startswith("refused")]
        assert len(decided) == 1, f"round {n}: {decided}"
        assert decided[0] in ("accepted+invoice", "rejected")
        events = workspace.events(deal_id)
        decisions = [e for e in events if e.type in ("accepted", "rejected")]
        assert len(decisions) == 1, f"round {n}: {[e.type for e in decisions]}"
        assert workspace.verify(deal_id).ok
        # what one export says, a fresh workspace imports through the same guards
        fresh = Workspace.init(tmp_path / f"fresh-{n}", database=None, clock=_clock)
        fresh.add_deal(workspace.deal_text(deal_id), "again.yaml")
        assert fresh.import_journal(deal_id, workspace.export_journal(deal_id), "x") == len(events)
        fresh.engine.dispose()


def test_a_retry_racing_its_first_call_gets_the_first_answer(
    workspace: Workspace,  # noqa: F811
    tmp_path: Path,
) -> None:
    workspace.clock = _clock
    for n in range(max(2, ROUNDS // 2)):
        deal_id = _prepared(workspace, n)

        def act(ws: Workspace, _: int, deal_id: str = deal_id) -> str:
            command = ops.Accept(
                deal=deal_id, milestone="prototype-samples", by="marcus", key=f"same-{deal_id}"
            )
            outcome = ops.execute(command, uow=ws, clock=_clock)
            kind = "replayed" if outcome.replayed else "first"
            return f"{kind}:{outcome.seqs}"

        answers = _race(workspace, tmp_path, act)
        assert [a for a in answers if not a.startswith(("first", "replayed"))] == []
        assert sum(1 for a in answers if a.startswith("first")) == 1
        # every caller got the same sequence numbers: the first call's events
        assert len({a.split(":", 1)[1] for a in answers}) == 1
        assert sum(1 for e in workspace.events(deal_id) if e.type == "accepted") == 1


def test_unrelated_commands_at_once_are_all_recorded(
    workspace: Workspace,  # noqa: F811
    tmp_path: Path,
) -> None:
    workspace.clock = _clock
    deal_id = _prepared(workspace, 0)

    def act(ws: Workspace, n: int) -> str:
        command = ops.RecordPayment(
            deal=deal_id,
            payer="ridgeline",
            payee="kestrel",
            amount=Decimal("100.00"),
            ref=f"P-{n}",
            key=f"pay-{n}",
            by="dana",
        )
        return ops.execute(command, uow=ws, clock=_clock).events[0].type

    answers = _race(workspace, tmp_path, act)
    assert answers == ["payment"] * PROCESSES
    refs = {e.ref for e in workspace.events(deal_id) if e.type == "payment"}  # type: ignore[union-attr]
    assert refs == {f"P-{n}" for n in range(PROCESSES)}
    assert workspace.verify(deal_id).ok
