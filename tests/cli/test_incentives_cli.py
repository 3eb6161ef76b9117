"""An ecosystem alliance from `copact new` to its revenue-share invoices on the command line:
Acme reports its first quarter's net sales, VoltWorks invoices its 5%, audits the quarter and
invoices the difference; Acme's person cannot audit, and a second report is refused.

The deal starts on 2025-01-06 (so its first quarter has ended on the command line's clock):
Q1 2025 reported at 412,000.00 → 20,600.00 + 19% VAT = 24,514.00; the audit finds
436,500.00 → 5% × 24,500.00 = 1,225.00 + 232.75 VAT = 1,457.75."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import cli_ok, cli_sign

runner = CliRunner()
DEAL = "acme-voltworks"


def test_an_alliance_reports_invoices_and_audits_from_the_command_line(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    deal = str(tmp_path / "alliance.yaml")
    cli_ok(
        "new",
        "-s",
        "ecosystem-alliance",
        "--buyer",
        "Acme",
        "--supplier",
        "VoltWorks",
        "--currency",
        "EUR",
        "--start",
        "2025-01-06",
        "-o",
        deal,
    )
    cli_ok("init", ws)
    cli_ok("deal", "add", deal, "-w", ws)
    cli_sign(ws, DEAL)
    said = cli_ok(
        "report-sales",
        DEAL,
        "--period",
        "2025-Q1",
        "--sales",
        "412000.00",
        "--by",
        "finance",
        "-w",
        ws,
    )
    assert "sales of 2025-Q1 reported by finance: 412,000.00" in said
    again = runner.invoke(
        app,
        [
            "report-sales",
            DEAL,
            "--period",
            "2025-Q1",
            "--sales",
            "1.00",
            "--by",
            "finance",
            "-w",
            ws,
        ],
    )
    assert again.exit_code == 1 and "corrected by the share party's audit" in again.output
    assert "Traceback" not in again.output
    said = cli_ok("issue-revenue-share-invoice", DEAL, "2025-Q1", "-w", ws)
    assert "voltworks → acme 24,514.00 for revenue:2025-Q1" in said
    report = tmp_path / "audit.txt"
    report.write_text("audit of Acme's Q1 2025 net sales: 436,500.00\n")
    added = cli_ok(
        "evidence",
        "add",
        DEAL,
        str(report),
        "--kind",
        "audit-report",
        "--by",
        "account-lead",
        "-w",
        ws,
    )
    sha = next(word for word in added.split() if len(word) == 64)
    refused = runner.invoke(
        app,
        [
            "audit-sales",
            DEAL,
            "2025-Q1",
            "--sales",
            "436500.00",
            "--evidence",
            sha,
            "--by",
            "finance",
            "-w",
            ws,
        ],
    )
    assert refused.exit_code == 1 and "voltworks audits" in refused.output
    cli_ok(
        "audit-sales",
        DEAL,
        "2025-Q1",
        "--sales",
        "436500.00",
        "--evidence",
        sha,
        "--by",
        "account-lead",
        "-w",
        ws,
    )
    said = cli_ok("issue-revenue-share-invoice", DEAL, "2025-Q1", "-w", ws)
    assert "voltworks → acme 1,457.75 for revenue:2025-Q1:audit" in said
