"""A command that is no more than its core guard names it (``Command.guard``) and passes its
fields as the guard's keyword arguments: each such command's fields are exactly the guard's
parameters, so a field renamed on one side and not the other fails here, not in a user's
hands; and the generic call gives what the guard gives when spelled out by hand."""

from __future__ import annotations

import inspect
from datetime import date
from pathlib import Path

import pytest

from copact.core import commands as core
from copact.core.events import EvidenceRef, Rejected
from copact.core.state import deal_state
from copact.services import operations as ops
from copact.services.workspace import Workspace
from tests.conftest import EXAMPLES, DayClock, run_command, run_events, sign_deal

GUARDED = [c for c in ops.COMMANDS if c.guard is not None]


def test_the_commands_that_are_their_guard_name_it() -> None:
    """The plain commands, by name: if one starts to need more it spells its own decide, and
    this list says so."""
    assert {c.__name__ for c in GUARDED} >= {
        "Reject", "ConfirmPayment", "DecideGate", "LogDecision", "ReviewServicePeriod",
        "ReportSales", "AuditSales", "RecordCost", "ReviewCost", "RecordPurchases",
        "ConfirmPurchases", "RecordForecast", "RequestConversion", "ApproveConversion",
    }  # fmt: skip


@pytest.mark.parametrize("command", GUARDED, ids=lambda c: c.__name__)
def test_a_commands_fields_are_its_guards_parameters(command: type[ops.Command]) -> None:
    assert command.guard is not None
    params = inspect.signature(command.guard).parameters
    keywords = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    fields = {n for n in command.model_fields if n not in ("deal", "key")} | set(command.fixed)
    assert fields <= keywords, f"{command.__name__} passes {fields - keywords} its guard lacks"
    required = {n for n in keywords if params[n].default is inspect.Parameter.empty and n != "at"}
    assert required <= fields, f"{command.__name__} does not pass {required - fields}"


def test_the_generic_call_is_the_guard_spelled_out(tmp_path: Path) -> None:
    """hybrid-dc1, design-approval submitted: `Reject` through the service gives the event
    `core.reject` gives on the same state, its reasons a list."""
    clock = DayClock(date(2026, 7, 20))
    ws = Workspace.init(tmp_path / "ws", database=None, clock=clock)
    try:
        deal, _ = ws.add_deal((EXAMPLES / "hybrid-dc1.yaml").read_text(), "hybrid-dc1.yaml")
        sign_deal(ws, deal.id, clock=clock)
        spec = deal.milestones[0]
        kinds = spec.acceptance.evidence if spec.acceptance else []
        refs = [
            EvidenceRef(name=f"{k}.pdf", kind=k, sha256=f"{i:064x}") for i, k in enumerate(kinds, 1)
        ]
        run_command(ws, deal.id, core.submit, milestone=spec.id, evidence=refs, by="sam")
        state = deal_state(deal, ws.events(deal.id), on=clock().date())
        reasons = ["the drawings lack tolerances"]
        by_hand = core.reject(deal, state, milestone=spec.id, by="ana", reasons=reasons, at=clock())
        command = ops.Reject(deal=deal.id, milestone=spec.id, by="ana", reasons=tuple(reasons))
        (event,) = run_events(ws, command)
        assert isinstance(event, Rejected) and event.reasons == reasons
        assert event.model_dump() == by_hand[0].model_dump()
    finally:
        ws.engine.dispose()


@pytest.mark.parametrize("command", [*ops.COMMANDS, *ops.BUILT], ids=lambda c: c.__name__)
def test_every_field_of_a_command_is_described(command: type[ops.Command]) -> None:
    """What `--help` and the API's schema say of each option: never just its name."""
    bare = [
        n for n, i in command.model_fields.items() if n not in ("deal", "key") and not i.description
    ]
    assert bare == [], f"{command.__name__}: {bare} say nothing"
    body = command.body().model_json_schema()
    for name, prop in body.get("properties", {}).items():
        assert prop.get("description"), f"{command.__name__}'s API body: {name} says nothing"


def test_the_command_line_help_describes_the_person() -> None:
    from typer.testing import CliRunner

    from copact.cli.app import app

    output = CliRunner().invoke(app, ["record-cost", "--help"]).output
    shown = " ".join(output.replace("│", " ").split())  # the option table's borders out
    assert "a person id of the deal file" in shown
