"""The access log: every read of a confidential item and every refused access, written as it
happens and read back by the owners and auditors of a party (the SQL is
``copact.store.access_log``).

An entry concerns a party (the one whose item it was) or every party (``*``: a stranger
knocking at a deal). A party reads what it did, what concerns it and what concerns everyone,
within the deals it is in; an entry of no deal only when its own user made it::

    log.log(who, action="evidence.read", obj="evidence 9f2c… (report.pdf)", outcome="read",
            ip="203.0.113.7", deal="hybrid-dc1", concerns="voltworks", detail="confidential …")
    log.entries("voltworks", deals={"hybrid-dc1"})  → [AccessEntry(…, action="evidence.read")]
    to_csv(entries)  → "at,user,party,deal,action,object,outcome,ip,detail\\r\\n…"
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine

from copact.services.accounts import Principal
from copact.store import access_log as db
from copact.store.access_log import AccessEntry

__all__ = ["AccessEntry", "AccessLog", "to_csv"]

#: the most entries one read returns
LIMIT = 5000


class AccessLog:
    """The access log of one workspace's database."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def log(
        self,
        who: Principal | None,
        *,
        action: str,
        obj: str,
        outcome: Literal["read", "refused"],
        ip: str | None,
        deal: str | None = None,
        concerns: str | None = None,
        detail: str = "",
    ) -> None:
        """Write what ``who`` (None: anonymous) did to ``obj``, now."""
        with self.engine.begin() as conn:
            db.append(
                conn,
                at=self.clock(),
                username=who.username if who else None,
                party=who.party if who else None,
                deal=deal,
                action=action,
                obj=obj,
                outcome=outcome,
                concerns=concerns,
                ip=ip,
                detail=detail,
            )

    def entries(
        self, party: str, *, deals: Collection[str], deal: str | None = None
    ) -> list[AccessEntry]:
        """The entries ``party`` may read, newest first: what it did or what concerns it (or
        every party) in ``deals`` (the deals it is in), and what its users did outside any
        deal; of ``deal`` alone when given."""
        with self.engine.connect() as conn:
            rows = db.concerning(conn, party, deal=deal, limit=LIMIT)
        return [e for e in rows if (e.deal is None and e.party == party) or e.deal in deals]


def to_csv(entries: list[AccessEntry]) -> str:
    """The entries as CSV, one a row; a cell a spreadsheet would run as a formula is quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "user", "party", "deal", "action", "object", "outcome", "ip", "detail"])
    for e in entries:
        writer.writerow(
            [
                e.at.isoformat(),
                e.username or "anonymous",
                e.party or "",
                e.deal or "",
                e.action,
                _cell(e.object),
                e.outcome,
                e.ip or "",
                _cell(e.detail),
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
