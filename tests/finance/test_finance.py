"""Planned flows, XNPV/XIRR, and the Monte Carlo: worked examples and properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.finance.assumptions import Assumptions, load_assumptions
from copact.finance.flows import planned_flows
from copact.finance.montecarlo import build_model, draw, flows_by_run, npv_by_groups, simulate
from copact.finance.returns import payback, peak_exposure, xirr, xnpv
from tests.conftest import EXAMPLES, load_example

HYBRID = load_example("hybrid-dc1.yaml")
RISK = load_assumptions((EXAMPLES / "hybrid-dc1.risk.yml").read_text(), "risk.yml")
assert isinstance(RISK, Assumptions)


def test_xnpv_of_two_flows_by_hand() -> None:
    # −1,000 today and +1,100 in 365 days at 10 %: 1,100 / 1.1 = 1,000 → NPV 0, IRR 10 %
    flows = [(date(2026, 1, 1), -1000.0), (date(2027, 1, 1), 1100.0)]
    assert xnpv(0.10, flows, start=date(2026, 1, 1)) == pytest.approx(0.0, abs=1e-9)
    assert xirr(flows, start=date(2026, 1, 1)) == pytest.approx(0.10, abs=1e-9)
    # at 8 %: −1,000 + 1,100 / 1.08 = 18.5185…
    assert xnpv(0.08, flows, start=date(2026, 1, 1)) == pytest.approx(18.518518, abs=1e-6)


def test_xirr_is_none_when_flows_never_change_sign() -> None:
    assert xirr([(date(2026, 1, 1), 5.0), (date(2026, 6, 1), 7.0)], start=date(2026, 1, 1)) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=5000), min_size=2, max_size=12),
    st.integers(min_value=100, max_value=20000),
)
def test_xirr_agrees_with_numpy_financial_on_even_periods(returns: list[int], outlay: int) -> None:
    # yearly flows exactly 365 days apart make XIRR the textbook IRR
    start = date(2026, 1, 1)
    values = [-float(outlay), *map(float, returns)]
    flows = [(start + timedelta(days=365 * i), v) for i, v in enumerate(values)]
    expected = npf.irr(values)
    found = xirr(flows, start=start)
    if np.isnan(expected) or expected < -0.99:
        return
    assert found is not None and found == pytest.approx(expected, rel=1e-6, abs=1e-8)
    assert xnpv(found, flows, start=start) == pytest.approx(0.0, abs=1e-6 * outlay)


@given(
    st.lists(
        st.tuples(st.integers(0, 3000), st.integers(-(10**6), 10**6)), min_size=1, max_size=30
    ),
    st.floats(min_value=0.0, max_value=0.5),
)
def test_xnpv_is_the_direct_discounted_sum(raw: list[tuple[int, int]], rate: float) -> None:
    start = date(2026, 1, 1)
    flows = [(start + timedelta(days=d), float(a)) for d, a in raw]
    direct = sum(a * (1 + rate) ** (-(d - start).days / 365) for d, a in flows)
    assert xnpv(rate, flows, start=start) == pytest.approx(direct, rel=1e-9, abs=1e-6)


def test_peak_exposure_and_payback_by_hand() -> None:
    flows = [
        (date(2026, 1, 1), -100.0),
        (date(2026, 2, 1), -50.0),
        (date(2026, 3, 1), 120.0),
        (date(2026, 4, 1), 40.0),
    ]
    assert peak_exposure(flows) == -150.0
    assert payback(flows) == date(2026, 4, 1)  # −150, −30, then +10


def test_planned_flows_of_the_hybrid_deal() -> None:
    flows = planned_flows(HYBRID)
    acme = {(f.date, f.label): f.amount.amount for f in flows["acme"]}
    # hardware-delivery: 88,200 invoice, due 2026-10-01 + 30 days
    assert acme[(date(2026, 10, 31), "hardware-delivery")] == Decimal("-88200.00")
    # the SLA fee from 2027-01-01, monthly; avoided downtime +6,000 a month from the same day
    assert acme[(date(2027, 1, 1), "sla fee")] == Decimal("-4000")
    assert acme[(date(2027, 1, 1), "avoided downtime")] == Decimal("6000")
    # the supplier's design cost (60,000) falls on design-approval's due date
    volt = {(f.date, f.label): f.amount.amount for f in flows["voltworks"]}
    assert volt[(date(2026, 7, 15), "cost of design-approval")] == Decimal("-60000.00")
    # nothing at or after the 60-month horizon (2031-06-01)
    assert max(f.date for f in flows["acme"]) < date(2031, 6, 1)


def test_the_groups_give_the_same_npv_as_every_flow() -> None:
    model = build_model(HYBRID, RISK)
    d = draw(model, np.random.default_rng(3), 400)
    k = np.log1p(model.rate) / 365
    for party, npv in npv_by_groups(model, d).items():
        amount, day = flows_by_run(model, d, party)
        assert np.allclose((amount * np.exp(-day * k)).sum(axis=1), npv, rtol=1e-12, atol=1e-6)


def test_a_seeded_simulation_is_reproducible() -> None:
    model = build_model(HYBRID, RISK)
    a = simulate(model, runs=3000, rng=np.random.default_rng(7), seed=7)
    b = simulate(model, runs=3000, rng=np.random.default_rng(7), seed=7)
    assert a.parties == b.parties and a.completion == b.completion


def test_certain_milestones_complete_every_run_and_match_the_plan() -> None:
    model = build_model(HYBRID, Assumptions.certain())
    result = simulate(model, runs=500, rng=np.random.default_rng(1), seed=1)
    assert result.completion == 1.0
    rate = float(HYBRID.business_case.discount_rate.fraction)  # type: ignore[union-attr]
    for party, flows in planned_flows(HYBRID).items():
        planned = xnpv(
            rate, [(f.date, float(f.amount.amount)) for f in flows], start=HYBRID.effective
        )
        assert result.parties[party].std == pytest.approx(0.0, abs=1e-6)
        assert result.parties[party].mean == pytest.approx(planned, rel=1e-9)


def test_a_failing_first_milestone_refunds_the_unused_advance() -> None:
    heat = load_example("heat-sensor-housing.yaml")
    text = 'milestones: {"*": {pass: 100%}, design-freeze: {pass: 0%}}\n'
    spec = load_assumptions(text, "a.yml")
    assert isinstance(spec, Assumptions)
    model = build_model(heat, spec)
    d = draw(model, np.random.default_rng(0), 10)
    # nothing was earned: unused = the 30,000 advance; claimed = the design cost share of
    # design-freeze (55,000 × 20/45 = 24,444.44) with no overrun; deduction capped at 15 %
    assert np.all(d.failed)
    assert np.allclose(d.refund, 30000 - 0.15 * 30000)


def test_assumption_errors_have_their_line() -> None:
    problems = load_assumptions(
        "runs: 10\nmilestones:\n  '*': {pass: 95%, slip-days: [5, 1, 9]}\n", "a.yml"
    )
    assert isinstance(problems, list) and problems[0].line == 3
