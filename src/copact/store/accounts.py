"""The people who sign in, in the database: users, their sessions, the browsers that signed
in (device cookies) and API tokens (tables ``users``, ``sessions``, ``login_devices``,
``api_tokens`` of migration 0003 and 0005).

Plain reads and writes on a connection the caller's transaction holds; what they mean (who may
sign in, when a session is over) is ``copact.services.accounts``. Session ids, device cookies
and tokens arrive here as their SHA-256 digests only: a copy of the database opens nothing.
Every moment handed back is UTC-aware, also from SQLite (which keeps them naive).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from copact.store.tables import api_tokens, login_devices, sessions, users

__all__ = [
    "SessionRecord",
    "TokenRecord",
    "UserRecord",
    "add_device",
    "add_session",
    "add_token",
    "add_user",
    "deactivate",
    "delete_session",
    "delete_sessions",
    "device_created",
    "password_hash",
    "revoke_tokens",
    "session_by_digest",
    "set_password_hash",
    "token_by_digest",
    "touch_session",
    "user_by_name",
    "user_id",
]


@dataclass(frozen=True)
class UserRecord:
    """A row of ``users``."""

    id: str
    username: str
    name: str
    party: str
    role: str
    person: str | None
    password_hash: str
    active: bool
    must_change_password: bool


@dataclass(frozen=True)
class SessionRecord:
    """A session and its user."""

    digest: str
    user: UserRecord
    csrf: str
    created: datetime
    last_seen: datetime


@dataclass(frozen=True)
class TokenRecord:
    """An API token and its user."""

    user: UserRecord
    revoked: datetime | None


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive date-times; every moment we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _user(row: Row[Any]) -> UserRecord:
    m = row._mapping
    return UserRecord(
        id=m[users.c.id],
        username=m[users.c.username],
        name=m[users.c.name],
        party=m[users.c.party],
        role=m[users.c.role],
        person=m[users.c.person],
        password_hash=m[users.c.password_hash],
        active=bool(m[users.c.active]),
        must_change_password=bool(m[users.c.must_change_password]),
    )


# -- users --


def add_user(conn: Connection, user: UserRecord, *, created: datetime) -> None:
    """Insert ``user``; a username already taken raises the driver's ``IntegrityError``."""
    conn.execute(insert(users).values(**user.__dict__, created=created))


def user_id(conn: Connection, username: str) -> str | None:
    return conn.execute(select(users.c.id).where(users.c.username == username)).scalar()


def user_by_name(conn: Connection, username: str) -> UserRecord | None:
    row = conn.execute(select(users).where(users.c.username == username)).first()
    return None if row is None else _user(row)


def password_hash(conn: Connection, user_id: str) -> str | None:
    """The stored hash of an active user's password."""
    found: str | None = conn.execute(
        select(users.c.password_hash).where(users.c.id == user_id, users.c.active.is_(True))
    ).scalar()
    return found


def set_password_hash(
    conn: Connection, user_id: str, hashed: str, *, must_change: bool | None = None
) -> int:
    """Replace a user's password hash (and, unless None, their ``must_change_password``);
    the number of users changed (0 or 1)."""
    values: dict[str, object] = {"password_hash": hashed}
    if must_change is not None:
        values["must_change_password"] = must_change
    return conn.execute(update(users).where(users.c.id == user_id).values(**values)).rowcount


def deactivate(conn: Connection, user_id: str) -> int:
    """Mark a user inactive: they can no longer sign in, and their sessions and tokens stop
    being honoured; the number of users changed (0 or 1)."""
    return conn.execute(update(users).where(users.c.id == user_id).values(active=False)).rowcount


# -- sessions --


def add_session(
    conn: Connection, *, digest: str, user_id: str, csrf: str, now: datetime, ip: str
) -> None:
    conn.execute(
        insert(sessions).values(
            id_hash=digest, user_id=user_id, csrf=csrf, created=now, last_seen=now, ip=ip
        )
    )


def session_by_digest(conn: Connection, digest: str) -> SessionRecord | None:
    row = conn.execute(
        select(sessions, users)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id_hash == digest)
    ).first()
    if row is None:
        return None
    m = row._mapping
    return SessionRecord(
        digest=digest,
        user=_user(row),
        csrf=m[sessions.c.csrf],
        created=_aware(m[sessions.c.created]),
        last_seen=_aware(m[sessions.c.last_seen]),
    )


def touch_session(conn: Connection, digest: str, now: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.id_hash == digest).values(last_seen=now))


def delete_session(conn: Connection, digest: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.id_hash == digest))


def delete_sessions(conn: Connection, user_id: str) -> None:
    """End every session of a user."""
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


# -- browsers that signed in --


def add_device(conn: Connection, *, digest: str, username: str, now: datetime) -> None:
    conn.execute(insert(login_devices).values(id_hash=digest, username=username, created=now))


def device_created(conn: Connection, digest: str, username: str) -> datetime | None:
    """When the device cookie of ``digest`` was given to a browser signing in as
    ``username``; None when it is not one of theirs."""
    created = conn.execute(
        select(login_devices.c.created).where(
            login_devices.c.id_hash == digest, login_devices.c.username == username
        )
    ).scalar()
    return None if created is None else _aware(created)


# -- API tokens --


def add_token(
    conn: Connection, *, id: str, user_id: str, name: str, digest: str, now: datetime
) -> None:
    conn.execute(
        insert(api_tokens).values(id=id, user_id=user_id, name=name, token_hash=digest, created=now)
    )


def token_by_digest(conn: Connection, digest: str) -> TokenRecord | None:
    row = conn.execute(
        select(api_tokens.c.revoked, users)
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.token_hash == digest)
    ).first()
    if row is None:
        return None
    revoked = row._mapping[api_tokens.c.revoked]
    return TokenRecord(_user(row), None if revoked is None else _aware(revoked))


def revoke_tokens(conn: Connection, user_id: str, now: datetime) -> int:
    """Revoke every live token of a user; how many there were."""
    return conn.execute(
        update(api_tokens)
        .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked.is_(None))
        .values(revoked=now)
    ).rowcount
