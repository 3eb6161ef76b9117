"""The use cases on a real workspace (SQLite always, PostgreSQL when it answers): evidence in,
submission, acceptance with its invoice, idempotency keys, change orders that make the next
deal version, exits, deemed acceptances billed without anyone remembering them, checkpoints."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from copact.core.events import Accepted, Invoice
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.workspace import IdempotencyConflict, Workspace, WorkspaceError
from copact.store import journal
from copact.store.checkpoint import Checkpoint, CheckpointError
from tests.conftest import DayClock, sign_deal
from tests.store.test_workspace import DEAL, workspace  # noqa: F401  (the fixture)

DEAL_ID = "heat-sensor-housing"
PDF = b"%PDF-1.7\n" + b"0" * 2000
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\0" * 200


@pytest.fixture
def clock() -> DayClock:
    return DayClock(date(2026, 9, 1), hour=10)


@pytest.fixture
def ws(workspace: Workspace, clock: DayClock) -> Workspace:  # noqa: F811
    workspace.clock = clock
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    sign_deal(workspace, DEAL_ID)  # hannah and luis sign: the deal binds, so it can operate
    return workspace


SIGNED = ["signed", "signed"]
"""The journal's first two events: a person of each party signing (``ws`` signs the deal)."""


def _evidence(ws: Workspace, milestone: str, by: str = "luis") -> tuple[str, ...]:
    deal = ws.deal(DEAL_ID)
    spec = next(m for m in deal.milestones if m.id == milestone)
    assert spec.acceptance is not None
    hashes = []
    for kind in spec.acceptance.evidence:
        content = PNG + kind.encode() if kind == "photo" else PDF + kind.encode()
        name = f"{kind}.png" if kind == "photo" else f"{kind}.pdf"
        record = ws.add_evidence(DEAL_ID, io.BytesIO(content), name=name, kind=kind, by=by)
        hashes.append(record.sha256)
    return tuple(hashes)


def _submitted(ws: Workspace, clock: DayClock, milestone: str = "design-freeze") -> None:
    ops.execute(
        ops.Submit(deal=DEAL_ID, milestone=milestone, by="luis", evidence=_evidence(ws, milestone)),
        uow=ws,
        clock=clock,
    )


def test_accepting_a_milestone_issues_its_invoice_in_the_same_call(
    ws: Workspace, clock: DayClock
) -> None:
    _submitted(ws, clock)
    clock.advance(3)
    outcome = ops.execute(
        ops.Accept(deal=DEAL_ID, milestone="design-freeze", by="marcus", key="a-1"),
        uow=ws,
        clock=clock,
    )
    accepted, invoice = outcome.events
    assert isinstance(accepted, Accepted) and isinstance(invoice, Invoice)
    # 20% of the deal's value, billed to the buyer at its funding share, due in 30 days
    assert invoice.number == "heat-sensor-housing-001"
    assert invoice.from_ == "kestrel" and invoice.to == "ridgeline"
    assert invoice.due == date(2026, 9, 4) + timedelta(days=30)
    assert outcome.seqs == [4, 5]  # after the two signatures
    assert ws.verify(DEAL_ID).ok


def test_the_wrong_person_is_refused_and_nothing_is_written(ws: Workspace, clock: DayClock) -> None:
    _submitted(ws, clock)
    with pytest.raises(RefusedCommand, match="signed off by marcus, not luis"):
        ops.execute(
            ops.Accept(deal=DEAL_ID, milestone="design-freeze", by="luis"), uow=ws, clock=clock
        )
    assert [e.type for e in ws.events(DEAL_ID)] == [*SIGNED, "submitted"]


def test_a_replayed_key_returns_the_first_outcome_and_appends_nothing(
    ws: Workspace, clock: DayClock
) -> None:
    pay = ops.RecordPayment(
        deal=DEAL_ID,
        payer="ridgeline",
        payee="kestrel",
        amount=Decimal("30000"),
        ref="PP-1",
        for_="prepaid",
        key="pay-1",
        by="dana",
    )
    first = ops.execute(pay, uow=ws, clock=clock)
    clock.advance(1)
    again = ops.execute(pay, uow=ws, clock=clock)
    assert again.replayed and not first.replayed
    assert again.seqs == first.seqs and again.events == first.events
    assert len(ws.events(DEAL_ID)) == len(SIGNED) + 1


def test_the_same_key_for_another_request_is_refused(ws: Workspace, clock: DayClock) -> None:
    ops.execute(
        ops.RecordPayment(
            deal=DEAL_ID,
            payer="ridgeline",
            payee="kestrel",
            amount=Decimal("100"),
            ref="R1",
            key="k",
            by="dana",
        ),
        uow=ws,
        clock=clock,
    )
    with pytest.raises(IdempotencyConflict, match="different request"):
        ops.execute(
            ops.RecordPayment(
                deal=DEAL_ID,
                payer="ridgeline",
                payee="kestrel",
                amount=Decimal("999"),
                ref="R1",
                key="k",
                by="dana",
            ),
            uow=ws,
            clock=clock,
        )


def test_a_refused_call_can_be_retried_with_its_key(ws: Workspace, clock: DayClock) -> None:
    accept = ops.Accept(deal=DEAL_ID, milestone="design-freeze", by="marcus", key="accept-df")
    with pytest.raises(RefusedCommand, match="nobody submitted"):
        ops.execute(accept, uow=ws, clock=clock)
    _submitted(ws, clock)
    assert not ops.execute(accept, uow=ws, clock=clock).replayed


def test_concurrent_calls_with_one_key_append_once(ws: Workspace, clock: DayClock) -> None:
    _submitted(ws, clock)
    accept = ops.Accept(deal=DEAL_ID, milestone="design-freeze", by="marcus", key="same-key")
    barrier = threading.Barrier(8)
    seqs: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            seqs.append(ops.execute(accept, uow=ws, clock=clock).seqs)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # every caller gets the one outcome, or a refusal to retry; nobody gets a second acceptance
    assert all(isinstance(e, RefusedCommand) for e in errors), errors
    assert seqs and all(s == [4, 5] for s in seqs)
    assert [e.type for e in ws.events(DEAL_ID)] == [*SIGNED, "submitted", "accepted", "invoice"]


def test_a_change_above_the_threshold_needs_both_named_approvers(
    ws: Workspace, clock: DayClock
) -> None:
    # change-control: {threshold: 3000, approvers: [hannah, luis]}
    patch = {"change-control": {"threshold": 4000}}
    proposed = ops.execute(
        ops.ProposeChange(
            deal=DEAL_ID, change="co-1", by="luis", amount=Decimal("7500"), patch=patch
        ),
        uow=ws,
        clock=clock,
    )
    assert proposed.version is None
    with pytest.raises(RefusedCommand, match="needs hannah, not marcus"):
        ops.execute(
            ops.ApproveChange(deal=DEAL_ID, change="co-1", by="marcus"), uow=ws, clock=clock
        )
    with pytest.raises(RefusedCommand, match="already approved"):
        ops.execute(ops.ApproveChange(deal=DEAL_ID, change="co-1", by="luis"), uow=ws, clock=clock)
    done = ops.execute(
        ops.ApproveChange(deal=DEAL_ID, change="co-1", by="hannah"), uow=ws, clock=clock
    )
    assert done.version == 2
    versions = ws.versions(DEAL_ID)
    assert [v for v, *_ in versions] == [1, 2]
    assert ws.deal(DEAL_ID).change_control.threshold == Decimal(4000)  # type: ignore[union-attr]


def test_a_small_change_needs_someone_of_each_party(ws: Workspace, clock: DayClock) -> None:
    patch = {"title": "Heat sensor housing, rev. B"}  # prices nothing: its amount decides
    ops.execute(
        ops.ProposeChange(
            deal=DEAL_ID, change="co-2", by="dana", amount=Decimal("500"), patch=patch
        ),
        uow=ws,
        clock=clock,
    )
    with pytest.raises(RefusedCommand, match="ridgeline has already approved"):
        ops.execute(
            ops.ApproveChange(deal=DEAL_ID, change="co-2", by="marcus"), uow=ws, clock=clock
        )
    done = ops.execute(
        ops.ApproveChange(deal=DEAL_ID, change="co-2", by="priya"), uow=ws, clock=clock
    )
    assert done.version == 2 and ws.deal(DEAL_ID).title == "Heat sensor housing, rev. B"


def test_a_patch_of_what_the_deal_prices_needs_the_named_approvers_whatever_its_amount(
    ws: Workspace, clock: DayClock
) -> None:
    """Kestrel's luis proposes tripling the unit price and dropping the paid advance, and
    says the change is worth 0.00: below the 3,000.00 threshold by its word. The patch prices
    money, so hannah and luis, the named approvers, must approve it, not anyone of Ridgeline."""
    patch = {"volume": {"price": 20.55}, "prepaid": None, "payment-terms": 90}
    ops.execute(
        ops.ProposeChange(
            deal=DEAL_ID, change="co-price", by="luis", amount=Decimal(0), patch=patch
        ),
        uow=ws,
        clock=clock,
    )
    with pytest.raises(
        RefusedCommand,
        match=r"changes what the deal prices \(payment-terms, prepaid, volume\); it needs hannah",
    ):
        ops.execute(
            ops.ApproveChange(deal=DEAL_ID, change="co-price", by="marcus"), uow=ws, clock=clock
        )
    assert len(ws.versions(DEAL_ID)) == 1 and ws.deal(DEAL_ID).prepaid is not None
    done = ops.execute(
        ops.ApproveChange(deal=DEAL_ID, change="co-price", by="hannah"), uow=ws, clock=clock
    )
    assert done.version == 2 and ws.deal(DEAL_ID).payment_terms == 90


def test_a_rejected_change_makes_no_version(ws: Workspace, clock: DayClock) -> None:
    ops.execute(
        ops.ProposeChange(
            deal=DEAL_ID,
            change="co-3",
            by="luis",
            amount=Decimal("9000"),
            patch={"payment-terms": 10},
        ),
        uow=ws,
        clock=clock,
    )
    ops.execute(ops.RejectChange(deal=DEAL_ID, change="co-3", by="hannah"), uow=ws, clock=clock)
    with pytest.raises(RefusedCommand, match="already rejected"):
        ops.execute(
            ops.ApproveChange(deal=DEAL_ID, change="co-3", by="hannah"), uow=ws, clock=clock
        )
    assert len(ws.versions(DEAL_ID)) == 1 and ws.deal(DEAL_ID).payment_terms == 30


def test_a_patch_that_breaks_the_deal_is_refused_when_proposed(
    ws: Workspace, clock: DayClock
) -> None:
    with pytest.raises(RefusedCommand, match="would not load"):
        ops.execute(
            ops.ProposeChange(
                deal=DEAL_ID, change="co-4", by="luis", amount=None, patch={"payment-terms": "soon"}
            ),
            uow=ws,
            clock=clock,
        )
    assert [e.type for e in ws.events(DEAL_ID)] == SIGNED


def test_registering_another_text_for_a_deal_is_refused(ws: Workspace) -> None:
    assert ws.add_deal(DEAL.read_text(), str(DEAL))[1] == 1  # the same text: a no-op
    with pytest.raises(WorkspaceError, match="change order"):
        ws.add_deal(DEAL.read_text().replace("payment-terms: 30", "payment-terms: 5"), "x.yaml")


def test_an_exit_is_refused_until_its_trigger_is_open(ws: Workspace, clock: DayClock) -> None:
    with pytest.raises(RefusedCommand, match="no milestone is missed"):
        ops.execute(
            ops.TriggerExit(deal=DEAL_ID, trigger="missed-milestone", by="hannah"),
            uow=ws,
            clock=clock,
        )
    with pytest.raises(RefusedCommand, match="only ridgeline"):
        ops.execute(
            ops.TriggerExit(deal=DEAL_ID, trigger="convenience", by="luis"), uow=ws, clock=clock
        )
    ops.execute(
        ops.TriggerExit(deal=DEAL_ID, trigger="convenience", by="hannah"), uow=ws, clock=clock
    )
    with pytest.raises(RefusedCommand, match="already invoked"):
        ops.execute(
            ops.TriggerExit(deal=DEAL_ID, trigger="convenience", by="hannah"), uow=ws, clock=clock
        )


def test_a_deemed_acceptance_is_billed_without_anyone_recording_it(
    ws: Workspace, clock: DayClock
) -> None:
    _submitted(ws, clock)
    with pytest.raises(RefusedCommand, match="already invoiced"):
        ops.execute(ops.IssueInvoices(deal=DEAL_ID), uow=ws, clock=clock)
    clock.advance(30)  # review-days 10 business days have long passed
    outcome = ops.execute(ops.IssueInvoices(deal=DEAL_ID, key="bill"), uow=ws, clock=clock)
    (invoice,) = outcome.events
    assert isinstance(invoice, Invoice) and invoice.lines[0].for_ == "design-freeze"
    with pytest.raises(RefusedCommand, match="was already accepted"):
        ops.execute(
            ops.Accept(deal=DEAL_ID, milestone="design-freeze", by="marcus"), uow=ws, clock=clock
        )


def test_submitting_unknown_evidence_is_refused(ws: Workspace, clock: DayClock) -> None:
    with pytest.raises(RefusedCommand, match="add the file first"):
        ops.execute(
            ops.Submit(deal=DEAL_ID, milestone="design-freeze", by="luis", evidence=("ab" * 32,)),
            uow=ws,
            clock=clock,
        )


# -- evidence --


def test_evidence_is_stored_by_its_hash_never_by_its_name(ws: Workspace) -> None:
    record = ws.add_evidence(
        DEAL_ID, io.BytesIO(PDF), name="../../etc/passwd.pdf", kind="test-report", by="luis"
    )
    assert record.name == "passwd.pdf"
    stored = ws.root / "evidence" / record.sha256[:2] / record.sha256
    assert stored.read_bytes() == PDF
    assert not (ws.root.parent / "etc").exists()
    assert [p.name for p in (ws.root / "evidence").rglob(".incoming-*")] == []


def test_evidence_over_the_limit_is_refused_and_nothing_is_kept(ws: Workspace) -> None:
    ws.evidence_limit = 1000
    with pytest.raises(RefusedCommand, match="larger than the evidence limit"):
        ws.add_evidence(DEAL_ID, io.BytesIO(PDF), name="big.pdf", kind="test-report", by="luis")
    assert [p for p in (ws.root / "evidence").rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    ("content", "name", "kind", "why"),
    [
        (b"hello, a plain text file\n", "photo.jpg", "photo", "its content is text"),
        (b"hello, a plain text file\n", "notes.txt", "photo", "must be one of: image"),
        (PNG, "report.pdf", "test-report", "its content is a PNG image"),
        (b"#!/bin/sh\nrm -rf /\n", "run.txt", "test-log", "a program"),
        (b"PK\x03\x04" + b"\0" * 100, "bundle.zip", "test-report", "an archive"),
    ],
)
def test_evidence_whose_content_is_not_its_kind_is_refused(
    ws: Workspace, content: bytes, name: str, kind: str, why: str
) -> None:
    with pytest.raises(RefusedCommand, match=why):
        ws.add_evidence(DEAL_ID, io.BytesIO(content), name=name, kind=kind, by="luis")
    assert ws.evidence(DEAL_ID, party=None) == []
    assert [p for p in (ws.root / "evidence").rglob("*") if p.is_file()] == []  # no orphan


def test_confidential_evidence_is_visible_to_its_party_only(ws: Workspace) -> None:
    ws.add_evidence(
        DEAL_ID,
        io.BytesIO(PDF),
        name="margins.pdf",
        kind="cost-model",
        by="hannah",
        confidential=True,
    )
    ws.add_evidence(DEAL_ID, io.BytesIO(PDF + b"x"), name="drawing.pdf", kind="drawing", by="luis")
    assert {r.name for r in ws.evidence(DEAL_ID, party="ridgeline")} == {
        "margins.pdf",
        "drawing.pdf",
    }
    assert {r.name for r in ws.evidence(DEAL_ID, party="kestrel")} == {"drawing.pdf"}


def test_a_stranger_cannot_add_evidence(ws: Workspace) -> None:
    with pytest.raises(RefusedCommand, match="not a person"):
        ws.add_evidence(DEAL_ID, io.BytesIO(PDF), name="x.pdf", kind="drawing", by="mallory")


# -- checkpoints --


def _three_payments(ws: Workspace, clock: DayClock, start: int = 0) -> None:
    for n in range(start, start + 3):
        ops.execute(
            ops.RecordPayment(
                deal=DEAL_ID,
                payer="ridgeline",
                payee="kestrel",
                amount=Decimal(100 + n),
                ref=f"P{n}",
                by="dana",
            ),
            uow=ws,
            clock=clock,
        )


def test_a_checkpoint_holds_while_the_journal_grows(ws: Workspace, clock: DayClock) -> None:
    _three_payments(ws, clock)
    kept = Checkpoint.from_json(ws.checkpoint(DEAL_ID).to_json())
    assert kept.seq == 5 and kept.head == ws.verify(DEAL_ID).head  # two signatures first
    _three_payments(ws, clock, 3)
    result = ws.verify_against(DEAL_ID, kept)
    assert result.ok and result.count == 8


def _disable_append_only(ws: Workspace) -> None:
    with ws.engine.begin() as conn:
        if ws.engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP TRIGGER events_append_only ON events"))
        else:
            conn.execute(sa.text("DROP TRIGGER events_no_delete"))
            conn.execute(sa.text("DROP TRIGGER events_no_update"))


def test_truncation_is_caught_against_a_checkpoint(ws: Workspace, clock: DayClock) -> None:
    _three_payments(ws, clock)
    kept = ws.checkpoint(DEAL_ID)
    _disable_append_only(ws)  # someone with the database's admin rights
    with ws.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE seq = 5"))  # the last payment
    assert ws.verify(DEAL_ID).ok  # the shorter chain is consistent in itself...
    result = ws.verify_against(DEAL_ID, kept)  # ...but not with what the other party kept
    assert not result.ok and "cut short" in result.reason


def test_a_fully_rewritten_journal_is_caught_against_a_checkpoint(
    ws: Workspace, clock: DayClock
) -> None:
    _three_payments(ws, clock)
    kept = ws.checkpoint(DEAL_ID)
    events = ws.events(DEAL_ID)
    _disable_append_only(ws)
    with ws.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events"))
    # the same journal with the first payment (after the two signatures) halved, re-chained
    first = len(SIGNED)
    payment = events[first].model_copy(update={"amount": Decimal(50)})
    forged = [*events[:first], payment, *events[first + 1 :]]
    with ws.engine.begin() as conn:
        journal.append(conn, DEAL_ID, forged)
    assert ws.verify(DEAL_ID).ok
    result = ws.verify_against(DEAL_ID, kept)
    assert not result.ok and "rewritten" in result.reason


def test_a_forged_checkpoint_is_refused(ws: Workspace, clock: DayClock) -> None:
    _three_payments(ws, clock)
    text = ws.checkpoint(DEAL_ID).to_json().replace('"seq": 5', '"seq": 4')
    with pytest.raises(CheckpointError, match="signature"):
        Checkpoint.from_json(text)


def test_a_checkpoint_of_another_workspace_does_not_vouch(
    ws: Workspace, clock: DayClock, tmp_path: Path
) -> None:
    _three_payments(ws, clock)
    other = Workspace.init(tmp_path / "other", database=None, clock=clock)
    other.add_deal(DEAL.read_text(), str(DEAL))
    other.import_journal(DEAL_ID, ws.export_journal(DEAL_ID), "copy.jsonl")
    result = ws.verify_against(DEAL_ID, other.checkpoint(DEAL_ID))
    assert not result.ok and "another workspace" in result.reason
