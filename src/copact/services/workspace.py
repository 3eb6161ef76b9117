"""The workspace: where deals, their versions and their journals live, and the use cases on
them. Every change goes through here, so the command line and (next) the web app agree.

A workspace is a folder with ``copact.toml`` (the database URL) and ``evidence/``; the default
database is ``copact.db`` (SQLite) in the folder, ``--database postgresql+psycopg://…`` a server.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from copact.core.bounds import check_day
from copact.core.changes import protected_changes
from copact.core.commands import admit
from copact.core.deal import Deal
from copact.core.diagnostic import Diagnostic, Severity
from copact.core.events import (
    ChangeApproved,
    ChangeProposed,
    Event,
    Submitted,
    canonical_json,
    dumps_events,
    parse_events,
)
from copact.core.evidence import check_evidence
from copact.core.state import DealState, RunningFold, deal_state
from copact.dealfile.dump import amend
from copact.dealfile.loader import LoadedDeal, load_text
from copact.errors import CopactError, RefusedCommand
from copact.rules.runner import check_deal
from copact.store import journal
from copact.store.blobs import DEFAULT_LIMIT, BlobStore
from copact.store.checkpoint import Checkpoint, SigningKey, VersionHash
from copact.store.engine import (
    Unopenable,
    behind,
    is_disk_full,
    migrate,
    open_engine,
    sqlite_file,
    with_file,
    writable,
)
from copact.store.files import write_whole
from copact.store.journal import EvidenceRecord

__all__ = [
    "ConcurrentChange",
    "DiskFull",
    "IdempotencyConflict",
    "ImportRefused",
    "Outcome",
    "Workspace",
    "WorkspaceError",
    "default_workspace",
]

CONFIG = "copact.toml"
_PARSED: dict[str, Deal] = {}  # deal text SHA-256 → its frozen Deal
KEY = "keys/checkpoint.pem"


class WorkspaceError(CopactError):
    """The workspace is missing, or a deal is not in it."""


class DiskFull(WorkspaceError):
    """A write the disk had no room for; nothing of it was kept."""


class IdempotencyConflict(RefusedCommand):
    """An idempotency key used again for a different request."""


class ConcurrentChange(RefusedCommand):
    """Another change to the same deal was recorded at the same moment; nothing of this one
    was. Trying again folds the new state, which may then allow or refuse it on its merits."""


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


def default_workspace() -> Path:
    return Path(os.environ.get("COPACT_WORKSPACE") or "copact-workspace")


DEFAULT_DATABASE = "sqlite:///copact.db"
"""A SQLite path in ``copact.toml`` is read from the workspace folder: copied or moved, the
folder takes its database with it."""


def _settings(root: Path) -> dict[str, Any]:
    config = root / CONFIG
    if not config.is_file():
        raise WorkspaceError(f"{root} is not a workspace; create one with `copact init {root}`")
    try:
        return tomllib.loads(config.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{config}: {exc}") from None


def _database_url(root: Path, settings: dict[str, Any]) -> str:
    """The database URL of ``copact.toml``, its SQLite file made absolute from the folder.

    Workspaces made before the path was relative hold the absolute path of the folder they
    were made in. Moved or copied with a folder of the same name, the folder's own file is
    meant; under another name, which file is meant cannot be told, and the user is told how
    to say it."""
    config = root / CONFIG
    url = settings.get("database")
    fix = f'write `database = "{DEFAULT_DATABASE}"` in {config}'
    if not isinstance(url, str) or not url:
        raise WorkspaceError(f"{config}: `database` must be a database URL; {fix}")
    try:
        path = sqlite_file(url)
    except ValueError as exc:
        raise WorkspaceError(f"{config}: `database`: {exc}") from None
    if path is None:
        return url
    folder = root.resolve()
    if not path.is_absolute():
        return with_file(url, folder / path)
    if path.resolve().is_relative_to(folder):
        return url
    own = folder / path.name
    if own.is_file():
        if path.parent.name == folder.name:
            return with_file(url, own)
        raise WorkspaceError(
            f"{config}: the database is {path}, outside this workspace, yet the folder holds "
            f"its own {path.name}: was the workspace copied or moved under another name? To "
            f"use the folder's own file, {fix}; to keep using {path}, remove {own}"
        )
    return url


def _stored_url(root: Path, database: str | None) -> str:
    """What ``copact init`` writes in ``copact.toml``: a SQLite file given relative to the
    current folder becomes relative to the workspace when it lies inside it."""
    if database is None:
        return DEFAULT_DATABASE
    try:
        path = sqlite_file(database)
    except ValueError as exc:
        raise WorkspaceError(f"--database: {exc}") from None
    if path is None:
        return database
    path = path.resolve()
    folder = root.resolve()
    if path.is_relative_to(folder):
        return with_file(database, path.relative_to(folder))
    return with_file(database, path)


def _config_text(url: str) -> str:
    return (
        "# the database; a SQLite file is read from this folder, so the workspace can move\n"
        f"database = {json.dumps(url)}\n"
        "# the largest evidence file accepted, in bytes\n"
        f"evidence-limit = {DEFAULT_LIMIT}\n"
    )


def _disk_full(what: str) -> DiskFull:
    return DiskFull(f"disk full: {what}; nothing of it was kept. Free some space and retry")


@dataclass(frozen=True)
class Outcome:
    """What a service call did: the events it appended (or, on a replay of its idempotency key,
    the events the first call appended) and their sequence numbers."""

    deal: str
    events: list[Event]
    seqs: list[int]
    replayed: bool = False
    version: int | None = None  # the deal version an approved change order created


Decide = Callable[[Deal, list[Event], datetime], list[Event]]


@dataclass
class Workspace:
    """The unit of work of the services: the database, the evidence store and the signing key
    of one workspace folder."""

    root: Path
    engine: Engine
    clock: Callable[[], datetime]
    evidence_limit: int = DEFAULT_LIMIT
    readonly: bool = False  # opened so by read commands, or because it may not be written

    @classmethod
    def init(cls, root: Path, *, database: str | None, clock: Callable[[], datetime]) -> Workspace:
        """Create a workspace in ``root``, or finish one an interrupted ``init`` left, or open
        (and upgrade) an existing one, its config untouched. ``copact.toml`` is written last
        and whole: an ``init`` stopped by a full disk leaves no workspace, and what it had
        made of one is removed."""
        made = [p for p in (root, root / "evidence") if not p.exists()]
        key = root / KEY
        settings = None if not (root / CONFIG).is_file() else _settings(root)
        if settings is None:
            settings = {"database": _stored_url(root, database), "evidence-limit": DEFAULT_LIMIT}
        db = sqlite_file(_database_url(root, settings))
        fresh = [p for p in (key, db) if p is not None and not p.exists()]
        try:
            for folder in made:
                folder.mkdir(parents=True)
            if not key.is_file():
                SigningKey.load_or_create(key)
            ws = cls._connect(root, settings, clock=clock, readonly=False, create=True)
            if not (root / CONFIG).is_file():
                write_whole(root / CONFIG, _config_text(settings["database"]))
        except BaseException as exc:
            for path in fresh:
                for side in ("", "-wal", "-shm", "-journal"):
                    path.with_name(path.name + side).unlink(missing_ok=True)
            if made:
                shutil.rmtree(made[0], ignore_errors=True)
            if is_disk_full(exc):
                raise _disk_full(f"the workspace could not be created in {root}") from None
            raise
        return ws

    @classmethod
    def open(
        cls, root: Path, *, clock: Callable[[], datetime], readonly: bool = False
    ) -> Workspace:
        """The workspace in ``root``. Opening writes nothing (the schema is migrated only when
        it is behind). With ``readonly`` nothing can be written either: the CLI's read
        commands open so; a database file or folder this process may not write is opened
        read-only whatever was asked, so reading a read-only copy works and a write says
        why it cannot. A database file that is not there is an error, never a new empty
        journal (``copact init`` makes one)."""
        return cls._connect(root, _settings(root), clock=clock, readonly=readonly, create=False)

    @classmethod
    def _connect(
        cls,
        root: Path,
        settings: dict[str, Any],
        *,
        clock: Callable[[], datetime],
        readonly: bool,
        create: bool,
    ) -> Workspace:
        config = root / CONFIG
        url = _database_url(root, settings)
        path = sqlite_file(url)
        if path is not None and not path.is_file():
            if not create:
                raise WorkspaceError(
                    f"{config}: the database file {path} does not exist (moved or deleted?); "
                    "nothing was created in its place. Restore it, or name the right file in "
                    f"`database`, or start an empty journal there with `copact init {root}`"
                )
        elif path is not None and not writable(path):
            readonly = True
        limit = settings.get("evidence-limit", DEFAULT_LIMIT)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
            raise WorkspaceError(f"{config}: `evidence-limit` must be a number of bytes")
        engine = open_engine(url, readonly=readonly)
        try:
            late = behind(engine)
            if late is not None and readonly:
                raise WorkspaceError(
                    f"{config}: the database is at migration {late[0] or '(none)'} and this "
                    f"copact needs {late[1]}; it cannot be upgraded read-only: run "
                    f"`copact init {root}` where the workspace can be written"
                )
            if late is not None:
                migrate(engine)
        except Unopenable as exc:
            engine.dispose()
            raise WorkspaceError(f"{config}: the database cannot be read: {exc}") from None
        except BaseException:
            engine.dispose()
            raise
        return cls(root, engine, clock, limit, readonly)

    @property
    def blobs(self) -> BlobStore:
        return BlobStore(self.root / "evidence", self.evidence_limit)

    # -- deals --

    def add_deal(self, text: str, path: str) -> tuple[Deal, int]:
        """Register a deal file as version 1. The same text again is a no-op; another text for
        a registered deal is refused: a deal changes through an approved change order."""
        loaded = load_text(text, path)
        errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
        if loaded.deal is None or errors:
            first = (errors or loaded.diagnostics)[0]
            raise WorkspaceError(
                f"{path}:{first.line}:{first.column}: {first.code} {first.message}"
            )
        deal = loaded.deal
        with self.engine.begin() as conn:
            versions = journal.versions(conn, deal.id)
            if versions:
                if versions[0][2] == text:
                    return deal, 1
                raise WorkspaceError(
                    f"deal {deal.id} is already registered (version {len(versions)}); it changes "
                    "through a change order both sides approve (`copact change propose`)"
                )
            version = journal.add_deal(
                conn, deal_id=deal.id, title=deal.title, text=text, now=self.clock()
            )
        return deal, version

    def deals(self) -> list[tuple[str, str, int, int]]:
        with self.engine.connect() as conn:
            return journal.list_deals(conn)

    def deal_text(self, deal_id: str) -> str:
        with self.engine.connect() as conn:
            text = journal.deal_text(conn, deal_id)
        if text is None:
            raise WorkspaceError(
                f"no deal {deal_id!r} in {self.root}; `copact deal list` shows them"
            )
        return text

    def deal(self, deal_id: str) -> Deal:
        """The deal's latest version (parsed once per text: deals are frozen values)."""
        return _parsed(self.deal_text(deal_id), deal_id)

    def versions(self, deal_id: str) -> list[tuple[int, str, str, datetime]]:
        """(version, sha256, text, created) of every version of a deal, oldest first."""
        self.deal_text(deal_id)
        with self.engine.connect() as conn:
            return journal.versions(conn, deal_id)

    # -- commands --

    def execute(
        self,
        deal_id: str,
        decide: Decide,
        *,
        key: str | None,
        request: dict[str, Any],
        clock: Callable[[], datetime] | None = None,
    ) -> Outcome:
        """Fold the deal's journal now, let ``decide`` check its guard and say what happens,
        and append that in one transaction; an approved change order stores the next deal
        version in the same transaction.

        With an idempotency ``key``, the first call's outcome is recorded with it: a replay of
        the same request returns that outcome (``replayed``) and appends nothing; the same key
        with a different request is refused. A refused call records nothing, so it can be
        retried with the same key once the state allows it.

        Appends to one deal are serialised by the deal's write lock (:func:`journal.lock_deal`)
        and the guard runs on the journal read under it; should a writer still get in between
        (the head moved, a unique key, a lock timeout), the whole command is tried again on the
        new state a few times before it is refused as a :class:`ConcurrentChange`."""
        digest = _request_digest(deal_id, request)
        now = (clock or self.clock)()
        if now.tzinfo is None:
            raise ValueError("the clock must give an aware date-time")
        if key is not None:  # a replay needs no lock: the first call's answer is final
            replay = self._replay(key, digest)
            if replay is not None:
                return replay
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
                raise WorkspaceError(
                    f"no deal {deal_id!r} in {self.root}; `copact deal list` shows them"
                )
            if key is not None:
                replay = self._replay_in(conn, key, digest)
                if replay is not None:
                    return replay
            deal = self._deal_in(conn, deal_id)
            history = journal.read_events(conn, deal_id)
            if history and now.date() < history[-1].day:
                raise RefusedCommand(
                    f"the journal already holds events dated {history[-1].day}, after today "
                    f"({now.date()}); check the clock"
                )
            caused = decide(deal, history, now)
            seqs = journal.append(conn, deal_id, caused, expected=len(history))
            version = _amend(conn, deal_id, history, caused, now)
            if key is not None:
                journal.remember(conn, key=key, deal_id=deal_id, request=digest, seqs=seqs, now=now)
        return Outcome(deal_id, caused, seqs, False, version)

    def _deal_in(self, conn: Connection, deal_id: str) -> Deal:
        """The deal's latest version as read inside the caller's transaction."""
        text = journal.deal_text(conn, deal_id)
        if text is None:
            raise WorkspaceError(
                f"no deal {deal_id!r} in {self.root}; `copact deal list` shows them"
            )
        return _parsed(text, deal_id)

    def _replay_in(self, conn: Connection, key: str, digest: str) -> Outcome | None:
        found = journal.recall(conn, key)
        if found is None:
            return None
        deal_id, request, seqs = found
        if request != digest:
            raise IdempotencyConflict(
                f"idempotency key {key!r} was already used for a different request; "
                "use a new key for a new request"
            )
        return Outcome(deal_id, journal.read_events(conn, deal_id, seqs=seqs), seqs, True)

    def _replay(self, key: str, digest: str) -> Outcome | None:
        with self.engine.connect() as conn:
            return self._replay_in(conn, key, digest)

    def run(self, deal_id: str, command: Callable[..., list[Event]], **kwargs: Any) -> list[Event]:
        """A command of ``core.commands`` on the deal's state now, without idempotency key."""

        def decide(deal: Deal, history: list[Event], now: datetime) -> list[Event]:
            return command(deal, deal_state(deal, history, on=now.date()), at=now, **kwargs)

        return self.execute(deal_id, decide, key=None, request={}).events

    # -- evidence --

    def add_evidence(
        self,
        deal_id: str,
        stream: BinaryIO,
        *,
        name: str,
        kind: str,
        by: str,
        confidential: bool = False,
    ) -> EvidenceRecord:
        """Stream a file into the evidence store and index it for the deal. The person adding
        it must be of the deal; confidential evidence is visible to their party only. A full
        disk is a :class:`DiskFull` and leaves no part of the file behind."""
        if self.readonly:
            raise WorkspaceError(f"{self.root} is open read-only; no evidence can be added")
        deal = self.deal(deal_id)
        person = deal.person(by)
        if person is None:
            raise RefusedCommand(f"{by!r} is not a person of {deal_id}")
        label = PurePosixPath(name.replace("\\", "/")).name or "unnamed"
        try:
            stored = self.blobs.put(
                stream, check=lambda media: check_evidence(kind=kind, name=label, media_type=media)
            )
        except OSError as exc:
            if is_disk_full(exc):
                raise _disk_full(f"{label} could not be stored in {self.blobs.root}") from None
            raise
        record = EvidenceRecord(
            deal=deal_id,
            sha256=stored.sha256,
            kind=kind,
            name=label,
            size=stored.size,
            media_type=stored.media_type,
            confidential_to=person.party if confidential else None,
            added_by=by,
        )
        try:
            with self.engine.begin() as conn:
                # the uploader's own record (or their shared one), never another party's
                record = journal.add_evidence(conn, record, now=self.clock())
        except Exception as exc:
            if is_disk_full(exc):  # the stored file is whole; a retry indexes it
                raise _disk_full(f"{label} could not be recorded in the database") from None
            raise
        return record

    def evidence(self, deal_id: str, *, party: str | None) -> list[EvidenceRecord]:
        """The deal's evidence a person of ``party`` may see (``None``: every record, for the
        workspace's operator)."""
        self.deal_text(deal_id)
        with self.engine.connect() as conn:
            records = journal.list_evidence(conn, deal_id)
        return [r for r in records if party is None or r.visible_to(party)]

    def evidence_record(
        self, deal_id: str, sha256: str, *, party: str | None = None
    ) -> EvidenceRecord | None:
        """The record of a file a person of ``party`` may see (``None``: any, the shared one
        first, for the workspace's operator)."""
        with self.engine.connect() as conn:
            return journal.evidence(conn, deal_id, sha256, party=party)

    # -- the journal --

    def events(self, deal_id: str) -> list[Event]:
        with self.engine.connect() as conn:
            return journal.read_events(conn, deal_id)

    def import_journal(self, deal_id: str, text: str, path: str) -> int:
        """Append a JSON Lines file through the guards, all or nothing; returns how many events
        were appended. Events the journal already holds as its first lines are skipped, so a
        re-import after a crash or a retry completes exactly instead of doubling up."""
        self.deal(deal_id)
        parsed, problems = parse_events(text, path)
        if problems:
            raise ImportRefused(problems[0].line, f"{problems[0].code} {problems[0].message}")
        lines = [n for n, raw in enumerate(text.split("\n"), start=1) if raw.strip()]
        with self.engine.begin() as conn:
            if not journal.lock_deal(conn, deal_id):  # the guards run on the head appended to
                raise WorkspaceError(f"no deal {deal_id!r} in {self.root}")
            deal = self._deal_in(conn, deal_id)
            today = self.clock().date()
            history = journal.read_events(conn, deal_id)
            base = len(history)
            held = _common_prefix(history, parsed)
            running = RunningFold(deal, history)
            for line, event in zip(lines[held:], parsed[held:], strict=True):
                if history and event.day < history[-1].day:
                    raise ImportRefused(line, "events must come in date order")
                try:
                    check_day(deal, event.day, today=today)
                    admit(deal, history, event, state=running.state_on(event.day))
                except RefusedCommand as exc:
                    raise ImportRefused(line, str(exc)) from None
                if isinstance(event, ChangeProposed) and event.patch:
                    current = journal.deal_text(conn, deal_id)
                    assert current is not None
                    try:  # the same guard as the command: it loads, checks, takes nothing back
                        guard_amendment(
                            current, event.change, event.patch, running.state_on(event.day)
                        )
                    except RefusedCommand as exc:
                        raise ImportRefused(line, str(exc)) from None
                history.append(event)
                running.push(event)
            try:
                journal.append(conn, deal_id, parsed[held:], expected=base)
                earlier = history[:base]
                _amend(conn, deal_id, earlier, parsed[held:], self.clock())
            except IntegrityError:
                raise ImportRefused(
                    lines[held] if held < len(lines) else 1,
                    "another writer appended at the same time; retry",
                ) from None
        return len(parsed) - held

    def export_journal(self, deal_id: str) -> str:
        self.deal(deal_id)
        return dumps_events(self.events(deal_id))

    def verify(
        self, deal_id: str, *, evidence: bool = False, party: str | None = None
    ) -> journal.Verification:
        """Recompute the journal's chain and re-hash every deal version's text; with
        ``evidence``, also every evidence file the deal's events name or its store holds (what
        `copact journal verify`, the API and the journal page do: reading every file takes a
        while on a big store). Problems are reported, not raised: a deal whose text was altered
        still verifies, to say so.

        For a person of ``party``, a damaged file that no submission names and that is another
        party's confidential upload is counted in ``reason`` but not listed (its name is
        theirs)."""
        with self.engine.connect() as conn:
            if not journal.versions(conn, deal_id):
                raise WorkspaceError(
                    f"no deal {deal_id!r} in {self.root}; `copact deal list` shows them"
                )
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
            found = self.blobs.check(sha)
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

    def evidence_held(self, deal_id: str) -> Callable[[str], bool]:
        """Whether the store holds the file of an evidence hash a submission names: a journal
        imported without its evidence folder names files this workspace never had (shown as
        "evidence not held" wherever the submission is shown)."""
        self.deal_text(deal_id)
        return self.blobs.has

    def evidence_not_held(self, deal_id: str) -> dict[str, list[str]]:
        """Per milestone, the SHA-256 of each file its submissions name that the store does not
        hold (a journal moved here without its evidence folder): shown as "evidence not held"
        on the milestone, since nobody here can open or check it."""
        held = self.evidence_held(deal_id)
        out: dict[str, list[str]] = {}
        for event in self.events(deal_id):
            if isinstance(event, Submitted):
                for ref in event.evidence:
                    missing = out.setdefault(event.milestone, [])
                    if ref.sha256 not in missing and not held(ref.sha256):
                        missing.append(ref.sha256)
        return {m: shas for m, shas in out.items() if shas}

    def _signing_key(self) -> SigningKey:
        return SigningKey.load(self.root / KEY, name=KEY)

    def checkpoint(self, deal_id: str) -> Checkpoint:
        """A signed statement of the journal's length and head hash now, and of every deal
        version's hash. It vouches for the journal and the deal texts, not the evidence files
        (they are checked against the hashes the journal records)."""
        key = self._signing_key()
        result = self.verify(deal_id, evidence=False)
        if not result.ok:
            where = f"event {result.first_bad}: " if result.first_bad else ""
            raise RefusedCommand(
                f"the journal does not verify ({where}{result.reason}); "
                "a checkpoint would vouch for it"
            )
        with self.engine.connect() as conn:
            stored = journal.versions(conn, deal_id)
        return Checkpoint.sign(
            key,
            deal=deal_id,
            seq=result.count,
            head=result.head,
            at=self.clock(),
            versions=tuple(VersionHash(v, sha) for v, sha, _, _ in stored),
        )

    def verify_against(
        self, deal_id: str, checkpoint: Checkpoint, *, evidence: bool = False
    ) -> journal.Verification:
        """Verify the chain and that it still extends ``checkpoint``: the event at its sequence
        number has its head hash, and every deal version it vouched for still has its hash. A
        journal cut short or rewritten, or a deal text rewritten with its hash, fails here."""
        if checkpoint.deal != deal_id:
            raise RefusedCommand(f"the checkpoint is for deal {checkpoint.deal}, not {deal_id}")
        own = self._signing_key().public
        result = self.verify(deal_id, evidence=evidence)
        if checkpoint.key != own:
            return replace(
                result, ok=False, reason="the checkpoint was signed by another workspace's key"
            )
        on = f"{checkpoint.at:%Y-%m-%d}"
        with self.engine.connect() as conn:
            stored = {v: sha for v, sha, _, _ in journal.versions(conn, deal_id)}
        for vouched in checkpoint.versions or ():
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
        if result.count < checkpoint.seq:
            return replace(
                result,
                ok=False,
                first_bad=result.count + 1,
                reason=(
                    f"the journal has {result.count} events but the checkpoint of "
                    f"{on} vouched for {checkpoint.seq}: it was cut short"
                ),
            )
        with self.engine.connect() as conn:
            at_seq = journal.hash_at(conn, deal_id, checkpoint.seq)
        if at_seq != checkpoint.head:
            return replace(
                result,
                ok=False,
                first_bad=checkpoint.seq,
                reason=(
                    f"event {checkpoint.seq} no longer has the hash the checkpoint of "
                    f"{on} vouched for: the journal was rewritten"
                ),
            )
        return result


def _files(n: int) -> str:
    return f"{n} evidence file{'s' if n != 1 else ''}"


def _and(first: str, result: journal.Verification) -> str:
    return f"{first}; {result.reason}" if result.reason else first


def _parsed(text: str, deal_id: str) -> Deal:
    """The frozen Deal of a stored text, parsed once per text."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    cached = _PARSED.get(digest)
    if cached is None:
        loaded = load_text(text, f"{deal_id} (stored)")
        assert loaded.deal is not None
        cached = _PARSED[digest] = loaded.deal
    return cached


_ATTEMPTS = 5
"""How often a command is tried when a concurrent writer got in its way (a lock timeout, a
serialisation failure): each try folds the journal afresh under the deal's lock."""


def _transient(exc: OperationalError) -> bool:
    """A lock that could not be had in time (SQLite busy or locked), or a PostgreSQL
    serialisation failure, deadlock or lock timeout: trying again may succeed. Anything else
    is a real fault. Judged by the drivers' error codes, never by message text."""
    orig = exc.orig
    if getattr(orig, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return True
    return getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES


_RETRY_SQLSTATES = ("40001", "40P01", "55P03")
"""PostgreSQL: serialization_failure, deadlock_detected, lock_not_available."""


def _request_digest(deal_id: str, request: dict[str, Any]) -> str:
    text = json.dumps({"deal": deal_id, **request}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def guard_amendment(text: str, change: str, patch: dict[str, Any], state: DealState) -> None:
    """Refuse a patch whose deal would not load, would fail ``copact check`` where the current
    one does not, or would take back what the journal holds (``core.changes``)."""
    deal = state.deal
    problem = patch_problem(text, patch, deal.id)
    if problem:
        raise RefusedCommand(f"change {change}: {problem}")
    after = load_text(amend(text, patch), f"{deal.id} (amended)").deal
    assert after is not None  # patch_problem said it loads
    held = {
        m.id: ("accepted" if m.state == "accepted" else m.state)
        + (" and invoiced" if m.invoiced else "")
        for m in state.milestones.values()
        if m.invoiced or m.state in ("submitted", "accepted")
    }
    taken_back = protected_changes(
        deal,
        after,
        held=held,
        invoiced=[m.id for m in state.milestones.values() if m.invoiced],
        money_moved=bool(state.payment_refs or state.invoices),
    )
    if taken_back:
        raise RefusedCommand(f"change {change}: " + "; ".join(taken_back))


def patch_problem(text: str, patch: dict[str, Any], deal_id: str) -> str | None:
    """Why a change order's patch cannot become the next version of the deal, or None."""
    amended = amend(text, patch)
    loaded = load_text(amended, f"{deal_id} (amended)")
    errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    if loaded.deal is None or errors:
        first = (errors or loaded.diagnostics)[0]
        return f"the amended deal would not load: {first.code} {first.message}"
    if loaded.deal.id != deal_id:
        return "a change order cannot change the deal's id"
    introduced = _new_errors(load_text(text, deal_id), loaded)
    if introduced:
        findings = "; ".join(f"{d.code} {d.message}" for d in introduced)
        return f"the amended deal would fail copact check: {findings}"
    return None


def _new_errors(before: LoadedDeal, after: LoadedDeal) -> list[Diagnostic]:
    """The errors ``copact check`` reports of the amended deal and not of the current one (a
    deal registered with an error can still be amended, as long as nothing new breaks)."""

    def errors(loaded: LoadedDeal) -> list[Diagnostic]:
        return [d for d in check_deal(loaded) if d.severity is Severity.ERROR]

    known = {(d.code, d.message) for d in errors(before)}
    return [d for d in errors(after) if (d.code, d.message) not in known]


def _amend(
    conn: Connection, deal_id: str, before: list[Event], caused: list[Event], now: datetime
) -> int | None:
    """Store the next deal version for each change order that ``caused`` completed."""
    approved = [e for e in caused if isinstance(e, ChangeApproved)]
    if not approved:
        return None
    text = journal.deal_text(conn, deal_id)
    assert text is not None
    deal = load_text(text, deal_id).deal
    assert deal is not None
    last = max(e.day for e in caused)
    was = deal_state(deal, before, on=last).changes
    now_ = deal_state(deal, [*before, *caused], on=last).changes
    version = None
    for change_id in dict.fromkeys(e.change for e in approved):
        change = now_.get(change_id)
        if change is None or change.status != "approved":
            continue
        if change_id in was and was[change_id].status == "approved":
            continue
        if change.patch:
            problem = patch_problem(text, change.patch, deal_id)
            if problem:
                raise RefusedCommand(f"change {change.id} cannot be applied: {problem}")
            text = amend(text, change.patch)
            version = journal.add_deal(conn, deal_id=deal_id, title=deal.title, text=text, now=now)
    return version
