"""People who sign in: users of one party, server-side sessions, API tokens and the sign-in
throttle. The auth use cases of the web app and of ``copact user``, on the workspace's
database (the SQL is ``copact.store.accounts``).

Sign-in, step by step: the attempt is counted by the throttle (``copact.services.throttle``)
before the password is checked; a try during a wait is refused (:class:`Throttled`) without a
check, so guessing costs time, not just CPU, and simultaneous guesses cannot all be checked.
The counters are per account and address, per account and per address; a browser that signed
in to the account before has a device cookie and a counter of its own, so a stranger spending
the account's budget does not lock the real user out. A success clears the account's counters.

A session id is 32 random bytes given to the browser once; the database keeps its SHA-256. A
new id is made at every sign-in (no fixation), sign-out deletes the row, and a session idle for
``session_idle`` or older than ``session_max`` is gone. API tokens work the same way:
``cpt_`` + 32 random bytes, stored hashed, acting as their user (and so their party).

A password an administrator issues (``copact user add``, ``serve --demo``) is one-time: the
user's ``must_change_password`` flag is set, and until they pick their own on the
change-password page (:meth:`Accounts.change_password`) a session reaches nothing else. The new
password is not the old one and has at least ``min_password`` characters; the change ends every
session of the user and starts a new one.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from copact.errors import CopactError
from copact.services.account_settings import MIN_PASSWORD, AccountSettings
from copact.services.passwords import hash_password, needs_rehash, verify_password
from copact.services.throttle import Throttle, Throttled
from copact.store import accounts as db
from copact.store.accounts import UserRecord

__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "AccountError",
    "AccountSettings",
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


class AccountError(CopactError):
    """A user could not be created or found, or a password was refused."""


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


def _principal(
    user: UserRecord,
    *,
    session: str | None = None,
    csrf: str | None = None,
    via_token: bool = False,
) -> Principal:
    """``user`` asking through a session (its digest and CSRF token) or an API token."""
    return Principal(
        user.id,
        user.username,
        user.name,
        user.party,
        user.role,
        user.person,
        session=session,
        csrf=csrf,
        via_token=via_token,
        # an issued password holds back its sessions only: API tokens are not affected
        must_change_password=user.must_change_password and not via_token,
    )


class Accounts:
    """The accounts of one workspace's database. A server process keeps one: it remembers the
    API tokens it looked up for ``settings.token_cache`` seconds."""

    def __init__(
        self, engine: Engine, settings: AccountSettings, clock: Callable[[], datetime]
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.throttle = Throttle(engine, settings, clock)
        # token digest → (principal, until): a script's burst of requests costs one lookup;
        # a revocation takes effect within ``settings.token_cache`` (and at once here)
        self._tokens: dict[str, tuple[Principal, float]] = {}

    # -- users --

    def _check_length(self, password: str, what: str = "a password") -> None:
        if len(password) < self.settings.min_password:
            raise AccountError(f"{what} has at least {self.settings.min_password} characters")

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
        self._check_length(password)
        user = UserRecord(
            id=uuid.uuid4().hex,
            username=username,
            name=name,
            party=party,
            role=role,
            person=person,
            password_hash=hash_password(password),
            active=True,
            must_change_password=one_time,
        )
        try:
            with self.engine.begin() as conn:
                db.add_user(conn, user, created=self.clock())
        except IntegrityError:
            raise AccountError(f"there is already a user {username!r}") from None
        return user.id

    def set_password(
        self, username: str, password: str, *, one_time: bool = True, revoke_tokens: bool = False
    ) -> int:
        """Issue ``password`` to ``username`` (one-time unless told), ending their sessions and,
        with ``revoke_tokens`` (an account that may have been taken over), their API tokens;
        how many live tokens were revoked."""
        self._check_length(password)
        with self.engine.begin() as conn:
            user_id = db.user_id(conn, username)
            if user_id is None:
                raise AccountError(f"no user {username!r}")
            db.set_password_hash(conn, user_id, hash_password(password), must_change=one_time)
            db.delete_sessions(conn, user_id)
            revoked = db.revoke_tokens(conn, user_id, self.clock()) if revoke_tokens else 0
        if revoked:
            self._tokens.clear()
        return revoked

    def disable(self, username: str) -> int:
        """Take ``username``'s access away (someone who left): they can no longer sign in, their
        sessions end and their API tokens are revoked; how many live tokens were. What they
        recorded stays in the journals under their name."""
        with self.engine.begin() as conn:
            user_id = db.user_id(conn, username)
            if user_id is None:
                raise AccountError(f"no user {username!r}")
            db.deactivate(conn, user_id)
            db.delete_sessions(conn, user_id)
            revoked = db.revoke_tokens(conn, user_id, self.clock())
        self._tokens.clear()
        return revoked

    def user_exists(self, username: str) -> bool:
        with self.engine.connect() as conn:
            return db.user_id(conn, username) is not None

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
            user = db.user_by_name(conn, key_user)
        stored = user.password_hash if user is not None and user.active else None
        if not verify_password(stored, password) or user is None:
            return None
        self.throttle.succeeded(counters)
        new_device = None
        with self.engine.begin() as conn:
            session_id, csrf = self._new_session(conn, user.id, key_ip, now)
            if known is None:
                new_device = secrets.token_urlsafe(32)
                db.add_device(conn, digest=_digest(new_device), username=user.username, now=now)
            if needs_rehash(user.password_hash):
                db.set_password_hash(conn, user.id, hash_password(password))
        principal = _principal(user, session=_digest(session_id), csrf=csrf)
        return SignIn(principal, session_id, new_device)

    def _device(self, username: str, device: str | None, now: datetime) -> str | None:
        """The digest of ``device`` when it is a device cookie of ``username``'s, not too old."""
        if not device or len(device) > 100:
            return None
        digest = _digest(device)
        with self.engine.connect() as conn:
            created = db.device_created(conn, digest, username)
        if created is None or now - created > self.settings.login_device_max_age:
            return None
        return digest

    @staticmethod
    def _new_session(conn: Connection, user_id: str, ip: str, now: datetime) -> tuple[str, str]:
        """A session row for ``user_id``: (the id for the browser, its CSRF token)."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        db.add_session(conn, digest=_digest(session_id), user_id=user_id, csrf=csrf, now=now, ip=ip)
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
        if len(new) < self.settings.min_password:
            raise AccountError(
                f"A new password has at least {self.settings.min_password} characters."
            )
        counters = self.throttle.counters(who.username, key_ip, device=None)
        self.throttle.take(counters)
        with self.engine.connect() as conn:
            stored = db.password_hash(conn, who.user_id)
        if not verify_password(stored, current):
            raise AccountError("Your current password is not right.")
        self.throttle.succeeded(counters)
        if new == current:
            raise AccountError("The new password must differ from the current one.")
        with self.engine.begin() as conn:
            db.set_password_hash(conn, who.user_id, hash_password(new), must_change=False)
            db.delete_sessions(conn, who.user_id)
            session_id, csrf = self._new_session(conn, who.user_id, key_ip, now)
        principal = replace(who, session=_digest(session_id), csrf=csrf, must_change_password=False)
        return SignIn(principal, session_id)

    def session(self, session_id: str) -> Principal | None:
        """The signed-in user of a session id, touching its idle clock; None when it is
        unknown, idle too long or too old (and then it is deleted)."""
        now = self.clock()
        digest = _digest(session_id)
        with self.engine.connect() as conn:
            found = db.session_by_digest(conn, digest)
        if found is None:
            return None
        expired = (
            now - found.last_seen > self.settings.session_idle
            or now - found.created > self.settings.session_max
            or not found.user.active
        )
        with self.engine.begin() as conn:
            if expired:
                db.delete_session(conn, digest)
                return None
            # touch at most once a minute: a page view is not a write
            if now - found.last_seen > timedelta(minutes=1):
                db.touch_session(conn, digest, now)
        return _principal(found.user, session=digest, csrf=found.csrf)

    def end_session(self, session_id: str) -> None:
        with self.engine.begin() as conn:
            db.delete_session(conn, _digest(session_id))

    def sign_out(self, principal: Principal) -> None:
        if principal.session is None:
            return
        with self.engine.begin() as conn:
            db.delete_session(conn, principal.session)

    # -- API tokens --

    def create_token(self, username: str, name: str) -> str:
        """A new API token for ``username``; the value is shown once, only its hash is kept."""
        token = "cpt_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            user_id = db.user_id(conn, username)
            if user_id is None:
                raise AccountError(f"no user {username!r}")
            db.add_token(
                conn,
                id=uuid.uuid4().hex,
                user_id=user_id,
                name=name,
                digest=_digest(token),
                now=self.clock(),
            )
        return token

    def remembered(self, token: str) -> Principal | None:
        """The user of a token looked up moments ago, without asking the database."""
        cached = self._tokens.get(_digest(token))
        if cached is not None and cached[1] > self.clock().timestamp():
            return cached[0]
        return None

    def token(self, token: str) -> Principal | None:
        """The user an API token acts as; None when it is unknown, revoked or its user is
        no longer active."""
        if not token.startswith("cpt_") or len(token) > 200:
            return None
        digest = _digest(token)
        cached = self._tokens.get(digest)
        if cached is not None and cached[1] > self.clock().timestamp():
            return cached[0]
        with self.engine.connect() as conn:
            found = db.token_by_digest(conn, digest)
        if found is None or found.revoked is not None or not found.user.active:
            self._tokens.pop(digest, None)
            return None
        principal = _principal(found.user, via_token=True)
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[digest] = (principal, self.clock().timestamp() + self.settings.token_cache)
        return principal

    def revoke_tokens(self, username: str) -> int:
        """Revoke every API token of ``username``; how many were live. A server that looked a
        token up moments ago honours it for at most ``settings.token_cache`` seconds more."""
        self._tokens.clear()
        with self.engine.begin() as conn:
            user_id = db.user_id(conn, username)
            if user_id is None:
                return 0
            return db.revoke_tokens(conn, user_id, self.clock())
