"""The risk register and the decision log of a running deal, through the services into a real
workspace: the register starts from the deal file's `risks:`, updates change only the fields
given, decisions keep who took them, and an exported journal with both imports back whole."""

# ruff: noqa: F811  (pytest fixtures imported by name are redefined as parameters)
from __future__ import annotations

from datetime import date

import pytest

from copact.core.events import DecisionLogged, RiskUpdated
from copact.core.state import deal_state
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.workspace import Workspace
from tests.conftest import DayClock
from tests.services.test_operations import DEAL_ID, clock  # noqa: F401
from tests.store.test_workspace import DEAL, workspace  # noqa: F401


@pytest.fixture
def ws(workspace: Workspace, clock: DayClock) -> Workspace:
    """heat-sensor-housing registered and not signed: the register and the decision log are the
    negotiation's, kept before the deal binds (test_operations' ``ws`` signs it)."""
    workspace.clock = clock
    workspace.add_deal(DEAL.read_text(), str(DEAL))
    return workspace


def _state(ws: Workspace, on: date):  # type: ignore[no-untyped-def]
    return deal_state(ws.deal(DEAL_ID), ws.events(DEAL_ID), on=on)


def test_the_register_starts_from_the_deal_file(ws: Workspace, clock: DayClock) -> None:
    risks = _state(ws, clock().date()).risks
    assert list(risks) == ["pps-supply", "thermal-cracking", "demand-shortfall"]
    assert risks["pps-supply"].owner == "luis"
    assert all(r.status == "open" for r in risks.values())


def test_an_update_changes_only_the_fields_given(ws: Workspace, clock: DayClock) -> None:
    clock.advance(10)
    outcome = ops.execute(
        ops.UpdateRisk(deal=DEAL_ID, risk="pps-supply", by="luis", status="mitigated", key="r-1"),
        uow=ws,
        clock=clock,
    )
    assert isinstance(outcome.events[0], RiskUpdated)
    entry = _state(ws, clock().date()).risks["pps-supply"]
    assert (entry.status, entry.likelihood, entry.impact) == ("mitigated", "medium", "high")
    assert entry.mitigation == "qualify a second resin grade during design"  # unchanged
    assert entry.updated_on == clock().date()
    # the state the day before still shows it open: history is kept, not overwritten
    assert _state(ws, date(2026, 9, 10)).risks["pps-supply"].status == "open"


def test_a_new_risk_needs_its_text_likelihood_and_impact(
    ws: Workspace,
    clock: DayClock,
) -> None:
    with pytest.raises(RefusedCommand, match="new risk"):
        ops.execute(
            ops.UpdateRisk(deal=DEAL_ID, risk="tool-damage", by="hannah"), uow=ws, clock=clock
        )
    ops.execute(
        ops.UpdateRisk(
            deal=DEAL_ID,
            risk="tool-damage",
            by="hannah",
            description="mould damaged in transit to the second press",
            likelihood="low",
            impact="high",
            owner="marcus",
        ),
        uow=ws,
        clock=clock,
    )
    assert _state(ws, clock().date()).risks["tool-damage"].owner == "marcus"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"owner": "nobody"}, "not a person"),
        ({"likelihood": "sometimes"}, "likelihood"),
        ({"status": "forgotten"}, "status"),
        ({}, "nothing to change"),
    ],
)
def test_bad_updates_are_refused_and_record_nothing(
    ws: Workspace,
    clock: DayClock,
    fields: dict[str, str],
    reason: str,
) -> None:
    with pytest.raises(RefusedCommand, match=reason):
        ops.execute(
            ops.UpdateRisk(deal=DEAL_ID, risk="pps-supply", by="luis", **fields),
            uow=ws,
            clock=clock,
        )
    assert ws.events(DEAL_ID) == []


def test_decisions_are_logged_with_the_people_who_took_them(
    ws: Workspace,
    clock: DayClock,
) -> None:
    ops.execute(
        ops.LogDecision(
            deal=DEAL_ID,
            decision="qualify a second resin grade",
            by=("hannah", "luis"),
            topic="pps-supply",
        ),
        uow=ws,
        clock=clock,
    )
    with pytest.raises(RefusedCommand, match="not a person"):
        ops.execute(
            ops.LogDecision(deal=DEAL_ID, decision="buy more", by=("mallory",)), uow=ws, clock=clock
        )
    (decision,) = _state(ws, clock().date()).decisions
    assert isinstance(decision, DecisionLogged)
    assert (decision.decision, decision.by, decision.topic) == (
        "qualify a second resin grade",
        ["hannah", "luis"],
        "pps-supply",
    )


def test_the_register_and_log_survive_export_and_import(
    ws: Workspace,
    clock: DayClock,
) -> None:
    ops.execute(
        ops.LogDecision(deal=DEAL_ID, decision="go to tooling", by=("hannah",)), uow=ws, clock=clock
    )
    ops.execute(
        ops.UpdateRisk(deal=DEAL_ID, risk="demand-shortfall", by="hannah", likelihood="medium"),
        uow=ws,
        clock=clock,
    )
    text = ws.export_journal(DEAL_ID)
    other = Workspace.init(ws.root.parent / "other", database=None, clock=clock)
    other.add_deal(DEAL.read_text(), str(DEAL))
    assert other.import_journal(DEAL_ID, text, "exported.jsonl") == 2
    assert other.export_journal(DEAL_ID) == text
    state = deal_state(other.deal(DEAL_ID), other.events(DEAL_ID), on=clock().date())
    assert state.risks["demand-shortfall"].likelihood == "medium"
    assert state.decisions[0].decision == "go to tooling"
