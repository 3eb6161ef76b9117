"""Tamper evidence covers everything that prices money (issue 13), on SQLite and PostgreSQL.

Someone with write access to the database or the evidence folder edits what the journal's
figures depend on: the stored deal text (value 185000 → 285000 re-prices every future invoice
from 14,800 to 22,800), an evidence file, or the signing key. Each must be caught: on read, by
``journal verify``, or against a checkpoint the other party kept.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from copact.core.events import Signed
from copact.core.invoicing import invoice_amounts
from copact.errors import CopactError, RefusedCommand
from copact.services import operations as ops
from copact.services.workspace import Workspace
from copact.store.checkpoint import SigningKeyMissing
from copact.store.journal import VersionAltered
from tests.conftest import DayClock, sign_deal
from tests.services.test_operations import PDF
from tests.store.test_workspace import DEAL, JOURNAL, workspace  # noqa: F401  (the fixture)

DEAL_ID = "heat-sensor-housing"


@pytest.fixture
def clock() -> DayClock:
    return DayClock(date(2026, 9, 1), hour=10)


@pytest.fixture
def unsigned_ws(workspace: Workspace, clock: DayClock) -> Workspace:  # noqa: F811
    """The deal added and not signed yet: for a journal that brings its own signatures."""
    workspace.clock = clock
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    return workspace


@pytest.fixture
def ws(unsigned_ws: Workspace, clock: DayClock) -> Workspace:
    """The deal added and signed by both parties (events 1 and 2), so it operates."""
    sign_deal(unsigned_ws, DEAL_ID, clock=clock)
    return unsigned_ws


def _three_payments(ws: Workspace, clock: DayClock) -> None:
    for n in range(3):
        ops.execute(
            ops.RecordPayment(
                deal=DEAL_ID,
                payer="ridgeline",
                payee="kestrel",
                amount=Decimal(100 + n),
                ref=f"P{n}",
                by="hannah",
            ),
            uow=ws,
            clock=clock,
        )


def _edit_deal_text(ws: Workspace, *, also_hash: bool = False) -> None:
    """What someone with the database's write rights does: UPDATE the stored text."""
    with ws.engine.begin() as conn:
        text = conn.execute(
            sa.text("SELECT text FROM deal_versions WHERE deal = :d AND version = 1"),
            {"d": DEAL_ID},
        ).scalar_one()
        forged = text.replace("value: 185000", "value: 285000")
        assert forged != text
        conn.execute(
            sa.text("UPDATE deal_versions SET text = :t WHERE deal = :d AND version = 1"),
            {"t": forged, "d": DEAL_ID},
        )
        if also_hash:
            import hashlib

            conn.execute(
                sa.text("UPDATE deal_versions SET sha256 = :h WHERE deal = :d AND version = 1"),
                {"h": hashlib.sha256(forged.encode()).hexdigest(), "d": DEAL_ID},
            )


# -- the deal text --


def test_an_edited_deal_text_is_refused_on_every_read(ws: Workspace) -> None:
    # design-freeze: 20% of 185,000, of which the buyer funds 40%
    assert invoice_amounts(ws.deal(DEAL_ID))["design-freeze"].amount == Decimal("14800.00")
    _edit_deal_text(ws)
    with pytest.raises(VersionAltered) as caught:
        ws.deal(DEAL_ID)  # what every command reads: it would invoice 22,800
    message = str(caught.value)
    assert "deal version 1 of heat-sensor-housing was altered in the database" in message
    assert "no longer has the hash recorded on 2026-09-01" in message
    with pytest.raises(VersionAltered, match="was altered in the database"):
        ws.deal_text(DEAL_ID)
    with pytest.raises(VersionAltered):  # and no command runs on it
        _three_payments(ws, DayClock(date(2026, 9, 2), hour=10))
    held = ws.events(DEAL_ID)  # the two signatures of the fixture, nothing after them
    assert len(held) == 2 and all(isinstance(e, Signed) for e in held)


def test_an_edited_deal_text_fails_verify(ws: Workspace, clock: DayClock) -> None:
    _three_payments(ws, clock)
    _edit_deal_text(ws)
    result = ws.verify(DEAL_ID)
    assert not result.ok
    assert "deal version 1 was altered in the database" in result.reason
    assert result.count == 5  # the events themselves (2 signatures, 3 payments) still chain


def test_a_text_rewritten_with_its_hash_is_caught_against_a_checkpoint(
    ws: Workspace, clock: DayClock
) -> None:
    _three_payments(ws, clock)
    kept = ws.checkpoint(DEAL_ID)
    assert [(v.version, v.sha256) for v in kept.versions or ()] == [(1, ws.versions(DEAL_ID)[0][1])]
    _edit_deal_text(ws, also_hash=True)  # the text and the hash column, consistently
    assert ws.deal(DEAL_ID).value is not None  # nothing in the database itself disagrees...
    result = ws.verify_against(DEAL_ID, kept)  # ...but the signed checkpoint does
    assert not result.ok
    assert "deal version 1 no longer has the hash the checkpoint of 2026-09-01" in result.reason


def test_a_removed_deal_version_is_caught_against_a_checkpoint(
    ws: Workspace, clock: DayClock
) -> None:
    ops.execute(
        ops.ProposeChange(
            deal=DEAL_ID,
            change="co-1",
            by="luis",
            amount=Decimal(7500),
            patch={"payment-terms": 45},
        ),
        uow=ws,
        clock=clock,
    )
    ops.execute(ops.ApproveChange(deal=DEAL_ID, change="co-1", by="hannah"), uow=ws, clock=clock)
    assert len(ws.versions(DEAL_ID)) == 2
    kept = ws.checkpoint(DEAL_ID)
    with ws.engine.begin() as conn:  # back to the terms before the change order
        conn.execute(
            sa.text("DELETE FROM deal_versions WHERE deal = :d AND version = 2"), {"d": DEAL_ID}
        )
    result = ws.verify_against(DEAL_ID, kept)
    assert not result.ok and "deal version 2" in result.reason and "missing" in result.reason


# -- evidence files --


def _submitted(ws: Workspace, clock: DayClock) -> dict[str, str]:
    """design-freeze submitted with its four files; their names by SHA-256."""
    deal = ws.deal(DEAL_ID)
    spec = next(m for m in deal.milestones if m.id == "design-freeze")
    assert spec.acceptance is not None
    names = {}
    for kind in spec.acceptance.evidence:
        record = ws.add_evidence(
            DEAL_ID, io.BytesIO(PDF + kind.encode()), name=f"{kind}.pdf", kind=kind, by="luis"
        )
        names[record.sha256] = record.name
    ops.execute(
        ops.Submit(deal=DEAL_ID, milestone="design-freeze", by="luis", evidence=tuple(names)),
        uow=ws,
        clock=clock,
    )
    return names


def test_evidence_files_are_rehashed_by_verify(ws: Workspace, clock: DayClock) -> None:
    names = _submitted(ws, clock)
    result = ws.verify(DEAL_ID, evidence=True)
    assert result.ok and result.evidence_checked == 4 and not result.evidence_problems
    overwritten, deleted = sorted(names)[:2]
    ws.blobs.path(overwritten).write_bytes(PDF + b"a different drawing")
    ws.blobs.path(deleted).unlink()
    result = ws.verify(DEAL_ID, evidence=True)
    assert not result.ok
    assert result.count == 3  # the journal's own chain (2 signatures, 1 submission) is intact
    problems = {p.sha256: p for p in result.evidence_problems}
    assert set(problems) == {overwritten, deleted}
    assert problems[overwritten].problem == "altered"
    assert problems[deleted].problem == "missing"
    for sha, p in problems.items():
        assert p.name == names[sha]
        assert "submitted design-freeze (event 3)" in p.used_by
    assert "2 evidence files" in result.reason


def test_verify_can_skip_the_evidence_files(ws: Workspace, clock: DayClock) -> None:
    names = _submitted(ws, clock)
    ws.blobs.path(next(iter(names))).unlink()
    result = ws.verify(DEAL_ID, evidence=False)
    assert result.ok and result.evidence_checked == 0
    # a checkpoint vouches for the journal and the deal versions, not for the files
    assert ws.checkpoint(DEAL_ID).seq == 3


def test_an_imported_journal_without_its_evidence_is_marked_not_held(
    unsigned_ws: Workspace, clock: DayClock
) -> None:
    ws = unsigned_ws  # the journal brings its own two signatures
    clock.advance(100)  # after the journal's last event
    assert ws.import_journal(DEAL_ID, JOURNAL, "j.jsonl") == 8
    result = ws.verify(DEAL_ID, evidence=True)
    assert not result.ok and result.count == 8
    # design-freeze (4 files) and prototype-samples (its submission's files)
    assert result.not_held == len({p.sha256 for p in result.evidence_problems})
    assert result.not_held > 0
    assert all(p.problem == "not held" for p in result.evidence_problems)
    assert f"{result.not_held} evidence files referenced but not held" in result.reason
    held = ws.evidence_held(DEAL_ID)
    submitted = ws.events(DEAL_ID)[3]
    assert all(held(ref.sha256) is False for ref in submitted.evidence)  # type: ignore[union-attr]


# -- the signing key --


def test_a_missing_signing_key_is_said_and_not_replaced(ws: Workspace, clock: DayClock) -> None:
    _three_payments(ws, clock)
    kept = ws.checkpoint(DEAL_ID)
    key = ws.root / "keys" / "checkpoint.pem"
    key.unlink()
    for attempt in (lambda: ws.checkpoint(DEAL_ID), lambda: ws.verify_against(DEAL_ID, kept)):
        with pytest.raises(SigningKeyMissing) as caught:
            attempt()
        assert "the workspace's signing key keys/checkpoint.pem is missing" in str(caught.value)
        assert isinstance(caught.value, CopactError)
        assert not key.exists()  # nothing made a new key behind the user's back


def test_init_still_makes_the_key(tmp_path: Path, clock: DayClock) -> None:
    made = Workspace.init(tmp_path / "fresh", database=None, clock=clock)
    assert (made.root / "keys" / "checkpoint.pem").is_file()
    made.engine.dispose()


def test_a_checkpoint_of_an_altered_journal_is_refused(ws: Workspace, clock: DayClock) -> None:
    _three_payments(ws, clock)
    _edit_deal_text(ws)
    with pytest.raises(RefusedCommand, match="deal version 1 was altered"):
        ws.checkpoint(DEAL_ID)
