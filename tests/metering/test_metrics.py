"""Worked examples of the SLA metrics (DESIGN §6.3), each figure derived by hand in the test.

The deal is examples/hybrid-dc1.yaml: site dc1 in America/New_York, gap tolerance 5 minutes,
unknown time counts as down. Telemetry is a sample every 5 minutes unless a test says otherwise,
so each sample holds exactly until the next one and nothing is unknown by accident.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from copact.core.mechanisms import Metric
from tests.metering.telemetry_cases import Row, every, hybrid, meter, replace_between

MARCH_S = 743 * 3600  # 2027-03-01 00:00 EST to 2027-04-01 00:00 EDT: the clock loses an hour
NOVEMBER_S = 721 * 3600  # 2027-11-01 00:00 EDT to 2027-12-01 00:00 EST: it gains one
MARCH = ("2027-03-01T00:00:00-05:00", "2027-04-01T00:00:00-04:00")
NOVEMBER = ("2027-11-01T00:00:00-04:00", "2027-12-01T00:00:00-05:00")


def supply_all_month(start: str, end: str) -> list[Row]:
    return every(start, end, signal="supply_ok", value=1)


def metric(**fields: object) -> Metric:
    return Metric.model_validate(fields)


def test_a_743_hour_march_with_a_30_minute_outage_earns_the_5_percent_credit(
    tmp_path: Path,
) -> None:
    rows = replace_between(
        supply_all_month(*MARCH), "2027-03-10T10:00:00-05:00", "2027-03-10T10:30:00-05:00", 0
    )
    site = meter(tmp_path, hybrid(), rows).sites[0]
    a = site.metrics["availability"]
    assert site.period.ms == MARCH_S * 1000
    assert a.details["forced_s"] == 1800
    # 1 − 1800 / 2,674,800 = 99.9327%: below 99.95% (5%), not below 99.5% (15%)
    assert a.value == 1 - Fraction(1800, MARCH_S)
    assert (a.numerator, a.denominator) == (MARCH_S - 1800, MARCH_S)
    assert a.unknown_s == 0 and a.coverage == 1
    assert site.settlement.credit_rate == Fraction(5, 100)
    assert str(site.settlement.amount) == "3800.00 USD"  # 4000 × (1 − 5%)


def test_a_721_hour_november_gap_longer_than_the_tolerance_is_unknown(tmp_path: Path) -> None:
    # samples at 11:55 and then 12:30: the 11:55 sample holds 5 minutes, 12:00–12:30 is unknown
    rows = replace_between(
        supply_all_month(*NOVEMBER), "2027-11-15T12:00:00-05:00", "2027-11-15T12:30:00-05:00", None
    )
    down = meter(tmp_path, hybrid(), rows, month="2027-11").sites[0]
    a = down.metrics["availability"]
    assert down.period.ms == NOVEMBER_S * 1000
    assert a.unknown_s == 1800
    assert a.details["a_high"] == 1
    assert a.details["a_low"] == 1 - Fraction(1800, NOVEMBER_S)  # 99.9307%
    assert a.value == a.details["a_low"]  # unknown: down settles on A_low
    assert a.coverage == 1 - Fraction(1800, NOVEMBER_S)
    assert str(down.settlement.amount) == "3800.00 USD"

    up = meter(tmp_path, hybrid(unknown="up"), rows, month="2027-11").sites[0]
    assert up.metrics["availability"].value == 1  # A_high: 100% ≥ 99.99%, the 2% bonus
    assert str(up.settlement.amount) == "4080.00 USD"


def test_a_planned_window_covers_its_approved_span_and_the_overrun_is_forced(
    tmp_path: Path,
) -> None:
    # approved 02:00–04:00; the work keeps the load down until 05:00
    rows = replace_between(
        supply_all_month(*MARCH), "2027-03-10T02:00:00-05:00", "2027-03-10T05:00:00-05:00", 0
    )
    window = ("dc1", "2027-03-10T02:00:00-05:00", "2027-03-10T04:00:00-05:00", "planned")
    a = meter(tmp_path, hybrid(), rows, windows=[window]).sites[0].metrics["availability"]
    assert a.details["planned_s"] == 7200
    assert a.details["forced_s"] == 3600  # 04:00–05:00
    assert a.denominator == MARCH_S - 7200  # D = period − planned
    assert a.value == 1 - Fraction(3600, MARCH_S - 7200)


def test_an_excluded_window_takes_its_outage_and_its_gap_out_of_the_period(
    tmp_path: Path,
) -> None:
    # force majeure 12:00–13:00 EDT: the load is down and the telemetry drops out inside it
    rows = replace_between(
        supply_all_month(*MARCH), "2027-03-20T12:00:00-04:00", "2027-03-20T13:00:00-04:00", 0
    )
    rows = replace_between(rows, "2027-03-20T12:20:00-04:00", "2027-03-20T12:40:00-04:00", None)
    window = ("dc1", "2027-03-20T12:00:00-04:00", "2027-03-20T13:00:00-04:00", "excluded")
    site = meter(tmp_path, hybrid(), rows, windows=[window]).sites[0]
    a = site.metrics["availability"]
    assert a.details["excluded_s"] == 3600
    assert a.details["forced_s"] == 0 and a.unknown_s == 0
    assert a.denominator == MARCH_S - 3600
    assert a.value == 1
    assert str(site.settlement.amount) == "4080.00 USD"  # 100% earns the 2% bonus


def test_degraded_capability_counts_by_the_share_missing_and_forced_outranks_it(
    tmp_path: Path,
) -> None:
    rows = supply_all_month(*MARCH)
    # half the backup capability for three hours: 3 h × (1 − 0.5) = 5,400 s of downtime
    rows += every(
        "2027-03-05T00:00:00-05:00", "2027-03-05T03:00:00-05:00", signal="capability", value=0.5
    )
    rows.append(("dc1", "2027-03-05T03:00:00-05:00", "capability", 1))
    a = meter(tmp_path, hybrid(), rows).sites[0].metrics["availability"]
    assert a.details["degraded_s"] == 10800
    assert a.details["degraded_weighted_s"] == 5400
    assert a.value == 1 - Fraction(5400, MARCH_S)

    # a forced outage 01:00–01:30 inside the degraded hours is forced, not degraded
    rows = replace_between(rows, "2027-03-05T01:00:00-05:00", "2027-03-05T01:30:00-05:00", None)
    rows += every(
        "2027-03-05T01:00:00-05:00", "2027-03-05T01:30:00-05:00", signal="supply_ok", value=0
    )
    rows += every(
        "2027-03-05T01:00:00-05:00", "2027-03-05T01:30:00-05:00", signal="capability", value=0.5
    )
    a = meter(tmp_path, hybrid(), rows).sites[0].metrics["availability"]
    assert a.details["forced_s"] == 1800
    assert a.details["degraded_s"] == 10800 - 1800
    assert a.value == 1 - Fraction(1800 + 9000 // 2, MARCH_S)


def test_ride_through_is_served_time_over_utility_outage_time_and_null_without_one(
    tmp_path: Path,
) -> None:
    deal = hybrid(metrics=[metric(id="ride", measure="ride-through")])
    rows = supply_all_month(*MARCH)
    rows += every(*MARCH, signal="utility_ok", value=1)
    assert meter(tmp_path, deal, rows).sites[0].metrics["ride"].value is None

    # the grid is out 10:00–10:30; the backup carries the load for 20 minutes, then drops it
    rows = replace_between(rows, "2027-03-12T10:00:00-05:00", "2027-03-12T10:30:00-05:00", None)
    rows += every(
        "2027-03-12T10:00:00-05:00", "2027-03-12T10:30:00-05:00", signal="utility_ok", value=0
    )
    rows += every(
        "2027-03-12T10:00:00-05:00", "2027-03-12T10:20:00-05:00", signal="supply_ok", value=1
    )
    rows += every(
        "2027-03-12T10:20:00-05:00", "2027-03-12T10:30:00-05:00", signal="supply_ok", value=0
    )
    r = meter(tmp_path, deal, rows).sites[0].metrics["ride"]
    assert (r.numerator, r.denominator) == (1200, 1800)
    assert r.value == Fraction(2, 3)


TICKETS = [
    # 10:00–12:00 with 30 minutes on hold: 1.5 h to repair; acknowledged 10 minutes after alert
    (
        "dc1",
        "T-1",
        "2027-03-10T10:00:00-05:00",
        "2027-03-10T10:02:00-05:00",
        "2027-03-10T10:12:00-05:00",
        "2027-03-10T12:00:00-05:00",
        "30",
    ),
    # starts on the last evening of March, restored in April after 4.5 h
    (
        "dc1",
        "T-2",
        "2027-03-31T22:00:00-04:00",
        "2027-03-31T22:01:00-04:00",
        "2027-03-31T22:31:00-04:00",
        "2027-04-01T02:30:00-04:00",
        "",
    ),
]


def test_a_ticket_restored_next_month_is_censored_now_and_settles_then(tmp_path: Path) -> None:
    deal = hybrid(
        metrics=[
            metric(
                id="repair",
                measure="time-to-repair",
                target="4h",
                credits=[{"above": "4h", "credit": "5%"}],
            ),
            metric(id="response", measure="response-time", target="15m"),
        ]
    )
    rows = supply_all_month(*MARCH)
    march = meter(tmp_path, deal, rows, tickets=TICKETS).sites[0]
    repair, response = march.metrics["repair"], march.metrics["response"]
    assert repair.value == 5400  # 2 h − 30 min hold
    assert repair.details["censored"] == 1  # T-2 is still open when March ends
    assert response.value == 600
    assert march.settlement.credit_rate == 0
    assert any("open at the end of the period" in f for f in march.settlement.flags)

    april = meter(tmp_path, deal, rows, tickets=TICKETS, month="2027-04").sites[0]
    repair = april.metrics["repair"]
    assert repair.value == 4 * 3600 + 1800  # 22:00 → 02:30
    assert repair.details["censored"] == 0
    assert {t.metric: t.credit for t in april.settlement.terms}["repair"] == Fraction(5, 100)


def test_repair_stats_mean_p90_and_max(tmp_path: Path) -> None:
    tickets = [
        (
            "dc1",
            f"T-{h}",
            "2027-03-10T00:00:00-05:00",
            "2027-03-10T00:00:00-05:00",
            "",
            f"2027-03-10T{h:02d}:00:00-05:00",
            "",
        )
        for h in range(1, 11)
    ]  # repairs of 1 h, 2 h, …, 10 h
    for stat, hours in (("mean", Fraction(55, 10)), ("p90", 9), ("max", 10)):
        deal = hybrid(metrics=[metric(id="repair", measure="time-to-repair", stat=stat)])
        site = meter(tmp_path, deal, supply_all_month(*MARCH), tickets=tickets).sites[0]
        assert site.metrics["repair"].value == hours * 3600, stat
        # numerator and denominator stay the sum and the count, so months can be combined
        assert site.metrics["repair"].numerator == 55 * 3600
        assert site.metrics["repair"].denominator == 10


def test_peak_demand_takes_the_largest_valid_15_minute_block(tmp_path: Path) -> None:
    deal = hybrid(metrics=[metric(id="peak", measure="peak-demand")])
    # 1,440 one-minute samples at 100 kW: 96 full blocks
    rows = every(
        "2027-03-10T00:00:00-05:00",
        "2027-03-11T00:00:00-05:00",
        signal="load_kw",
        value=100,
        minutes=1,
    )
    rows = replace_between(rows, "2027-03-10T14:00:00-05:00", "2027-03-10T14:15:00-05:00", 250)
    # 15:00 block: 12 of 15 samples (80%, valid) at 300 kW
    rows = replace_between(rows, "2027-03-10T15:00:00-05:00", "2027-03-10T15:15:00-05:00", 300)
    rows = replace_between(rows, "2027-03-10T15:12:00-05:00", "2027-03-10T15:15:00-05:00", None)
    # 16:00 block: 11 of 15 samples (73%, invalid) at 900 kW
    rows = replace_between(rows, "2027-03-10T16:00:00-05:00", "2027-03-10T16:15:00-05:00", 900)
    rows = replace_between(rows, "2027-03-10T16:11:00-05:00", "2027-03-10T16:15:00-05:00", None)
    p = meter(tmp_path, deal, rows).sites[0].metrics["peak"]
    assert p.value == 300
    assert p.details["peak_at"] == "2027-03-10T20:00:00Z"
    assert p.details["valid_blocks"] == 95 and p.details["expected_samples"] == 15
    assert p.details["blocks"] == 743 * 4
    # 95 valid blocks sorted: 93 × 100, 250, 300. p95 sits at 0.95 × 94 = 89.3 → 100;
    # p99 at 0.99 × 94 = 93.06 → 250 + 0.06 × (300 − 250) = 253
    assert p.details["p95"] == 100
    assert p.details["p99"] == 253
    mean = Fraction(93 * 15 * 100 + 15 * 250 + 12 * 300, 93 * 15 + 15 + 12)
    assert p.details["load_factor"] == mean / 300


def test_the_fall_back_day_has_100_blocks_and_none_is_doubled(tmp_path: Path) -> None:
    deal = hybrid(metrics=[metric(id="peak", measure="peak-demand")])
    # 2027-11-07 in New York lasts 25 hours: 04:00Z to 05:00Z the next day
    rows = every(
        "2027-11-07T00:00:00-04:00",
        "2027-11-08T00:00:00-05:00",
        signal="load_kw",
        value=100,
        minutes=1,
    )
    assert len(rows) == 25 * 60
    p = meter(tmp_path, deal, rows, month="2027-11").sites[0].metrics["peak"]
    assert p.details["valid_blocks"] == 100
    assert p.details["expected_samples"] == 15
    assert p.value == 100


def test_monitoring_uptime_counts_heartbeats_on_the_utc_grid(tmp_path: Path) -> None:
    deal = hybrid(metrics=[metric(id="monitoring", measure="monitoring-uptime")])
    rows = every(*MARCH, signal="heartbeat", value=1, minutes=1)
    rows = replace_between(rows, "2027-03-03T08:00:00-05:00", "2027-03-03T09:00:00-05:00", None)
    m = meter(tmp_path, deal, rows).sites[0].metrics["monitoring"]
    assert m.details["interval_s"] == 60
    assert (m.numerator, m.denominator) == (743 * 60 - 60, 743 * 60)
    assert m.value == Fraction(743 * 60 - 60, 743 * 60)


def test_battery_cycles_from_the_counter_skip_resets_and_long_gaps(tmp_path: Path) -> None:
    deal = hybrid(metrics=[metric(id="cycles", measure="battery-cycles")])  # usable 500 kWh
    counter = [
        ("2027-03-02T00:00:00-05:00", 1000),
        ("2027-03-02T00:10:00-05:00", 1250),  # +250
        ("2027-03-02T00:20:00-05:00", 1500),  # +250
        ("2027-03-02T01:00:00-05:00", 1900),  # +400 across a 40-minute gap: not counted
        ("2027-03-02T01:05:00-05:00", 0),  # the counter was reset: not a discharge
        ("2027-03-02T01:10:00-05:00", 125),  # +125
    ]
    rows: list[Row] = [("dc1", ts, "batt_discharge_kwh", v) for ts, v in counter]
    c = meter(tmp_path, deal, rows).sites[0].metrics["cycles"]
    assert c.numerator == 625 and c.denominator == 500
    assert c.value == Fraction(625, 500)
    assert c.unknown_s == 40 * 60


def test_fuel_efficiency_counts_runs_of_10_minutes_and_leaves_out_refuels(tmp_path: Path) -> None:
    deal = hybrid(metrics=[metric(id="fuel", measure="fuel-efficiency")])
    day = "2027-03-08T{}:00-05:00"
    rows = every(day.format("10:00"), day.format("10:30"), signal="gen_running", value=1, minutes=1)
    rows.append(("dc1", day.format("10:30"), "gen_running", 0))
    # a 5-minute test run at noon is too short to count, and so is its energy
    rows += every(
        day.format("12:00"), day.format("12:05"), signal="gen_running", value=1, minutes=1
    )
    rows.append(("dc1", day.format("12:05"), "gen_running", 0))
    rows += every(day.format("12:00"), day.format("12:05"), signal="gen_kw", value=350, minutes=1)
    # 200 kW for the 30 minutes of the long run: 100 kWh
    rows += every(day.format("10:00"), day.format("10:30"), signal="gen_kw", value=200, minutes=1)
    # the tank: 500 → 480 (20 l burned), refuelled to 600 (not a burn), → 570 (30 l burned)
    for at, litres in (("10:00", 500), ("10:10", 480), ("10:15", 600), ("10:29", 570)):
        rows.append(("dc1", day.format(at), "fuel_l", litres))
    f = meter(tmp_path, deal, rows).sites[0].metrics["fuel"]
    assert f.numerator == 100 and f.denominator == 50
    assert f.value == 2  # kWh per litre
    assert f.details["runs_count"] == 1 and f.details["run_s"] == 1800
