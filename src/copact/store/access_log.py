"""The access log in the database (table ``access_log``, migration 0003): one row for every
read of a confidential item and every refused access, never changed afterwards.

Who may read which entries is ``copact.services.access_log``; here an entry is written (cut to
what its columns hold) and the newest ones concerning a party are read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, or_, select

from copact.store.tables import access_log

__all__ = ["AccessEntry", "append", "concerning"]


@dataclass(frozen=True)
class AccessEntry:
    """A line of the access log: who (None: anonymous) did what to which object, when, from
    where, and whether it was a read or a refusal."""

    at: datetime
    username: str | None
    party: str | None
    deal: str | None
    action: str
    object: str
    outcome: str
    ip: str | None
    detail: str


def append(
    conn: Connection,
    *,
    at: datetime,
    username: str | None,
    party: str | None,
    deal: str | None,
    action: str,
    obj: str,
    outcome: str,
    concerns: str | None,
    ip: str | None,
    detail: str,
) -> None:
    """Write an entry; ``concerns`` is the party whose item it was, ``*`` every party."""
    conn.execute(
        insert(access_log).values(
            at=at,
            username=username,
            party=party,
            deal=deal,
            action=action,
            object=obj[:500],
            outcome=outcome,
            concerns=concerns,
            ip=(ip or "")[:64] or None,
            detail=detail[:1000],
        )
    )


def concerning(
    conn: Connection, party: str, *, deal: str | None = None, limit: int = 5000
) -> list[AccessEntry]:
    """The newest ``limit`` entries done by ``party`` or concerning it (or every party), of
    ``deal`` when given; newest first. ``at`` is as the driver hands it back (naive UTC from
    SQLite)."""
    query = (
        select(access_log)
        .where(
            or_(
                access_log.c.party == party,
                access_log.c.concerns == party,
                access_log.c.concerns == "*",
            )
        )
        .order_by(access_log.c.id.desc())
        .limit(limit)
    )
    if deal is not None:
        query = query.where(access_log.c.deal == deal)
    return [
        AccessEntry(
            r.at,
            r.username,
            r.party,
            r.deal,
            r.action,
            r.object,
            r.outcome,
            r.ip,
            r.detail,
        )
        for r in conn.execute(query)
    ]
