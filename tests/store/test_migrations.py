"""Upgrading a workspace that is in use: people have signed in and hold API tokens when the
next release adds a migration. Its rows must come through, and a migration that fails must
leave the database exactly as it was (SQLite's driver would otherwise commit each CREATE or
ALTER on its own)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from copact.store.engine import migrate, open_engine

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as raw:
        return {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _revision(path: Path) -> str:
    with sqlite3.connect(path) as raw:
        (rev,) = raw.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(rev)


@pytest.fixture
def in_use(tmp_path: Path) -> Path:
    """A workspace at migration 0003 (the web app's first tables) with a user who has signed
    in and holds an API token: rows that point at the users table."""
    path = tmp_path / "copact.db"
    engine = open_engine(f"sqlite:///{path}")
    migrate(engine, to="0003")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, username, name, party, role, person, password_hash, "
                "active, created) VALUES ('u1', 'ana', 'Ana Ortiz', 'acme', 'owner', 'ana', "
                ":hash, 1, :now)"
            ),
            {"hash": PasswordHasher().hash("correct horse battery"), "now": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO sessions (id_hash, user_id, csrf, created, last_seen, ip) "
                "VALUES ('s1', 'u1', 'c1', :now, :now, '127.0.0.1')"
            ),
            {"now": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, created) "
                "VALUES ('t1', 'u1', 'script', 'h1', :now)"
            ),
            {"now": NOW},
        )
    engine.dispose()
    assert _revision(path) == "0003"
    return path


def test_an_upgrade_keeps_the_people_their_sessions_and_tokens(in_use: Path) -> None:
    engine = open_engine(f"sqlite:///{in_use}")
    migrate(engine)
    with engine.connect() as conn:
        user = conn.execute(sa.text("SELECT username, must_change_password FROM users")).one()
        sessions = conn.execute(sa.text("SELECT count(*) FROM sessions")).scalar_one()
        tokens = conn.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar_one()
    engine.dispose()
    # someone who already chose a password is not sent to change it by an upgrade
    assert tuple(user) == ("ana", False)
    assert (sessions, tokens) == (1, 1)
    assert "_alembic_tmp_users" not in _tables(in_use)
    with sqlite3.connect(in_use) as raw:
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_failed_migration_leaves_the_database_as_it_was(
    in_use: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that breaks after its first statement: the column it added is gone again
    and the database still says 0003, so the next start simply tries again."""
    from alembic.operations import Operations

    before = _tables(in_use)
    real = Operations.add_column

    def add_then_fail(self: Operations, *args: object, **kwargs: object) -> None:
        real(self, *args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the machine lost power here")

    monkeypatch.setattr(Operations, "add_column", add_then_fail)
    engine = open_engine(f"sqlite:///{in_use}")
    with pytest.raises(RuntimeError, match="lost power"):
        migrate(engine)
    engine.dispose()
    assert _revision(in_use) == "0003"
    assert _tables(in_use) == before
    with sqlite3.connect(in_use) as raw:
        columns = {r[1] for r in raw.execute("PRAGMA table_info(users)")}
    assert "must_change_password" not in columns
    monkeypatch.undo()
    engine = open_engine(f"sqlite:///{in_use}")
    migrate(engine)
    engine.dispose()
    assert _revision(in_use) != "0003"
