"""Open a workspace database and bring it to the newest migration.

SQLite (the default, a file in the workspace) runs in WAL mode with ``synchronous=FULL`` so a
committed event survives a crash; PostgreSQL is reached with ``postgresql+psycopg://…``. The
same code and migrations serve both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

__all__ = ["migrate", "open_engine"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def open_engine(url: str) -> Engine:
    """An engine for ``url``, with the SQLite settings applied to every connection."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine, *, to: str = "head") -> None:
    """Run every Alembic migration not yet applied (up to ``to``), all in one transaction.

    On SQLite the DB-API driver opens a transaction only before an INSERT, UPDATE or DELETE,
    so a CREATE or ALTER would commit on its own and a migration that fails halfway would
    leave its debris behind. Here the driver's own handling is switched off for the migration
    and an explicit ``BEGIN IMMEDIATE`` holds every statement: a failed upgrade leaves the
    database exactly as it was."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
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
