"""The workspace a server runs on: opened (or created when missing), on another database when
told, and migrated, with a connection pool as large as the server's threads on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine

from copact.services.workspace import CONFIG, Workspace
from copact.store.engine import migrate, open_engine

__all__ = ["open_for_serving"]


def open_for_serving(
    root: Path, database: str | None, *, clock: Callable[[], datetime], pool_size: int
) -> Workspace:
    """The workspace at ``root`` (created when missing), on ``database`` when given, migrated.

    On PostgreSQL the server keeps a pool of ``pool_size`` connections (and 8 more at a
    burst), so a burst of requests never queues for a connection."""
    if not (root / CONFIG).is_file():
        ws = Workspace.init(root, database=database, clock=clock)
    else:
        ws = Workspace.open(root, clock=clock)
    configured = ws.engine.url.render_as_string(hide_password=False)
    url = database or configured
    if url.startswith("postgresql"):
        ws.engine.dispose()
        # no ping before each checkout (a round trip per query): after a database restart the
        # first request fails, the pool is discarded, and a retry with its key is safe
        engine = create_engine(url, pool_size=pool_size, max_overflow=8, pool_recycle=1800)
    elif url != configured:
        engine = open_engine(url)
    else:
        return ws
    migrate(engine)
    return Workspace(root, engine, clock, ws.evidence_limit)
