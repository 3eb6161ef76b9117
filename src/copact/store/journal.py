"""The append-only journal in the database: each event's canonical JSON chained by SHA-256.

    hash(n) = SHA-256(hash(n−1) + canonical JSON of event n),  hash(0) = 64 zeros

:func:`verify` recomputes the chain from the stored bodies and names the first event that does
not match, which catches a flipped byte, a deleted, swapped or inserted event (an UPDATE or
DELETE is refused by the database before it gets that far).

Each deal version's text is kept with its SHA-256 (``deal_versions.sha256``): every read of the
deal (:func:`deal_text`) re-hashes it and refuses a text edited in the database
(:class:`VersionAltered`), and :func:`verify` re-hashes every version. Someone who rewrites the
hash column too is caught against a signed checkpoint, which lists the version hashes
(``store/checkpoint.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from copact.core.events import Event, canonical_json, parse_events
from copact.errors import CopactError
from copact.store.tables import deal_versions, deals, events, idempotency
from copact.store.tables import evidence as evidence_table

__all__ = [
    "GENESIS",
    "EvidenceProblem",
    "EvidenceRecord",
    "StaleHead",
    "Verification",
    "VersionAltered",
    "add_deal",
    "add_evidence",
    "append",
    "chain_hash",
    "deal_text",
    "evidence",
    "evidence_uses",
    "hash_at",
    "head",
    "latest_version",
    "list_deals",
    "list_evidence",
    "lock_deal",
    "once_key",
    "read_events",
    "recall",
    "remember",
    "verify",
    "versions",
]

GENESIS = "0" * 64


def chain_hash(prev: str, body: str) -> str:
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


def once_key(event: Event) -> str | None:
    """The key of an event that may happen once per deal (the ``events_once_per_deal`` unique
    key; ``services.fake`` refuses a second one the same way)."""
    if event.type == "accepted":
        return f"accepted:{event.milestone}"
    if event.type == "invoice":
        return "invoice:" + ",".join(sorted(line.for_ for line in event.lines))
    if event.type == "payment":
        return f"payment:{event.ref}"
    return None


def add_deal(conn: Connection, *, deal_id: str, title: str, text: str, now: datetime) -> int:
    """Register a deal (version 1) or add its next version; returns the version number."""
    if conn.execute(select(deals.c.id).where(deals.c.id == deal_id)).first() is None:
        conn.execute(insert(deals).values(id=deal_id, title=title, created=now))
    last = conn.execute(
        select(func.max(deal_versions.c.version)).where(deal_versions.c.deal == deal_id)
    ).scalar()
    version = (last or 0) + 1
    conn.execute(
        insert(deal_versions).values(
            deal=deal_id,
            version=version,
            text=text,
            sha256=version_sha(text),
            created=now,
        )
    )
    return version


def list_deals(conn: Connection) -> list[tuple[str, str, int, int]]:
    """(id, title, latest version, events) of every deal."""
    rows = conn.execute(select(deals.c.id, deals.c.title).order_by(deals.c.id)).all()
    out = []
    for deal_id, title in rows:
        version = (
            conn.execute(
                select(func.max(deal_versions.c.version)).where(deal_versions.c.deal == deal_id)
            ).scalar()
            or 0
        )
        count = (
            conn.execute(
                select(func.count()).select_from(events).where(events.c.deal == deal_id)
            ).scalar()
            or 0
        )
        out.append((deal_id, title, int(version), int(count)))
    return out


class VersionAltered(CopactError):
    """A stored deal text whose SHA-256 is no longer the one recorded with it: someone edited
    the database. Nothing reads it as the deal (it would price every invoice)."""

    def __init__(self, deal_id: str, version: int, created: datetime) -> None:
        super().__init__(
            f"deal version {version} of {deal_id} was altered in the database: its text no "
            f"longer has the hash recorded on {created:%Y-%m-%d}; nothing is read from it "
            f"(`copact journal verify --deal {deal_id}` checks every version)"
        )
        self.deal = deal_id
        self.version = version


def version_sha(text: str) -> str:
    """A deal version's SHA-256: of its text as stored, what a signature names and each
    version's row records."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def deal_text(conn: Connection, deal_id: str) -> str | None:
    """The text of the deal's latest version, checked against its recorded SHA-256 (raises
    :class:`VersionAltered`); ``None`` when there is no such deal."""
    row = conn.execute(
        select(
            deal_versions.c.version,
            deal_versions.c.text,
            deal_versions.c.sha256,
            deal_versions.c.created,
        )
        .where(deal_versions.c.deal == deal_id)
        .order_by(deal_versions.c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    version, text, recorded, created = row
    if version_sha(text) != recorded:
        raise VersionAltered(deal_id, int(version), created)
    return str(text)


def latest_version(conn: Connection, deal_id: str) -> tuple[int, str] | None:
    """(version, recorded SHA-256) of the deal's latest version, without its text: the cheap
    read that tells whether a deal parsed earlier is still the latest."""
    row = conn.execute(
        select(deal_versions.c.version, deal_versions.c.sha256)
        .where(deal_versions.c.deal == deal_id)
        .order_by(deal_versions.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))


_ONE_STATEMENT = 64
"""Up to this many events go in one multi-row INSERT (SQLite allows 32,766 parameters)."""


def lock_deal(conn: Connection, deal_id: str) -> bool:
    """Take the deal's write lock for the rest of the caller's transaction; False when there
    is no such deal. Every append to a deal runs under it, so a command's guard sees exactly
    the head its events are appended to.

    The lock is a no-op UPDATE of the deal's row, the same statement on both databases: on
    PostgreSQL it holds the row lock until commit (a second writer waits, then reads what the
    first committed); on SQLite it is the transaction's first statement, so the driver opens
    the transaction with it and SQLite's write lock is held from there on, before anything is
    read (a reader's snapshot can never be older than the head it appends to)."""
    result = conn.execute(update(deals).where(deals.c.id == deal_id).values(title=deals.c.title))
    return bool(result.rowcount)


def head(conn: Connection, deal_id: str) -> tuple[int, str]:
    """(sequence number, hash) of the deal's last event; (0, GENESIS) when it has none."""
    row = conn.execute(
        select(events.c.seq, events.c.hash)
        .where(events.c.deal == deal_id)
        .order_by(events.c.seq.desc())
        .limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


class StaleHead(Exception):
    """The journal moved on since the caller read it: the caller's guard did not run on the
    head it would append to. Raised before anything is written."""


def append(
    conn: Connection,
    deal_id: str,
    new: Sequence[Event],
    *,
    expected: int | None = None,
    after: tuple[int, str] | None = None,
) -> list[int]:
    """Append events after the current head; returns their sequence numbers. ``expected`` is
    the sequence number of the last event the caller's guard saw: when the head is elsewhere
    nothing is written (:class:`StaleHead`). ``after`` is the head itself, when the caller read
    it under the deal's write lock in this transaction (:func:`read_chain`): it is not read a
    second time. A second 'once' event still fails on the unique constraints, inside the
    caller's transaction.

    The head is read once and the whole chain hashed in one pass; an import's events then go
    in as one ``executemany`` (on SQLite straight to the driver: SQLAlchemy's processing of
    each row's parameters costs as much as SQLite's insert of it)."""
    seq, prev = after if after is not None else head(conn, deal_id)
    if expected is not None and seq != expected:
        raise StaleHead(f"{deal_id}: the guard saw event {expected}, the journal is at {seq}")
    first = seq + 1
    rows: list[tuple[str, int, str, str, str, str, str | None]] = []
    sha256 = hashlib.sha256
    for event in new:
        seq += 1
        body = canonical_json(event)
        digest = sha256((prev + body).encode("utf-8")).hexdigest()  # chain_hash, inlined
        rows.append((deal_id, seq, event.type, body, prev, digest, once_key(event)))
        prev = digest
    if len(rows) > _ONE_STATEMENT and conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_INSERT_EVENTS, rows)  # one transaction, one prepared statement
    elif len(rows) > _ONE_STATEMENT:
        conn.execute(insert(events), [dict(zip(_COLUMNS, row, strict=True)) for row in rows])
    elif rows:
        # a command's few events as one INSERT: on PostgreSQL executemany runs in psycopg's
        # pipeline mode, which prints "pipeline aborted" noise whenever the unique keys refuse
        # the loser of a race, though nothing is wrong
        conn.execute(insert(events).values([dict(zip(_COLUMNS, row, strict=True)) for row in rows]))
    return list(range(first, seq + 1))


_COLUMNS = ("deal", "seq", "type", "body", "prev_hash", "hash", "once")
_INSERT_EVENTS = "INSERT INTO {} ({}) VALUES ({})".format(
    events.name, ", ".join(_COLUMNS), ", ".join(["?"] * len(_COLUMNS))
)
"""The events' INSERT in SQLite's parameter style (``qmark``), for the driver's executemany."""


def read_events(
    conn: Connection, deal_id: str, *, seqs: Sequence[int] | None = None
) -> list[Event]:
    """The deal's events in order (only those numbered ``seqs`` when given)."""
    query = select(events.c.body).where(events.c.deal == deal_id).order_by(events.c.seq)
    if seqs is not None:
        query = query.where(events.c.seq.in_(list(seqs)))
    return _parsed(conn.execute(query).scalars())


def _parsed(bodies: Iterable[str]) -> list[Event]:
    """Stored events' bodies as events (they were checked when they were appended)."""
    parsed, problems = parse_events("\n".join(bodies))
    if problems:
        raise ValueError(f"stored event does not parse: {problems[0].message}")
    return parsed


def read_chain(conn: Connection, deal_id: str) -> tuple[list[Event], tuple[int, str]]:
    """The deal's events in order and the head they end at (:func:`head`'s answer), in one
    query: what a command reads under the deal's write lock before it appends."""
    rows = conn.execute(
        select(events.c.seq, events.c.hash, events.c.body)
        .where(events.c.deal == deal_id)
        .order_by(events.c.seq)
    ).all()
    last = (int(rows[-1][0]), str(rows[-1][1])) if rows else (0, GENESIS)
    return _parsed(str(r[2]) for r in rows), last


def versions(conn: Connection, deal_id: str) -> list[tuple[int, str, str, datetime]]:
    """(version, sha256, text, created) of each version, oldest first."""
    rows = conn.execute(
        select(
            deal_versions.c.version,
            deal_versions.c.sha256,
            deal_versions.c.text,
            deal_versions.c.created,
        )
        .where(deal_versions.c.deal == deal_id)
        .order_by(deal_versions.c.version)
    ).all()
    return [(int(v), str(h), str(t), c) for v, h, t, c in rows]


def hash_at(conn: Connection, deal_id: str, seq: int) -> str | None:
    return conn.execute(
        select(events.c.hash).where(events.c.deal == deal_id, events.c.seq == seq)
    ).scalar()


# -- idempotency keys --


def remember(
    conn: Connection, *, key: str, deal_id: str, request: str, seqs: list[int], now: datetime
) -> None:
    """Record what the call with ``key`` appended (fails on the primary key if a concurrent
    call with the same key got there first)."""
    conn.execute(
        insert(idempotency).values(
            key=key, deal=deal_id, request=request, seqs=json.dumps(seqs), created=now
        )
    )


def recall(conn: Connection, key: str) -> tuple[str, str, list[int]] | None:
    """(deal, request digest, seqs) recorded with ``key``, if any."""
    row = conn.execute(
        select(idempotency.c.deal, idempotency.c.request, idempotency.c.seqs).where(
            idempotency.c.key == key
        )
    ).first()
    if row is None:
        return None
    return str(row[0]), str(row[1]), [int(s) for s in json.loads(row[2])]


# -- evidence --


@dataclass(frozen=True)
class EvidenceRecord:
    """A stored evidence file of a deal: its content hash, what it is, and who may see it."""

    deal: str
    sha256: str
    kind: str
    name: str
    size: int
    media_type: str
    confidential_to: str | None
    added_by: str

    def visible_to(self, party: str) -> bool:
        return self.confidential_to is None or self.confidential_to == party


def add_evidence(conn: Connection, record: EvidenceRecord, *, now: datetime) -> EvidenceRecord:
    """Index ``record`` for its audience (its party when confidential, else both parties) and
    return the record its uploader sees: the one their audience already has for these bytes,
    or this one. Another party's confidential record of the same bytes is neither returned
    nor touched: each party that holds a file keeps a record of its own."""
    audience = record.confidential_to or ""
    held = _held(conn, record.deal, record.sha256, audience)
    if held is not None:
        return held
    try:
        with conn.begin_nested():
            conn.execute(
                insert(evidence_table).values(**record.__dict__, audience=audience, created=now)
            )
    except IntegrityError:  # the same upload, at the same moment
        held = _held(conn, record.deal, record.sha256, audience)
        if held is None:
            raise
        return held
    return record


def _held(conn: Connection, deal_id: str, sha256: str, audience: str) -> EvidenceRecord | None:
    """The record of the file that ``audience`` ('' for both parties) already sees."""
    if audience:
        return evidence(conn, deal_id, sha256, party=audience)
    row = conn.execute(
        select(evidence_table).where(
            evidence_table.c.deal == deal_id,
            evidence_table.c.sha256 == sha256,
            evidence_table.c.audience == "",
        )
    ).first()
    return _record(row) if row is not None else None


def _record(row: Any) -> EvidenceRecord:
    return EvidenceRecord(
        deal=row.deal,
        sha256=row.sha256,
        kind=row.kind,
        name=row.name,
        size=int(row.size),
        media_type=row.media_type,
        confidential_to=row.confidential_to,
        added_by=row.added_by,
    )


def evidence(
    conn: Connection, deal_id: str, sha256: str, *, party: str | None = None
) -> EvidenceRecord | None:
    """The record of a file that a person of ``party`` may see (the shared one before their
    party's own); without ``party``, any (the shared one first), for the workspace's operator."""
    rows = conn.execute(
        select(evidence_table)
        .where(evidence_table.c.deal == deal_id, evidence_table.c.sha256 == sha256)
        .order_by(evidence_table.c.audience, evidence_table.c.created)
    ).all()
    records = [_record(r) for r in rows]
    if party is not None:
        records = [r for r in records if r.visible_to(party)]
    return records[0] if records else None


def list_evidence(conn: Connection, deal_id: str) -> list[EvidenceRecord]:
    rows = conn.execute(
        select(evidence_table)
        .where(evidence_table.c.deal == deal_id)
        .order_by(evidence_table.c.created)
    ).all()
    return [_record(r) for r in rows]


EvidenceState = Literal["missing", "altered", "not held"]


@dataclass(frozen=True)
class EvidenceProblem:
    """An evidence file that is not as the journal or the store recorded it: ``missing`` (the
    store took it, the file is gone), ``altered`` (its bytes no longer hash to its name) or
    ``not held`` (a submission names it, the store never had it: a journal imported without its
    evidence folder)."""

    sha256: str
    name: str
    problem: EvidenceState
    used_by: tuple[str, ...]  # e.g. "submitted design-freeze (event 2)"

    def describe(self) -> str:
        return (
            f"{self.problem}: {self.name} ({self.sha256[:12]}…), used by {', '.join(self.used_by)}"
        )


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` (and the workspace's evidence check) found; ``reason`` says every
    problem in one sentence, ``first_bad`` is the first event that does not chain."""

    ok: bool
    count: int
    head: str
    first_bad: int | None = None
    reason: str = ""
    versions: int = 0  # deal versions re-hashed
    altered_versions: tuple[int, ...] = ()
    evidence_checked: int = 0  # evidence files re-hashed (0 when skipped)
    evidence_skipped: bool = False
    evidence_problems: tuple[EvidenceProblem, ...] = ()
    remetered: int = 0  # settled service periods metered again from their kept files
    repriced: tuple[str, ...] = ()  # each settled period whose figures those files no longer give

    @property
    def not_held(self) -> int:
        return sum(1 for p in self.evidence_problems if p.problem == "not held")


def verify(conn: Connection, deal_id: str, *, batch: int = 10_000) -> Verification:
    """Recompute the chain and re-hash every deal version's text; the first event whose link
    or hash does not match is named, and each version whose text no longer has its recorded
    hash."""
    chain = _verify_chain(conn, deal_id, batch=batch)
    stored = versions(conn, deal_id)
    altered = [
        (v, created) for v, recorded, text, created in stored if version_sha(text) != recorded
    ]
    problems = [chain.reason] if not chain.ok else []
    numbers = [v for v, _, _, _ in stored]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(
            f"deal versions {numbers} are not numbered 1 to {len(numbers)}: one was removed"
        )
    problems += [
        f"deal version {v} was altered in the database: its text no longer has the hash "
        f"recorded on {created:%Y-%m-%d}"
        for v, created in altered
    ]
    return replace(
        chain,
        ok=not problems,
        reason="; ".join(problems),
        versions=len(stored),
        altered_versions=tuple(v for v, _ in altered),
    )


def evidence_uses(conn: Connection, deal_id: str) -> dict[str, tuple[str, list[str]]]:
    """Every evidence file the deal's events name: SHA-256 → (file name, what uses it, e.g.
    ``submitted design-freeze (event 2)``)."""
    rows = conn.execute(
        select(events.c.seq, events.c.body)
        .where(
            events.c.deal == deal_id,
            events.c.type.in_(["submitted", "work-claimed", "service-settled", "savings-settled"]),
        )
        .order_by(events.c.seq)
    ).all()
    uses: dict[str, tuple[str, list[str]]] = {}
    for seq, body in rows:
        data = json.loads(body)
        what = data.get("milestone") or data.get("for") or data.get("period") or ""
        use = f"{data['type']} {what} (event {seq})"
        for ref in data.get("evidence") or ():
            _, used = uses.setdefault(ref["sha256"], (str(ref.get("name", "")), []))
            if use not in used:  # one file attached as two kinds is one use
                used.append(use)
    return uses


def _verify_chain(conn: Connection, deal_id: str, *, batch: int) -> Verification:
    """Recompute the chain; the first row whose link or hash does not match is named. Rows
    stream in batches, so a journal of millions of events verifies in constant memory."""
    prev = GENESIS
    count = 0
    sha256 = hashlib.sha256
    # plain DBAPI tuples (a server-side cursor on PostgreSQL): a million rows verify in about
    # a second, in constant memory
    raw = conn.connection.dbapi_connection
    assert raw is not None
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    server_side = {"name": "copact_verify"} if conn.dialect.name == "postgresql" else {}
    cursor = raw.cursor(**server_side)
    cursor.execute(
        f"SELECT seq, body, prev_hash, hash FROM events WHERE deal = {marker} ORDER BY seq",
        (deal_id,),
    )
    try:
        while rows := cursor.fetchmany(batch):
            for seq, body, prev_hash, digest in rows:
                if seq != count + 1:
                    return Verification(
                        False, count, prev, seq, f"sequence jumps from {count} to {seq}"
                    )
                if prev_hash != prev:
                    return Verification(
                        False, count, prev, seq, "its link does not match the event before"
                    )
                if sha256((prev + body).encode("utf-8")).hexdigest() != digest:
                    return Verification(
                        False, count, prev, seq, "its hash does not match its content"
                    )
                prev = digest
                count += 1
    finally:
        cursor.close()
    return Verification(True, count, prev)
