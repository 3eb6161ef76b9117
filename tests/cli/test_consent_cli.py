"""Each person records only their own consent, from the command line, on heat-sensor-housing
(ridgeline buys: hannah, marcus, dana; kestrel supplies: luis, priya):

- a payment is recorded by the payer's person (dana) and counts once the payee's (luis)
  confirms it: `copact pay … --by dana`, then `copact confirm DEAL REF --by luis`;
- a gate is decided when each decider (hannah, luis) recorded the same decision;
- a decision is logged in one person's name;
- once an exit takes effect, `copact state --format json` and `copact deal show` say so,
  with the settlement, and a command other than its settlement is refused.

Ridgeline pays 100.00 on account; nothing is accepted; hannah invokes an insolvency exit::

    paid 100.00 − earned 0.00 = unused 100.00, no claim → refund 100.00 from kestrel to ridgeline
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from copact.cli.app import app
from copact.core.state import deal_state
from copact.services.workspace import Workspace
from tests.conftest import EXAMPLES, cli_sign

runner = CliRunner()
DEAL = "heat-sensor-housing"


def _run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def _state(ws: str) -> dict[str, Any]:
    return dict(json.loads(_run("state", DEAL, "-f", "json", "-w", ws)))


def _workspace(tmp_path: Path) -> str:
    ws = str(tmp_path / "ws")
    _run("init", ws)
    _run("deal", "add", str(EXAMPLES / f"{DEAL}.yaml"), "-w", ws)
    cli_sign(ws, DEAL)
    return ws


def test_a_payment_counts_once_the_payee_confirms_it(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    pay = ("pay", DEAL, "--from", "ridgeline", "--to", "kestrel", "--amount", "100.00")
    refused = _run(*pay, "--ref", "R-1", "--by", "luis", "-w", ws, code=1)
    assert "cannot record a payment by ridgeline" in refused  # the payee does not record it
    _run(*pay, "--ref", "R-1", "--by", "dana", "-w", ws)
    assert _state(ws)["balances"]["ridgeline"]["paid"] == "0.00"  # recorded, not yet counted
    refused = _run("confirm", DEAL, "R-1", "--by", "dana", "-w", ws, code=1)
    assert "kestrel, who received it, does" in refused
    _run("confirm", DEAL, "R-1", "--by", "luis", "-w", ws)
    assert _state(ws)["balances"]["ridgeline"]["paid"] == "100.00"
    again = _run("confirm", DEAL, "R-1", "--by", "luis", "-w", ws, code=1)
    assert "already confirmed by luis" in again


def test_a_gate_needs_each_decider_and_a_decision_is_ones_own(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    refused = _run(
        "gate", DEAL, "design", "--decision", "proceed", "--by", "priya", "-w", ws, code=1
    )
    assert "priya cannot decide the gate of design" in refused
    _run("gate", DEAL, "design", "--decision", "proceed", "--by", "hannah", "-w", ws)
    workspace = Workspace.open(Path(ws), clock=lambda: datetime.now(UTC))
    try:
        deal = workspace.deal(DEAL)
        state = deal_state(deal, workspace.events(DEAL), on=datetime.now(UTC).date())
        assert "design" not in state.gates and state.gate_votes["design"] == {"hannah": "proceed"}
        _run("gate", DEAL, "design", "--decision", "proceed", "--by", "luis", "-w", ws)
        state = deal_state(deal, workspace.events(DEAL), on=datetime.now(UTC).date())
        assert state.gates["design"] == "proceed"
    finally:
        workspace.engine.dispose()
    _run("decide", DEAL, "order the mould steel now", "--by", "hannah", "-w", ws)
    [decision] = _state(ws)["decisions"]
    assert decision["by"] == ["hannah"]


def test_state_and_deal_show_carry_the_exit_and_its_settlement(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    assert _state(ws)["exit"] is None  # the deal runs
    pay = ("pay", DEAL, "--from", "ridgeline", "--to", "kestrel", "--amount", "100.00")
    _run(*pay, "--ref", "R-1", "--by", "dana", "-w", ws)
    _run("confirm", DEAL, "R-1", "--by", "luis", "-w", ws)
    _run("exit", DEAL, "--trigger", "insolvency", "--invoke", "--by", "hannah", "-w", ws)
    ended = _state(ws)["exit"]
    assert set(ended) == {"trigger", "by", "on", "effective", "ended", "settlement", "to_credit"}
    assert ended["to_credit"] == "100.00"  # no credit note documents the refund yet
    assert (ended["trigger"], ended["by"], ended["ended"]) == ("insolvency", "hannah", True)
    assert ended["effective"] == ended["on"]  # an insolvency exit takes effect at once
    settlement = ended["settlement"]
    assert (settlement["paid"], settlement["earned"], settlement["refund"]) == (
        "100.00",
        "0.00",
        "100.00",
    )
    assert settlement["owed"] == {"from": "kestrel", "to": "ridgeline", "amount": "100.00"}
    shown = json.loads(_run("deal", "show", DEAL, "-f", "json", "-w", ws))
    assert shown["exit"] == ended
    text = _run("deal", "show", DEAL, "-w", ws)
    assert f"ended on {ended['effective']} by an insolvency exit" in text
    assert "kestrel owes ridgeline USD 100.00" in text
    assert (
        f"100.00 of the refund has no credit note yet (`copact credit-exit-refund {DEAL}`)" in text
    )
    credited = _run("credit-exit-refund", DEAL, "-w", ws)
    assert "credit note" in credited and "100.00" in credited
    assert "has no credit note" not in _run("deal", "show", DEAL, "-w", ws)
    refused = _run("decide", DEAL, "one more thing", "--by", "hannah", "-w", ws, code=1)
    assert "the deal ended on" in refused
    _run(
        *("pay", DEAL, "--from", "kestrel", "--to", "ridgeline", "--amount", "100.00"),
        *("--ref", "RF-1", "--for", "exit", "--by", "luis", "-w", ws),
    )
