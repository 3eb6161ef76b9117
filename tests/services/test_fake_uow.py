"""The command services on the in-memory unit of work, and the proof that it does what the
database does.

Hybrid backup power for DC1 (examples/hybrid-dc1.yaml): VoltWorks funds the design phase
alone, so accepting the design approval bills nothing; after the design gate, the hardware
delivery is 30% of 420,000 of which Acme funds 70%: an invoice of 88,200.00 to Acme, issued
with the acceptance. A change order both approvers sign (its proposer and the other) makes
version 2 of the deal.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from copact.core.events import Accepted, Invoice, canonical_json
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.fake import FakeUnitOfWork
from copact.services.uow import ConcurrentChange, IdempotencyConflict, Outcome, UnitOfWork
from copact.services.workspace import Workspace, WorkspaceError
from copact.store.journal import EvidenceRecord
from tests.conftest import EXAMPLES, DayClock, sign_deal

DEAL_ID = "hybrid-dc1"
TEXT = (EXAMPLES / "hybrid-dc1.yaml").read_text()
PDF = b"%PDF-1.7\n" + b"0" * 2000
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\0" * 200


@pytest.fixture
def clock() -> DayClock:
    return DayClock(date(2026, 7, 1), hour=10)


@pytest.fixture
def fake(clock: DayClock) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(clock=clock)
    uow.add_deal(TEXT)
    sign_deal(uow, DEAL_ID)  # ana and sam sign: the deal binds, so it can operate
    return uow


SIGNED = ["signed", "signed"]
"""The journal's first two events: a person of each party signing (the fixtures sign)."""


def _content(kind: str) -> bytes:
    return (PNG if kind == "photo" else PDF) + kind.encode()


def _name(kind: str) -> str:
    return f"{kind}.png" if kind == "photo" else f"{kind}.pdf"


def _record(kind: str, by: str = "sam") -> EvidenceRecord:
    data = _content(kind)
    media = "image/png" if kind == "photo" else "application/pdf"
    sha = hashlib.sha256(data).hexdigest()
    return EvidenceRecord(DEAL_ID, sha, kind, _name(kind), len(data), media, None, by)


def _kinds(uow: UnitOfWork, milestone: str) -> tuple[str, ...]:
    spec = next(m for m in uow.deal(DEAL_ID).milestones if m.id == milestone)
    assert spec.acceptance is not None
    return tuple(spec.acceptance.evidence)


def _fake_evidence(uow: FakeUnitOfWork, milestone: str) -> tuple[str, ...]:
    return tuple(uow.add_evidence(_record(kind)).sha256 for kind in _kinds(uow, milestone))


def _submit(uow: UnitOfWork, clock: DayClock, milestone: str, hashes: tuple[str, ...]) -> Outcome:
    command = ops.Submit(deal=DEAL_ID, milestone=milestone, by="sam", evidence=hashes)
    return ops.execute(command, uow=uow, clock=clock)


def _accept(uow: UnitOfWork, clock: DayClock, milestone: str, key: str | None = None) -> Outcome:
    command = ops.Accept(deal=DEAL_ID, milestone=milestone, by="ana", key=key)
    return ops.execute(command, uow=uow, clock=clock)


def _design_done(uow: UnitOfWork, clock: DayClock, hashes: tuple[str, ...]) -> None:
    """Design approved (nothing billed: VoltWorks funds design) and its gate passed."""
    _submit(uow, clock, "design-approval", hashes)
    clock.advance(3)
    assert [e.type for e in _accept(uow, clock, "design-approval").events] == ["accepted"]
    for by in ("ana", "sam"):
        gate = ops.DecideGate(deal=DEAL_ID, phase="design", decision="proceed", by=by)
        ops.execute(gate, uow=uow, clock=clock)


# -- the services on the fake --


def test_accepting_the_hardware_delivery_issues_one_invoice(
    fake: FakeUnitOfWork, clock: DayClock
) -> None:
    _design_done(fake, clock, _fake_evidence(fake, "design-approval"))
    _submit(fake, clock, "hardware-delivery", _fake_evidence(fake, "hardware-delivery"))
    clock.advance(2)
    outcome = _accept(fake, clock, "hardware-delivery", key="accept-hw")
    accepted, invoice = outcome.events
    assert isinstance(accepted, Accepted) and isinstance(invoice, Invoice)
    # 30% of 420,000 = 126,000, of which Acme funds 70%: 88,200.00, due in 30 days
    assert invoice.number == "hybrid-dc1-001"
    assert (invoice.from_, invoice.to) == ("voltworks", "acme")
    assert invoice.total == Decimal("88200.00")
    assert invoice.due == clock().date() + timedelta(days=30)
    assert [e.type for e in fake.events(DEAL_ID)].count("invoice") == 1
    assert outcome.seqs == [len(fake.events(DEAL_ID)) - 1, len(fake.events(DEAL_ID))]


def test_a_replayed_key_returns_the_first_outcome_and_appends_nothing(
    fake: FakeUnitOfWork, clock: DayClock
) -> None:
    _design_done(fake, clock, _fake_evidence(fake, "design-approval"))
    _submit(fake, clock, "hardware-delivery", _fake_evidence(fake, "hardware-delivery"))
    first = _accept(fake, clock, "hardware-delivery", key="accept-hw")
    held = fake.events(DEAL_ID)
    clock.advance(1)
    again = _accept(fake, clock, "hardware-delivery", key="accept-hw")
    assert again.replayed and not first.replayed
    assert (again.events, again.seqs) == (first.events, first.seqs)
    assert fake.events(DEAL_ID) == held


def test_the_same_key_for_another_request_is_refused(fake: FakeUnitOfWork, clock: DayClock) -> None:
    pay = {"deal": DEAL_ID, "payer": "acme", "payee": "voltworks", "by": "raj", "key": "k"}
    ops.execute(ops.RecordPayment(**pay, amount=Decimal("100"), ref="R1"), uow=fake, clock=clock)
    with pytest.raises(IdempotencyConflict, match="different request"):
        ops.execute(
            ops.RecordPayment(**pay, amount=Decimal("999"), ref="R1"), uow=fake, clock=clock
        )
    assert len(fake.events(DEAL_ID)) == len(SIGNED) + 1


def test_a_refused_command_appends_nothing_and_its_key_stays_free(
    fake: FakeUnitOfWork, clock: DayClock
) -> None:
    with pytest.raises(RefusedCommand):  # nobody submitted it yet
        _accept(fake, clock, "design-approval", key="accept-da")
    assert [e.type for e in fake.events(DEAL_ID)] == SIGNED and fake.keys == {}
    _submit(fake, clock, "design-approval", _fake_evidence(fake, "design-approval"))
    assert not _accept(fake, clock, "design-approval", key="accept-da").replayed


def test_the_wrong_person_is_refused_and_nothing_is_written(
    fake: FakeUnitOfWork, clock: DayClock
) -> None:
    _submit(fake, clock, "design-approval", _fake_evidence(fake, "design-approval"))
    with pytest.raises(RefusedCommand, match="ana"):
        ops.execute(
            ops.Accept(deal=DEAL_ID, milestone="design-approval", by="sam"),
            uow=fake,
            clock=clock,
        )
    assert [e.type for e in fake.events(DEAL_ID)] == [*SIGNED, "submitted"]


def test_an_approved_change_order_makes_the_next_version(
    fake: FakeUnitOfWork, clock: DayClock
) -> None:
    propose = ops.ProposeChange(
        deal=DEAL_ID, change="co-1", by="sam", amount=Decimal(7500), patch={"payment-terms": 45}
    )
    ops.execute(propose, uow=fake, clock=clock)
    approve = ops.ApproveChange(deal=DEAL_ID, change="co-1", by="ana")  # sam proposed it
    assert ops.execute(approve, uow=fake, clock=clock).version == 2
    assert fake.deal(DEAL_ID).payment_terms == 45
    assert len(fake.versions[DEAL_ID]) == 2


def test_an_unknown_deal_and_an_unaware_clock_are_refused(fake: FakeUnitOfWork) -> None:
    with pytest.raises(WorkspaceError, match="no deal 'nope'"):
        fake.deal("nope")
    with pytest.raises(ValueError, match="aware"):
        fake.execute(
            DEAL_ID, lambda *_: [], key=None, request={}, clock=lambda: datetime(2026, 7, 1)
        )


def test_a_second_once_event_is_refused_as_the_unique_key_would(
    fake: FakeUnitOfWork, clock: DayClock
) -> None:
    _submit(fake, clock, "design-approval", _fake_evidence(fake, "design-approval"))
    accepted = _accept(fake, clock, "design-approval").events
    with pytest.raises(ConcurrentChange):  # a guard that let it through: the store still won't
        fake.execute(DEAL_ID, lambda *_: list(accepted), key=None, request={})
    assert [e.type for e in fake.events(DEAL_ID)] == [*SIGNED, "submitted", "accepted"]


# -- the fake does not drift from the database --


@pytest.fixture
def sqlite(tmp_path: Path, clock: DayClock) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path / "ws", database=None, clock=clock)
    ws.add_deal(TEXT, "hybrid-dc1.yaml")
    sign_deal(ws, DEAL_ID)
    yield ws
    ws.engine.dispose()


Said = tuple[object, ...]


def _scenario(uow: UnitOfWork, clock: DayClock, evidence: dict[str, tuple[str, ...]]) -> list[Said]:
    """Design approved (its key replayed) and gated, a payment replayed a day later, the
    hardware accepted and invoiced between two refusals, a change order approved into version
    2, a payment of the invoice: what each call answered, refusals by their class."""
    said: list[Said] = []

    def run(command: ops.Command) -> None:
        try:
            o = ops.execute(command, uow=uow, clock=clock)
        except RefusedCommand as exc:
            said.append(("refused", type(exc).__name__))
            return
        said.append(([canonical_json(e) for e in o.events], o.seqs, o.replayed, o.version))

    def submit(milestone: str) -> ops.Submit:
        hashes = evidence[milestone]
        return ops.Submit(deal=DEAL_ID, milestone=milestone, by="sam", evidence=hashes)

    def accept(milestone: str, by: str, key: str | None = None) -> ops.Accept:
        return ops.Accept(deal=DEAL_ID, milestone=milestone, by=by, key=key)

    def pay(payer: str, payee: str, amount: str, ref: str, by: str) -> ops.RecordPayment:
        return ops.RecordPayment(
            deal=DEAL_ID, payer=payer, payee=payee, amount=Decimal(amount), ref=ref, by=by, key=ref
        )

    run(submit("design-approval"))
    clock.advance(3)
    run(accept("design-approval", "ana", key="a-1"))
    run(accept("design-approval", "ana", key="a-1"))  # replayed
    for by in ("ana", "sam"):
        run(ops.DecideGate(deal=DEAL_ID, phase="design", decision="proceed", by=by))
    run(pay("voltworks", "acme", "100", "P1", "sam"))
    clock.advance(1)
    run(pay("voltworks", "acme", "100", "P1", "sam"))  # replayed
    run(submit("hardware-delivery"))
    run(accept("hardware-delivery", "sam"))  # refused: ana signs it off
    clock.advance(2)
    run(accept("hardware-delivery", "ana", key="a-2"))
    run(accept("hardware-delivery", "ana"))  # refused: already accepted
    patch = {"payment-terms": 45}
    run(ops.ProposeChange(deal=DEAL_ID, change="co-1", by="sam", amount=7500, patch=patch))
    run(ops.ApproveChange(deal=DEAL_ID, change="co-1", by="ana"))  # with sam's, it is approved
    clock.advance(1)
    run(pay("acme", "voltworks", "88200.00", "P2", "raj"))
    return said


def test_the_fake_and_the_database_answer_and_record_the_same(
    sqlite: Workspace, clock: DayClock
) -> None:
    fake = FakeUnitOfWork(clock=clock)
    fake.add_deal(TEXT)
    sign_deal(fake, DEAL_ID)  # as the sqlite fixture did, at the same time
    evidence: dict[str, tuple[str, ...]] = {}
    for milestone in ("design-approval", "hardware-delivery"):
        records = [
            sqlite.add_evidence(
                DEAL_ID, io.BytesIO(_content(kind)), name=_name(kind), kind=kind, by="sam"
            )
            for kind in _kinds(sqlite, milestone)
        ]
        evidence[milestone] = tuple(fake.add_evidence(r).sha256 for r in records)
    start = clock.now
    on_sql = _scenario(sqlite, clock, evidence)
    clock.now = start
    on_fake = _scenario(fake, clock, evidence)

    assert on_fake == on_sql
    assert [canonical_json(e) for e in fake.events(DEAL_ID)] == [
        canonical_json(e) for e in sqlite.events(DEAL_ID)
    ]
    assert fake.versions[DEAL_ID] == [text for _, _, text, _ in sqlite.versions(DEAL_ID)]
    # the scenario met what it is for: replays, refusals of both kinds, an invoice, version 2
    assert sum(1 for s in on_sql if s[0] == "refused") == 2
    assert sum(1 for s in on_sql if s[0] != "refused" and s[2]) == 2
    assert any(s[0] != "refused" and s[3] == 2 for s in on_sql)
    assert sum(1 for e in sqlite.events(DEAL_ID) if isinstance(e, Invoice)) == 1
    assert sqlite.verify(DEAL_ID).ok
