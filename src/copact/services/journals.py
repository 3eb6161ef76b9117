"""A deal's journal in and out of the workspace, and the proof that it was not altered.

Import takes a JSON Lines file through the same guards as the commands, all or nothing; export
writes the canonical JSON back, so an export imports into a fresh workspace unchanged. Verify
recomputes the hash chain, re-hashes every deal version and (optionally) every evidence file; a
checkpoint signs the journal's length and head hash so the other party can later prove the
journal still extends it::

    import_journal(uow, "heat-sensor-housing", text, "journal.jsonl")   → 6 (events appended)
    export_journal(uow, "heat-sensor-housing") == text                  → True
    verify_against(uow, blobs, signing_key, "heat-sensor-housing", checkpoint).ok
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from copact.core.bounds import check_day
from copact.core.changes import ChangeState
from copact.core.events import (
    ChangeApproved,
    ChangeProposed,
    Event,
    canonical_json,
    dumps_events,
    parse_events,
)
from copact.core.state import RunningFold
from copact.errors import CopactError, RefusedCommand
from copact.services.amendment import guard_amendment, texts_of_approvals
from copact.services.deal_cache import parsed_deal
from copact.services.operations import admit
from copact.services.sql import SqlUnitOfWork
from copact.services.uow import UnitOfWork, no_deal
from copact.store import journal
from copact.store.blobs import BlobStore
from copact.store.checkpoint import Checkpoint, SigningKey, VersionHash

__all__ = [
    "ImportRefused",
    "checkpoint",
    "export_journal",
    "import_journal",
    "verify",
    "verify_against",
]


class ImportRefused(CopactError):
    """A journal line that the deal's state does not allow; nothing of the file was applied."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def _common_prefix(held: list[Event], incoming: list[Event]) -> int:
    """How many of ``incoming`` the journal already holds, when it starts with them (or they
    start with the journal): the part of a file an earlier import already applied."""
    n = min(len(held), len(incoming))
    if n == 0 or canonical_json(held[0]) != canonical_json(incoming[0]):
        return 0
    for i in range(n):
        if canonical_json(held[i]) != canonical_json(incoming[i]):
            return 0
    return n


def import_journal(uow: SqlUnitOfWork, deal_id: str, text: str, path: str) -> int:
    """Append a JSON Lines file through the guards, all or nothing; returns how many events
    were appended. Events the journal already holds as its first lines are skipped, so a
    re-import after a crash or a retry completes exactly instead of doubling up.

    One pass, linear in the file: each event is checked on the state of its day from a
    running fold, the whole file is appended in one statement, and the change orders it
    approves amend the deal from the fold's change orders before and after it (nothing is
    folded again)."""
    with _collector_paused():
        return _import(uow, deal_id, text, path)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block, if it was running (Mercurial's
    ``util.nogc``). An import keeps a few container objects for every event it reads, and each
    full collection walks every one that survived so far: with the collector running, an
    import's cost grows faster than its file (15% of an import of 30,000 events, more of
    100,000). What an import makes, reference counting frees; cycles made meanwhile elsewhere
    in the process are collected once it is done."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _import(uow: SqlUnitOfWork, deal_id: str, text: str, path: str) -> int:
    uow.deal(deal_id)
    parsed, problems = parse_events(text, path)
    if problems:
        raise ImportRefused(problems[0].line, f"{problems[0].code} {problems[0].message}")
    lines = [n for n, raw in enumerate(text.split("\n"), start=1) if raw.strip()]
    now = uow.clock()  # read once: the day bound of every line and the versions' time
    today = now.date()
    with uow.engine.begin() as conn:
        if not journal.lock_deal(conn, deal_id):  # the guards run on the head appended to
            raise no_deal(deal_id, uow.where)
        deal = uow.deal_in(conn, deal_id)
        history = journal.read_events(conn, deal_id)
        base = len(history)
        held = _common_prefix(history, parsed)
        new = parsed[held:]
        running = RunningFold(deal, history)
        last = history[-1].day if history else None
        was = running.state_on(last or date.min).changes  # the change orders before the file
        current: str | None = None  # the deal's text, read for the first patch
        for line, event in zip(lines[held:], new, strict=True):
            day = event.day
            if last is not None and day < last:
                raise ImportRefused(line, "events must come in date order")
            state = running.state_on(day)
            try:
                check_day(deal, day, today=today)
                admit(deal, history, event, state=state)
            except RefusedCommand as exc:
                raise ImportRefused(line, str(exc)) from None
            if isinstance(event, ChangeProposed) and event.patch:
                if current is None:  # no version is added before the end of the import
                    current = journal.deal_text(conn, deal_id)
                    assert current is not None
                try:  # the same guard as the command: it loads, checks, takes nothing back
                    guard_amendment(current, event.change, event.patch, state)
                except RefusedCommand as exc:
                    raise ImportRefused(line, str(exc)) from None
            history.append(event)
            running.push(event, day)
            last = day
        try:
            journal.append(conn, deal_id, new, expected=base)
            if last is not None and any(isinstance(e, ChangeApproved) for e in new):
                after = running.state_on(last).changes
                _amend(uow, conn, deal_id, new, now, was=was, after=after)
        except IntegrityError:
            raise ImportRefused(
                lines[held] if held < len(lines) else 1,
                "another writer appended at the same time; retry",
            ) from None
    return len(parsed) - held


def _amend(
    uow: SqlUnitOfWork,
    conn: Connection,
    deal_id: str,
    new: list[Event],
    now: datetime,
    *,
    was: Mapping[str, ChangeState],
    after: Mapping[str, ChangeState],
) -> None:
    """Store the next deal version for each change order ``new`` completed, as
    ``SqlUnitOfWork.amend_in`` does, from the running fold's change orders before the import
    (``was``) and after it."""
    text = journal.deal_text(conn, deal_id)
    if text is None:
        raise no_deal(deal_id, uow.where)
    title = parsed_deal(text, deal_id).title
    for amended in texts_of_approvals(text, deal_id, new, was=was, now=after):
        journal.add_deal(conn, deal_id=deal_id, title=title, text=amended, now=now)


def export_journal(uow: UnitOfWork, deal_id: str) -> str:
    """The journal as JSON Lines: canonical JSON, one event a line, in order."""
    uow.deal(deal_id)
    return dumps_events(uow.events(deal_id))


def verify(
    uow: SqlUnitOfWork,
    blobs: BlobStore,
    deal_id: str,
    *,
    evidence: bool = False,
    party: str | None = None,
) -> journal.Verification:
    """Recompute the journal's chain and re-hash every deal version's text; with
    ``evidence``, also every evidence file the deal's events name or its store holds (what
    `copact journal verify`, the API and the journal page do: reading every file takes a
    while on a big store). Problems are reported, not raised: a deal whose text was altered
    still verifies, to say so.

    For a person of ``party``, a damaged file that no submission names and that is another
    party's confidential upload is counted in ``reason`` but not listed (its name is
    theirs)."""
    with uow.engine.connect() as conn:
        if not journal.versions(conn, deal_id):
            raise no_deal(deal_id, uow.where)
        result = journal.verify(conn, deal_id)
        if not evidence:
            return replace(result, evidence_skipped=True)
        uses = journal.evidence_uses(conn, deal_id)
        listed = journal.list_evidence(conn, deal_id)
    records = {r.sha256: r for r in listed}
    visible = {r.sha256 for r in listed if party is None or r.visible_to(party)}
    problems: list[journal.EvidenceProblem] = []
    unlisted: set[str] = set()  # another party's confidential uploads: counted, not named
    for sha in dict.fromkeys([*uses, *records]):
        found = blobs.check(sha)
        if found == "ok":
            continue
        record = records.get(sha)
        hidden = sha not in uses and sha not in visible
        name, used = uses.get(sha, (record.name if record else "", []))
        if not used and record is not None:
            used = [f"uploaded by {record.added_by}, in no submission yet"]
        state: journal.EvidenceState = (
            "not held" if found == "missing" and record is None else found
        )
        problems.append(journal.EvidenceProblem(sha, name or "unnamed", state, tuple(used)))
        if hidden:
            unlisted.add(sha)
    damaged = [p for p in problems if p.problem != "not held"]
    said = [result.reason] if result.reason else []
    if damaged:
        said.append(f"{_files(len(damaged))} missing or altered")
    not_held = len(problems) - len(damaged)
    if not_held:
        said.append(
            f"{_files(not_held)} referenced but not held (imported without the evidence "
            "folder?): the submissions that use them cannot be checked"
        )
    return replace(
        result,
        ok=result.ok and not problems,
        reason="; ".join(said),
        evidence_checked=len(uses.keys() | records.keys()),
        evidence_problems=tuple(p for p in problems if p.sha256 not in unlisted),
    )


def checkpoint(
    uow: SqlUnitOfWork, blobs: BlobStore, signing_key: Callable[[], SigningKey], deal_id: str
) -> Checkpoint:
    """A signed statement of the journal's length and head hash now, and of every deal
    version's hash. It vouches for the journal and the deal texts, not the evidence files
    (they are checked against the hashes the journal records). Without the workspace's
    signing key nothing is verified."""
    key = signing_key()
    result = verify(uow, blobs, deal_id, evidence=False)
    if not result.ok:
        where = f"event {result.first_bad}: " if result.first_bad else ""
        raise RefusedCommand(
            f"the journal does not verify ({where}{result.reason}); a checkpoint would vouch for it"
        )
    with uow.engine.connect() as conn:
        stored = journal.versions(conn, deal_id)
    return Checkpoint.sign(
        key,
        deal=deal_id,
        seq=result.count,
        head=result.head,
        at=uow.clock(),
        versions=tuple(VersionHash(v, sha) for v, sha, _, _ in stored),
    )


def verify_against(
    uow: SqlUnitOfWork,
    blobs: BlobStore,
    signing_key: Callable[[], SigningKey],
    deal_id: str,
    kept: Checkpoint,
    *,
    evidence: bool = False,
) -> journal.Verification:
    """Verify the chain and that it still extends ``kept``: the event at its sequence number
    has its head hash, and every deal version it vouched for still has its hash. A journal
    cut short or rewritten, or a deal text rewritten with its hash, fails here."""
    if kept.deal != deal_id:
        raise RefusedCommand(f"the checkpoint is for deal {kept.deal}, not {deal_id}")
    own = signing_key().public
    result = verify(uow, blobs, deal_id, evidence=evidence)
    if kept.key != own:
        return replace(
            result, ok=False, reason="the checkpoint was signed by another workspace's key"
        )
    on = f"{kept.at:%Y-%m-%d}"
    with uow.engine.connect() as conn:
        stored = {v: sha for v, sha, _, _ in journal.versions(conn, deal_id)}
    for vouched in kept.versions or ():
        now_ = stored.get(vouched.version)
        if now_ is None:
            gone = (
                f"deal version {vouched.version}, which the checkpoint of {on} vouched "
                "for, is missing from the database"
            )
            return replace(result, ok=False, reason=_and(gone, result))
        if now_ != vouched.sha256:
            changed = (
                f"deal version {vouched.version} no longer has the hash the checkpoint of "
                f"{on} vouched for: the deal's terms were rewritten in the database"
            )
            return replace(result, ok=False, reason=_and(changed, result))
    if not result.ok:
        return result
    if result.count < kept.seq:
        return replace(
            result,
            ok=False,
            first_bad=result.count + 1,
            reason=(
                f"the journal has {result.count} events but the checkpoint of "
                f"{on} vouched for {kept.seq}: it was cut short"
            ),
        )
    with uow.engine.connect() as conn:
        at_seq = journal.hash_at(conn, deal_id, kept.seq)
    if at_seq != kept.head:
        return replace(
            result,
            ok=False,
            first_bad=kept.seq,
            reason=(
                f"event {kept.seq} no longer has the hash the checkpoint of "
                f"{on} vouched for: the journal was rewritten"
            ),
        )
    return result


def _files(n: int) -> str:
    return f"{n} evidence file{'s' if n != 1 else ''}"


def _and(first: str, result: journal.Verification) -> str:
    return f"{first}; {result.reason}" if result.reason else first
