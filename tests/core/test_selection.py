"""The ranking of an evaluation, worked by hand, and its invariants.

examples/selection/hybrid-dc1-evaluation.yaml: three candidates, five criteria (controls
expertise 25%, monitoring 20%, local service 20%, financing 15%, data sharing 20%), Ana and Raj
scoring 0 to 5. The means (Ana's score, Raj's score → mean):

    voltworks  4.5 (5,4)  4.0 (4,4)  3.5 (3,4)  3.5 (4,3)  5.0 (5,5)
    gridco     3.5 (3,4)  3.0 (3,3)  5.0 (5,5)  4.5 (5,4)  3.0 (2,4)
    sunbox     3.0 (4,2)  4.5 (5,4)  2.0 (2,2)  3.0 (3,3)  3.5 (4,3)

    voltworks  .25 × 4.5 + .20 × 4.0 + .20 × 3.5 + .15 × 3.5 + .20 × 5.0
             = 1.125 + 0.80 + 0.70 + 0.525 + 1.00 = 4.15
    gridco     0.875 + 0.60 + 1.00 + 0.675 + 0.60 = 3.75
    sunbox     0.75 + 0.90 + 0.40 + 0.45 + 0.70 = 3.20

VoltWorks leads GridCo by 0.40; per criterion weight × (4.5−3.5, 4−3, 3.5−5, 3.5−4.5, 5−3) =
0.25, 0.20, −0.30, −0.15, 0.40: data sharing decided it. Ana and Raj are 2 points apart on
GridCo's data sharing and SunBox's controls expertise: the two disagreements.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from copact.core.quantities import Percent
from copact.core.selection import Evaluation, check_evaluation, rank, shown
from copact.dealfile.evaluation import load_evaluation
from tests.conftest import EXAMPLES

EXAMPLE = EXAMPLES / "selection" / "hybrid-dc1-evaluation.yaml"


def _example() -> Evaluation:
    loaded = load_evaluation(EXAMPLE)
    assert loaded.diagnostics == []
    assert loaded.evaluation is not None
    return loaded.evaluation


def test_the_worked_example_ranks_voltworks_first_on_data_sharing() -> None:
    ranking = rank(_example())
    assert [(s.place, s.candidate, s.score) for s in ranking.standings] == [
        ("1", "voltworks", Decimal("4.15")),
        ("2", "gridco", Decimal("3.75")),
        ("3", "sunbox", Decimal("3.20")),
    ]
    volt = ranking.of("voltworks")
    assert [m.mean for m in volt.criteria] == [
        Fraction(9, 2), 4, Fraction(7, 2), Fraction(7, 2), 5
    ]  # fmt: skip
    assert ranking.decider is not None
    assert ranking.decider.criterion == "data-sharing"
    assert ranking.decider.margin == Fraction(2, 5) == ranking.decider.lead
    assert [(s.candidate, m.criterion, m.spread) for s, m in ranking.disagreements()] == [
        ("gridco", "data-sharing", 2),
        ("sunbox", "controls-expertise", 2),
    ]
    assert [ranking.percent(s) for s in ranking.standings] == [
        Decimal("83.0"), Decimal("75.0"), Decimal("64.0")
    ]  # fmt: skip
    assert check_evaluation(_example()) == []


def test_equal_scores_are_a_tie_and_share_the_rank() -> None:
    """SunBox rescored to GridCo's marks: both 3.75, =2 (listed by id), VoltWorks still 1."""
    data = _example().model_dump(by_alias=True)
    data["evaluators"][0]["scores"]["sunbox"] = data["evaluators"][0]["scores"]["gridco"]
    data["evaluators"][1]["scores"]["sunbox"] = data["evaluators"][1]["scores"]["gridco"]
    ranking = rank(Evaluation.model_validate(data))
    assert [(s.place, s.candidate) for s in ranking.standings] == [
        ("1", "voltworks"), ("=2", "gridco"), ("=2", "sunbox")
    ]  # fmt: skip


def test_a_tie_first_has_no_decider() -> None:
    data = _example().model_dump(by_alias=True)
    for e in data["evaluators"]:
        e["scores"]["gridco"] = e["scores"]["voltworks"]
    ranking = rank(Evaluation.model_validate(data))
    assert [s.place for s in ranking.first] == ["=1", "=1"]
    assert ranking.decider is None


def test_scores_are_shown_half_even_to_two_decimals() -> None:
    assert shown(Fraction(3925, 1000)) == Decimal("3.92")
    assert shown(Fraction(3935, 1000)) == Decimal("3.94")
    assert shown(Fraction(10, 3)) == Decimal("3.33")
    assert shown(Fraction(4)) == Decimal("4.00")


# --- invariants ---------------------------------------------------------------------------

_N_CRITERIA = 3


@st.composite
def evaluations(draw: Any) -> dict[str, Any]:
    """3 to 5 candidates, three criteria with positive weights, 1 to 4 evaluators, 0–5."""
    n = draw(st.integers(3, 5))
    people = draw(st.integers(1, 4))
    weights = draw(st.lists(st.integers(1, 60), min_size=_N_CRITERIA, max_size=_N_CRITERIA))
    score = st.integers(0, 10).map(lambda half: Decimal(half) / 2)
    criteria = [f"c{i}" for i in range(_N_CRITERIA)]
    candidates = [f"s{i}" for i in range(n)]
    return {
        "copact-evaluation": 1,
        "criteria": [
            {"id": c, "weight": Percent(Decimal(w) / 100)}
            for c, w in zip(criteria, weights, strict=True)
        ],
        "candidates": [{"id": c, "name": c.upper()} for c in candidates],
        "evaluators": [
            {
                "person": f"p{p}",
                "scores": {c: {k: draw(score) for k in criteria} for c in candidates},
            }
            for p in range(people)
        ],
    }


def _order(data: dict[str, Any]) -> list[tuple[int, str, Fraction]]:
    return [(s.rank, s.candidate, s.exact) for s in rank(Evaluation.model_validate(data)).standings]


@settings(deadline=None)
@given(evaluations())
def test_the_weighted_score_lies_within_the_scale(data: dict[str, Any]) -> None:
    for s in rank(Evaluation.model_validate(data)).standings:
        assert 0 <= s.exact <= 5
        assert Decimal(0) <= s.score <= Decimal(5)


@settings(deadline=None)
@given(evaluations(), st.data())
def test_raising_a_score_never_lowers_the_weighted_score(data: dict[str, Any], more: Any) -> None:
    before = {c: e for _, c, e in _order(data)}
    evaluator = more.draw(st.sampled_from(data["evaluators"]))
    candidate = more.draw(st.sampled_from(sorted(evaluator["scores"])))
    criterion = more.draw(st.sampled_from(sorted(evaluator["scores"][candidate])))
    old = evaluator["scores"][candidate][criterion]
    evaluator["scores"][candidate][criterion] = more.draw(
        st.integers(int(old * 2), 10).map(lambda half: Decimal(half) / 2)
    )
    after = {c: e for _, c, e in _order(data)}
    assert after[candidate] >= before[candidate]
    assert all(after[c] == before[c] for c in before if c != candidate)


@settings(deadline=None)
@given(evaluations(), st.randoms(use_true_random=False))
def test_permuting_candidates_or_evaluators_does_not_change_the_ranking(
    data: dict[str, Any], rnd: Any
) -> None:
    before = _order(data)
    shuffled = dict(data)
    shuffled["candidates"] = rnd.sample(data["candidates"], len(data["candidates"]))
    shuffled["evaluators"] = rnd.sample(data["evaluators"], len(data["evaluators"]))
    assert _order(shuffled) == before


@settings(deadline=None)
@given(
    evaluations(),
    st.integers(1, 49),
    st.integers(1, 49),
    st.sampled_from([Decimal("0.1"), Decimal(3), Decimal(7), Decimal("12.5")]),
)
def test_weights_scaled_to_100_percent_give_the_same_order_and_scores(
    data: dict[str, Any], first: int, second: int, k: Decimal
) -> None:
    """Weights of 30%, 45%, 25% and the same × 7 (210%, 315%, 175%) rank alike, exactly."""
    points = [Decimal(first), Decimal(second), Decimal(100 - first - second)]
    hundred = {**data, "criteria": [
        {**c, "weight": Percent.of(p)} for c, p in zip(data["criteria"], points, strict=True)
    ]}  # fmt: skip
    scaled = {**data, "criteria": [
        {**c, "weight": Percent.of(p * k)} for c, p in zip(data["criteria"], points, strict=True)
    ]}  # fmt: skip
    assert not [d for d in check_evaluation(Evaluation.model_validate(hundred)) if d.code == "Q852"]
    assert _order(scaled) == _order(hundred)
