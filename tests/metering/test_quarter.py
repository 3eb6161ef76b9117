"""An SLA that settles per quarter: the quarter is one local span (2027-Q1 in New York is
2,159 hours, the spring-forward hour gone), its availability adds up from its months, its peak
demand is the largest of its months' peaks, and its fee is a quarter's worth."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copact.cli.app import app
from copact.core.mechanisms import Sla
from copact.core.money import Currency
from copact.core.sla import period_fee
from copact.metering.demo import DemoSpec, site_ids, write_demo
from copact.metering.engines import DuckDBEngine
from copact.metering.metrics import SitePeriod, availability, load_inputs, peak_demand
from copact.metering.periods import local_period, month_period, parse_period
from copact.metering.telemetry import read_telemetry
from copact.metering.windows import read_windows
from tests.conftest import EXAMPLES
from tests.metering.telemetry_cases import demo_dc1_args

ZONE = "America/New_York"
MONTHS = ("2027-01", "2027-02", "2027-03")
SPEC = DemoSpec(
    sites=2,
    start=date(2026, 12, 31),
    days=92,
    interval_s=300,
    seed=5,
    signals=("supply_ok", "capability", "utility_ok", "load_kw"),
)


def test_quarters_are_local_spans_of_three_months() -> None:
    q1 = local_period(ZONE, "2027-Q1")
    assert (q1.month, q1.months, q1.code) == ("2027-Q1", (202701, 202702, 202703), 202701)
    assert q1.start_ms == month_period(ZONE, "2027-01").start_ms
    assert q1.end_ms == month_period(ZONE, "2027-03").end_ms
    assert q1.ms == (90 * 24 - 1) * 3_600_000  # the spring-forward hour
    assert local_period(ZONE, "2027-Q4").ms == (92 * 24 + 1) * 3_600_000  # fall back
    assert local_period("UTC", "2027-q2").month == "2027-Q2"
    assert parse_period("2027-Q3") == (2027, 7, 3)
    for wrong in ("2027-Q5", "2027-Q0", "Q1-2027", "2027-13"):
        with pytest.raises(ValueError, match="YYYY-Qn"):
            parse_period(wrong)


def test_a_quarter_adds_up_from_its_months(tmp_path: Path) -> None:
    files = write_demo(tmp_path, SPEC, format="parquet")
    sites = dict.fromkeys(site_ids(SPEC), ZONE)
    telemetry, problems = read_telemetry(list(files.telemetry), sites)
    windows, more = read_windows(files.windows, sites)
    assert not problems + more
    quarters = [SitePeriod(s, local_period(ZONE, "2027-Q1")) for s in sites]
    months = [SitePeriod(s, month_period(ZONE, m)) for s in sites for m in MONTHS]
    found = {}
    for periods in (quarters, months):
        engine = DuckDBEngine()
        load_inputs(engine, telemetry, windows, periods)
        found[len(periods)] = (
            availability(engine, periods, tolerance_ms=300_000),
            peak_demand(engine, periods),
        )
        engine.close()
    (q_avail, q_peak), (m_avail, m_peak) = found[len(quarters)], found[len(months)]
    for site in sites:
        quarter = q_avail[(site, "2027-Q1")]
        parts = [m_avail[(site, m)] for m in MONTHS]
        assert quarter.numerator == sum(p.numerator for p in parts)
        assert quarter.denominator == sum(p.denominator for p in parts)
        assert quarter.unknown_s == sum(p.unknown_s for p in parts)
        assert quarter.value == Fraction(quarter.numerator) / quarter.denominator
        assert quarter.details["period_s"] == Fraction(90 * 24 - 1) * 3600
        assert 0 < quarter.value < 1  # the demo has outages: the quarter is not trivially up
        peaks = [m_peak[(site, m)].value for m in MONTHS]
        assert q_peak[(site, "2027-Q1")].value == max(p for p in peaks if p is not None)
        assert q_peak[(site, "2027-Q1")].details["valid_blocks"] == sum(
            m_peak[(site, m)].details["valid_blocks"] for m in MONTHS
        )


@pytest.mark.parametrize(
    ("every", "months", "fee", "noted"),
    [
        ("quarter", 3, "9000.00", False),
        ("month", 3, "27000.00", True),
        ("year", 3, "2250.00", True),
        ("quarter", 1, "3000.00", True),
        ("month", 1, "9000.00", False),
    ],
)
def test_the_fee_of_a_period_is_its_share_of_the_fee(
    every: str, months: int, fee: str, noted: bool
) -> None:
    sla = Sla.model_validate({"period": "quarter", "fee": {"amount": 9000, "every": every}})
    money, notes = period_fee(sla, Currency.of("USD"), months=months)
    assert money.amount == Decimal(fee)
    assert bool(notes) is noted


runner = CliRunner()


def _deal(tmp_path: Path, period: str) -> str:
    text = (EXAMPLES / "hybrid-dc1.yaml").read_text(encoding="utf-8")
    assert "  period: month\n" in text
    deal = tmp_path / f"dc1-{period}.yaml"
    deal.write_text(text.replace("  period: month\n", f"  period: {period}\n"), encoding="utf-8")
    return str(deal)


def test_meter_settles_a_quarter_for_a_quarterly_sla(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    made = runner.invoke(app, demo_dc1_args(out, start="2026-12-31", days=92))
    assert made.exit_code == 0, made.output
    inputs = ["-t", str(out / "telemetry.parquet"), "--windows", str(out / "windows.csv")]
    inputs += ["--tickets", str(out / "tickets.csv"), "-f", "json"]
    quarterly = _deal(tmp_path, "quarter")
    result = runner.invoke(app, ["meter", quarterly, *inputs, "--period", "2027-Q1"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["period"] == "2027-Q1"
    (site,) = doc["sites"]
    a = site["metrics"]["availability"]
    assert a["period_s"] == (90 * 24 - 1) * 3600
    settlement = site["settlement"]
    assert settlement["fee"] == "12000.00"  # 4,000 a month, three months
    assert Decimal(settlement["amount"]) == Decimal(settlement["fee"]) - Decimal(
        settlement["credits"]
    ) + Decimal(settlement["bonuses"])
    # the quarter's figures are its months' added up, each month metered on its own
    numerator = denominator = Fraction(0)
    for month in MONTHS:
        part = runner.invoke(app, ["meter", quarterly, *inputs, "--period", month])
        assert part.exit_code == 0, part.output
        (month_site,) = json.loads(part.stdout)["sites"]
        assert any("one month of it" in f for f in month_site["settlement"]["flags"])
        numerator += Fraction(month_site["metrics"]["availability"]["numerator"])
        denominator += Fraction(month_site["metrics"]["availability"]["denominator"])
    assert Fraction(a["numerator"]) == numerator
    assert Fraction(a["denominator"]) == denominator


def test_a_monthly_sla_refuses_a_quarter(tmp_path: Path) -> None:
    tel = str(EXAMPLES / "telemetry" / "dc1-2027-03.parquet")
    result = runner.invoke(
        app, ["meter", _deal(tmp_path, "month"), "-t", tel, "--period", "2027-Q1"]
    )
    assert result.exit_code == 2
    assert "settles per month" in result.stderr and "YYYY-MM" in result.stderr
    assert "Traceback" not in result.output
