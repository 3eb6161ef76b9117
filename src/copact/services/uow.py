"""The unit of work: the port the command services run on, and what it answers.

A command service (:mod:`copact.services.operations`) reads what its guard needs from outside
the journal (the deal, its text, an evidence record), then hands :meth:`UnitOfWork.execute` a
``decide`` function. The unit of work folds nothing itself: it gives ``decide`` the deal's
latest version, its journal and the moment now, and appends what ``decide`` returns, all or
nothing::

    outcome = uow.execute("hybrid-dc1", decide, key="k-17", request={"command": "Accept", ...})
    outcome.events, outcome.seqs        # [Accepted(...), Invoice(...)], [7, 8]
    uow.execute("hybrid-dc1", decide, key="k-17", request={...same...}).replayed   # True

Two implementations keep the same promises: :class:`copact.services.sql.SqlUnitOfWork` (the
database, under the deal's write lock) and :class:`copact.services.fake.FakeUnitOfWork` (in
memory, for service tests). The helpers below are the parts they share, so they say the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from copact.core.deal import Deal
from copact.core.events import Event
from copact.errors import RefusedCommand
from copact.services.config import WorkspaceError
from copact.store.journal import EvidenceRecord

__all__ = [
    "Clock",
    "ConcurrentChange",
    "Decide",
    "IdempotencyConflict",
    "Outcome",
    "UnitOfWork",
    "check_not_behind",
    "key_conflict",
    "no_deal",
    "now_of",
    "request_digest",
]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The machine's clock, in UTC: the one every edge (command line, web server) runs on;
    tests give their own."""
    return datetime.now(UTC)


Decide = Callable[[Deal, list[Event], datetime], list[Event]]
"""What a command does given the deal's latest version, its journal and now: the events it
causes, or a :class:`RefusedCommand`."""


class IdempotencyConflict(RefusedCommand):
    """An idempotency key used again for a different request."""


class ConcurrentChange(RefusedCommand):
    """Another change to the same deal was recorded at the same moment; nothing of this one
    was. Trying again folds the new state, which may then allow or refuse it on its merits."""


@dataclass(frozen=True)
class Outcome:
    """What a service call did: the events it appended (or, on a replay of its idempotency key,
    the events the first call appended) and their sequence numbers."""

    deal: str
    events: list[Event]
    seqs: list[int]
    replayed: bool = False
    version: int | None = None  # the deal version an approved change order created


class UnitOfWork(Protocol):
    """What the command services need of a workspace: exactly this, so a fake can stand in."""

    def execute(
        self,
        deal_id: str,
        decide: Decide,
        *,
        key: str | None,
        request: dict[str, Any],
        clock: Clock | None = None,
    ) -> Outcome:
        """Run ``decide`` on the deal's latest version and journal at one moment and append
        what it returns in one transaction; an approved change order stores the next deal
        version with it (:attr:`Outcome.version`).

        ``clock``, when given, is the only source of "now" for this call (read once; the web
        app passes its request clock); without it, the unit of work's own clock is read.

        With an idempotency ``key`` the outcome is recorded with it: the same ``request``
        again returns it (``replayed``) and appends nothing; another request with the key is
        an :class:`IdempotencyConflict`. A refused call records nothing, key included."""
        ...

    def deal(self, deal_id: str) -> Deal:
        """The deal's latest version (a :class:`WorkspaceError` when there is no such deal)."""
        ...

    def deal_text(self, deal_id: str) -> str:
        """The text of the deal's latest version."""
        ...

    def evidence_record(
        self, deal_id: str, sha256: str, *, party: str | None = None
    ) -> EvidenceRecord | None:
        """The record of a file a person of ``party`` may see (``None``: any, the shared one
        first)."""
        ...

    def events(self, deal_id: str) -> list[Event]:
        """The deal's journal, in order."""
        ...


def request_digest(deal_id: str, request: dict[str, Any]) -> str:
    """What an idempotency key is recorded with: the SHA-256 of the deal and the request."""
    text = json.dumps({"deal": deal_id, **request}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now_of(clock: Clock) -> datetime:
    """Read ``clock`` once, for a command: it must say which time zone it is in."""
    now = clock()
    if now.tzinfo is None:
        raise ValueError("the clock must give an aware date-time")
    return now


def check_not_behind(history: list[Event], now: datetime) -> None:
    """Refuse to append after events dated later than today: the clock is wrong."""
    if history and now.date() < history[-1].day:
        raise RefusedCommand(
            f"the journal already holds events dated {history[-1].day}, after today "
            f"({now.date()}); check the clock"
        )


def key_conflict(key: str) -> IdempotencyConflict:
    return IdempotencyConflict(
        f"idempotency key {key!r} was already used for a different request; "
        "use a new key for a new request"
    )


def no_deal(deal_id: str, where: object) -> WorkspaceError:
    return WorkspaceError(f"no deal {deal_id!r} in {where}; `copact deal list` shows them")
