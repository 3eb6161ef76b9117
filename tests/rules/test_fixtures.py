"""Every rule has a failing and a passing fixture: RFC 6902 patches applied to a clean deal.

A fixture file ``tests/fixtures/rules/CODE.yaml`` reads::

    base: examples/hybrid-dc1.yaml          # optional; the clean deal the patches apply to
    fail:
      - name: reasonable satisfaction
        patch: [{op: replace, path: /milestones/0/acceptance/criteria/0, value: ...}]
        expect: [/milestones/0/acceptance/criteria/0]   # pointers the code must be reported at
    pass:
      - name: measurable criterion
        patch: [...]

The patched deal is dumped to YAML and checked through the same path as `copact check`, so
the test also proves the finding lands on a line of the file.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonpatch
import pytest

from copact.dealfile.dump import dump_data
from copact.dealfile.loader import load_text
from copact.dealfile.nodes import parse_yaml
from copact.rules.catalogue import all_rules
from copact.rules.runner import check_deal
from tests.conftest import FIXTURES, ROOT

RULE_FIXTURES = FIXTURES / "rules"


def _load_fixture(path: Path) -> dict[str, Any]:
    parsed = parse_yaml(path.read_text())
    assert isinstance(parsed, tuple), f"{path} is not valid YAML"
    data = parsed[0]
    assert isinstance(data, dict)
    return data


def _base(spec: dict[str, Any]) -> Any:
    parsed = parse_yaml((ROOT / spec.get("base", "examples/hybrid-dc1.yaml")).read_text())
    assert isinstance(parsed, tuple)
    return parsed[0]


def _cases() -> list[Any]:
    cases = []
    for path in sorted(RULE_FIXTURES.glob("*.yaml")):
        spec = _load_fixture(path)
        for outcome in ("fail", "pass"):
            for case in spec.get(outcome, []):
                cases.append(
                    pytest.param(
                        path.stem, outcome, spec, case, id=f"{path.stem}-{outcome}-{case['name']}"
                    )
                )
    return cases


def _findings(spec: dict[str, Any], case: dict[str, Any], code: str) -> list[Any]:
    data = jsonpatch.apply_patch(copy.deepcopy(_base(spec)), case.get("patch", []))
    text = case["text"] if "text" in case else dump_data(data)
    loaded = load_text(text, f"{code}.yaml")
    return check_deal(loaded)


@pytest.mark.parametrize(("code", "outcome", "spec", "case"), _cases())
def test_rule_fixture(code: str, outcome: str, spec: dict[str, Any], case: dict[str, Any]) -> None:
    findings = _findings(spec, case, code)
    mine = [f for f in findings if f.code == code]
    if outcome == "fail":
        assert mine, f"{code} not reported; got {[(f.code, f.pointer) for f in findings]}"
        expected = case.get("expect")
        if expected is not None:
            assert sorted({f.pointer for f in mine}) == sorted(set(expected))
        assert all(f.line >= 1 and f.column >= 1 for f in mine)
    else:
        assert not mine, f"{code} reported: {[(f.pointer, f.message) for f in mine]}"
        if case.get("clean", False):
            assert not [f for f in findings if f.severity != "info"], findings


def test_every_rule_has_a_failing_and_a_passing_fixture() -> None:
    for rule in all_rules():
        path = RULE_FIXTURES / f"{rule.code}.yaml"
        assert path.exists(), f"no fixture for {rule.code}"
        spec = _load_fixture(path)
        assert spec.get("fail"), f"{rule.code} has no failing fixture"
        assert spec.get("pass"), f"{rule.code} has no passing fixture"


def test_every_rule_documents_what_why_example_and_alternative() -> None:
    for rule in all_rules():
        for section in ("**What it checks.**", "**Why.**", "**Example.**", "**Use instead.**"):
            assert section in rule.doc, f"{rule.code} lacks {section}"
