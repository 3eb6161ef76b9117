"""The loader: places of keys, exact numbers, shape errors with did-you-mean, never a traceback."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copact.core.deal import Deal
from copact.core.quantities import Duration, Percent
from copact.dealfile.dump import dump_deal
from copact.dealfile.loader import load_deal, load_text
from copact.rules.runner import check_deal
from tests.conftest import EXAMPLES

HYBRID = (EXAMPLES / "hybrid-dc1.yaml").read_text()


def test_numbers_are_exact_decimals_never_floats() -> None:
    deal = load_deal(EXAMPLES / "hybrid-dc1.yaml").deal
    assert deal is not None
    assert deal.gainshare is not None and deal.gainshare.price == Decimal("1.45")
    assert isinstance(deal.value, Decimal) and deal.value == 420000
    assert deal.milestones[0].payment == Percent(Decimal("0.2"))
    assert deal.sla is not None and deal.sla.gap_tolerance == Duration(300)


def test_a_misspelt_key_is_placed_and_a_correction_offered() -> None:
    text = HYBRID.replace("      review-days: 5\n", "      reveiw-days: 5\n")
    loaded = load_text(text, "deal.yaml")
    assert loaded.deal is None
    (finding,) = loaded.diagnostics
    assert finding.code == "E002"
    assert "reveiw-days" in finding.message
    assert finding.hint == "did you mean 'review-days'?"
    line = text.splitlines()[finding.line - 1]
    assert line[finding.column - 1 :].startswith("reveiw-days")


def test_every_shape_problem_is_reported_at_once() -> None:
    text = HYBRID.replace("due: 2026-10-01", "due: 2026-10-41").replace(
        "credit-cap: 25%", "credit-cap: lots"
    )
    codes = [(d.code, d.pointer) for d in load_text(text).diagnostics]
    assert ("E002", "/milestones/1/due") in codes
    assert ("E002", "/sla/credit-cap") in codes


def test_yaml_syntax_error_has_line_and_column() -> None:
    loaded = load_text("copact: 1\nparties: [a, b\nid: x\n", "bad.yaml")
    (finding,) = loaded.diagnostics
    assert finding.code == "E001" and finding.line == 3


def test_a_float_is_refused_as_money_when_built_in_python() -> None:
    loaded = load_deal(EXAMPLES / "hybrid-dc1.yaml")
    assert loaded.data is not None
    data = dict(loaded.data)
    data["value"] = 420000.0
    try:
        Deal.model_validate(data)
    except Exception as exc:
        assert "float" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a float was accepted as money")


# --- fuzz: random and truncated text gives diagnostics only --------------------------------


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.integers(min_value=0, max_value=len(HYBRID)))
def test_truncated_deals_give_diagnostics_never_exceptions(cut: int) -> None:
    loaded = load_text(HYBRID[:cut], "cut.yaml")
    findings = check_deal(loaded)
    assert all(f.line >= 1 and f.column >= 1 for f in findings)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(HYBRID)),
            st.sampled_from(list(":-[]{}#&*!|>'\"%@`\t\n ,?0aZ")),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_mutated_deals_give_diagnostics_never_exceptions(edits: list[tuple[int, str]]) -> None:
    text = HYBRID
    for position, char in edits:
        text = text[:position] + char + text[position + 1 :]
    check_deal(load_text(text, "mutated.yaml"))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text_gives_diagnostics_never_exceptions(text: str) -> None:
    loaded = load_text(text, "random.yaml")
    check_deal(loaded)
    if loaded.deal is None:
        assert loaded.diagnostics


# --- round trip: load, dump, load gives the same deal ---------------------------------------

percents = st.decimals(min_value=0, max_value=100, places=2).map(lambda d: Percent(d / 100))
amounts = st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2)  # a deal prices above 0
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
durations = st.integers(min_value=1, max_value=10**6).map(Duration)


@settings(max_examples=100, deadline=None)
@given(
    payments=st.lists(percents, min_size=1, max_size=6),
    value=amounts,
    start=days,
    tolerance=durations,
    cap=percents,
    price=amounts,
)
def test_load_dump_load_round_trips(
    payments: list[Percent],
    value: Decimal,
    start: date,
    tolerance: Duration,
    cap: Percent,
    price: Decimal,
) -> None:
    base = load_deal(EXAMPLES / "hybrid-dc1.yaml").deal
    assert base is not None and base.sla is not None and base.gainshare is not None
    milestones = [
        base.milestones[0].model_copy(
            update={"id": f"m{i}", "payment": p, "due": start + timedelta(days=30 * i)}
        )
        for i, p in enumerate(payments)
    ]
    deal = Deal.model_validate(
        {
            **base.model_dump(by_alias=True, exclude_unset=True),
            "value": value,
            "effective": start,
            "milestones": [m.model_dump(by_alias=True, exclude_unset=True) for m in milestones],
            "sla": {
                **base.sla.model_dump(by_alias=True, exclude_unset=True),
                "gap-tolerance": str(tolerance),
                "credit-cap": str(cap),
            },
            "gainshare": {
                **base.gainshare.model_dump(by_alias=True, exclude_unset=True),
                "price": price,
            },
        }
    )
    again = load_text(dump_deal(deal), "round.yaml")
    assert again.diagnostics == []
    assert again.deal == deal


@given(percents)
def test_percent_text_round_trips(p: Percent) -> None:
    assert Percent.parse(str(p)) == p


@given(durations)
def test_duration_text_round_trips(d: Duration) -> None:
    assert Duration.parse(str(d)) == d
