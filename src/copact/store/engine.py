"""Open a workspace database and bring it to the newest migration.

SQLite (the default, a file in the workspace) runs in WAL mode with ``synchronous=FULL`` so a
committed event survives a crash; PostgreSQL is reached with ``postgresql+psycopg://…``. The
same code and migrations serve both.

Opening writes nothing: migrations run only when the schema is behind, and a read-only engine
(``open_engine(url, readonly=True)``) opens SQLite with ``mode=ro`` and PostgreSQL sessions
read-only, so reading a workspace on a read-only disk, or while an import holds the write lock,
works. A folder nobody may write has no WAL side files to share, and SQLite could not open it
at all: there the file is opened ``immutable``, which is sound because no one can write it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "Unopenable",
    "behind",
    "is_disk_full",
    "is_read_only",
    "migrate",
    "open_engine",
    "sqlite_file",
    "with_file",
    "writable",
]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Unopenable(Exception):
    """The database cannot be opened or read: not a database, damaged, or unreachable."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _postgres_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cursor.close()
    dbapi_connection.commit()


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (as written: maybe relative), or None for another database
    or an in-memory one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = parsed.database
    if database.startswith("file:"):  # a SQLite URI filename
        database = database[len("file:") :].split("?", 1)[0]
    return Path(database)


def with_file(url: str, path: Path) -> str:
    """The SQLite ``url`` with its file replaced by ``path``."""
    return make_url(url).set(database=str(path)).render_as_string(hide_password=False)


def writable(path: Path) -> bool:
    """Whether this process may write the SQLite file and create its side files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def open_engine(url: str, *, readonly: bool = False) -> Engine:
    """An engine for ``url``, with the SQLite settings applied to every connection; with
    ``readonly``, one that cannot write (SQLite ``mode=ro``, PostgreSQL read-only sessions)."""
    path = sqlite_file(url)
    if path is not None and readonly:
        # a folder we may not write cannot get the WAL's side files; nobody writes there
        frozen = not os.access(path.parent, os.W_OK) and not _wal(path).exists()
        query = {"mode": "ro", "uri": "true", **({"immutable": "1"} if frozen else {})}
        target = URL.create("sqlite", database=f"file:{quote(str(path.resolve()))}", query=query)
        engine = create_engine(target, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_read_only)
        return engine
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    if readonly:
        event.listen(engine, "connect", _postgres_read_only)
    return engine


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _config() -> Config:
    # Alembic is imported where a migration is read or run, not with this module: a command
    # that opens no workspace (copact check, schedule, simulate) does not pay for it at start
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def behind(engine: Engine) -> tuple[str | None, str] | None:
    """``(current, newest)`` migration when the database is not at the newest one (current is
    None for an empty database), else None. Only reads."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    newest = ScriptDirectory.from_config(_config()).get_current_head()
    assert newest is not None
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        if is_disk_full(exc) or is_read_only(exc):
            raise
        raise Unopenable(str(exc.orig)) from None
    return None if current == newest else (current, newest)


def migrate(engine: Engine, *, to: str = "head") -> None:
    """Run every Alembic migration not yet applied (up to ``to``), all in one transaction; at
    the newest migration already, nothing is written (no write lock is even taken).

    On SQLite the DB-API driver opens a transaction only before an INSERT, UPDATE or DELETE,
    so a CREATE or ALTER would commit on its own and a migration that fails halfway would
    leave its debris behind. Here the driver's own handling is switched off for the migration
    and an explicit ``BEGIN IMMEDIATE`` holds every statement: a failed upgrade leaves the
    database exactly as it was."""
    if to == "head" and behind(engine) is None:
        return
    from alembic import command

    config = _config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        if engine.dialect.name != "sqlite":
            with connection.begin():
                command.upgrade(config, to)
            return
        driver = connection.connection.driver_connection
        assert driver is not None
        implicit = driver.isolation_level
        driver.isolation_level = None  # the driver leaves transactions to us
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                command.upgrade(config, to)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        finally:
            driver.isolation_level = implicit


def is_disk_full(exc: BaseException) -> bool:
    """A write refused for want of space: ENOSPC or a quota (EDQUOT) from the file system, or
    SQLite's ``SQLITE_FULL`` ("database or disk is full"), wrapped or not."""
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(cause, "sqlite_errorname", None) == "SQLITE_FULL":
            return True
        if type(cause).__name__ == "OperationalError" and "disk is full" in str(cause):
            return True
    return False


def is_read_only(exc: BaseException) -> bool:
    """A write refused because the database (or its folder) may not be written: SQLite's
    ``SQLITE_READONLY`` or a PostgreSQL read-only transaction."""
    for cause in _causes(exc):
        if (getattr(cause, "sqlite_errorname", None) or "").startswith("SQLITE_READONLY"):
            return True
        text = str(cause)
        if "attempt to write a readonly database" in text or "read-only transaction" in text:
            return True
    return False


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        cause = todo.pop()
        if cause is None or any(cause is s for s in seen):
            continue
        seen.append(cause)
        todo += [getattr(cause, "orig", None), cause.__cause__, cause.__context__]
    return seen
