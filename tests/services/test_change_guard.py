"""A change order cannot make a deal `copact check` refuses, nor take back what was accepted,
invoiced or paid: checked when it is proposed and again when it is approved, on a real SQLite
workspace with heat-sensor-housing (design-freeze: 20% of 185,000 × Ridgeline's 40% = 14,800
invoiced on acceptance; change-control {threshold: 3000, approvers: [hannah, luis]})."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from copact.core.state import deal_state
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.workspace import Workspace
from tests.conftest import DayClock
from tests.services.test_operations import (  # noqa: F401
    DEAL_ID,
    SIGNED,
    _submitted,
    clock,
    ws,
)
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)


def _propose(ws: Workspace, clock: DayClock, change: str, patch: dict[str, Any]) -> None:  # noqa: F811
    ops.execute(
        ops.ProposeChange(
            deal=DEAL_ID, change=change, by="luis", amount=Decimal("5000"), patch=patch
        ),
        uow=ws,
        clock=clock,
    )


def _approve(ws: Workspace, clock: DayClock, change: str) -> ops.Outcome:  # noqa: F811
    return ops.execute(
        ops.ApproveChange(deal=DEAL_ID, change=change, by="hannah"), uow=ws, clock=clock
    )


def _accepted_and_invoiced(ws: Workspace, clock: DayClock) -> None:  # noqa: F811
    _submitted(ws, clock)
    clock.advance(3)
    ops.execute(
        ops.Accept(deal=DEAL_ID, milestone="design-freeze", by="marcus"), uow=ws, clock=clock
    )


def test_deleting_every_milestone_and_the_exit_terms_is_refused_with_the_findings(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
) -> None:
    with pytest.raises(RefusedCommand) as refused:
        _propose(ws, clock, "co-gut", {"milestones": [], "exit": None})
    message = str(refused.value)
    assert "copact check" in message
    assert "X404 nothing says what happens on exit" in message
    assert "P609 a milestone-funding deal needs `milestones`" in message
    assert [e.type for e in ws.events(DEAL_ID)] == SIGNED and len(ws.versions(DEAL_ID)) == 1


def test_a_change_that_checks_clean_is_still_approved(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
) -> None:
    _propose(ws, clock, "co-terms", {"payment-terms": 45})
    assert _approve(ws, clock, "co-terms").version == 2


def test_an_accepted_and_invoiced_milestone_cannot_be_deleted(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
) -> None:
    _accepted_and_invoiced(ws, clock)
    deal = ws.deal(DEAL_ID)
    rest = [m.model_dump(by_alias=True, exclude_none=True, mode="json") for m in deal.milestones]
    rest = [m for m in rest if m["id"] != "design-freeze"]
    rest[0]["payment"] = "45%"  # keep the payments adding up to 100%: check passes
    with pytest.raises(RefusedCommand, match="design-freeze is accepted and invoiced"):
        _propose(ws, clock, "co-drop", {"milestones": rest})
    state = deal_state(ws.deal(DEAL_ID), ws.events(DEAL_ID), on=clock().date())
    assert state.milestones["design-freeze"].state == "accepted"


def test_an_invoiced_milestones_amount_cannot_change(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
) -> None:
    _accepted_and_invoiced(ws, clock)
    # the buyer's share of the design phase from 40% to 50%: design-freeze would be 18,500
    patch = {
        "funding": [
            {"phase": p, "shares": {"ridgeline": "50%", "kestrel": "50%"}}
            for p in ("design", "tooling", "validation")
        ]
    }
    with pytest.raises(RefusedCommand, match=r"design-freeze was invoiced 14800\.00"):
        _propose(ws, clock, "co-share", patch)


def test_the_currency_cannot_change_once_money_moved(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
) -> None:
    _propose(ws, clock, "co-eur-early", {"currency": "EUR"})  # nothing billed yet: allowed
    _accepted_and_invoiced(ws, clock)  # the 14,800.00 USD invoice of design-freeze
    with pytest.raises(RefusedCommand, match="currency"):
        _propose(ws, clock, "co-eur", {"currency": "EUR"})


def test_a_change_proposed_before_a_milestone_was_accepted_is_refused_at_approval(
    ws: Workspace,  # noqa: F811
    clock: DayClock,  # noqa: F811
) -> None:
    deal = ws.deal(DEAL_ID)
    rest = [m.model_dump(by_alias=True, exclude_none=True, mode="json") for m in deal.milestones]
    rest = [m for m in rest if m["id"] != "design-freeze"]
    rest[0]["payment"] = "45%"
    _propose(ws, clock, "co-drop", {"milestones": rest})  # nothing accepted yet: allowed
    _accepted_and_invoiced(ws, clock)
    with pytest.raises(RefusedCommand, match="design-freeze is accepted and invoiced"):
        _approve(ws, clock, "co-drop")
    assert len(ws.versions(DEAL_ID)) == 1
