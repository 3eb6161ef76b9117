"""The workspace on real databases: SQLite always, PostgreSQL on 127.0.0.1:5432 when it answers.

Import is all or nothing through the guards; the journal's hash chain catches tampering; the
database itself refuses UPDATE and DELETE; one acceptance per milestone is a unique constraint.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from copact.core.events import Accepted
from copact.services.workspace import ImportRefused, Workspace
from copact.store import journal
from tests.conftest import EXAMPLES

DEAL = EXAMPLES / "heat-sensor-housing.yaml"
JOURNAL = (EXAMPLES / "journals" / "heat-sensor-housing.jsonl").read_text()
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _clock() -> datetime:
    return datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _postgres_schema() -> str | None:
    """A fresh schema on the local server, or None when no server answers."""
    try:
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            name = f"t_{uuid.uuid4().hex[:12]}"
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
        engine.dispose()
        return name
    except Exception:
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    if request.param == "sqlite":
        ws = Workspace.init(tmp_path / "ws", database=None, clock=_clock)
        yield ws
        ws.engine.dispose()
        return
    schema = _postgres_schema()
    if schema is None:
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432 (trust auth, database test)")
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    ws = Workspace.init(tmp_path / "ws", database=url, clock=_clock)
    yield ws
    ws.engine.dispose()
    with sa.create_engine(PG_URL).begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


def _loaded(ws: Workspace) -> Workspace:
    ws.add_deal(DEAL.read_text(), str(DEAL))
    assert ws.import_journal("heat-sensor-housing", JOURNAL, "j.jsonl") == 8
    return ws


def test_import_export_round_trips_and_verifies(workspace: Workspace) -> None:
    ws = _loaded(workspace)
    assert ws.export_journal("heat-sensor-housing") == JOURNAL
    result = ws.verify("heat-sensor-housing")
    assert result.ok and result.count == 8


def test_a_refused_line_leaves_nothing_half_applied(workspace: Workspace) -> None:
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    lines = JOURNAL.splitlines()
    # line 5 (after the two signatures) accepts design-freeze by luis, the supplier's own person
    lines[4] = lines[4].replace('"by":"marcus"', '"by":"luis"')
    with pytest.raises(ImportRefused) as refused:
        workspace.import_journal("heat-sensor-housing", "\n".join(lines) + "\n", "bad.jsonl")
    assert refused.value.line == 5 and "signed off by marcus, not luis" in refused.value.reason
    assert workspace.events("heat-sensor-housing") == []


def test_a_second_import_of_the_same_file_adds_nothing(workspace: Workspace) -> None:
    """A retry (after a crash, or by mistake) completes exactly: what the journal already holds
    as its first lines is skipped, the rest goes through the guards."""
    ws = _loaded(workspace)
    assert ws.import_journal("heat-sensor-housing", JOURNAL, "again.jsonl") == 0
    assert ws.export_journal("heat-sensor-housing") == JOURNAL


def test_a_re_import_after_a_partial_one_appends_only_the_rest(workspace: Workspace) -> None:
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    # the two signatures and the first half of what operates the deal
    first_half = "".join(JOURNAL.splitlines(keepends=True)[:5])
    assert workspace.import_journal("heat-sensor-housing", first_half, "half.jsonl") == 5
    assert workspace.import_journal("heat-sensor-housing", JOURNAL, "all.jsonl") == 3
    assert workspace.export_journal("heat-sensor-housing") == JOURNAL
    assert workspace.verify("heat-sensor-housing").count == 8


def test_a_different_journal_on_top_is_refused_at_its_first_bad_line(
    workspace: Workspace,
) -> None:
    ws = _loaded(workspace)
    lines = JOURNAL.splitlines(keepends=True)
    # the journal from its second line, after its own last event: refused at the first line
    with pytest.raises(ImportRefused) as refused:
        ws.import_journal("heat-sensor-housing", "".join(lines[1:]), "again.jsonl")
    assert refused.value.line == 1 and "date order" in refused.value.reason
    assert len(ws.events("heat-sensor-housing")) == 8


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET body = replace(body, '30000', '3000') WHERE seq = 3",
        "DELETE FROM events WHERE seq = 8",
    ],
)
def test_the_database_refuses_update_and_delete(workspace: Workspace, statement: str) -> None:
    ws = _loaded(workspace)
    with pytest.raises(DBAPIError, match="append-only"), ws.engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert ws.verify("heat-sensor-housing").ok


def test_one_acceptance_per_milestone_is_a_unique_constraint(workspace: Workspace) -> None:
    ws = _loaded(workspace)
    again = Accepted(
        at=date(2026, 12, 30), deal="heat-sensor-housing", milestone="design-freeze", by="marcus"
    )
    with pytest.raises(IntegrityError), ws.engine.begin() as conn:
        journal.append(conn, "heat-sensor-housing", [again])
    assert len(ws.events("heat-sensor-housing")) == 8


def _tamper(ws: Workspace, *statements: str) -> journal.Verification:
    """What someone with write access to the SQLite file could do, triggers removed first."""
    with ws.engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER events_no_update"))
        conn.execute(sa.text("DROP TRIGGER events_no_delete"))
        for statement in statements:
            conn.execute(sa.text(statement))
    return ws.verify("heat-sensor-housing")


@pytest.fixture
def sqlite_ws(tmp_path: Path) -> Iterator[Workspace]:
    ws = _loaded(Workspace.init(tmp_path / "ws", database=None, clock=_clock))
    yield ws
    ws.engine.dispose()


def test_a_flipped_byte_is_caught_at_its_event(sqlite_ws: Workspace) -> None:
    result = _tamper(
        sqlite_ws, "UPDATE events SET body = replace(body, '9000', '9900') WHERE seq = 8"
    )
    assert not result.ok and result.first_bad == 8 and "hash" in result.reason


def test_a_deleted_event_is_caught(sqlite_ws: Workspace) -> None:
    result = _tamper(sqlite_ws, "DELETE FROM events WHERE seq = 5")
    assert not result.ok and result.first_bad == 6


def test_swapped_events_are_caught(sqlite_ws: Workspace) -> None:
    result = _tamper(
        sqlite_ws,
        "UPDATE events SET seq = 100 WHERE seq = 6",
        "UPDATE events SET seq = 6 WHERE seq = 7",
        "UPDATE events SET seq = 7 WHERE seq = 100",
    )
    assert not result.ok and result.first_bad == 6


def test_an_inserted_event_is_caught(sqlite_ws: Workspace) -> None:
    body = (
        '{"amount":"1","at":"2026-12-11","deal":"heat-sensor-housing",'
        '"for":"x","type":"work-claimed"}'
    )
    result = _tamper(
        sqlite_ws,
        "UPDATE events SET seq = seq + 10 WHERE seq >= 6",
        "UPDATE events SET seq = seq - 9 WHERE seq >= 16",
        f"INSERT INTO events (deal, seq, type, body, prev_hash, hash) VALUES "
        f"('heat-sensor-housing', 6, 'work-claimed', '{body}', '{'0' * 64}', '{'0' * 64}')",
    )
    assert not result.ok and result.first_bad == 6
