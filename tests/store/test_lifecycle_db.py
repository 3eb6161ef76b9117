"""The lifecycle state machine of ``tests/core`` again, with every command going through the
workspace (the guard on the folded state, one transaction, the hash-chained append) into a real
database: SQLite always, PostgreSQL when it answers. After every step, besides the invariants of
the pure machine, the stored journal verifies and is exactly the journal the model expects."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import settings
from hypothesis.stateful import invariant

from copact.core.events import Event, Signed
from copact.errors import RefusedCommand
from copact.services.workspace import Workspace
from tests.conftest import EXAMPLES, run_command
from tests.core.test_lifecycle_machine import DEAL, Lifecycle
from tests.store.test_workspace import PG_URL, _postgres_schema

TEXT = (EXAMPLES / "heat-sensor-housing.yaml").read_text()


class LifecycleInTheDatabase(Lifecycle):
    database: str | None = None  # None: SQLite in a temporary folder

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="copact-machine-"))
        self.schema: str | None = None
        url = None
        if self.database == "postgresql":
            self.schema = _postgres_schema()
            url = f"{PG_URL}?options=-csearch_path%3D{self.schema}"
        self.ws = Workspace.init(self.folder / "ws", database=url, clock=self._clock)
        self.ws.add_deal(TEXT, "heat-sensor-housing.yaml")
        signed = [e for e in self.journal if isinstance(e, Signed)]
        self.ws.execute(DEAL.id, lambda *_: list(signed), key=None, request={})
        self.journal = self.ws.events(DEAL.id)

    def _clock(self) -> datetime:
        return datetime.combine(self.day, time(12), tzinfo=UTC)

    def _try(self, command, **kwargs: Any) -> list[Event] | None:  # type: ignore[no-untyped-def]
        try:
            events = run_command(self.ws, DEAL.id, command, **kwargs)
        except RefusedCommand:
            return None
        self.journal = self.ws.events(DEAL.id)
        return events

    @invariant()
    def the_stored_journal_verifies_and_is_the_journal(self) -> None:
        result = self.ws.verify(DEAL.id)
        assert result.ok and result.count == len(self.journal)
        assert self.ws.events(DEAL.id) == self.journal

    def teardown(self) -> None:
        self.ws.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.schema is not None:
            engine = sa.create_engine(PG_URL)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {self.schema} CASCADE"))
            engine.dispose()


class OnSQLite(LifecycleInTheDatabase):
    database = None


TestOnSQLite = OnSQLite.TestCase
TestOnSQLite.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)


def _postgres_answers() -> bool:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


if _postgres_answers():

    class OnPostgreSQL(LifecycleInTheDatabase):
        database = "postgresql"

    TestOnPostgreSQL = OnPostgreSQL.TestCase
    TestOnPostgreSQL.settings = settings(max_examples=25, stateful_step_count=30, deadline=None)
else:  # pragma: no cover — only where no server answers

    def test_on_postgresql() -> None:
        import pytest

        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432 (trust auth, database test)")
