"""The trust guards through the services, on a real workspace (SQLite, and PostgreSQL when it
answers): after an exit nothing but its settlement is recorded, an import is held to the same
bounds as a command, and a deal whose journal holds an absurd value still answers."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from copact.core.settlement import settlement_of
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import DayClock, sign_deal
from tests.services.test_operations import DEAL_ID, SIGNED, _submitted, clock  # noqa: F401
from tests.store.test_workspace import DEAL, workspace  # noqa: F401  (the fixture)


@pytest.fixture
def ws(workspace: Workspace, clock: DayClock) -> Workspace:  # noqa: F811
    """heat-sensor-housing on 2026-09-01, signed by hannah and luis on its first day, 2026-07-01
    (as its example journal is): the journals below import lines dated from 2026-08-01."""
    workspace.clock = clock
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    sign_deal(workspace, DEAL_ID, clock=DayClock(date(2026, 7, 1), hour=10))
    return workspace


def _advance_paid(ws: Workspace, clock: DayClock) -> None:  # noqa: F811
    ops.execute(
        ops.RecordPayment(
            deal=DEAL_ID,
            payer="ridgeline",
            payee="kestrel",
            amount=Decimal("30000"),
            ref="PP-1",
            for_="prepaid",
            by="dana",
        ),
        uow=ws,
        clock=clock,
    )
    ops.execute(ops.ConfirmPayment(deal=DEAL_ID, ref="PP-1", by="luis"), uow=ws, clock=clock)


def test_after_an_insolvency_exit_accept_issues_no_invoice(ws: Workspace, clock: DayClock) -> None:  # noqa: F811
    _advance_paid(ws, clock)
    _submitted(ws, clock)
    ops.execute(
        ops.TriggerExit(deal=DEAL_ID, trigger="insolvency", by="hannah"), uow=ws, clock=clock
    )
    clock.advance(1)
    with pytest.raises(RefusedCommand, match="the deal ended on 2026-09-01"):
        ops.execute(
            ops.Accept(deal=DEAL_ID, milestone="design-freeze", by="marcus"), uow=ws, clock=clock
        )
    with pytest.raises(RefusedCommand, match="only its settlement moves money"):
        ops.execute(
            ops.ProposeChange(deal=DEAL_ID, change="co-9", by="luis", amount=Decimal("1000")),
            uow=ws,
            clock=clock,
        )
    assert [e.type for e in ws.events(DEAL_ID)][-1] == "exit"
    # the settlement is paid, by the side that owes it, and confirmed by the other
    settlement = settlement_of(ws.deal(DEAL_ID), ws.events(DEAL_ID))
    assert settlement is not None and settlement.owed.amount == Decimal("30000")
    ops.execute(
        ops.RecordPayment(
            deal=DEAL_ID,
            payer="kestrel",
            payee="ridgeline",
            amount=Decimal("30000"),
            ref="REF-1",
            for_="exit",
            by="luis",
        ),
        uow=ws,
        clock=clock,
    )
    ops.execute(ops.ConfirmPayment(deal=DEAL_ID, ref="REF-1", by="dana"), uow=ws, clock=clock)
    with pytest.raises(RefusedCommand, match=r"leaves 0\.00 USD to pay"):
        ops.execute(
            ops.RecordPayment(
                deal=DEAL_ID,
                payer="kestrel",
                payee="ridgeline",
                amount=Decimal("1"),
                ref="REF-2",
                for_="exit",
                by="luis",
            ),
            uow=ws,
            clock=clock,
        )


def _line(**event: object) -> str:
    return json.dumps({"deal": DEAL_ID, **event}, sort_keys=True)


def test_an_import_is_held_to_the_bounds_of_a_command(ws: Workspace) -> None:
    far = _line(
        at="9999-12-31",
        type="payment",
        amount="100",
        ref="F",
        **{"from": "ridgeline"},
        to="kestrel",
    )
    with pytest.raises(ImportRefused, match="more than 31 days after today") as refused:
        ws.import_journal(DEAL_ID, "\n" + far + "\n", "late.jsonl")
    assert refused.value.line == 2
    huge = _line(
        at="2026-08-01",
        type="payment",
        amount="1E+26",
        ref="H",
        **{"from": "ridgeline"},
        to="kestrel",
    )
    with pytest.raises(ImportRefused, match="far above anything deal heat-sensor-housing"):
        ws.import_journal(DEAL_ID, huge + "\n", "huge.jsonl")
    assert [e.type for e in ws.events(DEAL_ID)] == SIGNED  # nothing imported
    # and the deal goes on: a command today is not blocked by anything dated later
    ops.execute(
        ops.RecordPayment(
            deal=DEAL_ID,
            payer="ridgeline",
            payee="kestrel",
            amount=Decimal("10"),
            ref="OK",
            by="dana",
        ),
        uow=ws,
        clock=DayClock(date(2026, 9, 1), hour=10),
    )


def test_an_imported_change_order_cannot_take_back_what_money_moved_on(ws: Workspace) -> None:
    """The import runs the same amendment guard as `copact change propose`: once money moved,
    a change order that switches the currency is refused at its line."""
    paid = _line(
        at="2026-08-01",
        type="payment",
        amount="30000",
        ref="PP-1",
        **{"from": "ridgeline"},
        to="kestrel",
        **{"for": "prepaid"},
    )
    switch = _line(
        at="2026-08-02",
        type="change-proposed",
        change="co-eur",
        by="luis",
        patch={"currency": "EUR"},
    )
    with pytest.raises(ImportRefused, match="currency") as refused:
        ws.import_journal(DEAL_ID, paid + "\n" + switch + "\n", "switch.jsonl")
    assert refused.value.line == 2
    assert [e.type for e in ws.events(DEAL_ID)] == SIGNED  # nothing imported
