"""`copact meter` and `copact demo-data` end to end, through the CLI a user runs."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES, cli_sign
from tests.metering.telemetry_cases import demo_dc1_args, every, replace_between, write_csv

runner = CliRunner()
DEAL = str(EXAMPLES / "hybrid-dc1.yaml")
SAMPLE = EXAMPLES / "telemetry"
ARGS = [
    "meter",
    DEAL,
    "--telemetry",
    str(SAMPLE / "dc1-2027-03.parquet"),
    "--windows",
    str(SAMPLE / "dc1-2027-03-windows.csv"),
    "--tickets",
    str(SAMPLE / "dc1-2027-03-tickets.csv"),
    "--period",
    "2027-03",
]


def test_meter_json_has_the_documented_shape_and_settles_the_sample_month() -> None:
    result = runner.invoke(app, [*ARGS, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["deal"], doc["period"]) == ("hybrid-dc1", "2027-03")
    (site,) = doc["sites"]
    assert set(doc) == {"deal", "period", "sites"}
    assert set(site) == {"site", "metrics", "settlement", "duplicates"}
    assert site["duplicates"] == {"identical": 0, "conflicting": 0, "first_rows": []}
    assert set(site["settlement"]) == {"fee", "credits", "bonuses", "amount", "flags"}
    assert site["site"] == "dc1"
    assert site["metrics"]["availability"]["period_s"] == 743 * 3600
    a = site["metrics"]["availability"]
    for key in ("value", "numerator", "denominator", "unknown_s", "coverage", "inputs"):
        assert key in a
    assert a["inputs"].startswith("sha256:")
    # D = 743 h − the 2 h planned window; the numerator takes off forced, half the degraded
    # time (capability 0.5) and, with unknown: down, the unknown time
    assert a["denominator"] == 743 * 3600 - 7200 == a["period_s"] - a["planned_s"]
    down = a["forced_s"] + a["degraded_weighted_s"] + a["unknown_s"]
    assert a["numerator"] == a["denominator"] - down
    assert Fraction(a["numerator"], a["denominator"]) == Fraction(a["value"]).limit_denominator(
        a["denominator"]
    )
    # 99.5% ≤ availability < 99.95%: the 5% tier only; the one repair took under 4 h
    assert 0.995 <= a["value"] < 0.9995
    assert site["metrics"]["repair"]["value"] < 4 * 3600
    assert a["credit_rate"] == 0.05 and site["metrics"]["repair"]["credit_rate"] == 0
    settlement = site["settlement"]
    assert settlement["fee"] == "4000.00"
    assert settlement["credits"] == "200.00"  # 5% of 4000
    assert settlement["amount"] == "3800.00"
    assert Decimal(settlement["fee"]) - Decimal(settlement["credits"]) + Decimal(
        settlement["bonuses"]
    ) == Decimal(settlement["amount"])


def test_meter_text_prints_the_settlement_and_plots_the_month(tmp_path: Path) -> None:
    plot = tmp_path / "march.png"
    result = runner.invoke(app, [*ARGS, "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert "3,800.00 USD" in result.stdout
    assert "743 h" in result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_malformed_rows_are_named_by_file_and_line_and_nothing_settles(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "site,ts,signal,value\n"
        "dc1,2027-03-01T00:00:00-05:00,supply_ok,1\n"
        "dc1,2027-03-14T02:30:00,supply_ok,1\n"
    )
    result = runner.invoke(app, ["meter", DEAL, "-t", str(bad), "--period", "2027-03"])
    assert result.exit_code == 1
    assert f"{bad}:3:2: M102" in result.stderr
    assert "nothing was settled" in result.stderr
    assert "Traceback" not in result.output


def test_meter_cannot_run_without_its_inputs() -> None:
    missing = runner.invoke(app, ["meter", DEAL, "-t", "nope.csv", "--period", "2027-03"])
    assert missing.exit_code == 2 and "nope.csv: no such file" in missing.stderr
    tel = str(SAMPLE / "dc1-2027-03.parquet")
    bad_period = runner.invoke(app, ["meter", DEAL, "-t", tel, "--period", "March"])
    assert bad_period.exit_code == 2 and "YYYY-MM" in bad_period.stderr
    bad_engine = runner.invoke(
        app, ["meter", DEAL, "-t", tel, "--period", "2027-03", "--engine", "excel"]
    )
    assert bad_engine.exit_code == 2
    bad_plot = runner.invoke(app, [*ARGS, "--plot", "timeline.gif"])
    assert bad_plot.exit_code == 2 and ".png, .svg or .pdf" in bad_plot.stderr
    no_sla = runner.invoke(
        app, ["meter", str(EXAMPLES / "heat-sensor-housing.yaml"), "-t", tel, "--period", "2027-03"]
    )
    assert no_sla.exit_code == 1 and "no sla section" in no_sla.stderr


def test_meter_help_has_an_example_that_names_the_sample_files() -> None:
    result = runner.invoke(app, ["meter", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Example" in result.stdout and "--period 2027-03" in result.stdout
    for name in ("dc1-2027-03.parquet", "dc1-2027-03-windows.csv", "dc1-2027-03-tickets.csv"):
        assert name in result.stdout and (SAMPLE / name).is_file()


SEASONAL = str(EXAMPLES / "seasonal-packaging.yaml")
DELIVERIES = str(SAMPLE / "tilburg-2026-10-deliveries.csv")


def test_on_time_delivery_settles_from_the_deliveries_alone() -> None:
    # no telemetry: the seasonal-packaging SLA has one metric, on-time delivery
    args = ["meter", SEASONAL, "--deliveries", DELIVERIES, "--period", "2026-10"]
    result = runner.invoke(app, args, terminal_width=120)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "seasonal-packaging · tilburg-dc · 2026-10 (Europe/Amsterdam, 745 h)"
    row = next(line for line in lines if "on-time-delivery" in line)
    assert "95.0000%" in row and "10%" in row
    assert "  fee 6,000.00 − credits 600.00 + bonuses 0.00 = 5,400.00 EUR" in lines
    said = "  on-time: 38 of 40 deliveries due on time (1 late, 1 open at the period's end)"
    assert said in lines
    assert result.stderr == ""
    doc = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    (site,) = doc["sites"]
    m = site["metrics"]["on-time"]
    assert (m["value"], m["numerator"], m["denominator"], m["unit"]) == (0.95, 38, 40, "ratio")
    assert (m["due"], m["on_time"], m["late"], m["open"], m["credit_rate"]) == (40, 38, 1, 1, 0.1)
    assert site["settlement"] == {
        "fee": "6000.00",
        "credits": "600.00",
        "bonuses": "0.00",
        "amount": "5400.00",
        "flags": [],
    }


REFUSAL = (
    "copact: on-time: on-time-delivery needs --deliveries (a CSV of site,id,due,delivered); "
    "nothing was settled"
)


def test_without_the_deliveries_it_refuses_and_prints_no_settlement() -> None:
    for extra in ([], ["-f", "json"]):
        result = runner.invoke(app, ["meter", SEASONAL, "--period", "2026-10", *extra])
        assert result.exit_code == 2
        assert result.stdout == ""  # no figures that could pass for a settlement
        assert " ".join(result.stderr.split()) == REFUSAL
    # telemetry for a deal that needs it is refused the same way, before anything is read
    no_telemetry = runner.invoke(app, ["meter", DEAL, "--period", "2027-03"])
    assert no_telemetry.exit_code == 2 and no_telemetry.stdout == ""
    assert "availability: availability needs --telemetry" in no_telemetry.stderr


def test_a_bad_delivery_row_is_named_by_file_and_line_and_nothing_settles(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "oct.csv"
    bad.write_text(
        "site,id,due,delivered\n"
        "tilburg-dc,CO-1,2026-10-05,2026-10-05T09:00:00+02:00\n"
        "tilburg-dc,CO-1,2026-10-06,2026-10-06T09:00:00\n"
    )
    args = ["meter", SEASONAL, "--deliveries", str(bad), "--period", "2026-10"]
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{bad}:3:2: M401 error: delivery 'CO-1' of tilburg-dc also appears on line 2" in (
        result.stderr
    )
    assert f"{bad}:3:4: M102" in result.stderr and "nothing was settled" in result.stderr
    missing = runner.invoke(app, [*args[:3], "nope.csv", *args[4:]])
    assert missing.exit_code == 2 and "nope.csv: no such file (--deliveries)" in missing.stderr


def test_meter_help_shows_the_deliveries_example() -> None:
    result = runner.invoke(app, ["meter", "--help"], terminal_width=200)
    assert "--deliveries" in result.stdout and "site,id,due,delivered" in result.stdout
    assert "tilburg-2026-10-deliveries.csv --period 2026-10" in result.stdout
    assert (SAMPLE / "tilburg-2026-10-deliveries.csv").is_file()


def test_demo_data_is_seeded(tmp_path: Path) -> None:
    args = ["demo-data", "--sites", "2", "--days", "3", "--format", "csv", "--interval", "300"]
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        result = runner.invoke(app, [*args[:1], str(tmp_path / name), *args[1:], "--seed", seed])
        assert result.exit_code == 0, result.output
    telemetry = {n: (tmp_path / n / "telemetry.csv").read_bytes() for n in "abc"}
    assert telemetry["a"] == telemetry["b"] != telemetry["c"]
    header = telemetry["a"].splitlines()[0]
    assert b"site" in header and b"signal" in header


def test_demo_data_meters_with_its_own_windows_and_tickets(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    made = runner.invoke(app, demo_dc1_args(out, start="2027-11-01", days=30))
    assert made.exit_code == 0, made.output
    result = runner.invoke(
        app,
        [
            "meter",
            DEAL,
            "-t",
            str(out / "telemetry.parquet"),
            "--windows",
            str(out / "windows.csv"),
            "--tickets",
            str(out / "tickets.csv"),
            "--period",
            "2027-11",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    site = json.loads(result.stdout)["sites"][0]
    assert site["metrics"]["availability"]["period_s"] == 721 * 3600  # the fall-back month
    assert site["metrics"]["availability"]["planned_s"] > 0


def test_windows_recorded_in_the_journal_settle_like_the_same_windows_csv(
    tmp_path: Path,
) -> None:
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["init", ws]).exit_code == 0
    assert runner.invoke(app, ["deal", "add", DEAL, "-w", ws]).exit_code == 0
    cli_sign(ws, "hybrid-dc1")
    # the sample windows CSV holds one planned window: recorded in the journal instead
    window = ["window", "hybrid-dc1", "dc1", "--by", "ana", "-w", ws]
    window += ["--start", "2027-03-10T02:00:00-05:00", "--end", "2027-03-10T04:00:00-05:00"]
    recorded = runner.invoke(app, window)
    assert recorded.exit_code == 0, recorded.output
    refused = runner.invoke(app, [*window[:3], "--by", "sam", *window[5:]])
    assert refused.exit_code != 0 and "approved by the buyer" in refused.output
    inputs = ["meter", DEAL, "-t", str(SAMPLE / "dc1-2027-03.parquet"), "--period", "2027-03"]
    inputs += ["--tickets", str(SAMPLE / "dc1-2027-03-tickets.csv"), "-f", "json"]
    from_csv = runner.invoke(app, [*inputs, "--windows", str(SAMPLE / "dc1-2027-03-windows.csv")])
    from_journal = runner.invoke(app, [*inputs, "--workspace", ws])
    assert from_csv.exit_code == 0 and from_journal.exit_code == 0, from_journal.output
    (csv_site,) = json.loads(from_csv.stdout)["sites"]
    (journal_site,) = json.loads(from_journal.stdout)["sites"]
    a, b = csv_site["metrics"]["availability"], journal_site["metrics"]["availability"]
    assert b["planned_s"] == 7200
    for key in ("value", "numerator", "denominator", "planned_s", "forced_s", "unknown_s"):
        assert a[key] == b[key], key
    assert csv_site["settlement"] == journal_site["settlement"]
    assert a["inputs"] != b["inputs"]  # each names the input it was computed from
    unknown = runner.invoke(app, [*inputs, "--workspace", str(tmp_path / "nowhere")])
    assert unknown.exit_code == 2 and "copact init" in unknown.output
    empty = str(tmp_path / "empty")
    assert runner.invoke(app, ["init", empty]).exit_code == 0
    missing = runner.invoke(app, [*inputs, "--workspace", empty])
    assert missing.exit_code == 2 and "no deal 'hybrid-dc1'" in missing.output


def _march_with_a_gap(tmp_path: Path, *, days: int) -> list[str]:
    """hybrid-dc1's March 2027 in New York (743 h: the clocks go forward on the 14th), the
    supply up every 5 minutes except ``days`` from 20 March with no telemetry at all, and an
    empty tickets file (a month without faults)."""
    rows = every(
        "2027-03-01T00:00:00-05:00", "2027-04-01T00:00:00-04:00", signal="supply_ok", value=1
    )
    gap_end = f"2027-03-{20 + days}T00:00:00-04:00"
    rows = replace_between(rows, "2027-03-20T00:00:00-04:00", gap_end, None)
    tel = write_csv(tmp_path / "telemetry.csv", ["site", "ts", "signal", "value"], rows)
    tix = write_csv(
        tmp_path / "tickets.csv",
        ["site", "id", "fault_start", "alert", "ack", "restored", "hold_minutes"],
        [],
    )
    return ["meter", DEAL, "-t", str(tel), "--tickets", str(tix), "--period", "2027-03"]


def test_a_month_with_more_than_10_percent_unknown_time_exits_1_and_says_why(
    tmp_path: Path,
) -> None:
    """Four days without telemetry: 96 of 743 hours (12.9%) unknown, counted down (the deal's
    `unknown: down`), so availability is 647/743 = 87.08%, below 99.5%: a 15% credit, 4,000.00
    − 600.00 = 3,400.00. The report is printed in full, but the period needs a person's review
    before it is invoiced: exit 1, not 0, with the reason on stderr."""
    result = runner.invoke(app, [*_march_with_a_gap(tmp_path, days=4), "-f", "json"])
    assert result.exit_code == 1, result.output
    (site,) = json.loads(result.stdout)["sites"]
    assert Fraction(site["metrics"]["availability"]["unknown_s"]) == 96 * 3600
    assert site["settlement"]["amount"] == "3400.00"
    assert "hybrid-dc1 2027-03 needs review" in result.stderr
    assert "telemetry is unknown for 12.9% of the period (more than 10%)" in result.stderr
    text = runner.invoke(app, _march_with_a_gap(tmp_path, days=4))
    assert text.exit_code == 1 and "3,400.00 USD" in text.stdout


def test_a_month_with_less_unknown_time_is_a_clean_run(tmp_path: Path) -> None:
    """Two days without telemetry: 48 of 743 hours (6.5%), under the 10% line. Availability
    695/743 = 93.54% still earns the 15% credit (3,400.00), but nothing asks for review: exit 0."""
    result = runner.invoke(app, [*_march_with_a_gap(tmp_path, days=2), "-f", "json"])
    assert result.exit_code == 0, result.output
    (site,) = json.loads(result.stdout)["sites"]
    assert site["settlement"]["amount"] == "3400.00"
    assert not any("review" in f for f in site["settlement"]["flags"])
    assert "needs review" not in result.stderr


def test_meter_help_says_a_period_for_review_exits_1() -> None:
    result = runner.invoke(app, ["meter", "--help"])
    assert result.exit_code == 0
    assert "exits 1" in " ".join(result.stdout.split())


def test_a_period_of_year_9999_is_refused_not_an_internal_error() -> None:
    """--period 9999-12 ran into year 10000 counting the month's end; a period's year lies
    where a deal file's dates may (1900 to 2199)."""
    args = [a if a != "2027-03" else "9999-12" for a in ARGS]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "years 1900 to 2199" in result.output and "internal error" not in result.output
