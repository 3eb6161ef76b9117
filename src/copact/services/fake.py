"""An in-memory unit of work, for service tests: deals, their versions and journals,
idempotency keys and evidence records in dictionaries, with the promises of the SQL one.

It keeps every promise a command service can see, by the same shared code where it can
(:mod:`copact.services.uow`, :func:`~copact.services.amendment.amended_texts`,
:func:`~copact.store.journal.once_key`): a command is all or nothing; the same idempotency
key and request replays the first outcome (``replayed``, no version), another request with the
key is refused; a refused command records nothing, key included; a second "once" event
(acceptance of a milestone, invoice of the same lines, payment reference) is refused as the
database's unique key refuses it; an approved change order with a patch stores the next deal
version. What it leaves out is what a single thread cannot meet: locks and races::

    uow = FakeUnitOfWork(clock=lambda: datetime(2026, 7, 1, 9, tzinfo=UTC))
    uow.add_deal(Path("examples/hybrid-dc1.yaml").read_text())
    operations.execute(Accept(deal="hybrid-dc1", ...), uow=uow, clock=uow.clock)
    uow.events("hybrid-dc1")   # [Submitted(...), Accepted(...), Invoice(...)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copact.core.deal import Deal
from copact.core.diagnostic import Severity
from copact.core.events import Event
from copact.dealfile.loader import load_text
from copact.services.amendment import amended_texts
from copact.services.config import WorkspaceError
from copact.services.deal_cache import parsed_deal
from copact.services.uow import (
    Clock,
    ConcurrentChange,
    Decide,
    Outcome,
    UnitOfWork,
    check_not_behind,
    key_conflict,
    no_deal,
    now_of,
    request_digest,
)
from copact.store.journal import EvidenceRecord, once_key

__all__ = ["FakeUnitOfWork"]


@dataclass
class FakeUnitOfWork:
    """A :class:`~copact.services.uow.UnitOfWork` in memory. ``clock`` is the only clock:
    there is no default, so a test always says what day it is."""

    clock: Clock
    where: str = "the fake workspace"
    versions: dict[str, list[str]] = field(default_factory=dict)  # deal id → texts, oldest first
    journals: dict[str, list[Event]] = field(default_factory=dict)
    keys: dict[str, tuple[str, str, list[int]]] = field(default_factory=dict)
    records: dict[str, list[EvidenceRecord]] = field(default_factory=dict)  # by deal, in order

    # -- loading it --

    def add_deal(self, text: str) -> Deal:
        """Register a deal text as version 1 (it must load without errors)."""
        loaded = load_text(text, "fake deal")
        errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
        if loaded.deal is None or errors:
            first = (errors or loaded.diagnostics)[0]
            raise WorkspaceError(f"the deal does not load: {first.code} {first.message}")
        deal = loaded.deal
        if deal.id in self.versions:
            raise WorkspaceError(f"deal {deal.id} is already registered")
        self.versions[deal.id] = [text]
        self.journals[deal.id] = []
        return deal

    def add_evidence(self, record: EvidenceRecord) -> EvidenceRecord:
        """Index an evidence record as the store does: the record the uploader's audience
        already sees for these bytes, if any, else this one."""
        held = self._held(record)
        if held is not None:
            return held
        self.records.setdefault(record.deal, []).append(record)
        return record

    def _held(self, record: EvidenceRecord) -> EvidenceRecord | None:
        if record.confidential_to:
            return self.evidence_record(record.deal, record.sha256, party=record.confidential_to)
        shared = [
            r
            for r in self.records.get(record.deal, [])
            if r.sha256 == record.sha256 and r.confidential_to is None
        ]
        return shared[0] if shared else None

    # -- the unit of work --

    def deal_text(self, deal_id: str) -> str:
        texts = self.versions.get(deal_id)
        if not texts:
            raise no_deal(deal_id, self.where)
        return texts[-1]

    def deal(self, deal_id: str) -> Deal:
        return parsed_deal(self.deal_text(deal_id), deal_id)

    def events(self, deal_id: str) -> list[Event]:
        return list(self.journals.get(deal_id, []))

    def evidence_record(
        self, deal_id: str, sha256: str, *, party: str | None = None
    ) -> EvidenceRecord | None:
        same = [r for r in self.records.get(deal_id, []) if r.sha256 == sha256]
        same.sort(key=lambda r: r.confidential_to or "")  # the shared one first, as in SQL
        visible = [r for r in same if party is None or r.visible_to(party)]
        return visible[0] if visible else None

    def execute(
        self,
        deal_id: str,
        decide: Decide,
        *,
        key: str | None,
        request: dict[str, Any],
        clock: Clock | None = None,
    ) -> Outcome:
        """As :meth:`copact.services.sql.SqlUnitOfWork.execute`, in memory: nothing is kept
        until ``decide`` and the amendment both went through."""
        digest = request_digest(deal_id, request)
        now = now_of(clock or self.clock)
        if key is not None and key in self.keys:
            first_deal, first_digest, seqs = self.keys[key]
            if first_digest != digest:
                raise key_conflict(key)
            journal = self.journals[first_deal]
            return Outcome(first_deal, [journal[s - 1] for s in seqs], list(seqs), True)
        text = self.deal_text(deal_id)
        history = self.events(deal_id)
        check_not_behind(history, now)
        caused = decide(parsed_deal(text, deal_id), list(history), now)
        self._refuse_twice(history, caused)
        amended = amended_texts(text, deal_id, history, caused)
        seqs = list(range(len(history) + 1, len(history) + 1 + len(caused)))
        self.journals[deal_id].extend(caused)
        self.versions[deal_id].extend(amended)
        if key is not None:
            self.keys[key] = (deal_id, digest, seqs)
        version = len(self.versions[deal_id]) if amended else None
        return Outcome(deal_id, caused, seqs, False, version)

    @staticmethod
    def _refuse_twice(history: list[Event], caused: list[Event]) -> None:
        """What the database's ``(deal, once)`` unique key does: a guard that let a second
        acceptance (invoice, payment reference) through is refused as a lost race would be,
        after the SQL unit of work's retries."""
        seen = {k for k in map(once_key, history) if k is not None}
        for event in caused:
            once = once_key(event)
            if once is None:
                continue
            if once in seen:
                raise ConcurrentChange(
                    f"a second {once!r} in this deal's journal; the database would refuse it "
                    "on its unique key, and nothing of this command was recorded"
                )
            seen.add(once)


if TYPE_CHECKING:
    from copact.services.sql import SqlUnitOfWork
    from copact.services.workspace import Workspace

    def _all_keep_the_protocol(
        fake: FakeUnitOfWork, sql: SqlUnitOfWork, workspace: Workspace
    ) -> list[UnitOfWork]:
        return [fake, sql, workspace]  # never run: mypy --strict checks that each is one
