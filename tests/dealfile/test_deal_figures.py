"""A deal's own figures have a sign and a size: `copact check` reports a deal worth -5 or 0, a
negative price, fee, cap or advance, or a figure of more than 12 digits before the point
(1e400, which no invoice can round to a cent) as E002 at its line, like any value that does
not fit format 1, instead of passing "All checks passed" and scheduling negative invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copact.dealfile.dump import amend
from copact.dealfile.loader import load_text
from tests.conftest import EXAMPLES

HYBRID = (EXAMPLES / "hybrid-dc1.yaml").read_text()


def _findings(patch: dict[str, Any]) -> list[tuple[str, int, str]]:
    loaded = load_text(amend(HYBRID, patch), "hybrid-dc1.yaml")
    return [(d.code, d.line, d.message) for d in loaded.diagnostics]


def _line_of_value(patch: dict[str, Any]) -> int:
    text = amend(HYBRID, patch)
    return next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("value:"))


@pytest.mark.parametrize("value", [-5, 0, "-0.01", Decimal("-420000")])
def test_a_deal_worth_nothing_or_less_is_an_e002_at_its_line(value: object) -> None:
    [(code, line, message)] = _findings({"value": value})
    assert (code, line) == ("E002", _line_of_value({"value": value}))
    assert message.startswith("value: must be above 0")


@pytest.mark.parametrize("value", ["1e400", Decimal("1e308"), 10**12, "-1e13"])
def test_a_figure_past_twelve_digits_is_an_e002_at_its_line(value: object) -> None:
    [(code, line, message)] = _findings({"value": value})
    assert (code, line) == ("E002", _line_of_value({"value": value}))
    assert "at most 12 digits before the point" in message


def test_the_largest_twelve_digit_value_still_loads() -> None:
    loaded = load_text(amend(HYBRID, {"value": 999_999_999_999}), "hybrid-dc1.yaml")
    assert loaded.deal is not None and loaded.deal.value == 999_999_999_999


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"prepaid": {"amount": -1}}, "prepaid.amount"),
        ({"sla": {"fee": {"amount": -4000}}}, "sla.fee.amount"),
        ({"gainshare": {"cap": -60000}}, "gainshare.cap"),
        ({"gainshare": {"price": 0}}, "gainshare.price"),
        ({"change-control": {"threshold": -1}}, "change-control.threshold"),
        ({"cost-plus": {"cap": -5}}, "cost-plus.cap"),
        ({"convertible": {"amount": 0}}, "convertible.amount"),
    ],
)
def test_a_negative_price_fee_cap_or_advance_is_an_e002(patch: dict[str, Any], where: str) -> None:
    messages = [m for code, _, m in _findings(patch) if code == "E002"]
    assert any(m.startswith(f"{where}: ") and "0" in m for m in messages), messages


def test_a_business_case_flow_may_be_a_cost() -> None:
    flows = [{"party": "acme", "label": "integration cost", "amount": -5000, "from": "2027-01-01"}]
    loaded = load_text(amend(HYBRID, {"business-case": {"flows": flows}}), "hybrid-dc1.yaml")
    assert loaded.deal is not None and loaded.deal.business_case is not None
    assert loaded.deal.business_case.flows[0].amount == -5000


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999.99"), places=2))
def test_any_positive_twelve_digit_value_loads_exactly(value: Decimal) -> None:
    loaded = load_text(amend(HYBRID, {"value": f"{value:f}"}), "hybrid-dc1.yaml")
    assert loaded.deal is not None and loaded.deal.value == value


@pytest.mark.parametrize("value", [Decimal("420000.001"), Decimal("0.005")])
def test_a_value_finer_than_the_currencys_cent_is_an_e002_at_its_line(value: Decimal) -> None:
    """hybrid-dc1 is in USD, two decimals: 420000.001 is a typo, refused as `pay` refuses
    5.001; 420000.10 and 420000.100 are the same ten cents and load."""
    [(code, line, message)] = _findings({"value": value})
    assert (code, line) == ("E002", _line_of_value({"value": value}))
    assert "more decimals than USD allows (2)" in message
    for fine in (Decimal("420000.10"), Decimal("420000.100")):
        loaded = load_text(amend(HYBRID, {"value": fine}), "hybrid-dc1.yaml")
        assert loaded.deal is not None and loaded.deal.value == Decimal("420000.10")


@pytest.mark.parametrize("field", ["effective", "due"])
def test_a_date_of_year_9999_is_an_e002_at_its_line_not_an_overflow(field: str) -> None:
    """A year typed 9999 for 2027 loaded, and the schedule, the simulation and the documents
    then failed with an internal OverflowError counting days from it."""
    text = HYBRID.replace("effective: 2026-", "effective: 9999-", 1)
    if field == "due":
        text = HYBRID.replace("due: 2027-03-31", "due: 9999-12-20", 1)
    loaded = load_text(text, "hybrid-dc1.yaml")
    [(code, message)] = [(d.code, d.message) for d in loaded.diagnostics]
    assert code == "E002" and "outside the years a deal's dates fall in" in message
    assert loaded.deal is None
