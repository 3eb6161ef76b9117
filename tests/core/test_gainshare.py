"""Gainshare money as worked examples, then the invariants every year must keep (DESIGN §6.5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copact.core.changes import ChangeState
from copact.core.gainshare import (
    GainshareTerms,
    MonthSavings,
    admit_baseline,
    settle_gainshare,
    share_of,
)
from copact.core.money import Money
from copact.errors import RefusedCommand
from tests.conftest import load_example, usd

D = Decimal
START = date(2027, 1, 1)


def _months(savings: list[str], start: date = START) -> list[MonthSavings]:
    """Months with the given savings: predicted 10,000 litres, actual 10,000 − S."""
    out = []
    for i, s in enumerate(savings):
        month = date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        out.append(MonthSavings(month, D("10000"), D("10000") - D(s)))
    return out


TERMS = GainshareTerms(START, usd("1500"), D("1.45"), D("0.3"), usd("1000"))


# --- worked examples --------------------------------------------------------------------------


def test_a_year_where_the_cap_bites_and_the_true_up_is_a_credit() -> None:
    """share 30%, price 1.45, base fee 1,500, cap 1,000:

    month 1: S = 1,500 → 30% × 1,500 × 1.45 = 652.50, all of it invoiced
    month 2: S = 1,200 → 522.00 earned, but only 1,000 − 652.50 = 347.50 of cap is left
    month 3: S = −2,400 → nothing (a loss month pays no share), months 4-12: S = 0
    year:    ΣS = 300 → 30% × 300 × 1.45 = 130.50; invoiced 1,000.00 → true-up −869.50
    """
    (year,) = settle_gainshare(TERMS, _months(["1500", "1200", "-2400"] + ["0"] * 9))
    m1, m2, m3 = year.months[:3]
    assert (m1.earned, m1.share, m1.total) == (usd("652.50"), usd("652.50"), usd("2152.50"))
    assert (m2.earned, m2.share, m2.total) == (usd("522.00"), usd("347.50"), usd("1847.50"))
    assert m2.capped and not m1.capped
    assert (m3.share, m3.total) == (usd("0"), usd("1500"))
    assert all(m.total == usd("1500") for m in year.months[3:])
    assert year.true_up is not None
    assert year.true_up.savings == D("300")
    assert year.true_up.year_share == usd("130.50")
    assert year.true_up.invoiced == usd("1000.00")
    assert year.true_up.amount == usd("-869.50")
    assert year.true_up.is_credit


def test_the_true_up_collects_what_monthly_rounding_left_behind() -> None:
    """Twelve months of 0.01 litre: each month 30% × 0.01 × 1.45 = 0.00435 → 0.00 (half-even);
    the year 30% × 0.12 × 1.45 = 0.0522 → 0.05, paid by the true-up."""
    (year,) = settle_gainshare(TERMS, _months(["0.01"] * 12))
    assert all(m.share == usd("0") for m in year.months)
    assert year.true_up is not None and year.true_up.amount == usd("0.05")


def test_the_hybrid_dc1_terms_come_from_the_deal() -> None:
    terms = GainshareTerms.from_deal(load_example("hybrid-dc1.yaml"))
    assert terms == GainshareTerms(date(2027, 1, 1), usd("1500"), D("1.45"), D("0.3"), usd("60000"))
    # 2,000 litres saved in a month: 1,500 + 30% × 2,000 × 1.45 = 1,500 + 870 = 2,370
    (year,) = settle_gainshare(terms, _months(["2000"]))
    assert year.months[0].total == usd("2370.00")
    assert year.true_up is None  # the year is not over


def test_a_year_without_its_twelfth_month_has_no_true_up_and_the_next_year_starts_afresh() -> None:
    years = settle_gainshare(TERMS, _months(["3000"] * 13))
    assert [len(y.months) for y in years] == [12, 1]
    assert years[0].true_up is not None and years[1].true_up is None
    # the cap of 1,000 is used by month 1 of each year (30% × 3,000 × 1.45 = 1,305)
    assert years[1].months[0].share == usd("1000")


def test_months_must_follow_each_other_from_the_start() -> None:
    months = _months(["1", "2"])
    with pytest.raises(RefusedCommand, match="one after the other"):
        settle_gainshare(TERMS, [months[1], months[0]])
    with pytest.raises(RefusedCommand, match="one after the other"):
        settle_gainshare(TERMS, _months(["1"], start=date(2027, 3, 1)))


# --- re-baselining ------------------------------------------------------------------------------

LOCKED = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
PATCH = {"gainshare": {"baseline": {"from": "2026-01-01", "to": "2026-12-31"}}}


def _change(
    status: str = "approved", approvals: tuple[str, ...] = ("sam", "ana"), **kw: object
) -> ChangeState:
    fields: dict[str, object] = {
        "id": "rebase",
        "status": status,
        "proposed_by": "sam",
        "proposed_on": date(2026, 6, 1),
        "amount": None,
        "patch": PATCH,
        "approvals": approvals,
        "decided_on": date(2026, 6, 3) if status != "proposed" else None,
    }
    fields.update(kw)
    return ChangeState(**fields)  # type: ignore[arg-type]


def _admit(
    change: ChangeState | None, candidate: str = OTHER, deal_name: str = "hybrid-dc1.yaml"
) -> None:
    deal = load_example(deal_name)
    changes = {"rebase": change} if change else {}
    admit_baseline(
        deal,
        locked_hash=LOCKED,
        locked_on=date(2026, 5, 1),
        candidate_hash=candidate,
        changes=changes,
        via="rebase" if change else None,
    )


def test_the_locked_baseline_is_always_admitted() -> None:
    _admit(None, candidate=LOCKED)  # no error is the assertion: nothing to approve


def test_a_different_baseline_needs_an_approved_change_order() -> None:
    with pytest.raises(RefusedCommand, match=r"not the one locked on 2026-05-01.*both sides"):
        _admit(None)
    with pytest.raises(RefusedCommand, match="proposed, not approved"):
        _admit(_change("proposed", ("sam",)))
    with pytest.raises(RefusedCommand, match="before the lock"):
        _admit(_change(decided_on=date(2026, 4, 1)))
    with pytest.raises(RefusedCommand, match="does not amend the gainshare"):
        _admit(_change(patch={"value": "430000"}))
    with pytest.raises(RefusedCommand, match="lacks the buyer's approval"):
        _admit(_change(approvals=("sam",)))  # approved under a lower threshold, one side only


def test_a_mutually_approved_change_order_re_baselines() -> None:
    _admit(_change())  # sam (voltworks) proposed, ana (acme) approved: no error


def test_rebaseline_none_refuses_even_an_approved_change() -> None:
    deal = load_example("hybrid-dc1.yaml")
    assert deal.gainshare is not None and deal.gainshare.baseline is not None
    frozen = deal.model_copy(
        update={
            "gainshare": deal.gainshare.model_copy(
                update={
                    "baseline": deal.gainshare.baseline.model_copy(update={"rebaseline": "none"})
                }
            )
        }
    )
    with pytest.raises(RefusedCommand, match="no re-baseline"):
        admit_baseline(
            frozen,
            locked_hash=LOCKED,
            locked_on=date(2026, 5, 1),
            candidate_hash=OTHER,
            changes={"rebase": _change()},
            via="rebase",
        )


# --- properties ---------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10_000_00).map(
    lambda c: Money.from_minor(c, usd("0").currency)
)
terms_strategy = st.builds(
    GainshareTerms,
    start=st.just(START),
    base_fee=cents,
    price=st.integers(min_value=1, max_value=100_000).map(lambda p: D(p).scaleb(-4)),
    share=st.integers(min_value=0, max_value=10_000).map(lambda s: D(s).scaleb(-4)),
    cap=st.none() | cents,
)
savings_strategy = st.lists(
    st.integers(min_value=-50_000, max_value=50_000).map(lambda s: str(D(s).scaleb(-1))),
    min_size=1,
    max_size=30,
)


@given(terms_strategy, savings_strategy)
def test_an_invoice_is_never_below_the_base_fee(terms: GainshareTerms, savings: list[str]) -> None:
    for year in settle_gainshare(terms, _months(savings)):
        assert all(m.total >= m.base_fee == terms.base_fee for m in year.months)


@given(terms_strategy, savings_strategy)
def test_a_year_never_pays_more_than_its_base_fees_and_the_cap(
    terms: GainshareTerms, savings: list[str]
) -> None:
    for year in settle_gainshare(terms, _months(savings)):
        fees = Money.zero("USD")
        paid = Money.zero("USD")
        for m in year.months:
            fees, paid = fees + m.base_fee, paid + m.total
        if year.true_up is not None:
            paid = paid + year.true_up.amount
        if terms.cap is not None:
            assert paid <= fees + terms.cap
        assert paid >= fees


@given(terms_strategy, savings_strategy)
def test_true_up_and_monthly_shares_add_up_to_the_capped_year_share_exactly(
    terms: GainshareTerms, savings: list[str]
) -> None:
    for year in settle_gainshare(terms, _months(savings)):
        if year.true_up is None:
            continue
        monthly = Money.zero("USD")
        for m in year.months:
            monthly = monthly + m.share
        expected = share_of(terms, sum((m.savings for m in year.months), D(0)))
        if terms.cap is not None and expected > terms.cap:
            expected = terms.cap
        assert monthly + year.true_up.amount == expected == year.true_up.year_share


@given(
    st.decimals(min_value=-(10**6), max_value=10**6, places=3),
    st.decimals(min_value=-(10**6), max_value=10**6, places=3),
    st.decimals(min_value=-(10**6), max_value=10**6, places=3),
    terms_strategy,
)
def test_savings_are_linear_in_actual_and_the_share_never_grows_with_it(
    predicted: Decimal, actual: Decimal, more: Decimal, terms: GainshareTerms
) -> None:
    base = MonthSavings(START, predicted, actual)
    shifted = MonthSavings(START, predicted, actual + more)
    assert shifted.savings == base.savings - more
    assert MonthSavings(START, predicted, D(0)).savings - base.savings == actual
    if more >= 0:
        assert share_of(terms, shifted.savings) <= share_of(terms, base.savings)
