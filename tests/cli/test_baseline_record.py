"""`copact baseline --record` settles a gainshare month into the journal, `copact
issue-gainshare-invoice` bills it and `copact true-up-gainshare` settles the contract year.

hybrid-dc1 with its gainshare moved to start on 2025-01-01 (so the year is over whatever day the
test runs) and examples/baseline/hybrid-dc1-2027.csv's use dated 2025: March's 12.0 outage
hours predict 141.622 + 93.590 × 12 = 1,264.703 L; 1,000.0 L were burnt, S = 264.703 L, so
1,500.00 + 30% × 264.703 × 1.45 = 1,500.00 + 115.15 = 1,615.15. The year's twelve share lines
bill 346.59; ΣS = 699.137 L earns 304.12: a credit note of 42.47. Recording twice adds nothing;
without --reporting, a workspace and a person it is refused; a refit of edited fuel logs is
refused; the kept data files verify."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from copact.services.gainshare_periods import SavingsRequest, record_month
from copact.services.uow import system_clock
from copact.services.workspace import Workspace
from tests.conftest import EXAMPLES, cli_sign

runner = CliRunner()
DATA = EXAMPLES / "baseline" / "hybrid-dc1-fuel.csv"


def _files(tmp_path: Path) -> tuple[Path, Path]:
    text = (EXAMPLES / "hybrid-dc1.yaml").read_text()
    start = "gainshare:\n  measure: fuel-litres\n  from: 2027-01-01\n"
    assert start in text
    deal = tmp_path / "hybrid-dc1.yaml"
    deal.write_text(text.replace(start, start.replace("2027-01-01", "2025-01-01")))
    rows = (EXAMPLES / "baseline" / "hybrid-dc1-2027.csv").read_text()
    reporting = tmp_path / "fuel-2025.csv"
    reporting.write_text(rows.replace("2028-01-01", "2026-01-01").replace("2027-", "2025-"))
    return deal, reporting


def test_a_recorded_month_is_invoiced_and_the_year_trued_up(tmp_path: Path) -> None:
    deal, reporting = _files(tmp_path)
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["init", ws]).exit_code == 0
    assert runner.invoke(app, ["deal", "add", str(deal), "-w", ws]).exit_code == 0
    cli_sign(ws, "hybrid-dc1")
    base = ["baseline", str(deal), "-d", str(DATA)]
    month = ["-r", str(reporting), "-p", "2025-03"]
    refused = runner.invoke(app, [*base, "--record", "--by", "sam", "-w", ws])
    assert refused.exit_code == 2 and "--record needs --reporting" in refused.output
    preview = runner.invoke(app, [*base, *month])
    assert preview.exit_code == 0, preview.output
    assert "2025-03: predicted 1264.703 fuel-litres, actual 1000, savings S = 264.703" in (
        preview.output
    )
    done = runner.invoke(app, [*base, *month, "--record", "--by", "sam", "-w", ws])
    assert done.exit_code == 0, done.output
    assert "✓ gainshare 2025-03 settled by sam: savings 264.703" in done.output
    again = runner.invoke(app, [*base, *month, "--record", "--by", "sam", "-w", ws])
    assert again.exit_code == 0 and "already settled from these inputs" in again.output
    edited = tmp_path / "fuel.csv"
    edited.write_text(DATA.read_text().replace("253.0", "263.0"))
    refit = ["baseline", str(deal), "-d", str(edited), "-r", str(reporting), "-p", "2025-04"]
    refit_run = runner.invoke(app, [*refit, "--record", "--by", "sam", "-w", ws])
    assert refit_run.exit_code == 1 and "locked in the deal" in refit_run.output
    billed = runner.invoke(app, ["issue-gainshare-invoice", "hybrid-dc1", "2025-03", "-w", ws])
    assert billed.exit_code == 0, billed.output
    assert "invoice hybrid-dc1-001: voltworks → acme 1,615.15 for gainshare:2025-03:base, " in (
        billed.output
    )

    # the other months, as the same use case records them
    workspace = Workspace.open(Path(ws), clock=system_clock)
    for m in (1, 2, *range(4, 13)):
        request = SavingsRequest(data=DATA, reporting=reporting, period=f"2025-{m:02d}")
        record_month(workspace, "hybrid-dc1", request, by="sam", clock=workspace.clock)
    for m in (1, 2, *range(4, 13)):
        invoiced = runner.invoke(
            app, ["issue-gainshare-invoice", "hybrid-dc1", f"2025-{m:02d}", "-w", ws]
        )
        assert invoiced.exit_code == 0, invoiced.output
    trued = runner.invoke(app, ["true-up-gainshare", "hybrid-dc1", "2025", "-w", ws])
    assert trued.exit_code == 0, trued.output
    assert (
        "credit note hybrid-dc1-013: voltworks → acme 42.47, the true-up of contract year 2025"
        in (trued.output)
    )
    assert "correcting hybrid-dc1-012" in trued.output
    verified = runner.invoke(app, ["journal", "verify", "--deal", "hybrid-dc1", "-w", ws])
    assert verified.exit_code == 0 and "2 evidence files re-hashed" in verified.output


def test_a_months_savings_go_with_the_fit_on_stdout_and_in_its_json(tmp_path: Path) -> None:
    """`copact baseline … -r FILE -p MONTH > out` keeps the month's savings with the fit: the
    text's last line, and ``savings`` in the JSON document (it was said on stderr only, so a
    redirected preview lost it and the JSON never had it)."""
    deal, reporting = _files(tmp_path)
    base = ["baseline", str(deal), "-d", str(DATA), "-r", str(reporting), "-p", "2025-03"]
    text = runner.invoke(app, base)
    assert text.exit_code == 0, text.output
    assert text.stdout.rstrip().endswith(
        "2025-03: predicted 1264.703 fuel-litres, actual 1000, savings S = 264.703"
    )
    shown = runner.invoke(app, [*base, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    assert document["savings"] == {
        "period": "2025-03",
        "unit": "fuel-litres",
        "predicted": "1264.703",
        "actual": "1000",
        "savings": "264.703",
    }
    assert document["accepted"] is True
    fit_only = json.loads(runner.invoke(app, [*base[:4], "--format", "json"]).stdout)
    assert "savings" not in fit_only
