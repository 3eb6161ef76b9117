"""Evidence files: streamed into the workspace's store by their SHA-256, indexed for a deal
with who may see them, and checked against what the journal's submissions name.

Each party keeps its own record of a file: confidential evidence is visible to the uploader's
party only, and uploading bytes the other party holds confidentially gives you a record of
your own (:func:`copact.store.journal.add_evidence`)::

    add_evidence(uow, blobs, "hybrid-dc1", stream, name="sld.pdf", kind="drawing", by="sam")
    → EvidenceRecord(sha256="9f2c…", kind="drawing", name="sld.pdf", confidential_to=None, …)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import BinaryIO

from copact.core.events import Submitted
from copact.core.evidence import check_evidence
from copact.errors import InvalidCommand, RefusedCommand
from copact.services.config import disk_full
from copact.services.sql import SqlUnitOfWork
from copact.services.uow import UnitOfWork
from copact.store import journal
from copact.store.blobs import BlobStore
from copact.store.engine import is_disk_full
from copact.store.journal import EvidenceRecord

__all__ = ["EvidenceRecord", "add_evidence", "evidence", "evidence_held", "evidence_not_held"]

#: what a submission or claim may name as a file's kind (its ``EvidenceRef``): refused here,
#: at the door, rather than by the first command that names the file
_KIND = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def add_evidence(
    uow: SqlUnitOfWork,
    blobs: BlobStore,
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
    disk is a :class:`DiskFull` and leaves no part of the file behind. A ``kind`` that is not
    a short lowercase name (``test-report``) is an :class:`InvalidCommand`."""
    if not _KIND.fullmatch(kind):
        shown = kind if len(kind) <= 40 else kind[:40] + "…"
        raise InvalidCommand(
            f"evidence kind {shown!r} is not a kind: lowercase letters, digits and hyphens, "
            "up to 64, starting with a letter or digit (e.g. test-report)"
        )
    deal = uow.deal(deal_id)
    person = deal.person(by)
    if person is None:
        raise RefusedCommand(f"{by!r} is not a person of {deal_id}")
    label = PurePosixPath(name.replace("\\", "/")).name or "unnamed"
    try:
        stored = blobs.put(
            stream, check=lambda media: check_evidence(kind=kind, name=label, media_type=media)
        )
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full(f"{label} could not be stored in {blobs.root}") from None
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
        with uow.engine.begin() as conn:
            # the uploader's own record (or their shared one), never another party's
            record = journal.add_evidence(conn, record, now=uow.clock())
    except Exception as exc:
        if is_disk_full(exc):  # the stored file is whole; a retry indexes it
            raise disk_full(f"{label} could not be recorded in the database") from None
        raise
    _same_as_asked(record, kind=kind, confidential=confidential, label=label)
    return record


def _same_as_asked(record: EvidenceRecord, *, kind: str, confidential: bool, label: str) -> None:
    """Refuse, saying what is held, when the party already held these bytes under another
    kind or visibility: the record kept is the first one, and answering "added" would let
    the uploader believe a shared file is now confidential, or a photo a test report."""
    shared = record.confidential_to is None
    if record.kind == kind and shared != confidential:
        return
    held = "visible to both parties" if shared else f"confidential to {record.confidential_to}"
    asked = f"{kind}{', confidential' if confidential else ''}"
    raise RefusedCommand(
        f"{label} is already held as {record.name} ({record.kind}, {held}, added by "
        f"{record.added_by}): the same file cannot be added again as {asked}"
    )


def evidence(uow: SqlUnitOfWork, deal_id: str, *, party: str | None) -> list[EvidenceRecord]:
    """The deal's evidence a person of ``party`` may see (``None``: every record, for the
    workspace's operator)."""
    uow.deal_text(deal_id)
    with uow.engine.connect() as conn:
        records = journal.list_evidence(conn, deal_id)
    return [r for r in records if party is None or r.visible_to(party)]


def evidence_held(uow: UnitOfWork, blobs: BlobStore, deal_id: str) -> Callable[[str], bool]:
    """Whether the store holds the file of an evidence hash a submission names: a journal
    imported without its evidence folder names files this workspace never had (shown as
    "evidence not held" wherever the submission is shown)."""
    uow.deal_text(deal_id)
    return blobs.has


def evidence_not_held(
    uow: UnitOfWork, held: Callable[[str], bool], deal_id: str
) -> dict[str, list[str]]:
    """Per milestone, the SHA-256 of each file its submissions name that ``held`` says the
    store does not hold (a journal moved here without its evidence folder): shown as
    "evidence not held" on the milestone, since nobody here can open or check it."""
    out: dict[str, list[str]] = {}
    for event in uow.events(deal_id):
        if isinstance(event, Submitted):
            for ref in event.evidence:
                missing = out.setdefault(event.milestone, [])
                if ref.sha256 not in missing and not held(ref.sha256):
                    missing.append(ref.sha256)
    return {m: shas for m, shas in out.items() if shas}
