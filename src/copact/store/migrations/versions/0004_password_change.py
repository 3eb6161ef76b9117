"""Issued passwords are one-time: a flag on the user that sends them to the change-password
page until they pick their own. Existing users keep signing in as before (default false).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # a plain ADD COLUMN on both engines: SQLite adds a NOT NULL column with a default in place,
    # so the users table is never copied and dropped (which its sessions' and tokens' foreign
    # keys refuse once anyone has signed in)
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
