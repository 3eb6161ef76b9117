"""The planned money of volume, convertible, bonuses, revenue share and cost-plus
(`copact simulate`, issue 15 §10): worked examples by hand and the invariants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.conversion import conversion_ratio
from copact.core.deal import Deal, Structure
from copact.dealfile.loader import load_text
from copact.dealfile.starters import starter_deal
from copact.finance.assumptions import Assumptions, load_assumptions
from copact.finance.flows import Flow, planned_flows
from copact.finance.mechanisms import cost_plus_headroom, volume_years
from copact.finance.planned import planned_case
from tests.conftest import EXAMPLES, paying_milestones

HEAT = (EXAMPLES / "heat-sensor-housing.yaml").read_text()
START = date(2026, 7, 1)


def deal_of(text: str) -> Deal:
    loaded = load_text(text, "deal.yaml")
    assert loaded.deal is not None, [d.message for d in loaded.diagnostics]
    return loaded.deal


def starter(structure: Structure, *, replace: tuple[str, str] | None = None) -> Deal:
    text = starter_deal(structure, buyer="Acme LLC", supplier="Volt Inc", start=START)
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    return deal_of(text)


def assumptions(text: str) -> Assumptions:
    spec = load_assumptions(text, "a.yml")
    assert isinstance(spec, Assumptions), spec
    return spec


def of_kind(flows: list[Flow], kind: str) -> list[tuple[date, Decimal]]:
    return [(f.date, f.amount.amount) for f in flows if f.kind == kind]


# --- volume ---------------------------------------------------------------------------------


def test_a_commitment_above_a_tier_earns_its_rebate_at_each_year_end() -> None:
    """heat-sensor-housing with 31,200 housings a year at 6.85 from 2026-07-01, 24 months:
    31,200 reaches the 3% tier (30,000), 3% × 213,720.00 = 6,411.60, Kestrel → Ridgeline on
    the last day of each contract year, 2027-06-30 and 2028-06-30."""
    deal = deal_of(HEAT.replace("commitment: 24000", "commitment: 31200"))
    flows = planned_flows(deal)
    rebate = [(date(2027, 6, 30), Decimal("6411.60")), (date(2028, 6, 30), Decimal("6411.60"))]
    assert of_kind(flows["ridgeline"], "rebate") == rebate
    assert of_kind(flows["kestrel"], "rebate") == [(d, -a) for d, a in rebate]
    labels = [f.label for f in flows["kestrel"] if f.kind == "rebate"]
    assert labels == [
        "volume rebate 2026 (3% of 31,200 housing)",
        "volume rebate 2027 (3% of 31,200 housing)",
    ]
    case = planned_case(deal)["parties"]
    assert case["ridgeline"]["mechanisms"] == {"rebate": "12823.20"}
    assert case["kestrel"]["mechanisms"] == {"rebate": "-12823.20"}


def test_the_top_tier_and_no_tier() -> None:
    """36,000 × 6.85 = 246,600.00 reaches 5%: 12,330.00 a year; the example's 24,000 reaches
    no tier (30,000 is the first): no rebate flows at all."""
    top = planned_flows(deal_of(HEAT.replace("commitment: 24000", "commitment: 36000")))
    assert [a for _, a in of_kind(top["ridgeline"], "rebate")] == [Decimal("12330.00")] * 2
    none = planned_flows(deal_of(HEAT))
    assert of_kind(none["ridgeline"], "rebate") == []


def test_a_year_the_term_cuts_short_has_the_tiers_in_proportion() -> None:
    """term-months 18: the second year has 6 months, a commitment of 15,600 and tiers at
    15,000 / 18,000; 15,600 reaches 3%: 3% × 15,600 × 6.85 = 3,205.80 on 2027-12-31."""
    text = HEAT.replace("commitment: 24000", "commitment: 31200")
    deal = deal_of(text.replace("term-months: 24", "term-months: 18"))
    years = volume_years(deal, date(2031, 1, 1))
    assert [(y.name, y.end, y.fraction, y.commitment) for y in years] == [
        ("2026", date(2027, 6, 30), Decimal(1), Decimal(31200)),
        ("2027", date(2027, 12, 31), Decimal("0.5"), Decimal("15600.0")),
    ]
    rebates = of_kind(planned_flows(deal)["ridgeline"], "rebate")
    assert rebates == [
        (date(2027, 6, 30), Decimal("6411.60")),
        (date(2027, 12, 31), Decimal("3205.80")),
    ]


# --- convertible ----------------------------------------------------------------------------


def test_convertible_support_converts_into_credits_that_settle_the_next_payments() -> None:
    """The convertible-support starter (100,000.00 from 2026-07-01) with its first window on
    2026-10-01: Acme pays 20,000.00 support on 2026-07-01; at 1.15 it converts into 23,000.00
    of credits, which settle the design-approval payment of 20,000.00 on 2026-10-01 whole and
    3,000.00 of the validated-sample payment of 30,000.00 on 2026-12-31."""
    deal = starter(
        Structure.CONVERTIBLE_SUPPORT, replace=("windows: [2027-07-01", "windows: [2026-10-01")
    )
    flows = planned_flows(deal)
    assert of_kind(flows["acme"], "support") == [(START, Decimal("-20000"))]
    assert of_kind(flows["volt"], "support") == [(START, Decimal("20000"))]
    credits = [(date(2026, 10, 1), Decimal("20000.00")), (date(2026, 12, 31), Decimal("3000.00"))]
    assert of_kind(flows["acme"], "service-credits") == credits
    assert of_kind(flows["volt"], "service-credits") == [(d, -a) for d, a in credits]
    linked = [f.milestone for f in flows["acme"] if f.kind == "service-credits"]
    assert linked == ["design-approval", "validated-sample"]
    mechanisms = planned_case(deal)["parties"]["acme"]["mechanisms"]
    assert mechanisms == {"support": "-20000.00", "service-credits": "23000.00"}


def test_credits_the_payments_cannot_use_stay_unused() -> None:
    """At the starter's own first window (2027-07-01) only final-acceptance (20,000.00 that
    day) is left: 20,000.00 of the 23,000.00 credits are used."""
    flows = planned_flows(starter(Structure.CONVERTIBLE_SUPPORT))
    assert of_kind(flows["acme"], "service-credits") == [(date(2027, 7, 1), Decimal("20000.00"))]


def test_cash_and_equity_conversions() -> None:
    """converts-to cash: 23,000.00 flows back on the last window (2028-01-01); equity:
    nothing flows back."""
    cash = starter(
        Structure.CONVERTIBLE_SUPPORT, replace=("converts-to: service-credits", "converts-to: cash")
    )
    flows = planned_flows(cash)
    assert of_kind(flows["acme"], "conversion") == [(date(2028, 1, 1), Decimal("23000.00"))]
    assert of_kind(flows["acme"], "service-credits") == []
    equity = starter(
        Structure.CONVERTIBLE_SUPPORT,
        replace=("converts-to: service-credits", "converts-to: equity"),
    )
    kinds = {f.kind for f in planned_flows(equity)["acme"]}
    assert "support" in kinds and not kinds & {"conversion", "service-credits"}


@pytest.mark.parametrize(
    ("formula", "ratio"),
    [
        ("1.15 credit per 1.00 paid", Decimal("1.15")),
        ("23,000 credits per 20,000 paid", Decimal("1.15")),
        ("1.2 credit per 1", Decimal("1.2")),
        ("  1 Credit per 1.00 Paid ", Decimal(1)),
    ],
)
def test_the_conversion_formula(formula: str, ratio: Decimal) -> None:
    assert conversion_ratio(formula) == ratio


@pytest.mark.parametrize("formula", ["115%", "1.15x", "credit per paid", "1 credit per 0 paid"])
def test_a_formula_it_cannot_read_is_a_clear_error(formula: str) -> None:
    with pytest.raises(ValueError, match="conversion formula"):
        conversion_ratio(formula)


# --- bonuses, revenue share, cost-plus ------------------------------------------------------


def test_a_bonus_is_in_the_plan_only_with_its_probability() -> None:
    """The innovation starter's 10,000.00 bonus: nothing without assumptions; at 40% the plan
    counts 4,000.00 Acme → Volt at the scope timeline's end (2027-06-30), or on ``on``."""
    deal = starter(Structure.INNOVATION_PARTNERSHIP)
    assert of_kind(planned_flows(deal)["volt"], "bonus") == []
    star = planned_flows(deal, assumptions('bonuses: {"*": {probability: 40%}}'))
    assert of_kind(star["volt"], "bonus") == [(date(2027, 6, 30), Decimal("4000.00"))]
    assert of_kind(star["acme"], "bonus") == [(date(2027, 6, 30), Decimal("-4000.00"))]
    own = "bonuses: {performance-bonus: {probability: 60%, on: 2028-03-31}}"
    named = planned_flows(deal, assumptions(own))
    assert of_kind(named["volt"], "bonus") == [(date(2028, 3, 31), Decimal("6000.00"))]


def test_revenue_share_needs_the_sales_of_the_assumptions() -> None:
    """The alliance starter: 5% to Volt of Acme's sales. 412,000.00 a quarter from 2027-01-01
    → 20,600.00 on the day after each quarter, 2027-04-01 to 2031-04-01 (17 quarters before
    the 60-month horizon ends on 2031-07-01): 350,200.00 in all."""
    deal = starter(Structure.ECOSYSTEM_ALLIANCE)
    assert of_kind(planned_flows(deal)["volt"], "revenue-share") == []
    spec = assumptions("revenue-share: {sales: 412000, every: quarter, from: 2027-01-01}")
    flows = planned_flows(deal, spec)
    paid = of_kind(flows["volt"], "revenue-share")
    assert paid[0] == (date(2027, 4, 1), Decimal("20600.00"))
    assert paid[-1] == (date(2031, 4, 1), Decimal("20600.00"))
    assert len(paid) == 17 and sum(a for _, a in paid) == Decimal("350200.00")
    assert sum(a for _, a in of_kind(flows["acme"], "revenue-share")) == Decimal("-350200.00")


def test_cost_plus_plans_each_milestones_costs_and_markup_under_the_cap() -> None:
    """The cost-plus starter from 2026-07-01 (costs: design 16,000, build 24,000, validation
    40,000 over its two milestones, markup 10%, payment terms 30 days; its milestones pay
    nothing): Acme reimburses 17,600.00 on 2026-10-01 (design-approval due 2026-09-01),
    26,400.00 on 2026-12-31, then 22,000.00 on 2027-03-31 and 2027-07-01: 88,000.00, so the
    cap of 100,000.00 leaves 12,000.00 for an overrun. A cap of 80,000.00 stops the plan at
    it (the last milestone gets 80,000.00 − 66,000.00 = 14,000.00) and leaves nothing."""
    deal = starter(Structure.COST_PLUS_REIMBURSEMENT)
    flows = planned_flows(deal)
    planned = [
        (date(2026, 10, 1), Decimal("17600.00")),
        (date(2026, 12, 31), Decimal("26400.00")),
        (date(2027, 3, 31), Decimal("22000.00")),
        (date(2027, 7, 1), Decimal("22000.00")),
    ]
    assert of_kind(flows["volt"], "costs-reimbursed") == planned
    assert of_kind(flows["volt"], "milestone") == []  # the milestones bill nothing
    assert planned_case(deal)["parties"]["acme"]["mechanisms"] == {
        "costs-reimbursed": "-88000.00",
        "overrun-reimbursed": "0.00",
    }
    assert cost_plus_headroom(deal).amount == Decimal(12000)
    capped = starter(Structure.COST_PLUS_REIMBURSEMENT, replace=("cap: 100000", "cap: 80000"))
    assert of_kind(planned_flows(capped)["volt"], "costs-reimbursed")[-1][1] == Decimal("14000.00")
    assert cost_plus_headroom(capped).amount == 0


def test_cost_plus_milestones_that_pay_release_the_costs_themselves() -> None:
    """The same deal with milestones paying 20/30/30/20% of 100,000.00: its plan is the
    milestone-funding starter's, nothing more is reimbursed, and a cap of 110,000.00 leaves
    10,000.00 after the invoices."""
    text = starter_deal(
        Structure.COST_PLUS_REIMBURSEMENT, buyer="Acme LLC", supplier="Volt Inc", start=START
    )
    paying = deal_of(paying_milestones(text))
    milestones = starter(Structure.MILESTONE_FUNDING)
    plan = planned_case(paying)["parties"]
    assert plan["acme"]["npv"] == planned_case(milestones)["parties"]["acme"]["npv"]
    assert plan["acme"]["mechanisms"] == {"overrun-reimbursed": "0.00"}
    assert cost_plus_headroom(paying).amount == 0
    raised = deal_of(paying_milestones(text).replace("cap: 100000", "cap: 110000"))
    assert cost_plus_headroom(raised).amount == Decimal(10000)


# --- invariants -----------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=30_000),
    credit=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(3), places=2),
    window=st.dates(min_value=date(2026, 7, 1), max_value=date(2031, 6, 30)),
)
def test_credits_used_never_exceed_credits_issued(
    amount: int, credit: Decimal, window: date
) -> None:
    text = starter_deal(Structure.CONVERTIBLE_SUPPORT, buyer="A", supplier="V", start=START)
    text = text.replace("amount: 20000", f"amount: {amount}")
    text = text.replace(
        "formula: 1.15 credit per 1.00 paid", f"formula: {credit} credit per 1 paid"
    )
    text = text.replace("windows: [2027-07-01", f"windows: [{window.isoformat()}")
    deal = deal_of(text)
    flows = planned_flows(deal)
    buyer = deal.buyers[0].id
    used = [f for f in flows[buyer] if f.kind == "service-credits"]
    issued = (Decimal(amount) * credit).quantize(Decimal("0.01"))
    assert sum((f.amount.amount for f in used), Decimal(0)) <= issued
    payments = {f.milestone: -f.amount.amount for f in flows[buyer] if f.kind == "milestone"}
    for f in used:  # a credit never settles more than its payment, nor before the window
        assert f.date >= window and f.amount.amount <= payments[f.milestone]


@settings(max_examples=40, deadline=None)
@given(commitment=st.integers(min_value=1, max_value=60_000))
def test_a_planned_rebate_never_exceeds_the_top_rate_on_the_years_purchases(
    commitment: int,
) -> None:
    deal = deal_of(HEAT.replace("commitment: 24000", f"commitment: {commitment}"))
    for _, amount in of_kind(planned_flows(deal)["ridgeline"], "rebate"):
        assert (
            0 < amount <= (Decimal("0.05") * commitment * Decimal("6.85")).quantize(Decimal("0.01"))
        )
