"""The unit of work on the database (SQLite or PostgreSQL): every change to a deal is one
transaction under the deal's write lock, with its idempotency key, retried when a concurrent
writer got in its way.

Reading a deal parses its text once per text (:mod:`copact.services.deal_cache`). Outside a
request scope every read also reads the text and checks it against its recorded hash, so a
text edited in the database is refused on every read. Within :meth:`SqlUnitOfWork.request` a
deal already read is kept while its latest version's recorded hash (one small query, no text)
is unchanged: a request that reads a deal ten times reads its text once, and once more after
a change order made a new version.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from copact.core.deal import Deal
from copact.core.events import ChangeApproved, Event
from copact.services.amendment import amended_texts
from copact.services.deal_cache import parsed_deal
from copact.services.uow import (
    Clock,
    ConcurrentChange,
    Decide,
    Outcome,
    check_not_behind,
    key_conflict,
    no_deal,
    now_of,
    request_digest,
)
from copact.store import journal
from copact.store.journal import EvidenceRecord, version_sha

__all__ = ["SqlUnitOfWork"]

_ATTEMPTS = 5
"""How often a command is tried when a concurrent writer got in its way (a lock timeout, a
serialisation failure): each try folds the journal afresh under the deal's lock."""

_RETRY_SQLSTATES = ("40001", "40P01", "55P03")
"""PostgreSQL: serialization_failure, deadlock_detected, lock_not_available."""

_READ: contextvars.ContextVar[dict[str, tuple[str, Deal]] | None] = contextvars.ContextVar(
    "copact_deals_read", default=None
)
"""Within :meth:`SqlUnitOfWork.request`: deal id → (recorded SHA-256, Deal) of what was read."""


def _transient(exc: OperationalError) -> bool:
    """A lock that could not be had in time (SQLite busy or locked), or a PostgreSQL
    serialisation failure, deadlock or lock timeout: trying again may succeed. Anything else
    is a real fault. Judged by the drivers' error codes, never by message text."""
    orig = exc.orig
    if getattr(orig, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return True
    return getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES


@dataclass
class SqlUnitOfWork:
    """The :class:`~copact.services.uow.UnitOfWork` of one database. ``where`` names the
    workspace in messages ("no deal 'x' in ./copact-workspace")."""

    engine: Engine
    clock: Clock
    where: Path

    # -- reads --

    def deal_text(self, deal_id: str) -> str:
        with self.engine.connect() as conn:
            text = journal.deal_text(conn, deal_id)
        if text is None:
            raise no_deal(deal_id, self.where)
        return text

    def deal(self, deal_id: str) -> Deal:
        """The deal's latest version. Inside :meth:`request`, its text is read once while the
        latest version's recorded hash stays the same."""
        read = _READ.get()
        if read is None:
            return parsed_deal(self.deal_text(deal_id), deal_id)
        kept = read.get(deal_id)
        with self.engine.connect() as conn:
            if kept is not None:  # read before in this request: is it still the latest?
                latest = journal.latest_version(conn, deal_id)
                if latest is None:
                    raise no_deal(deal_id, self.where)
                if kept[0] == latest[1]:
                    return kept[1]
            text = journal.deal_text(conn, deal_id)  # checked against its recorded hash
        if text is None:
            raise no_deal(deal_id, self.where)
        deal = parsed_deal(text, deal_id)
        read[deal_id] = (version_sha(text), deal)
        return deal

    @contextmanager
    def request(self) -> Iterator[None]:
        """A scope (one web request, one command line command) in which a deal's text is read
        once per version. A text edited in the database meanwhile is found by the next read
        outside a scope, by every command (they read it under the lock) and by ``verify``."""
        token = _READ.set({})
        try:
            yield
        finally:
            _READ.reset(token)

    def events(self, deal_id: str) -> list[Event]:
        with self.engine.connect() as conn:
            return journal.read_events(conn, deal_id)

    def evidence_record(
        self, deal_id: str, sha256: str, *, party: str | None = None
    ) -> EvidenceRecord | None:
        with self.engine.connect() as conn:
            return journal.evidence(conn, deal_id, sha256, party=party)

    # -- the one way a deal changes --

    def execute(
        self,
        deal_id: str,
        decide: Decide,
        *,
        key: str | None,
        request: dict[str, Any],
        clock: Clock | None = None,
    ) -> Outcome:
        """Fold the deal's journal now, let ``decide`` check its guard and say what happens,
        and append that in one transaction; an approved change order stores the next deal
        version in the same transaction.

        ``clock``, when given, is the only source of "now" for this call (read once, before
        the first try: a retry decides at the same moment); else :attr:`clock` is read.

        With an idempotency ``key``, the first call's outcome is recorded with it: a replay of
        the same request returns that outcome (``replayed``) and appends nothing; the same key
        with a different request is refused. A refused call records nothing, so it can be
        retried with the same key once the state allows it.

        Appends to one deal are serialised by the deal's write lock (:func:`journal.lock_deal`)
        and the guard runs on the journal read under it; should a writer still get in between
        (the head moved, a unique key, a lock timeout), the whole command is tried again on the
        new state a few times before it is refused as a :class:`ConcurrentChange`."""
        digest = request_digest(deal_id, request)
        now = now_of(clock or self.clock)
        # a replay is found under the lock too (:meth:`_execute_once`): looking for it before
        # would cost every first call a connection and a query more, for the rare retry
        for attempt in range(_ATTEMPTS):
            try:
                return self._execute_once(deal_id, decide, key=key, digest=digest, now=now)
            except (IntegrityError, journal.StaleHead, OperationalError) as exc:
                if isinstance(exc, OperationalError) and not _transient(exc):
                    raise
                if attempt + 1 == _ATTEMPTS:
                    raise ConcurrentChange(
                        "another change to this deal was being recorded at the same moment, "
                        f"{_ATTEMPTS} times in a row; nothing of this one was recorded: retry"
                    ) from None
        raise AssertionError("unreachable")

    def _execute_once(
        self, deal_id: str, decide: Decide, *, key: str | None, digest: str, now: datetime
    ) -> Outcome:
        """One try of :meth:`execute`, under the deal's write lock: the idempotency key, the
        deal's current version and its journal are all read after the lock is taken, so the
        guard runs on exactly the head the events are appended to, and a retry racing its
        first call waits for it and then replays its answer."""
        with self.engine.begin() as conn:
            if not journal.lock_deal(conn, deal_id):
                raise no_deal(deal_id, self.where)
            if key is not None:
                replay = self._replay_in(conn, key, digest)
                if replay is not None:
                    return replay
            deal = self.deal_in(conn, deal_id)
            history, last = journal.read_chain(conn, deal_id)
            check_not_behind(history, now)
            caused = decide(deal, history, now)
            seqs = journal.append(conn, deal_id, caused, expected=len(history), after=last)
            version = self.amend_in(conn, deal_id, history, caused, now)
            if key is not None:
                journal.remember(conn, key=key, deal_id=deal_id, request=digest, seqs=seqs, now=now)
        return Outcome(deal_id, caused, seqs, False, version)

    def deal_in(self, conn: Connection, deal_id: str) -> Deal:
        """The deal's latest version as read inside the caller's transaction."""
        text = journal.deal_text(conn, deal_id)
        if text is None:
            raise no_deal(deal_id, self.where)
        return parsed_deal(text, deal_id)

    def amend_in(
        self,
        conn: Connection,
        deal_id: str,
        before: list[Event],
        caused: list[Event],
        now: datetime,
    ) -> int | None:
        """Store the next deal version for each change order that ``caused`` completed, in the
        caller's transaction; the last version stored, or None."""
        if not any(isinstance(e, ChangeApproved) for e in caused):
            return None  # no need to read the text
        text = journal.deal_text(conn, deal_id)
        assert text is not None
        version = None
        title = parsed_deal(text, deal_id).title
        for amended in amended_texts(text, deal_id, before, caused):
            version = journal.add_deal(conn, deal_id=deal_id, title=title, text=amended, now=now)
        return version

    def _replay_in(self, conn: Connection, key: str, digest: str) -> Outcome | None:
        found = journal.recall(conn, key)
        if found is None:
            return None
        deal_id, request, seqs = found
        if request != digest:
            raise key_conflict(key)
        return Outcome(deal_id, journal.read_events(conn, deal_id, seqs=seqs), seqs, True)
