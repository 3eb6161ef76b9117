"""`copact record-purchases`, `confirm-purchases`, `record-forecast` and `true-up-volume` on a
workspace, with examples/heat-sensor-housing.yaml whose volume section is given
``from: 2024-07-01`` (the command line runs on today's clock: contract year 2024, July 2024 to
June 2025, has ended whenever the test runs). Dana of Ridgeline records 31,200 housings for
July 2024 under the call-off CO-2024/07; Luis of Kestrel confirms them; the true-up credits
3% of 31,200 × 6.85 = 213,720.00 = 6,411.60. The same call-off again, a confirmation by the
party that recorded it, a second true-up and a forecast of months already over each exit 1
with one line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES, cli_ok, cli_refused, cli_sign

runner = CliRunner()
DEAL = "heat-sensor-housing"


def test_a_year_of_purchases_is_trued_up_from_the_command_line(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    deal = tmp_path / "heat-sensor-housing.yaml"
    text = (EXAMPLES / "heat-sensor-housing.yaml").read_text()
    deal.write_text(text.replace("  true-up: annual\n", "  true-up: annual\n  from: 2024-07-01\n"))
    cli_ok("init", ws)
    cli_ok("deal", "add", str(deal), "-w", ws)
    cli_sign(ws, DEAL)
    record = ["record-purchases", DEAL, "--period", "2024-07", "--quantity", "31200"]
    out = cli_ok(*record, "--ref", "CO-2024/07", "--by", "dana", "-w", ws)
    assert "purchases CO-2024/07 of 2024-07 recorded by dana: 31,200 units, 213,720.00" in out
    again = cli_refused(*record, "--ref", "CO-2024/07", "--by", "dana", "-w", ws)
    assert "heat-sensor-housing: purchases CO-2024/07 were already recorded" in again
    own = cli_refused("confirm-purchases", DEAL, "CO-2024/07", "--by", "hannah", "-w", ws)
    assert "hannah of ridgeline cannot confirm purchases ridgeline recorded" in own
    out = cli_ok("confirm-purchases", DEAL, "CO-2024/07", "--by", "luis", "-w", ws)
    assert "purchases CO-2024/07 confirmed by luis: they count from now on" in out
    out = cli_ok("true-up-volume", DEAL, "2024", "-w", ws)
    assert (
        "credit note heat-sensor-housing-001: kestrel → ridgeline 6,411.60, the volume rebate "
        "of contract year 2024" in " ".join(out.split())
    )
    assert "already trued up" in cli_refused("true-up-volume", DEAL, "2024", "-w", ws)
    listed = json.loads(cli_ok("invoices", DEAL, "-f", "json", "-w", ws))
    (note,) = listed["credit_notes"]  # `copact invoices` lists the rebate's credit note too
    assert (note["number"], note["amount"], note["for"]) == (
        "heat-sensor-housing-001",
        "6411.60",
        ["rebate"],
    )
    table = runner.invoke(app, ["invoices", DEAL, "-w", ws], env={"COLUMNS": "200"}).output
    assert "credit notes (USD)" in table and "6,411.60" in table
    help_text = cli_ok("record-forecast", "--help")
    assert "--from" in help_text and "--quantity" in help_text
    late = cli_refused(
        "record-forecast",
        DEAL,
        "--from",
        "2025-07",
        "--quantity",
        "6000",
        "--by",
        "hannah",
        "-w",
        ws,
    )
    assert "a forecast looks ahead: 2025-07 is over" in late
