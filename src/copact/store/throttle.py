"""The sign-in throttle's counters in the database (table ``login_throttle``, migration 0005):
a row a counter, named by its ``scope`` and ``key``.

Taking a slot is one ``UPDATE … SET attempts = attempts + 1 … WHERE next_allowed <= now
RETURNING attempts`` (or, for a counter's first attempt, the ``INSERT`` its primary key
serialises): the row stays locked until the caller's transaction ends, so simultaneous attempts
queue on it and only those that find its wait over are counted. How long a wait is, and which
counters an attempt has, is ``copact.services.throttle``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from copact.store.tables import login_throttle as t

__all__ = ["clear", "give_back", "take"]


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive date-times; every moment we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def take(
    conn: Connection,
    scope: str,
    key: str,
    *,
    now: datetime,
    forget_before: datetime,
    wait: Callable[[int], timedelta],
) -> datetime | None:
    """Count an attempt in the counter ``(scope, key)``: None when it was counted (its next
    attempt then waits ``wait(attempts)``), else the moment its running wait ends (and nothing
    was counted). A counter whose last attempt was at or before ``forget_before`` starts over."""
    mine = (t.c.scope == scope) & (t.c.key == key)
    for _ in range(3):
        taken = conn.execute(
            update(t)
            .where(mine, (t.c.next_allowed <= now) | (t.c.last_attempt <= forget_before))
            .values(
                attempts=case((t.c.last_attempt <= forget_before, 1), else_=t.c.attempts + 1),
                last_attempt=now,
            )
            .returning(t.c.attempts)
        ).scalar()
        if taken is not None:  # the row stays locked until the transaction ends
            conn.execute(update(t).where(mine).values(next_allowed=now + wait(int(taken))))
            return None
        ready = conn.execute(select(t.c.next_allowed).where(mine)).scalar()
        if ready is not None:
            return _aware(ready)
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(t).values(
                        scope=scope,
                        key=key,
                        attempts=1,
                        last_attempt=now,
                        next_allowed=now + wait(1),
                    )
                )
            return None
        except IntegrityError:
            continue  # a simultaneous first attempt made the row: count on it
    return now + timedelta(seconds=1)


def clear(conn: Connection, scope: str, key: str) -> None:
    """The counter starts over."""
    conn.execute(delete(t).where((t.c.scope == scope) & (t.c.key == key)))


def give_back(conn: Connection, scope: str, key: str) -> None:
    """One attempt fewer on the counter (never below none)."""
    conn.execute(
        update(t)
        .where(t.c.scope == scope, t.c.key == key, t.c.attempts > 0)
        .values(attempts=t.c.attempts - 1)
    )
