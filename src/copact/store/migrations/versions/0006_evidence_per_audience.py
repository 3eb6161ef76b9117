"""Evidence is indexed once per audience: ``audience`` is the party a confidential record
belongs to, or ``''`` for a record both parties see. Two parties who hold the same bytes each
keep a record of their own (their own name, kind and visibility), so uploading another party's
confidential file gives the uploader their own record, never the first one's. The primary key
becomes (deal, sha256, audience); existing rows keep theirs (``confidential_to``, or shared).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

_COLUMNS = "deal, sha256, kind, name, size, media_type, confidential_to, added_by, created"


def _table(name: str, *, audience: bool) -> None:
    op.create_table(
        name,
        sa.Column("deal", sa.String(64), sa.ForeignKey("deals.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("confidential_to", sa.String(64), nullable=True),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        *([sa.Column("audience", sa.String(64), nullable=False)] if audience else []),
        sa.PrimaryKeyConstraint("deal", "sha256", *(["audience"] if audience else [])),
    )


def upgrade() -> None:
    # a new table and a copy: SQLite cannot change a primary key in place (nothing points at
    # the evidence table, so dropping the old one is safe on both engines)
    _table("evidence_by_audience", audience=True)
    op.execute(
        f"INSERT INTO evidence_by_audience ({_COLUMNS}, audience) "
        f"SELECT {_COLUMNS}, COALESCE(confidential_to, '') FROM evidence"
    )
    op.drop_table("evidence")
    op.rename_table("evidence_by_audience", "evidence")


def downgrade() -> None:
    # one record per file again: the shared one where there is one (''), else the first party's
    _table("evidence_one", audience=False)
    op.execute(
        f"INSERT INTO evidence_one ({_COLUMNS}) SELECT {_COLUMNS} FROM evidence e "
        "WHERE e.audience = (SELECT MIN(o.audience) FROM evidence o "
        "WHERE o.deal = e.deal AND o.sha256 = e.sha256)"
    )
    op.drop_table("evidence")
    op.rename_table("evidence_one", "evidence")
