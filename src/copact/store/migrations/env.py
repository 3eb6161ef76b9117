"""Alembic environment: the connection is handed in by ``copact.store.engine.migrate``."""

from __future__ import annotations

from alembic import context

from copact.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
