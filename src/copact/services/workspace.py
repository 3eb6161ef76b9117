"""The workspace: one folder's configuration, database, evidence store and signing key, put
together, with the use cases on them. The command line and the web app hold one and call it.

It composes parts that each do one thing, and adds nothing of its own but the wiring::

    config      the folder, ``copact.toml``, the database URL       (services.config)
    uow         the unit of work on the database: execute, reads    (services.sql, services.uow)
    deals       registering deals, their versions                   (services.deals)
    evidence    evidence files in and checked                       (services.evidence)
    journals    import, export, verify, checkpoint                  (services.journals)

The command services (:mod:`copact.services.operations`) need only the unit of work: a
:class:`Workspace` is one, and so is :class:`copact.services.fake.FakeUnitOfWork`.

A workspace has one clock, given when it is opened (``Workspace.open(root, clock=...)``) and
replaced by assigning :attr:`Workspace.clock`; everything it dates reads it, except a command
run with ``execute(..., clock=...)``, for which that clock is the only one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine

from copact.core.deal import Deal
from copact.core.events import Event
from copact.services import deals as _deals
from copact.services import evidence as _evidence
from copact.services import journals as _journals
from copact.services.amendment import guard_amendment, patch_problem
from copact.services.config import (
    CONFIG,
    DEFAULT_DATABASE,
    KEY,
    DiskFull,
    WorkspaceError,
    database_url,
    default_workspace,
    evidence_limit,
    read_settings,
)
from copact.services.config import create as create_folder
from copact.services.journals import ImportRefused
from copact.services.sql import SqlUnitOfWork
from copact.services.uow import (
    Clock,
    ConcurrentChange,
    Decide,
    IdempotencyConflict,
    Outcome,
    UnitOfWork,
)
from copact.store.blobs import DEFAULT_LIMIT, BlobStore
from copact.store.checkpoint import Checkpoint, SigningKey
from copact.store.engine import Unopenable, behind, migrate, open_engine, sqlite_file, writable
from copact.store.journal import EvidenceRecord, Verification

__all__ = [
    "CONFIG",
    "DEFAULT_DATABASE",
    "KEY",
    "ConcurrentChange",
    "Decide",
    "DiskFull",
    "IdempotencyConflict",
    "ImportRefused",
    "Outcome",
    "UnitOfWork",
    "Workspace",
    "WorkspaceError",
    "default_workspace",
    "guard_amendment",
    "patch_problem",
]


class Workspace:
    """The database, the evidence store and the signing key of one workspace folder, and the
    unit of work of the services on them (:attr:`uow`)."""

    def __init__(
        self,
        root: Path,
        engine: Engine,
        clock: Clock,
        evidence_limit: int = DEFAULT_LIMIT,
        readonly: bool = False,  # opened so by read commands, or because it may not be written
    ) -> None:
        self.root = root
        self.evidence_limit = evidence_limit
        self.readonly = readonly
        self.uow = SqlUnitOfWork(engine, clock, root)

    def __repr__(self) -> str:
        return f"Workspace({self.root!r}, {self.engine.url!r}, readonly={self.readonly})"

    @property
    def engine(self) -> Engine:
        return self.uow.engine

    @property
    def clock(self) -> Clock:
        """The workspace's one clock (the unit of work's): what every use case dates with."""
        return self.uow.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.uow.clock = clock

    # -- opening --

    @classmethod
    def init(cls, root: Path, *, database: str | None, clock: Clock) -> Workspace:
        """Create a workspace in ``root``, or finish one an interrupted ``init`` left, or open
        (and upgrade) an existing one, its config untouched. ``copact.toml`` is written last
        and whole: an ``init`` stopped by a full disk leaves no workspace, and what it had
        made of one is removed."""
        return create_folder(
            root,
            database,
            lambda settings: cls._connect(root, settings, clock=clock, readonly=False, create=True),
        )

    @classmethod
    def open(cls, root: Path, *, clock: Clock, readonly: bool = False) -> Workspace:
        """The workspace in ``root``. Opening writes nothing (the schema is migrated only when
        it is behind). With ``readonly`` nothing can be written either: the CLI's read
        commands open so; a database file or folder this process may not write is opened
        read-only whatever was asked, so reading a read-only copy works and a write says
        why it cannot. A database file that is not there is an error, never a new empty
        journal (``copact init`` makes one)."""
        return cls._connect(root, read_settings(root), clock=clock, readonly=readonly, create=False)

    @classmethod
    def _connect(
        cls,
        root: Path,
        settings: dict[str, Any],
        *,
        clock: Clock,
        readonly: bool,
        create: bool,
    ) -> Workspace:
        config = root / CONFIG
        url = database_url(root, settings)
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
        limit = evidence_limit(root, settings)
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

    def _signing_key(self) -> SigningKey:
        return SigningKey.load(self.root / KEY, name=KEY)

    @contextmanager
    def request(self) -> Iterator[None]:
        """One request's scope: inside it :meth:`deal` reads a deal's text once per version
        (:meth:`copact.services.sql.SqlUnitOfWork.request`)."""
        with self.uow.request():
            yield

    # -- the unit of work --

    def execute(
        self,
        deal_id: str,
        decide: Decide,
        *,
        key: str | None,
        request: dict[str, Any],
        clock: Clock | None = None,
    ) -> Outcome:
        """:meth:`copact.services.sql.SqlUnitOfWork.execute`: ``decide`` on the deal's state
        now, its events appended in one transaction, with its idempotency ``key``. ``clock``,
        when given, is the only source of "now" for this call; else the workspace's clock."""
        return self.uow.execute(deal_id, decide, key=key, request=request, clock=clock)

    def deal(self, deal_id: str) -> Deal:
        """The deal's latest version (parsed once per text: deals are frozen values)."""
        return self.uow.deal(deal_id)

    def deal_text(self, deal_id: str) -> str:
        return self.uow.deal_text(deal_id)

    def events(self, deal_id: str) -> list[Event]:
        return self.uow.events(deal_id)

    def evidence_record(
        self, deal_id: str, sha256: str, *, party: str | None = None
    ) -> EvidenceRecord | None:
        """The record of a file a person of ``party`` may see (``None``: any, the shared one
        first, for the workspace's operator)."""
        return self.uow.evidence_record(deal_id, sha256, party=party)

    # -- deals --

    def add_deal(self, text: str, path: str) -> tuple[Deal, int]:
        """Register a deal file as version 1 (:func:`copact.services.deals.add_deal`)."""
        return _deals.add_deal(self.uow, text, path)

    def deals(self) -> list[tuple[str, str, int, int]]:
        """(id, title, latest version, events) of every deal."""
        return _deals.list_deals(self.uow)

    def versions(self, deal_id: str) -> list[tuple[int, str, str, datetime]]:
        """(version, sha256, text, created) of every version of a deal, oldest first."""
        return _deals.versions(self.uow, deal_id)

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
        """Stream a file into the evidence store and index it for the deal
        (:func:`copact.services.evidence.add_evidence`); refused on a read-only workspace."""
        if self.readonly:
            raise WorkspaceError(f"{self.root} is open read-only; no evidence can be added")
        return _evidence.add_evidence(
            self.uow,
            self.blobs,
            deal_id,
            stream,
            name=name,
            kind=kind,
            by=by,
            confidential=confidential,
        )

    def evidence(self, deal_id: str, *, party: str | None) -> list[EvidenceRecord]:
        """The deal's evidence a person of ``party`` may see (``None``: every record)."""
        return _evidence.evidence(self.uow, deal_id, party=party)

    def evidence_held(self, deal_id: str) -> Callable[[str], bool]:
        """Whether the store holds the file of an evidence hash a submission names."""
        return _evidence.evidence_held(self.uow, self.blobs, deal_id)

    def evidence_not_held(self, deal_id: str) -> dict[str, list[str]]:
        """Per milestone, the SHA-256 of each file its submissions name that the store does
        not hold (a journal moved here without its evidence folder)."""
        held = self.evidence_held(deal_id)
        return _evidence.evidence_not_held(self.uow, held, deal_id)

    # -- the journal --

    def import_journal(self, deal_id: str, text: str, path: str) -> int:
        """Append a JSON Lines file through the guards, all or nothing; how many events were
        appended (:func:`copact.services.journals.import_journal`)."""
        return _journals.import_journal(self.uow, deal_id, text, path)

    def export_journal(self, deal_id: str) -> str:
        return _journals.export_journal(self.uow, deal_id)

    def verify(
        self, deal_id: str, *, evidence: bool = False, party: str | None = None
    ) -> Verification:
        """The chain, every deal version and (with ``evidence``) every evidence file checked
        (:func:`copact.services.journals.verify`), and every settled service period metered
        again from the files it kept (:func:`copact.services.service_periods.remeter`)."""
        result = _journals.verify(self.uow, self.blobs, deal_id, evidence=evidence, party=party)
        if not evidence or result.altered_versions:
            return result  # an altered deal text is the finding: nothing is metered on it
        from copact.services.service_periods import remeter  # it runs on a workspace

        checked = remeter(self, deal_id)
        repriced = tuple(
            f"service period {r.period} (event {r.seq}): {r.problem}" for r in checked if r.problem
        )
        return replace(
            result,
            ok=result.ok and not repriced,
            reason="; ".join(filter(None, [result.reason, *repriced])),
            remetered=len(checked),
            repriced=repriced,
        )

    def checkpoint(self, deal_id: str) -> Checkpoint:
        """A signed statement of the journal's length, head hash and deal versions now."""
        return _journals.checkpoint(self.uow, self.blobs, self._signing_key, deal_id)

    def verify_against(
        self, deal_id: str, checkpoint: Checkpoint, *, evidence: bool = False
    ) -> Verification:
        """Verify, and that the journal still extends ``checkpoint``
        (:func:`copact.services.journals.verify_against`)."""
        return _journals.verify_against(
            self.uow, self.blobs, self._signing_key, deal_id, checkpoint, evidence=evidence
        )
