"""The Monte Carlo of volume, cost-plus, bonuses, revenue share and convertible support
(issue 15 §10): worked examples by hand, the plan when nothing is uncertain, and the money
invariants under hypothesis."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.deal import Deal, Structure
from copact.dealfile.loader import load_text
from copact.dealfile.starters import starter_deal
from copact.finance.assumptions import Assumptions, load_assumptions
from copact.finance.flows import planned_flows
from copact.finance.montecarlo import (
    MECHANISMS,
    Model,
    build_model,
    draw,
    extra_flows,
    flows_by_run,
    npv_by_groups,
    simulate,
)
from copact.finance.returns import xnpv
from tests.conftest import EXAMPLES, paying_milestones

HEAT = (EXAMPLES / "heat-sensor-housing.yaml").read_text()
HEAT_31200 = HEAT.replace("commitment: 24000", "commitment: 31200")
SHORTFALL = HEAT_31200.replace("  true-up: annual\n", "  true-up: annual\n  shortfall: invoice\n")
START = date(2026, 7, 1)


def deal_of(text: str) -> Deal:
    loaded = load_text(text, "deal.yaml")
    assert loaded.deal is not None, [d.message for d in loaded.diagnostics]
    return loaded.deal


def starter(structure: Structure, *swaps: tuple[str, str]) -> Deal:
    text = starter_deal(structure, buyer="Acme LLC", supplier="Volt Inc", start=START)
    for old, new in swaps:
        assert old in text
        text = text.replace(old, new)
    return deal_of(text)


def spec(text: str) -> Assumptions:
    loaded = load_assumptions(text, "a.yml")
    assert isinstance(loaded, Assumptions), loaded
    return loaded


def run(deal: Deal, assumptions: str, runs: int = 200, seed: int = 1) -> tuple[Model, object]:
    model = build_model(deal, spec(assumptions))
    return model, simulate(model, runs=runs, rng=np.random.default_rng(seed), seed=seed)


def means(deal: Deal, assumptions: str, runs: int = 200) -> dict[str, dict[str, float]]:
    _, result = run(deal, assumptions, runs)
    return result.mechanisms  # type: ignore[attr-defined, no-any-return]


# --- worked examples ------------------------------------------------------------------------


def test_a_year_buying_120_percent_reaches_the_top_tier() -> None:
    """Commitment 31,200 × 120% = 37,440 housings ≥ 36,000: 5% × 37,440 × 6.85 = 5% ×
    256,464.00 = 12,823.20 a year, two years: 25,646.40 Kestrel → Ridgeline in every run."""
    m = means(deal_of(HEAT_31200), "volume: {quantity: [120%, 120%, 120%]}")
    assert m["ridgeline"]["rebate"] == pytest.approx(25646.40, abs=1e-6)
    assert m["kestrel"]["rebate"] == pytest.approx(-25646.40, abs=1e-6)


def test_a_year_below_the_commitment_invoices_the_shortfall() -> None:
    """80% of 31,200 = 24,960 reaches no tier: no rebate; with shortfall: invoice the 6,240
    housings short × 6.85 = 42,744.00 a year flow Ridgeline → Kestrel: 85,488.00."""
    m = means(deal_of(SHORTFALL), "volume: {quantity: [80%, 80%, 80%]}")
    assert m["kestrel"] == pytest.approx({"rebate": 0.0, "shortfall": 85488.0}, abs=1e-6)
    assert m["ridgeline"]["shortfall"] == pytest.approx(-85488.0, abs=1e-6)
    without = means(deal_of(HEAT_31200), "volume: {quantity: [80%, 80%, 80%]}")
    assert "shortfall" not in without["kestrel"]


def test_the_cap_cuts_a_cost_plus_overrun_and_an_underrun_is_reimbursed_less() -> None:
    """The cost-plus starter (costs 16,000 + 24,000 + 40,000 = 80,000.00, markup 10%, cap
    100,000.00; its milestones pay nothing): the plan reimburses 88,000.00, so the cap leaves
    12,000.00. A 20% overrun claims 16,000.00 + 1,600.00 = 17,600.00 more: 12,000.00 is
    reimbursed and Volt absorbs 5,600.00. A 5% overrun (4,000.00 + 400.00) is reimbursed
    whole; a 10% underrun is 8,800.00 less. At a cap of 88,000.00 nothing is left for it."""
    deal = starter(Structure.COST_PLUS_REIMBURSEMENT)
    costs = -sum(float(f.amount.amount) for f in planned_flows(deal)["volt"] if f.kind == "cost")
    assert costs == pytest.approx(80000.0)
    cut = means(deal, "costs: {overrun: [20%, 20%, 20%]}")
    assert cut["acme"]["overrun-reimbursed"] == pytest.approx(-12000.0, abs=1e-6)
    assert cut["volt"]["overrun-reimbursed"] == pytest.approx(12000.0, abs=1e-6)
    assert cut["volt"]["costs-reimbursed"] == pytest.approx(88000.0, abs=1e-6)
    whole = means(deal, "costs: {overrun: [5%, 5%, 5%]}")
    assert whole["volt"]["overrun-reimbursed"] == pytest.approx(4400.0, abs=1e-6)
    under = means(deal, "costs: {overrun: [-10%, -10%, -10%]}")
    assert under["acme"]["overrun-reimbursed"] == pytest.approx(8800.0, abs=1e-6)
    at_plan = starter(Structure.COST_PLUS_REIMBURSEMENT, ("cap: 100000", "cap: 88000"))
    assert means(at_plan, "costs: {overrun: [20%, 20%, 20%]}")["volt"][
        "overrun-reimbursed"
    ] == pytest.approx(0.0, abs=1e-6)


def test_milestones_that_release_the_costs_leave_the_cap_after_their_invoices() -> None:
    """The same deal with milestones paying 20/30/30/20% of 100,000.00 and its cap raised to
    110,000.00: the invoices are the plan, so 10,000.00 is left; a 20% overrun (17,600.00) is
    cut to it, and an underrun is not clawed back from the milestones' fixed amounts."""
    text = starter_deal(
        Structure.COST_PLUS_REIMBURSEMENT, buyer="Acme LLC", supplier="Volt Inc", start=START
    )
    deal = deal_of(paying_milestones(text).replace("cap: 100000", "cap: 110000"))
    cut = means(deal, "costs: {overrun: [20%, 20%, 20%]}")
    assert cut["volt"] == {"overrun-reimbursed": pytest.approx(10000.0, abs=1e-6)}
    under = means(deal, "costs: {overrun: [-10%, -10%, -10%]}")
    assert under["volt"] == {"overrun-reimbursed": pytest.approx(0.0, abs=1e-6)}


def test_a_bonus_is_paid_with_its_probability() -> None:
    """The innovation starter's 10,000.00 bonus: always at 100%, never at 0%, and at 40% in
    about 40% of 20,000 runs (mean ≈ 4,000.00)."""
    deal = starter(Structure.INNOVATION_PARTNERSHIP)
    assert means(deal, 'bonuses: {"*": {probability: 100%}}')["volt"]["bonus"] == 10000.0
    assert means(deal, 'bonuses: {"*": {probability: 0%}}')["volt"]["bonus"] == 0.0
    forty = means(deal, 'bonuses: {"*": {probability: 40%}}', runs=20_000)["volt"]["bonus"]
    assert forty == pytest.approx(4000.0, rel=0.03)
    assert means(deal, "runs: 10") == {"acme": {}, "volt": {}}  # no probability: no bonus


def test_revenue_share_of_the_scaled_sales() -> None:
    """5% of 412,000.00 a quarter for 17 quarters = 350,200.00 at a scale of 100%; at 50%
    every period is halved: 175,100.00."""
    deal = starter(Structure.ECOSYSTEM_ALLIANCE)
    sales = "revenue-share: {sales: 412000, every: quarter, from: 2027-01-01, scale: [S, S, S]}"
    full = means(deal, sales.replace("S", "100%"))
    assert full["volt"]["revenue-share"] == pytest.approx(350200.0, abs=1e-6)
    assert full["acme"]["revenue-share"] == pytest.approx(-350200.0, abs=1e-6)
    half = means(deal, sales.replace("S", "50%"))
    assert half["volt"]["revenue-share"] == pytest.approx(175100.0, abs=1e-6)


def test_service_credits_go_with_the_payments_they_settle() -> None:
    """Convertible starter, first window 2026-10-01: 23,000.00 credits settle design-approval
    and 3,000.00 of validated-sample in every run that passes them; when design-approval
    always fails, no payment is made and no credit is used."""
    deal = starter(Structure.CONVERTIBLE_SUPPORT, ("windows: [2027-07-01", "windows: [2026-10-01"))
    certain = means(deal, "runs: 10")
    assert certain["acme"] == pytest.approx({"support": -20000.0, "service-credits": 23000.0})
    failed = means(deal, "milestones: {design-approval: {pass: 0%}}")
    assert failed["acme"]["service-credits"] == 0.0
    assert failed["acme"]["support"] == -20000.0


def test_a_failed_deal_earns_no_rebate_bonus_or_revenue_share() -> None:
    """The missed-milestone exit ends the deal: the money that depends on the deliverable
    (volume, bonuses, revenue share) is not paid in that run."""
    fail = 'milestones: {"*": {pass: 0%}}\n'
    heat = means(deal_of(HEAT_31200), fail + "volume: {quantity: [120%, 120%, 120%]}")
    assert heat["ridgeline"]["rebate"] == 0.0
    bonus = means(
        starter(Structure.INNOVATION_PARTNERSHIP), fail + 'bonuses: {"*": {probability: 100%}}'
    )
    assert bonus["volt"]["bonus"] == 0.0


# --- the simulation agrees with the plan and with itself ------------------------------------


CERTAIN = [
    (deal_of(HEAT_31200), "runs: 10"),
    (starter(Structure.CONVERTIBLE_SUPPORT, ("windows: [2027-07-01", "windows: [2026-10-01")), ""),
    (starter(Structure.INNOVATION_PARTNERSHIP), 'bonuses: {"*": {probability: 100%}}'),
    (starter(Structure.ECOSYSTEM_ALLIANCE), "revenue-share: {sales: 412000, from: 2027-01-01}"),
    (starter(Structure.COST_PLUS_REIMBURSEMENT, ("cap: 100000", "cap: 110000")), ""),
]


@pytest.mark.parametrize(("deal", "text"), CERTAIN, ids=lambda x: getattr(x, "structure", ""))
def test_with_nothing_uncertain_the_simulation_is_the_plan(deal: Deal, text: str) -> None:
    """Every milestone passes on time, the quantity is the commitment, the bonus is certain,
    the sales are as written: each party's NPV in every run is the planned case's."""
    assumptions = spec(text or "runs: 10")
    _, result = run(deal, text or "runs: 10", runs=50)
    rate = float(deal.business_case.discount_rate.fraction)  # type: ignore[union-attr]
    for party, flows in planned_flows(deal, assumptions).items():
        planned = xnpv(
            rate, [(f.date, float(f.amount.amount)) for f in flows], start=deal.effective
        )
        stats = result.parties[party]  # type: ignore[attr-defined]
        assert stats.std == pytest.approx(0.0, abs=1e-6)
        assert stats.mean == pytest.approx(planned, rel=1e-9, abs=1e-6)


RISKY = """\
milestones: {"*": {pass: 90%, slip-days: [0, 10, 60]}}
costs: {overrun: [0%, 10%, 40%]}
volume: {quantity: [60%, 100%, 130%]}
bonuses: {"*": {probability: 50%}}
revenue-share: {sales: 412000, every: quarter, from: 2027-01-01, scale: [60%, 100%, 140%]}
"""


@pytest.mark.parametrize(
    "deal",
    [
        deal_of(SHORTFALL),
        starter(Structure.COST_PLUS_REIMBURSEMENT, ("cap: 100000", "cap: 130000")),
        starter(Structure.INNOVATION_PARTNERSHIP),
        starter(Structure.ECOSYSTEM_ALLIANCE),
    ],
    ids=lambda d: d.structure.value,
)
def test_the_groups_and_the_drawn_money_give_the_same_npv_as_every_flow(deal: Deal) -> None:
    model = build_model(deal, spec(RISKY))
    d = draw(model, np.random.default_rng(5), 300)
    k = np.log1p(model.rate) / 365
    for party, npv in npv_by_groups(model, d).items():
        amount, day = flows_by_run(model, d, party)
        assert np.allclose((amount * np.exp(-day * k)).sum(axis=1), npv, rtol=1e-12, atol=1e-6)


# --- invariants -----------------------------------------------------------------------------

_PCT = st.integers(min_value=0, max_value=200)


def _triple(values: list[int]) -> str:
    lo, mode, hi = sorted(values)
    return f"[{lo}%, {mode}%, {hi}%]"


@settings(max_examples=30, deadline=None)
@given(st.lists(_PCT, min_size=3, max_size=3), st.integers(0, 2**32 - 1))
def test_a_rebate_never_exceeds_the_top_rate_on_the_years_purchases(
    q: list[int], seed: int
) -> None:
    deal = deal_of(SHORTFALL)
    model = build_model(deal, spec(f"volume: {{quantity: {_triple(q)}}}"))
    d = draw(model, np.random.default_rng(seed), 200)
    assert model.volume is not None
    purchases = model.volume.commitment[None, :] * d.volume * model.volume.price
    by = {e.mechanism: e.amount for e in extra_flows(model, d)}
    assert np.all(by["rebate"] >= 0) and np.all(by["rebate"] <= 0.05 * purchases + 0.005)
    quantity = model.volume.commitment[None, :] * d.volume
    assert np.all(by["shortfall"] >= 0)
    assert np.all(by["shortfall"][quantity >= model.volume.commitment[None, :]] == 0)


@settings(max_examples=30, deadline=None)
@given(
    cap=st.integers(min_value=100_000, max_value=160_000),
    overrun=st.lists(st.integers(min_value=-50, max_value=150), min_size=3, max_size=3),
    markup=st.integers(min_value=0, max_value=30),
    staged=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_cost_plus_never_takes_the_buyers_total_above_the_cap(
    cap: int, overrun: list[int], markup: int, staged: bool, seed: int
) -> None:
    """Staged (the milestones pay nothing) or not, what the buyer pays for the work in a run,
    the passed milestones' planned money plus the overrun's reimbursement, stays between
    nothing and the cap; an underrun never takes back more than was planned."""
    text = starter_deal(
        Structure.COST_PLUS_REIMBURSEMENT, buyer="Acme LLC", supplier="Volt Inc", start=START
    )
    if not staged:
        text = paying_milestones(text)
    text = text.replace("cap: 100000", f"cap: {cap}").replace("markup: 10%", f"markup: {markup}%")
    deal = deal_of(text)
    assumptions = f'milestones: {{"*": {{pass: 80%}}}}\ncosts: {{overrun: {_triple(overrun)}}}'
    model = build_model(deal, spec(assumptions))
    d = draw(model, np.random.default_rng(seed), 300)
    (extra,) = extra_flows(model, d)
    passed = np.arange(model.invoice.size)[None, :] < d.first_fail[:, None]
    planned = passed @ (model.invoice + np.diff(model.reimbursed, prepend=0.0))
    total = planned + extra.amount.sum(axis=1)
    assert np.all(total <= cap + 1e-6)
    assert np.all(total >= -1e-6)
    if not staged:
        assert np.all(extra.amount >= -1e-9)


@settings(max_examples=30, deadline=None)
@given(
    window=st.dates(min_value=date(2026, 7, 1), max_value=date(2028, 6, 30)),
    seed=st.integers(0, 2**32 - 1),
)
def test_credits_used_in_a_run_never_exceed_those_issued(window: date, seed: int) -> None:
    deal = starter(
        Structure.CONVERTIBLE_SUPPORT, ("windows: [2027-07-01", f"windows: [{window.isoformat()}")
    )
    model = build_model(deal, spec('milestones: {"*": {pass: 70%, slip-days: [0, 5, 30]}}'))
    d = draw(model, np.random.default_rng(seed), 300)
    amount, _ = flows_by_run(model, d, "acme")
    pf = model.parties["acme"]
    credits = amount[:, : pf.amount.size][:, pf.mech == MECHANISMS.index("service-credits")]
    assert np.all(credits >= 0) and np.all(credits.sum(axis=1) <= 23000.0 + 1e-6)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_same_seed_gives_the_same_result(seed: int) -> None:
    deal = deal_of(SHORTFALL)
    model = build_model(deal, spec(RISKY))
    a = simulate(model, runs=500, rng=np.random.default_rng(seed), seed=seed)
    b = simulate(model, runs=500, rng=np.random.default_rng(seed), seed=seed)
    assert a.parties == b.parties and a.mechanisms == b.mechanisms
    assert all(np.array_equal(a.npv[p], b.npv[p]) for p in a.npv)
