"""The volume commitment with rebate of examples/heat-sensor-housing.yaml, worked by hand.

Ridgeline commits to 24,000 housings a year for 24 months at 6.85 USD; Kestrel gives back 3%
of the year's purchases from 30,000 housings and 5% from 36,000; no VAT (an Oregon supply).
Contract years run from the deal's effective date, 2026-07-01: year ``2026`` is July 2026 to
June 2027, year ``2027`` July 2027 to June 2028.

    2026: 31,200 confirmed × 6.85 = 213,720.00 → the 3% tier: a credit note of 6,411.60
          36,000 exactly × 6.85 = 246,600.00 → 5%: 12,330.00
          29,999 → no tier: nothing to credit
    with shortfall: invoice, 20,000 → (24,000 − 20,000) × 6.85 = 27,400.00 invoiced

Hypothesis: the tier never falls as the quantity grows, the rebate never exceeds the top rate
× the amount, and a credit note's net and VAT add up to its total exactly, with the VAT the
deal's rule gives on that net.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.deal import Deal, Tax
from copact.core.events import CreditNote, Event, Invoice
from copact.core.invoicing import vat_on
from copact.core.money import Money
from copact.core.quantities import Percent
from copact.core.state import deal_state
from copact.core.volume import (
    confirm_purchases,
    contract_year,
    contract_years,
    credit_rebate,
    rebate_of,
    record_forecast,
    record_purchases,
    tier_of,
    true_up_volume,
    volume_view,
)
from copact.errors import NothingToDo, RefusedCommand
from tests.conftest import load_example

DEAL = load_example("heat-sensor-housing.yaml")
D = Decimal
AFTER = date(2027, 7, 5)  # year 2026 has ended
NUMBERS = ("HSH-1", "HSH-2")


def _with(deal: Deal, **volume: object) -> Deal:
    assert deal.volume is not None
    return deal.model_copy(update={"volume": deal.volume.model_copy(update=volume)})


def _year(deal: Deal, quantities: list[int], *, confirm: bool = True) -> list[Event]:
    """One call-off a month from July 2026, recorded by dana (Ridgeline), confirmed by luis."""
    events: list[Event] = []
    for i, quantity in enumerate(quantities):
        month = date(2026 + (6 + i) // 12, (6 + i) % 12 + 1, 1)
        day = month.replace(day=28)
        state = deal_state(deal, events, on=day)
        ref = f"CO-{month:%Y-%m}"
        events += record_purchases(
            deal, state, period=f"{month:%Y-%m}", quantity=D(quantity), ref=ref, by="dana", at=day
        )
        if confirm:
            state = deal_state(deal, events, on=day)
            events += confirm_purchases(deal, state, ref=ref, by="luis", at=day)
    return events


def _true_up(deal: Deal, events: list[Event], on: date = AFTER) -> list[CreditNote | Invoice]:
    state = deal_state(deal, events, on=on)
    return true_up_volume(deal, state, year="2026", numbers=NUMBERS, at=on)


def test_contract_years_run_from_the_effective_date_within_the_term() -> None:
    years = contract_years(DEAL)
    assert [(y.label, y.first, y.last) for y in years] == [
        ("2026", date(2026, 7, 1), date(2027, 6, 30)),
        ("2027", date(2027, 7, 1), date(2028, 6, 30)),
    ]
    with pytest.raises(RefusedCommand, match="not a contract year of heat-sensor-housing"):
        contract_year(DEAL, "2028")


def test_31200_housings_reach_the_3_percent_tier_a_credit_note_of_6411_60() -> None:
    """31,200 = twelve call-offs of 2,600; × 6.85 = 213,720.00; 3% = 6,411.60."""
    events = _year(DEAL, [2600] * 12)
    view = volume_view(DEAL, deal_state(DEAL, events, on=AFTER))
    assert view is not None
    (first, _) = view.years
    assert (first.quantity, first.amount.amount, first.tier) == (D(31200), D("213720.00"), "3%")
    assert first.rebate.amount == D("6411.60")
    # progress: 4,800 more housings to 36,000 would have brought 5% of 246,600.00
    assert (first.to_next, first.next_rate, first.next_rebate) == (
        D(4800),
        "5%",
        Money.of("12330.00", "USD"),
    )
    (note,) = _true_up(DEAL, events)
    assert isinstance(note, CreditNote)
    assert (note.for_, note.period, note.from_, note.to) == (
        "rebate",
        "2026",
        "kestrel",
        "ridgeline",
    )
    assert (note.amount, note.tax, note.total, note.number) == (
        D("6411.60"),
        None,
        D("6411.60"),
        "HSH-1",
    )
    assert note.due == date(2027, 8, 4)  # payment-terms 30


def test_36000_exactly_reach_5_percent_and_29999_reach_none() -> None:
    """36,000 × 6.85 = 246,600.00 × 5% = 12,330.00; 29,999 is one short of the first tier."""
    (note,) = _true_up(DEAL, _year(DEAL, [3000] * 12))
    assert note.amount == D("12330.00")
    with pytest.raises(NothingToDo, match="29,999 housing confirmed reach no rebate tier"):
        _true_up(DEAL, _year(DEAL, [2500] * 11 + [2499]))


def test_a_shortfall_year_is_invoiced_27400_under_shortfall_invoice() -> None:
    """20,000 housings: (24,000 − 20,000) × 6.85 = 27,400.00, a line volume:2026:shortfall."""
    deal = _with(DEAL, shortfall="invoice")
    (invoice,) = _true_up(deal, _year(deal, [2000] * 10))
    assert isinstance(invoice, Invoice)
    assert [(line.for_, line.amount) for line in invoice.lines] == [
        ("volume:2026:shortfall", D("27400.00"))
    ]
    assert (invoice.from_, invoice.to, invoice.tax, invoice.number) == (
        "kestrel",
        "ridgeline",
        None,
        "HSH-1",
    )
    with pytest.raises(NothingToDo, match="invoices no shortfall"):
        _true_up(DEAL, _year(DEAL, [2000] * 10))  # the example's own deal: shortfall: none


def test_purchases_count_only_once_the_other_party_confirms_them() -> None:
    unconfirmed = _year(DEAL, [2600] * 12, confirm=False)
    state = deal_state(DEAL, unconfirmed, on=AFTER)
    view = volume_view(DEAL, state)
    assert view is not None
    first = view.years[0]
    assert (first.quantity, first.pending_quantity, first.pending) == (D(0), D(31200), 12)
    with pytest.raises(NothingToDo, match="0 housing confirmed reach no rebate tier"):
        _true_up(DEAL, unconfirmed)
    refusal = "hannah of ridgeline cannot confirm purchases ridgeline recorded"
    with pytest.raises(RefusedCommand, match=refusal):
        confirm_purchases(DEAL, state, ref="CO-2026-07", by="hannah", at=AFTER)


def test_the_same_ref_twice_is_refused_and_whole_positive_units_only() -> None:
    events = _year(DEAL, [2600])
    state = deal_state(DEAL, events, on=date(2026, 8, 2))

    def record(quantity: int | str, **changes: object) -> None:
        fields: dict[str, object] = {"period": "2026-08", "ref": "CO-9", "by": "dana", **changes}
        record_purchases(DEAL, state, quantity=D(quantity), at=date(2026, 8, 2), **fields)  # type: ignore[arg-type]

    for quantity, changed, refusal in [
        (10, {"ref": "CO-2026-07"}, "CO-2026-07 were already recorded on 2026-07-28"),
        ("2.5", {}, "not a whole number"),
        (0, {}, "purchases are positive"),
        (2600, {"amount": D("17000.00")}, "2,600 housing × 6.85 is 17,810.00, not 17,000.00"),
        (1, {"period": "2026-09"}, "2026-09 has not begun"),
        (1, {"period": "2028-07"}, "outside the volume commitment's term"),
        (1, {"by": "nobody"}, "'nobody' is not a person"),
    ]:
        with pytest.raises(RefusedCommand, match=re.escape(refusal)):
            record(quantity, **changed)


def test_the_true_up_waits_for_the_year_end_and_issues_once() -> None:
    events = _year(DEAL, [2600] * 12)
    with pytest.raises(RefusedCommand, match="runs until 2027-06-30: true it up after"):
        _true_up(DEAL, events, on=date(2027, 6, 30))
    notes = _true_up(DEAL, events)
    events = [*events, *notes]
    with pytest.raises(NothingToDo, match="already trued up"):
        _true_up(DEAL, events, on=date(2027, 7, 6))
    state = deal_state(DEAL, events, on=date(2027, 7, 6))
    with pytest.raises(NothingToDo, match=r"rebate is credited \(HSH-1\)"):
        credit_rebate(DEAL, state, period="2026", number="HSH-3", at=date(2027, 7, 6))
    with pytest.raises(RefusedCommand, match="contract year 2026 is trued up"):
        record_purchases(
            DEAL, state, period="2027-06", quantity=D(5), ref="LATE", by="luis", at=date(2027, 7, 6)
        )


def test_the_forecast_meets_the_commitment_or_not() -> None:
    """Confirmed 2,600 in July 2027; the forecast from August: 3 × 5,000 in year 2027's quarters
    from August (Aug–Oct, Nov–Jan, Feb–Apr) and May–Jul's 4,000 → 2,600 + 19,000 = 21,600 <
    24,000 (its first month, May 2028, is inside the year)."""
    events: list[Event] = []
    day = date(2027, 7, 30)
    events += record_purchases(
        DEAL,
        deal_state(DEAL, events, on=day),
        period="2027-07",
        quantity=D(2600),
        ref="A",
        by="luis",
        at=day,
    )
    events += confirm_purchases(DEAL, deal_state(DEAL, events, on=day), ref="A", by="dana", at=day)
    state = deal_state(DEAL, events, on=day)
    with pytest.raises(RefusedCommand, match="luis of kestrel cannot forecast ridgeline"):
        record_forecast(DEAL, state, from_="2027-08", quantities=[D(1)], by="luis", at=day)
    with pytest.raises(RefusedCommand, match="a forecast looks ahead: 2027-06 is over"):
        record_forecast(DEAL, state, from_="2027-06", quantities=[D(1)], by="hannah", at=day)
    events += record_forecast(
        DEAL, state, from_="2027-08", quantities=[D(5000)] * 3 + [D(4000)], by="hannah", at=day
    )
    view = volume_view(DEAL, deal_state(DEAL, events, on=day))
    assert view is not None
    second = view.years[1]
    assert (second.forecast, second.meets_commitment) == (D(21600), False)
    assert (second.to_commitment, second.to_next) == (D(21400), D(27400))


# -- hypothesis --

QUANTITY = st.integers(min_value=0, max_value=100_000).map(Decimal)
YEAR = contract_year(DEAL, "2026")


@given(a=QUANTITY, b=QUANTITY)
def test_the_tier_is_monotone_in_the_quantity(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    rate = {None: D(0)}
    tier_low, tier_high = tier_of(DEAL, YEAR, low), tier_of(DEAL, YEAR, high)
    r_low = tier_low.rebate.fraction if tier_low else rate[None]
    r_high = tier_high.rebate.fraction if tier_high else rate[None]
    assert r_low <= r_high


@given(quantity=QUANTITY, cents=st.integers(min_value=0, max_value=10**10))
def test_the_rebate_never_exceeds_the_top_rate_times_the_amount(
    quantity: Decimal, cents: int
) -> None:
    amount = Money.of(Decimal(cents) / 100, "USD")
    rebate = rebate_of(DEAL, YEAR, quantity, amount)
    assert Money.zero("USD") <= rebate
    assert rebate.amount <= amount.amount * D("0.05") + D("0.005")  # half-even, once
    assert rebate == rebate.quantize()


VAT_DEAL = DEAL.model_copy(update={"tax": Tax(category="standard", rate=Percent.of(19))})


@settings(deadline=None, max_examples=40)
@given(quantities=st.lists(st.integers(min_value=1, max_value=9_000), min_size=1, max_size=12))
def test_a_rebate_credit_note_adds_up_exactly(quantities: list[int]) -> None:
    events = _year(VAT_DEAL, quantities)
    state = deal_state(VAT_DEAL, events, on=AFTER)
    total = sum(quantities)
    amount = Money.of(D(total) * D("6.85"), "USD").quantize()
    try:
        (note,) = credit_rebate(VAT_DEAL, state, period="2026", number="N-1", at=AFTER)
    except NothingToDo:
        assert total < 30_000
        return
    assert isinstance(note, CreditNote)
    rate = D("0.05") if total >= 36_000 else D("0.03")
    net = amount.times(rate)
    assert note.amount == net.amount
    assert note.tax == vat_on(VAT_DEAL, net).amount
    assert note.total == note.amount + (note.tax or 0)
    assert Money.of(note.total, "USD") == Money.of(note.total, "USD").quantize()
