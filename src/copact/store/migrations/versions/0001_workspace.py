"""The workspace: deals, their versions, the append-only journal.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION copact_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'copact: the journal is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "deals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "deal_versions",
        sa.Column("deal", sa.String(64), sa.ForeignKey("deals.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("deal", "version"),
    )
    op.create_table(
        "events",
        sa.Column("deal", sa.String(64), sa.ForeignKey("deals.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("once", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("deal", "seq"),
        sa.UniqueConstraint("deal", "once", name="events_once_per_deal"),
    )
    op.create_index("events_type", "events", ["deal", "type"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION copact_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                "BEGIN SELECT RAISE(ABORT, "
                f"'copact: the journal is append-only ({verb} refused)'); END"
            )


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("deal_versions")
    op.drop_table("deals")
