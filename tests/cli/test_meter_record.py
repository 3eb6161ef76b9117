"""`copact meter --record` settles a period into the journal, then `copact
issue-service-invoice` bills it: seasonal-packaging's October 2026 at the Tilburg dock, 38 of
40 deliveries on time (95%, below the 97% target: a 10% credit), so 6,000.00 − 600.00 =
5,400.00 net, 6,534.00 with the Dutch 21% VAT. Recording twice adds nothing; without a
workspace and a person it is refused; the kept inputs verify."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES, cli_sign

runner = CliRunner()
DEAL = EXAMPLES / "seasonal-packaging.yaml"
DELIVERIES = EXAMPLES / "telemetry" / "tilburg-2026-10-deliveries.csv"


def _meter(*extra: str) -> list[str]:
    return ["meter", str(DEAL), "--deliveries", str(DELIVERIES), "--period", "2026-10", *extra]


def test_a_recorded_period_is_invoiced_with_its_vat(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["init", ws]).exit_code == 0
    assert runner.invoke(app, ["deal", "add", str(DEAL), "-w", ws]).exit_code == 0
    cli_sign(ws, "seasonal-packaging")
    refused = runner.invoke(app, _meter("--record"))
    assert refused.exit_code == 2 and "--record needs --workspace" in refused.output
    done = runner.invoke(app, _meter("--record", "--by", "joris", "-w", ws))
    assert done.exit_code == 0, done.output
    assert "service period 2026-10 settled by joris: 5,400.00 to bill" in done.output
    again = runner.invoke(app, _meter("--record", "--by", "joris", "-w", ws))
    assert again.exit_code == 0 and "already settled from these inputs" in again.output
    billed = runner.invoke(
        app, ["issue-service-invoice", "seasonal-packaging", "2026-10", "-w", ws]
    )
    assert billed.exit_code == 0, billed.output
    assert "invoice RP-2026-0001: rijnpak → van-dijk 6,534.00 for sla:2026-10:tilburg-dc" in (
        billed.output
    )
    verified = runner.invoke(app, ["journal", "verify", "--deal", "seasonal-packaging", "-w", ws])
    assert verified.exit_code == 0 and "1 evidence files re-hashed" in verified.output
    assert "1 settled period metered again: the same" in verified.output
