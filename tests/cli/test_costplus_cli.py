"""`copact record-cost`, `review-cost` and `issue-cost-invoice` on a workspace, on the
cost-plus starter of `copact new` (Acme Foods and Volt Works, EUR 100,000.00 cap, 10% markup,
19% VAT, effective 2026-09-01). Volt Works records 40,000.00 for October 2026 with its receipt
and timesheet; Acme's owner approves it; the invoice bills 40,000.00 + 4,000.00 markup =
44,000.00 + 8,360.00 VAT = 52,360.00. A cost without its receipt exits 1 with one line; so does
the supplier approving its own cost,
and a second invoice of the month."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import cli_ok, cli_sign
from tests.web.conftest import PDF

runner = CliRunner()
DEAL = "acme-foods-volt-works"


def _evidence(tmp_path: Path, ws: str, name: str, content: bytes, kind: str) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    cli_ok("evidence", "add", DEAL, str(path), "--kind", kind, "--by", "account-lead", "-w", ws)
    return hashlib.sha256(content).hexdigest()


def test_a_cost_is_recorded_approved_and_invoiced_from_the_command_line(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    deal = tmp_path / "deal.yaml"
    cli_ok(
        "new",
        "--structure",
        "cost-plus-reimbursement",
        "--buyer",
        "Acme Foods",
        "--supplier",
        "Volt Works",
        "--currency",
        "EUR",
        "--value",
        "100000",
        "--start",
        "2026-09-01",
        "-o",
        str(deal),
    )
    cli_ok("init", ws)
    cli_ok("deal", "add", str(deal), "-w", ws)
    cli_sign(ws, DEAL)
    receipt = _evidence(tmp_path, ws, "rig.pdf", PDF + b"% rig hire", "receipts")
    hours = _evidence(tmp_path, ws, "hours.csv", b"day,hours\n2026-10-01,8\n", "timesheets")
    record = ["record-cost", DEAL, "--id", "rig-hire", "--period", "2026-10"]
    record += ["--amount", "40000.00", "--description", "test rig hire", "--by", "account-lead"]
    refused = runner.invoke(app, [*record, "--evidence", hours, "-w", ws])
    assert refused.exit_code == 1
    assert "needs evidence of kind receipts" in refused.output
    assert "Traceback" not in refused.output
    done = cli_ok(*record, "--evidence", receipt, "--evidence", hours, "-w", ws)
    assert "cost rig-hire of 2026-10 recorded by account-lead: 40,000.00" in done
    review = ["review-cost", DEAL, "rig-hire", "--decision", "approved", "-w", ws]
    own = runner.invoke(app, [*review, "--by", "account-lead"])
    assert own.exit_code == 1 and "a person of acme-foods approves or rejects it" in own.output
    approved = cli_ok(
        "review-cost", DEAL, "rig-hire", "--decision", "approved", "--by", "owner", "-w", ws
    )
    assert "cost rig-hire approved by owner" in approved
    billed = cli_ok("issue-cost-invoice", DEAL, "2026-10", "-w", ws)
    assert "invoice VOLT-WORKS-2026-0001: volt-works → acme-foods 52,360.00" in billed
    assert "cost:2026-10:rig-hire, cost:2026-10:markup" in billed
    again = runner.invoke(app, ["issue-cost-invoice", DEAL, "2026-10", "-w", ws])
    assert again.exit_code == 1  # billed once: one line saying so
    assert "2026-10 has no approved cost left to bill (invoiced in VOLT-WORKS-2026-0001)" in (
        again.output
    )
