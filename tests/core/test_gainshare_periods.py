"""Gainshare months and the contract year's true-up, worked by hand on hybrid-dc1 (base fee
1,500.00 a month, price 1.45 a litre, voltworks 30%, cap 60,000.00 a year, no VAT; contract
year 2027 is January to December 2027). A month's invoice bills the base fee and
30% × max(0, S) × 1.45; the year's true-up settles 30% × max(0, ΣS) × 1.45 (capped) against the
share lines billed, as an invoice or a credit note."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core import commands
from copact.core.deal import Deal, Tax
from copact.core.events import CreditNote, Event, Invoice, Payment
from copact.core.gainshare import GainshareTerms, share_of
from copact.core.gainshare_periods import (
    contract_year,
    invoice_gainshare,
    settle_savings,
    true_up,
    year_figures,
)
from copact.core.mechanisms import Prepaid
from copact.core.model import Percent
from copact.core.money import Money
from copact.core.settlement import settle_exit
from copact.core.state import deal_state
from copact.errors import NothingToDo, RefusedCommand
from tests.conftest import load_example

D = Decimal
HASH = "sha256:1861a22129388ee91771ce7aa5b38e9e9adb7325deca30e80423ef4e1e706bbc"
PREDICTED = D("10000")  # litres the baseline predicts for any month here


def _deal(*, cap: str | None = "60000", vat: str | None = None) -> Deal:
    deal = load_example("hybrid-dc1.yaml")
    assert deal.gainshare is not None
    g = deal.gainshare.model_copy(update={"cap": D(cap) if cap is not None else None})
    update: dict[str, object] = {"gainshare": g}
    if vat is not None:
        update["tax"] = Tax(category="standard", rate=Percent(D(vat) / 100))
    return deal.model_copy(update=update)


def _after(period: str) -> date:
    year, month = int(period[:4]), int(period[5:])
    return date(year + month // 12, month % 12 + 1, 2)


def _month(i: int) -> str:
    return f"{2027 + i // 12}-{i % 12 + 1:02d}"


def _inputs(period: str, salt: str = "") -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(f"{period}{salt}".encode()).hexdigest()


def _settle(deal: Deal, events: list[Event], period: str, savings: D) -> None:
    at = _after(period)
    events += settle_savings(
        deal,
        deal_state(deal, events, on=at),
        period=period,
        predicted=PREDICTED,
        actual=PREDICTED - savings,
        savings=savings,
        baseline=HASH,
        inputs=_inputs(period),
        by="sam",
        at=at,
    )


def _invoice(deal: Deal, events: list[Event], period: str) -> Invoice | None:
    at = _after(period)
    state = deal_state(deal, events, on=at)
    try:
        (invoice,) = invoice_gainshare(
            deal, state, period=period, number=f"G-{len(events):03d}", at=at
        )
    except NothingToDo:
        return None
    events.append(invoice)
    return invoice


def _year(deal: Deal, savings: list[str]) -> tuple[list[Event], list[Invoice | None]]:
    """Settle and invoice the months of 2027 (the ones not given save nothing)."""
    events: list[Event] = []
    invoices = []
    for i, s in enumerate(savings + ["0"] * (12 - len(savings))):
        _settle(deal, events, _month(i), D(s))
        invoices.append(_invoice(deal, events, _month(i)))
    return events, invoices


def _true_up(deal: Deal, events: list[Event], year: str = "2027") -> Invoice | CreditNote:
    at = date(int(year) + 1, 1, 5)
    (doc,) = true_up(deal, deal_state(deal, events, on=at), year=year, number="G-T", at=at)
    return doc


def _lines(invoice: Invoice | None) -> list[tuple[str, D]]:
    return [(line.for_, line.amount) for line in invoice.lines] if invoice else []


def test_a_month_of_2000_litres_saved_is_invoiced_at_2370() -> None:
    """March 2027, S = 2,000 L: 30% × 2,000 × 1.45 = 870.00, plus the 1,500.00 base fee:
    2,370.00 (hybrid-dc1 charges no VAT)."""
    deal = _deal()
    events: list[Event] = []
    _settle(deal, events, "2027-03", D("2000"))
    invoice = _invoice(deal, events, "2027-03")
    assert invoice is not None
    assert _lines(invoice) == [
        ("gainshare:2027-03:base", D("1500.00")),
        ("gainshare:2027-03:share", D("870.00")),
    ]
    assert (invoice.from_, invoice.to, invoice.total, invoice.tax) == (
        "voltworks",
        "acme",
        D("2370.00"),
        None,
    )
    assert invoice.due == date(2027, 5, 2)  # 30 days' payment terms
    state = deal_state(deal, events, on=date(2027, 4, 3))
    assert state.gainshare["2027-03"].invoice == invoice.number
    assert state.gainshare["2027-03"].share == D("870.00")
    with pytest.raises(NothingToDo, match="already invoiced"):
        invoice_gainshare(deal, state, period="2027-03", number="G-9", at=date(2027, 4, 3))


def test_vat_is_charged_on_the_base_fee_and_the_share() -> None:
    """At 21%: 2,370.00 × 21% = 497.70, so 2,867.70."""
    deal = _deal(vat="21")
    events: list[Event] = []
    _settle(deal, events, "2027-03", D("2000"))
    invoice = _invoice(deal, events, "2027-03")
    assert invoice is not None and (invoice.tax, invoice.total) == (D("497.70"), D("2867.70"))


def test_a_bad_month_bills_the_base_fee_only_and_the_true_up_credits_it_back() -> None:
    """March +2,000 L, April −1,000 L, the rest 0: the months bill 870.00 of share (April bills
    max(0, −1,000) = 0, its base fee only); the year's ΣS = 1,000 L earns
    30% × 1,000 × 1.45 = 435.00, so the true-up is 435.00 − 870.00 = −435.00: a credit note of
    435.00 correcting March's invoice."""
    deal = _deal()
    events, invoices = _year(deal, ["0", "0", "2000", "-1000"])
    assert _lines(invoices[3]) == [("gainshare:2027-04:base", D("1500.00"))]
    figures = year_figures(deal, deal_state(deal, events, on=date(2028, 1, 5)), "2027")
    assert (figures.savings, figures.year_share, figures.billed) == (
        D("1000"),
        deal.money("435.00"),
        deal.money("870.00"),
    )
    note = _true_up(deal, events)
    assert isinstance(note, CreditNote)
    assert (note.for_, note.period, note.amount, note.tax) == ("true-up", "2027", D("435.00"), None)
    assert invoices[2] is not None and note.preceding == invoices[2].number
    events.append(note)
    state = deal_state(deal, events, on=date(2028, 1, 5))
    assert state.gainshare_true_ups["2027"].amount == D("-435.00")
    with pytest.raises(NothingToDo, match="already trued up"):
        true_up(deal, state, year="2027", number="G-U", at=date(2028, 1, 5))


def test_the_cap_limits_the_share_lines_of_a_year() -> None:
    """Cap 1,000.00: January 2,000 L earns 870.00; February 2,000 L earns 870.00 but only
    130.00 is left of the cap; March's share is nothing (its base fee only). ΣS = 6,000 L
    earns 2,610.00, capped at 1,000.00, exactly what was billed: nothing to true up."""
    deal = _deal(cap="1000")
    events, invoices = _year(deal, ["2000", "2000", "2000"])
    assert [_lines(i)[-1] for i in invoices[:3]] == [
        ("gainshare:2027-01:share", D("870.00")),
        ("gainshare:2027-02:share", D("130.00")),
        ("gainshare:2027-03:base", D("1500.00")),
    ]
    with pytest.raises(NothingToDo, match="nothing to true up"):
        _true_up(deal, events)


def test_a_good_year_after_a_capped_start_is_trued_up_by_an_invoice() -> None:
    """Cap 1,000.00; ΣS stays what the months billed, unless the months' rounding leaves a
    cent: twelve months of 0.01 L earn 30% × 0.01 × 1.45 = 0.00435 → 0.00 each, but the year's
    0.12 L earns 0.0522 → 0.05: a true-up invoice of 0.05."""
    deal = _deal(cap="1000")
    events, invoices = _year(deal, ["0.01"] * 12)
    assert all(
        _lines(i) == [(f"gainshare:{_month(n)}:base", D("1500.00"))] for n, i in enumerate(invoices)
    )
    doc = _true_up(deal, events)
    assert isinstance(doc, Invoice)
    assert _lines(doc) == [("gainshare:2027:true-up", D("0.05"))]


def test_a_month_is_settled_once_against_the_locked_baseline() -> None:
    deal = _deal()
    events: list[Event] = []
    _settle(deal, events, "2027-03", D("2000"))
    state = deal_state(deal, events, on=date(2027, 4, 2))
    common = {"predicted": PREDICTED, "by": "sam", "at": date(2027, 4, 2)}

    def settle(**fields: object) -> None:
        given = {
            "period": "2027-03",
            "actual": PREDICTED - 2000,
            "savings": D("2000"),
            "baseline": HASH,
            "inputs": _inputs("2027-03"),
            **common,
            **fields,
        }
        settle_savings(deal, state, **given)  # type: ignore[arg-type]

    with pytest.raises(NothingToDo, match="already settled from these inputs"):
        settle()
    with pytest.raises(RefusedCommand, match="from other inputs"):
        settle(inputs=_inputs("2027-03", "edited"))
    with pytest.raises(RefusedCommand, match="not the sha256:1861a2212938… locked"):
        settle(period="2027-05", baseline="sha256:" + "ab" * 32, at=date(2027, 6, 1))
    with pytest.raises(RefusedCommand, match="are not the predicted 10000 less the actual"):
        settle(period="2027-05", savings=D("1999"), at=date(2027, 6, 1))
    with pytest.raises(RefusedCommand, match="runs until 2027-05-31"):
        settle(period="2027-05", at=date(2027, 5, 31))
    with pytest.raises(RefusedCommand, match="runs from 2027-01: 2026-12 is before it"):
        settle(period="2026-12", at=date(2027, 1, 2))
    with pytest.raises(RefusedCommand, match="not a person of hybrid-dc1"):
        settle(period="2027-05", by="mallory", at=date(2027, 6, 1))


def test_a_deal_that_locks_no_baseline_settles_no_savings() -> None:
    deal = _deal()
    assert deal.gainshare is not None and deal.gainshare.baseline is not None
    baseline = deal.gainshare.baseline.model_copy(update={"hash": None})
    deal = deal.model_copy(
        update={"gainshare": deal.gainshare.model_copy(update={"baseline": baseline})}
    )
    with pytest.raises(RefusedCommand, match="locks no baseline"):
        _settle(deal, [], "2027-03", D("1"))


def test_a_year_is_trued_up_after_its_end_with_every_month_settled_and_invoiced() -> None:
    deal = _deal()
    events: list[Event] = []
    for i in range(11):
        _settle(deal, events, _month(i), D("100"))
        _invoice(deal, events, _month(i))
    _settle(deal, events, "2027-12", D("100"))
    with pytest.raises(RefusedCommand, match="2027-12 is not invoiced yet"):
        _true_up(deal, events)
    _invoice(deal, events, "2027-12")
    state = deal_state(deal, events, on=date(2027, 12, 31))
    with pytest.raises(RefusedCommand, match="contract year 2027 runs until 2027-12-31"):
        true_up(deal, state, year="2027", number="G-T", at=date(2027, 12, 31))
    with pytest.raises(RefusedCommand, match="2028-01 is not settled yet"):
        _true_up(deal, events, "2028")
    with pytest.raises(RefusedCommand, match="is not one of them"):
        _true_up(deal, events, "2026")


def test_contract_years_run_from_the_gainshare_start() -> None:
    deal = _deal()
    assert deal.gainshare is not None
    april = deal.model_copy(
        update={"gainshare": deal.gainshare.model_copy(update={"from_": date(2027, 4, 1)})}
    )
    assert [contract_year(april, p) for p in ("2027-04", "2028-03", "2028-04")] == [
        "2027",
        "2027",
        "2028",
    ]


SAVINGS = st.decimals(min_value=-5000, max_value=5000, places=3, allow_nan=False)


@settings(deadline=None, max_examples=40)
@given(
    savings=st.lists(SAVINGS, min_size=12, max_size=12),
    cap=st.one_of(st.none(), st.integers(min_value=0, max_value=20000)),
)
def test_billed_and_true_up_add_up_to_the_capped_year_share(
    savings: list[Decimal], cap: int | None
) -> None:
    """Whatever the months save: the year's share lines never exceed the cap, and what they
    billed plus the true-up is min(cap, 30% × max(0, ΣS) × 1.45) to the cent."""
    deal = _deal(cap=str(cap) if cap is not None else None)
    events, invoices = _year(deal, [str(s) for s in savings])
    shares = [a for i in invoices for f, a in _lines(i) if f.endswith(":share")]
    terms = GainshareTerms.from_deal(deal)
    if terms.cap is not None:
        assert sum(shares, D(0)) <= terms.cap.amount
    expected = share_of(terms, sum(savings, D(0)))
    if terms.cap is not None:
        expected = min(expected, terms.cap)
    try:
        doc = _true_up(deal, events)
    except NothingToDo:
        true_up_amount = D(0)
    else:
        true_up_amount = doc.amount if isinstance(doc, CreditNote) else doc.net
        true_up_amount = -true_up_amount if isinstance(doc, CreditNote) else true_up_amount
    assert sum(shares, D(0)) + true_up_amount == expected.amount


def test_an_exit_leaves_a_true_up_credit_to_its_own_note() -> None:
    """hybrid-dc1 with a 50,000.00 advance paid; 2027's months bill 12 × 1,500.00 + 870.00 =
    18,870.00 (unpaid) and the true-up credits 435.00. A convenience exit in January 2028 counts
    the 18,870.00 billed as earned, so 50,000.00 − 18,870.00 = 31,130.00 comes back, and the
    true-up's 435.00 is shown beside it, still to pay out by its own credit note; once
    VoltWorks has paid it back (for: true-up) nothing is left on it: the buyer gets
    31,130.00 + 435.00 = 31,565.00 either way, and no document credits the 435.00 twice."""
    deal = _deal().model_copy(update={"prepaid": Prepaid(amount=D(50000))})
    signed_on = date(2026, 12, 1)
    events: list[Event] = list(
        commands.sign(deal, deal_state(deal, [], on=signed_on), by=["ana", "sam"], at=signed_on)
    )
    advance = Payment(
        at=signed_on,
        deal=deal.id,
        from_="acme",
        to="voltworks",
        amount=D(50000),
        ref="PP-1",
        for_="prepaid",
    )
    events.append(advance)
    year, _ = _year(deal, ["0", "0", "2000", "-1000"])
    events += year
    note = _true_up(deal, events)
    events.append(note)
    on = date(2028, 1, 5)
    before = settle_exit(deal, events, trigger="convenience", on=on, by="acme")
    assert (before.earned.amount, before.refund.amount) == (D("18870.00"), D("31130.00"))
    assert before.credit_notes_open == Money.of(D("435.00"), "USD")
    back = Payment(
        at=on,
        deal=deal.id,
        from_="voltworks",
        to="acme",
        amount=D("435.00"),
        ref="TU-1",
        for_="true-up",
    )
    after = settle_exit(deal, [*events, back], trigger="convenience", on=on, by="acme")
    assert (after.earned.amount, after.refund.amount) == (D("18870.00"), D("31130.00"))
    assert after.credit_notes_open == Money.of(D("0.00"), "USD")
