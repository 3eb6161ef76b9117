"""People who sign in: users of one party, server-side sessions, API tokens and the login
throttle. The web app's auth use cases, on the workspace's database.

Sign-in, step by step: the attempt is counted by the throttle (``copact.web.throttle``) before
the password is checked; a try during a wait is answered 429 without a check, so guessing costs
time, not just CPU, and simultaneous guesses cannot all be checked. The counters are per
account and address, per account and per address; a browser that signed in to the account
before has a device cookie and a counter of its own, so a stranger spending the account's
budget does not lock the real user out. A success clears the account's counters.

A session id is 32 random bytes given to the browser once; the database keeps its SHA-256. A
new id is made at every sign-in (no fixation), sign-out deletes the row, and a session idle for
``session_idle`` or older than ``session_max`` is gone. API tokens work the same way:
``cpt_`` + 32 random bytes, stored hashed, acting as their user (and so their party).

A password an administrator issues (``copact user add``, ``serve --demo``) is one-time: the
user's ``must_change_password`` flag is set, and until they pick their own on the
change-password page (:meth:`Accounts.change_password`) a session reaches nothing else. The new
password is not the old one and has at least ``MIN_PASSWORD`` characters; the change ends every
session of the user and starts a new one.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from copact.errors import CopactError
from copact.store.tables import api_tokens, login_devices, sessions, users
from copact.web.passwords import hash_password, needs_rehash, verify_password
from copact.web.settings import WebSettings
from copact.web.throttle import Throttle, Throttled

__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "AccountError",
    "Accounts",
    "Principal",
    "SignIn",
    "Throttled",
]

#: role → what it is for (the permissions are in ``copact.web.access``)
ROLES = {
    "owner": "runs the deal for their party: everything, and the access log",
    "acceptor": "reviews submissions and accepts or rejects them",
    "finance": "invoices and payments",
    "operations": "day-to-day running: gates, risks, decisions",
    "account": "the supplier's account lead: submissions, claims, change orders",
    "billing": "the supplier's invoices and payments received",
    "engineer": "uploads evidence and submits milestones",
    "auditor": "reads everything of their party, and the access log",
}


#: the fewest characters a password may have
MIN_PASSWORD = 12


class AccountError(CopactError):
    """A user could not be created or found."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user (through a session or one of their API tokens)."""

    user_id: str
    username: str
    name: str
    party: str
    role: str
    person: str | None
    session: str | None = None  # the session id's hash, when signed in through a browser
    csrf: str | None = None
    via_token: bool = False
    must_change_password: bool = False  # an issued password: only the change page opens


@dataclass(frozen=True)
class SignIn:
    principal: Principal
    session_id: str  # given to the browser once
    device: str | None = None  # a new device cookie for the browser, when it had none


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive date-times; every moment we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Accounts:
    def __init__(self, engine: Engine, settings: WebSettings, clock: Callable[[], datetime]):
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.throttle = Throttle(engine, settings, clock)
        # token digest → (principal, until): a script's burst of requests costs one lookup;
        # a revocation takes effect within ``settings.token_cache`` (and at once here)
        self._tokens: dict[str, tuple[Principal, float]] = {}

    # -- users --

    def create_user(
        self,
        *,
        username: str,
        name: str,
        party: str,
        role: str,
        password: str,
        person: str | None = None,
        one_time: bool = True,
    ) -> str:
        """A new user with an issued ``password``: ``one_time`` (the default) makes them pick
        their own at their first sign-in."""
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
        user_id = uuid.uuid4().hex
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(users).values(
                        id=user_id,
                        username=username,
                        name=name,
                        party=party,
                        role=role,
                        person=person,
                        password_hash=hash_password(password),
                        active=True,
                        created=self.clock(),
                        must_change_password=one_time,
                    )
                )
        except IntegrityError:
            raise AccountError(f"there is already a user {username!r}") from None
        return user_id

    def set_password(self, username: str, password: str, *, one_time: bool = True) -> None:
        """Issue ``password`` to ``username`` (one-time unless told), ending their sessions."""
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
        with self.engine.begin() as conn:
            done = conn.execute(
                update(users)
                .where(users.c.username == username)
                .values(password_hash=hash_password(password), must_change_password=one_time)
            ).rowcount
            conn.execute(delete(sessions).where(sessions.c.user_id == self._id(conn, username)))
        if not done:
            raise AccountError(f"no user {username!r}")

    def user_exists(self, username: str) -> bool:
        with self.engine.connect() as conn:
            return self._id(conn, username) is not None

    @staticmethod
    def _id(conn: Connection, username: str) -> str | None:
        return conn.execute(select(users.c.id).where(users.c.username == username)).scalar()

    # -- sign in and out --

    def sign_in(
        self, username: str, password: str, *, ip: str, device: str | None = None
    ) -> SignIn | None:
        """A new session for the right password; None for a wrong one (or no such user, which
        takes as long). Raises :class:`Throttled`, without checking the password, while a wait
        of the attempt's counters runs. ``device`` is the browser's device cookie, if any: one
        this account issued counts the attempt against that browser alone."""
        now = self.clock()
        key_ip = ip[:64]
        key_user = username[:100]
        known = self._device(key_user, device, now)
        counters = self.throttle.counters(key_user, key_ip, device=known)
        self.throttle.take(counters)  # counted before the check: concurrent tries queue here
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == key_user)).first()
        stored = row.password_hash if row is not None and row.active else None
        if not verify_password(stored, password) or row is None:
            return None
        self.throttle.succeeded(counters)
        new_device = None
        with self.engine.begin() as conn:
            session_id, csrf = self._new_session(conn, row.id, key_ip, now)
            if known is None:
                new_device = secrets.token_urlsafe(32)
                conn.execute(
                    insert(login_devices).values(
                        id_hash=_digest(new_device), username=row.username, created=now
                    )
                )
            if needs_rehash(row.password_hash):
                conn.execute(
                    update(users)
                    .where(users.c.id == row.id)
                    .values(password_hash=hash_password(password))
                )
        principal = Principal(
            row.id,
            row.username,
            row.name,
            row.party,
            row.role,
            row.person,
            session=_digest(session_id),
            csrf=csrf,
            must_change_password=bool(row.must_change_password),
        )
        return SignIn(principal, session_id, new_device)

    def _device(self, username: str, device: str | None, now: datetime) -> str | None:
        """The digest of ``device`` when it is a device cookie of ``username``'s, not too old."""
        if not device or len(device) > 100:
            return None
        digest = _digest(device)
        with self.engine.connect() as conn:
            created = conn.execute(
                select(login_devices.c.created).where(
                    login_devices.c.id_hash == digest, login_devices.c.username == username
                )
            ).scalar()
        if created is None or now - _aware(created) > self.settings.login_device_max_age:
            return None
        return digest

    @staticmethod
    def _new_session(conn: Connection, user_id: str, ip: str, now: datetime) -> tuple[str, str]:
        """A session row for ``user_id``: (the id for the browser, its CSRF token)."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        conn.execute(
            insert(sessions).values(
                id_hash=_digest(session_id),
                user_id=user_id,
                csrf=csrf,
                created=now,
                last_seen=now,
                ip=ip,
            )
        )
        return session_id, csrf

    def change_password(
        self, who: Principal, *, current: str, new: str, confirm: str, ip: str
    ) -> SignIn:
        """Replace ``who``'s password with ``new``: refused (:class:`AccountError`) unless
        ``current`` is right, ``new`` is long enough, differs from it and is ``confirm``ed.
        Every session of the user ends; the one returned is the browser's new one.

        Checking the current password counts as a sign-in attempt of (user, address), so a
        stolen session cannot be used to guess the password faster than the sign-in page
        allows."""
        if who.session is None:
            raise AccountError("sign in with your password to change it")
        now = self.clock()
        key_ip = ip[:64]
        if new != confirm:
            raise AccountError("The new password and its confirmation differ; type it twice.")
        if len(new) < MIN_PASSWORD:
            raise AccountError(f"A new password has at least {MIN_PASSWORD} characters.")
        counters = self.throttle.counters(who.username, key_ip, device=None)
        self.throttle.take(counters)
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(users.c.password_hash).where(
                    users.c.id == who.user_id, users.c.active.is_(True)
                )
            ).scalar()
        if not verify_password(stored, current):
            raise AccountError("Your current password is not right.")
        self.throttle.succeeded(counters)
        if new == current:
            raise AccountError("The new password must differ from the current one.")
        with self.engine.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == who.user_id)
                .values(password_hash=hash_password(new), must_change_password=False)
            )
            conn.execute(delete(sessions).where(sessions.c.user_id == who.user_id))
            session_id, csrf = self._new_session(conn, who.user_id, key_ip, now)
        principal = replace(who, session=_digest(session_id), csrf=csrf, must_change_password=False)
        return SignIn(principal, session_id)

    def session(self, session_id: str) -> Principal | None:
        """The signed-in user of a session id, touching its idle clock; None when it is
        unknown, idle too long or too old (and then it is deleted)."""
        now = self.clock()
        digest = _digest(session_id)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sessions, users)
                .join(users, users.c.id == sessions.c.user_id)
                .where(sessions.c.id_hash == digest)
            ).first()
        if row is None:
            return None
        expired = (
            now - _aware(row.last_seen) > self.settings.session_idle
            or now - _aware(row.created) > self.settings.session_max
            or not row.active
        )
        with self.engine.begin() as conn:
            if expired:
                conn.execute(delete(sessions).where(sessions.c.id_hash == digest))
                return None
            # touch at most once a minute: a page view is not a write
            if now - _aware(row.last_seen) > timedelta(minutes=1):
                conn.execute(
                    update(sessions).where(sessions.c.id_hash == digest).values(last_seen=now)
                )
        return Principal(
            row.user_id,
            row.username,
            row.name,
            row.party,
            row.role,
            row.person,
            session=digest,
            csrf=row.csrf,
            must_change_password=bool(row.must_change_password),
        )

    def end_session(self, session_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.id_hash == _digest(session_id)))

    def sign_out(self, principal: Principal) -> None:
        if principal.session is None:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.id_hash == principal.session))

    # -- API tokens --

    def create_token(self, username: str, name: str) -> str:
        """A new API token for ``username``; the value is shown once, only its hash is kept."""
        token = "cpt_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            user_id = self._id(conn, username)
            if user_id is None:
                raise AccountError(f"no user {username!r}")
            conn.execute(
                insert(api_tokens).values(
                    id=uuid.uuid4().hex,
                    user_id=user_id,
                    name=name,
                    token_hash=_digest(token),
                    created=self.clock(),
                )
            )
        return token

    def remembered(self, token: str) -> Principal | None:
        """The user of a token looked up moments ago, without asking the database."""
        cached = self._tokens.get(_digest(token))
        if cached is not None and cached[1] > self.clock().timestamp():
            return cached[0]
        return None

    def token(self, token: str) -> Principal | None:
        if not token.startswith("cpt_") or len(token) > 200:
            return None
        digest = _digest(token)
        cached = self._tokens.get(digest)
        if cached is not None and cached[1] > self.clock().timestamp():
            return cached[0]
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_tokens.c.revoked, users)
                .join(users, users.c.id == api_tokens.c.user_id)
                .where(api_tokens.c.token_hash == digest)
            ).first()
        if row is None or row.revoked is not None or not row.active:
            self._tokens.pop(digest, None)
            return None
        principal = Principal(
            row.id, row.username, row.name, row.party, row.role, row.person, via_token=True
        )
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[digest] = (principal, self.clock().timestamp() + self.settings.token_cache)
        return principal

    def revoke_tokens(self, username: str) -> int:
        self._tokens.clear()
        with self.engine.begin() as conn:
            user_id = self._id(conn, username)
            return conn.execute(
                update(api_tokens)
                .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked.is_(None))
                .values(revoked=self.clock())
            ).rowcount
