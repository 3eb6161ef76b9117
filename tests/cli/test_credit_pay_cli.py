"""`copact pay --for CREDIT-NOTE-NUMBER`: Kestrel pays out its rebate credit note to Ridgeline
from the command line, on examples/heat-sensor-housing.yaml whose volume section is given
``from: 2024-07-01`` (the command line runs on today's clock, so contract year 2024 has ended
whenever the test runs). 31,200 housings × 6.85 = 213,720.00 reach the 3% tier: credit note
heat-sensor-housing-001 of 6,411.60, due 30 days from today.

Luis (Kestrel) pays 4,000.00 of it, Dana (Ridgeline) confirms: `copact invoices` shows it
part-paid with 2,411.60 outstanding, not overdue. 2,411.61 more is refused (exit 1, one line,
nothing recorded); 2,411.60 more, confirmed, shows it paid."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES, cli_ok, cli_refused, cli_sign

runner = CliRunner()
DEAL = "heat-sensor-housing"
NOTE = "heat-sensor-housing-001"


def _note(ws: str) -> dict[str, object]:
    listed = json.loads(cli_ok("invoices", DEAL, "-f", "json", "-w", ws))
    (note,) = listed["credit_notes"]
    assert note["number"] == NOTE
    return dict(note)


def test_a_rebate_credit_note_is_paid_out_in_two_parts(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    deal = tmp_path / "heat-sensor-housing.yaml"
    text = (EXAMPLES / "heat-sensor-housing.yaml").read_text()
    deal.write_text(text.replace("  true-up: annual\n", "  true-up: annual\n  from: 2024-07-01\n"))
    cli_ok("init", ws)
    cli_ok("deal", "add", str(deal), "-w", ws)
    cli_sign(ws, DEAL)
    record = ["record-purchases", DEAL, "--period", "2024-07", "--quantity", "31200"]
    cli_ok(*record, "--ref", "CO-2024/07", "--by", "dana", "-w", ws)
    cli_ok("confirm-purchases", DEAL, "CO-2024/07", "--by", "luis", "-w", ws)
    cli_ok("true-up-volume", DEAL, "2024", "-w", ws)
    note = _note(ws)
    assert (note["amount"], note["status"], note["outstanding"]) == ("6411.60", "open", "6411.60")

    pay = ["pay", DEAL, "--from", "kestrel", "--to", "ridgeline", "--for", NOTE, "--by", "luis"]
    out = cli_ok(*pay, "--amount", "4000.00", "--ref", "RB-1", "-w", ws)
    assert f"payment RB-1: kestrel → ridgeline 4,000.00 for {NOTE}" in " ".join(out.split())
    assert _note(ws)["status"] == "open"  # recorded: it counts once Ridgeline confirms it
    cli_ok("confirm", DEAL, "RB-1", "--by", "dana", "-w", ws)
    note = _note(ws)
    assert (note["status"], note["paid"], note["outstanding"], note["overdue"]) == (
        "part-paid",
        "4000.00",
        "2411.60",
        False,
    )

    too_much = cli_refused(*pay, "--amount", "2411.61", "--ref", "RB-2", "-w", ws)
    assert f"credit note {NOTE} (rebate) has 2411.60 outstanding" in too_much
    assert "2411.61 for it is refused" in too_much
    wrong_way = ["pay", DEAL, "--from", "ridgeline", "--to", "kestrel", "--for", NOTE]
    refused = cli_refused(*wrong_way, "--amount", "1.00", "--ref", "X-1", "--by", "dana", "-w", ws)
    assert "issued by kestrel to ridgeline" in refused
    assert _note(ws)["paid"] == "4000.00"  # nothing recorded by the refusals

    cli_ok(*pay, "--amount", "2411.60", "--ref", "RB-2", "-w", ws)
    cli_ok("confirm", DEAL, "RB-2", "--by", "dana", "-w", ws)
    note = _note(ws)
    assert (note["status"], note["paid"], note["outstanding"]) == ("paid", "6411.60", "0.00")
    table = runner.invoke(app, ["invoices", DEAL, "-w", ws], env={"COLUMNS": "200"}).output
    row = next(line for line in table.splitlines() if NOTE in line)
    assert "6,411.60" in row and "paid" in row and "part-paid" not in row
    state = json.loads(cli_ok("state", DEAL, "-f", "json", "-w", ws))
    assert state["balances"]["kestrel"]["paid"] == "6411.60"
    assert state["balances"]["ridgeline"]["received"] == "6411.60"
