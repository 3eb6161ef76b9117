"""The workspace's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

``events`` is append-only: a row per journal event, unique by ``(deal, seq)``, holding the
canonical JSON of the event, its SHA-256 chained to the previous row's, and a ``once`` key for
events that may happen once per deal (``accepted:<milestone>``, ``invoice:<milestone>``,
``payment:<ref>``): the unique index on ``(deal, once)`` is what makes two concurrent
acceptances of one milestone produce exactly one, whatever the timing. Triggers (created by the
migration) refuse UPDATE and DELETE on the table in the database itself.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["deal_versions", "deals", "events", "evidence", "idempotency", "metadata"]

metadata = MetaData()

deals = Table(
    "deals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

deal_versions = Table(
    "deal_versions",
    metadata,
    Column("deal", String(64), ForeignKey("deals.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("deal", "version"),
)

events = Table(
    "events",
    metadata,
    Column("deal", String(64), ForeignKey("deals.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("body", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("once", String(200), nullable=True),
    PrimaryKeyConstraint("deal", "seq"),
    UniqueConstraint("deal", "once", name="events_once_per_deal"),
)
Index("events_type", events.c.deal, events.c.type)

idempotency = Table(
    "idempotency",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("deal", String(64), nullable=False),
    Column("request", String(64), nullable=False),  # SHA-256 of the canonical request
    Column("seqs", Text, nullable=False),  # JSON list of the sequence numbers it appended
    Column("created", DateTime(timezone=True), nullable=False),
)

evidence = Table(
    "evidence",
    metadata,
    Column("deal", String(64), ForeignKey("deals.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("name", Text, nullable=False),  # the uploader's file name: metadata, never a path
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("confidential_to", String(64), nullable=True),  # a party id, or shared
    Column("added_by", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("deal", "sha256"),
)
