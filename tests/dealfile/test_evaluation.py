"""An evaluation file's problems, each on its line and column, never a traceback; and the
deal's selection section written with every other line of the deal kept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copact.core.mechanisms import Candidate, Selection
from copact.core.quantities import Percent
from copact.dealfile.evaluation import MAX_BYTES, load_bytes, load_text, write_selection
from copact.dealfile.loader import load_text as load_deal_text
from copact.rules.runner import check_deal
from tests.conftest import EXAMPLES

GOOD = """\
copact-evaluation: 1
deal: hybrid-dc1
scale: {min: 0, max: 5}
criteria:
  - {id: expertise, weight: 60%}
  - {id: service, weight: 40%}
candidates:
  - {id: voltworks, name: VoltWorks Inc.}
  - {id: gridco, name: GridCo Power Services}
  - {id: sunbox, name: SunBox Energy Systems}
evaluators:
  - person: ana
    scores:
      voltworks: {expertise: 5, service: 3}
      gridco: {expertise: 3, service: 5}
      sunbox: {expertise: 2, service: 2}
"""


def _problems(text: str) -> list[tuple[str, int, int]]:
    loaded = load_text(text, "eval.yaml")
    assert all(d.path == "eval.yaml" for d in loaded.diagnostics)
    return [(d.code, d.line, d.column) for d in loaded.diagnostics]


def test_the_good_file_has_no_problem() -> None:
    loaded = load_text(GOOD, "eval.yaml")
    assert loaded.diagnostics == [] and loaded.evaluation is not None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("weight: 40%}", "weight: 30%}", [("Q852", 4, 1)]),  # 90%: at criteria
        ("weight: 40%}", "weight: 40}", [("Q851", 6, 19)]),  # no % sign
        ("{expertise: 3, service: 5}", "{expertise: 3, service: 6}", [("Q854", 15, 30)]),
        ("{expertise: 2, service: 2}", "{expertise: 2}", [("Q855", 16, 7)]),  # left out
        ("      sunbox: {expertise: 2, service: 2}\n", "", [("Q855", 13, 5)]),
        ("{expertise: 5, service: 3}", "{expertise: 5, service: 3, price: 4}", [("Q856", 14, 45)]),
        ("      gridco:", "      gridko:", [("Q855", 13, 5), ("Q856", 15, 7)]),
        ("  - {id: sunbox, name: SunBox Energy Systems}\n", "", [("Q853", 7, 1), ("Q856", 15, 7)]),
        ("id: sunbox", "id: gridco", [("Q856", 16, 7), ("Q857", 10, 6)]),
        ("scale: {min: 0, max: 5}", "scale: {min: 5, max: 0}", [("Q851", 3, 1)]),
        ("deal: hybrid-dc1", "deal: hybrid-dc1\nvendor: x", [("Q851", 3, 1)]),
        ("criteria:", "criteria: [", [("Q850", 5, 3)]),
    ],
)
def test_each_problem_is_placed_on_its_line(
    old: str, new: str, expected: list[tuple[str, int, int]]
) -> None:
    assert old in GOOD
    assert sorted(_problems(GOOD.replace(old, new, 1))) == sorted(expected)


def test_a_score_with_a_note_and_a_fractional_score() -> None:
    text = GOOD.replace("service: 3}", "service: {score: 3.5, note: 2 h away}}")
    loaded = load_text(text, "eval.yaml")
    assert loaded.diagnostics == []
    assert loaded.evaluation is not None
    mark = loaded.evaluation.evaluators[0].scores["voltworks"]["service"]
    assert (mark.score, mark.note) == (Decimal("3.5"), "2 h away")


def test_limits_are_held_at_the_door() -> None:
    many = "\n".join(f"  - {{id: s{i}, name: S{i}}}" for i in range(51))
    text = GOOD.replace(
        "  - {id: voltworks, name: VoltWorks Inc.}\n",
        "  - {id: voltworks, name: V}\n" + many + "\n",
    )
    assert ("Q851", 7, 1) in _problems(text)
    long_name = GOOD.replace("name: VoltWorks Inc.", "name: " + "V" * 201)
    assert [c for c, _, _ in _problems(long_name)] == ["Q851"]
    assert load_bytes(b"x" * (MAX_BYTES + 1), "big.yaml").errors[0].code == "Q850"
    assert load_bytes(b"\xff\xfe", "bin.yaml").errors[0].code == "Q850"
    assert _problems("just text") == [("Q851", 1, 1)]


def test_evaluators_who_are_not_the_buyers_people_are_warned_of() -> None:
    deal = load_deal_text((EXAMPLES / "hybrid-dc1.yaml").read_text()).deal
    assert deal is not None
    text = GOOD.replace("person: ana", "person: sam").replace("deal: hybrid-dc1", "deal: other")
    loaded = load_text(text, "eval.yaml", deal=deal)
    assert [(d.code, d.severity.value, d.line) for d in loaded.diagnostics] == [
        ("Q858", "warning", 2),
        ("Q858", "warning", 12),
    ]
    assert "of voltworks, not the buyer" in loaded.diagnostics[1].message


SELECTION = Selection(
    candidates=[
        Candidate(id="voltworks", score=Decimal("4.15")),
        Candidate(id="gridco", score=Decimal("3.75")),
        Candidate(id="sunbox", score=Decimal("3.20")),
    ],
    criteria={"expertise": Percent.of(60), "service": Percent.of(40)},
    chosen="voltworks",
)


def test_the_selection_is_appended_and_every_other_line_kept() -> None:
    text = (EXAMPLES / "hybrid-dc1.yaml").read_text()
    written = write_selection(text, SELECTION, comment="from eval.yaml")
    assert written.startswith(text)  # comments, flow mappings and order untouched
    assert "  # from eval.yaml\n  candidates:\n    - {id: voltworks, score: 4.15}\n" in written
    loaded = load_deal_text(written)
    assert loaded.deal is not None and loaded.deal.selection == SELECTION
    assert not [f for f in check_deal(loaded) if f.code.startswith("Q")]


def test_a_selection_already_there_is_replaced_in_place() -> None:
    text = (EXAMPLES / "flawed" / "one-sided-governance.yaml").read_text()
    written = write_selection(text, SELECTION)
    before, after = text.split("selection:\n"), written.split("selection:\n")
    assert after[0] == before[0]  # everything above, comments included
    assert after[1].split("\nrisk-controls:")[1] == before[1].split("\nrisk-controls:")[1]
    assert "Q801: two candidates" not in written
    again = write_selection(written, SELECTION.model_copy(update={"reason": 'a "quoted" 2 h'}))
    loaded = load_deal_text(again)
    assert loaded.deal is not None and loaded.deal.selection is not None
    assert loaded.deal.selection.reason == 'a "quoted" 2 h'
