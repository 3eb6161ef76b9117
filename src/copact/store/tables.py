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
    Boolean,
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
    false,
)

__all__ = [
    "access_log",
    "api_tokens",
    "deal_versions",
    "deals",
    "events",
    "evidence",
    "idempotency",
    "login_devices",
    "login_throttle",
    "metadata",
    "sessions",
    "users",
]

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
    # (migration 0006) the party whose record it is when confidential, '' when both see it:
    # two parties holding the same bytes keep a record each, neither seeing the other's
    Column("audience", String(64), nullable=False),
    PrimaryKeyConstraint("deal", "sha256", "audience"),
)


# -- the web app (migration 0003): people who sign in, their sessions and tokens, the access log --
#
# A user belongs to exactly one party (a party id of the deals, e.g. ``acme``) with a role; the
# ``person`` is their id among the deal's people, used as ``by`` when they act. Session ids and
# API tokens are stored as SHA-256 digests only: a copy of the database opens no session.

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("party", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("person", String(64), nullable=True),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    # set when an administrator, the demo or the CLI issues a password: until its owner picks
    # their own, a session reaches only the change-password page and sign-out
    Column("must_change_password", Boolean, nullable=False, server_default=false()),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("ip", String(64), nullable=True),
)
Index("sessions_user", sessions.c.user_id)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_used", DateTime(timezone=True), nullable=True),
    Column("revoked", DateTime(timezone=True), nullable=True),
)

# -- the sign-in throttle (migration 0005): a row a counter, ``scope`` one of ``account+address``,
# ``account``, ``address``, ``device``; ``key`` what it counts (e.g. ``ana|203.0.113.7``). An
# attempt is counted before its password is checked, by one UPDATE that only a row whose wait is
# over lets through (or the INSERT the primary key serialises), so simultaneous tries queue here.

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("scope", String(16), nullable=False),
    Column("key", String(200), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_attempt", DateTime(timezone=True), nullable=False),
    Column("next_allowed", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("scope", "key"),
)

#: browsers that signed in to an account: the digest of their device cookie
login_devices = Table(
    "login_devices",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("username", String(100), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

access_log = Table(
    "access_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(100), nullable=True),
    Column("party", String(64), nullable=True),
    Column("deal", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("object", Text, nullable=False),
    Column("outcome", String(16), nullable=False),  # read | refused
    Column("concerns", String(64), nullable=True),  # the party whose item it was; * every party
    Column("ip", String(64), nullable=True),
    Column("detail", Text, nullable=False),
)
Index("access_log_deal", access_log.c.deal, access_log.c.id)
