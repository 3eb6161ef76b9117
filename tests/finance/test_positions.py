"""Peak exposure and payback read the position at the end of each day (DESIGN §7), so the order
in which a day's flows are listed never changes them — in the plan or in the Monte Carlo."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.finance.assumptions import Assumptions
from copact.finance.flows import planned_flows
from copact.finance.montecarlo import build_model, end_of_day_lows, simulate
from copact.finance.planned import planned_case
from copact.finance.returns import payback, peak_exposure
from tests.conftest import load_example

HYBRID = load_example("hybrid-dc1.yaml")


def test_a_fee_and_a_benefit_on_the_same_day_do_not_dip_in_between() -> None:
    # the buyer has paid 1,000; on 1 May it pays a 4,000 fee and books 6,000 of avoided downtime
    may = date(2027, 5, 1)
    fee_first = [(date(2027, 4, 1), -1000.0), (may, -4000.0), (may, 6000.0)]
    benefit_first = [(date(2027, 4, 1), -1000.0), (may, 6000.0), (may, -4000.0)]
    for flows in (fee_first, benefit_first):
        assert peak_exposure(flows) == -1000.0  # −1,000 at the end of April, +1,000 of May
        assert payback(flows) == may


def test_a_day_that_dips_and_recovers_is_not_a_payback() -> None:
    # end of day 1: −100; day 2 brings +150 and −150: still −100 at its end, so no payback yet
    flows = [(date(2026, 1, 1), -100.0), (date(2026, 1, 2), 150.0), (date(2026, 1, 2), -150.0)]
    assert payback(flows) is None
    assert payback([*flows, (date(2026, 1, 3), 100.0)]) == date(2026, 1, 3)


flows_lists = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=20).map(lambda n: date(2026, 1, 1) + timedelta(n)),
        st.decimals(min_value=-(10**6), max_value=10**6, places=2).map(float),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(flows_lists, st.randoms(use_true_random=False))
def test_shuffling_same_day_flows_never_changes_peak_exposure_or_payback(
    flows: list[tuple[date, float]], rnd: random.Random
) -> None:
    shuffled = list(flows)
    rnd.shuffle(shuffled)  # the sort by date keeps the shuffled order within each day
    assert peak_exposure(shuffled) == peak_exposure(flows)
    assert payback(shuffled) == payback(flows)


@settings(max_examples=300, deadline=None)
@given(flows_lists)
def test_peak_exposure_is_the_lowest_end_of_day_position(flows: list[tuple[date, float]]) -> None:
    days = sorted({d for d, _ in flows})
    ends = [sum(a for d, a in flows if d <= day) for day in days]
    assert peak_exposure(flows) == pytest.approx(min([0.0, *ends]), abs=1e-6)


def test_the_hybrid_buyers_peak_exposure_counts_the_may_benefit_against_the_may_fee() -> None:
    # acme pays the last milestone (stable-90-days) on 2027-04-30; from 2027-01-01 its SLA fee
    # (4,000), its gainshare base fee (1,500) and its avoided downtime (+6,000) fall on the 1st
    # of each month. The low point is the end of 2027-04-30, not the moment on 1 May between
    # paying the fees and booking the benefit (5,500 lower)
    assert planned_case(HYBRID)["parties"]["acme"]["peak_exposure"] == ACME_LOW


def _acme_low() -> str:
    flows = planned_flows(HYBRID)["acme"]
    return f"{sum(float(f.amount.amount) for f in flows if f.date <= date(2027, 4, 30)):.2f}"


ACME_LOW = _acme_low()


def test_the_monte_carlo_peak_exposure_reads_end_of_day_positions_too() -> None:
    model = build_model(HYBRID, Assumptions.certain())
    result = simulate(model, runs=200, rng=np.random.default_rng(1), seed=1)
    assert f"{result.parties['acme'].peak_exposure_p95:.2f}" == ACME_LOW
    planned = planned_case(HYBRID)["parties"]
    for party, stats in result.parties.items():
        assert f"{stats.peak_exposure_p95:.2f}" == planned[party]["peak_exposure"]


@settings(max_examples=200, deadline=None)
@given(flows_lists, st.randoms(use_true_random=False), st.floats(min_value=0, max_value=0.99))
def test_the_monte_carlo_low_is_the_planned_low_whatever_the_order_in_a_day(
    flows: list[tuple[date, float]], rnd: random.Random, slip: float
) -> None:
    start = date(2026, 1, 1)
    shuffled = list(flows)
    rnd.shuffle(shuffled)
    # one run whose flows all slipped by less than a day: still on the same days
    amount = np.array([[a for _, a in shuffled]], dtype=float)
    day = np.array([[(d - start).days + slip for d, _ in shuffled]], dtype=float)
    (low,) = end_of_day_lows(amount, day)
    assert low == pytest.approx(peak_exposure(flows), abs=1e-6)
