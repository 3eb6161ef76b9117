"""`copact baseline` end to end through the CLI: output shape, exit codes, the lock."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES, FIXTURES

runner = CliRunner()
DEAL = str(EXAMPLES / "hybrid-dc1.yaml")
FUEL = str(EXAMPLES / "baseline" / "hybrid-dc1-fuel.csv")


def _unlocked(tmp_path: Path) -> str:
    """The example deal before its baseline hash was written in (a deal still being drafted)."""
    text = Path(DEAL).read_text()
    start = text.index('hash: "sha256:')
    end = text.index(", ", start) + 2
    deal = tmp_path / "unlocked.yaml"
    deal.write_text(text[:start] + text[end:])
    return str(deal)


def _json(*extra: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["baseline", DEAL, "--data", FUEL, "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


def test_the_example_baseline_is_accepted_with_the_documented_shape() -> None:
    code, doc = _json()
    assert code == 0
    assert list(doc) == ["deal", "model", "fit", "accepted", "hash"]
    model, fit = doc["model"], doc["fit"]
    assert isinstance(model, dict) and isinstance(fit, dict)
    assert list(model) == [
        "kind",
        "form",
        "intercept",
        "beta_hdd",
        "beta_cdd",
        "heating_balance_point",
        "cooling_balance_point",
        "coefficients",
    ]
    assert list(fit) == ["n", "r2", "adj_r2", "cvrmse", "nmbe"]
    assert (doc["deal"], model["kind"], model["form"], fit["n"]) == (
        "hybrid-dc1",
        "linear",
        "linear",
        12,
    )
    # the deal asks for CV(RMSE) ≤ 20% and |NMBE| ≤ 5%
    assert isinstance(fit["cvrmse"], float) and fit["cvrmse"] <= 0.20
    assert isinstance(fit["nmbe"], float) and abs(fit["nmbe"]) <= 0.05
    assert list(model["coefficients"]) == ["outage-hours"]  # type: ignore[call-overload]
    assert doc["accepted"] is True
    assert str(doc["hash"]).startswith("sha256:")


def test_text_output_and_the_plot(tmp_path: Path) -> None:
    plot = tmp_path / "baseline.png"
    result = runner.invoke(app, ["baseline", DEAL, "--data", FUEL, "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert "CV(RMSE)" in result.stdout and "outage-hours" in result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_caltrack_meter_through_the_cli(tmp_path: Path) -> None:
    deal = tmp_path / "deal.yaml"
    text = Path(_unlocked(tmp_path)).read_text()
    text = text.replace(
        "{kind: linear, drivers: [outage-hours], grain: month,", "{kind: caltrack-daily,"
    ).replace(
        "baseline: {from: 2025-01-01, to: 2025-12-31,",
        "baseline: {from: 2023-01-01, to: 2023-12-31,",
    )
    deal.write_text(text)
    meter = FIXTURES / "eemeter" / "heating-cooling.csv"
    expected = json.loads((FIXTURES / "eemeter" / "heating-cooling.json").read_text())["fits"]["p1"]
    result = runner.invoke(app, ["baseline", str(deal), "--data", str(meter), "-f", "json"])
    assert result.exit_code == 0, result.output
    model = json.loads(result.stdout)["model"]
    assert model["form"] == expected["form"] == "heating-cooling"
    assert (model["heating_balance_point"], model["cooling_balance_point"]) == (52, 70)
    assert abs(model["beta_hdd"] / expected["beta_hdd"] - 1) < 1e-6


def test_bad_rows_exit_1_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "fuel.csv"
    bad.write_text("start,end,observed,outage-hours\n2025-01-01,2025-02-01,lots,1\n")
    result = runner.invoke(app, ["baseline", DEAL, "--data", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2:3: B904 error: observed 'lots' is not a number" in result.stderr
    assert "Traceback" not in result.output


def test_a_baseline_outside_the_deals_limits_prints_and_exits_1(tmp_path: Path) -> None:
    noisy = tmp_path / "fuel.csv"
    rows = Path(FUEL).read_text().splitlines()
    rows[3] = rows[3].replace("253.0", "853.0")  # March: a wild month
    noisy.write_text("\n".join(rows) + "\n")
    deal = _unlocked(tmp_path)
    result = runner.invoke(app, ["baseline", deal, "--data", str(noisy), "-f", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["accepted"] is False
    assert "B925" in result.stderr and "max-cvrmse 20%" in result.stderr


def test_could_not_run_exits_2() -> None:
    missing = runner.invoke(app, ["baseline", DEAL, "--data", "no-such-file.csv"])
    assert missing.exit_code == 2 and "no-such-file.csv" in missing.stderr
    no_model = runner.invoke(
        app, ["baseline", str(EXAMPLES / "saas-integration.yaml"), "--data", FUEL]
    )
    assert no_model.exit_code == 2 and "no gainshare model" in no_model.stderr


def test_help_has_an_example_and_the_exit_codes() -> None:
    result = runner.invoke(app, ["baseline", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "hybrid-dc1-fuel.csv" in result.stdout
    assert "Exit codes" in result.stdout


def _journal(tmp_path: Path, *, approved: bool) -> Path:
    patch = {"gainshare": {"baseline": {"from": "2025-01-01", "to": "2025-12-31"}}}
    proposed = {"at": "2026-06-01", "type": "change-proposed", "deal": "hybrid-dc1"}
    events = [{**proposed, "change": "rebase-2026", "amount": "6000", "patch": patch, "by": "sam"}]
    if approved:
        events.append(
            {
                "at": "2026-06-03",
                "type": "change-approved",
                "deal": "hybrid-dc1",
                "change": "rebase-2026",
                "by": "ana",
            }
        )
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_a_different_baseline_is_refused_without_an_approved_change(tmp_path: Path) -> None:
    _, doc = _json()
    stale = "sha256:" + "0" * 64
    same = runner.invoke(app, ["baseline", DEAL, "--data", FUEL, "--locked", str(doc["hash"])])
    assert same.exit_code == 0
    refused = runner.invoke(app, ["baseline", DEAL, "--data", FUEL, "--locked", stale])
    assert refused.exit_code == 1
    assert "not the one locked on 2026-05-01" in refused.stderr
    pending = _journal(tmp_path, approved=False)
    args = ["baseline", DEAL, "--data", FUEL, "--locked", stale, "--change", "rebase-2026"]
    still = runner.invoke(app, [*args, "--events", str(pending)])
    assert still.exit_code == 1 and "proposed, not approved" in still.stderr
    approved = _journal(tmp_path, approved=True)
    admitted = runner.invoke(app, [*args, "--events", str(approved)])
    assert admitted.exit_code == 0, admitted.stderr


def test_the_hash_written_in_the_deal_locks_the_baseline(tmp_path: Path) -> None:
    """hybrid-dc1 carries the hash both sides signed: the same data fits to it (exit 0); one
    changed month is another baseline, refused until a change order writes its hash in."""
    code, doc = _json()
    assert code == 0
    assert f'hash: "{doc["hash"]}"' in Path(DEAL).read_text()
    changed = tmp_path / "fuel.csv"
    rows = Path(FUEL).read_text().splitlines()
    rows[3] = rows[3].replace("253.0", "254.0")
    changed.write_text("\n".join(rows) + "\n")
    refused = runner.invoke(app, ["baseline", DEAL, "--data", str(changed)])
    assert refused.exit_code == 1
    assert "gainshare.baseline.hash" in refused.stderr
    assert "Traceback" not in refused.output
