"""The example deals: the clean ones pass `copact check --strict`, the flawed ones fail on purpose.

`examples/*.yaml` are complete deals a user can copy (the hybrid backup power project, the
heat-resistant sensor housing, the SaaS integration, the seasonal packaging capacity).
`examples/flawed/*.yaml` each show one rule family going wrong, with a comment on every flawed
line; the table below says which codes each must produce.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from copact.core.diagnostic import Severity
from copact.dealfile.loader import load_deal
from copact.rules.runner import check_deal
from tests.conftest import EXAMPLES

CLEAN = sorted(EXAMPLES.glob("*.yaml"))
FLAWED = EXAMPLES / "flawed"

EXPECTED: dict[str, set[str]] = {
    "broken-yaml.yaml": {"E001"},
    "format-mistakes.yaml": {"E002"},
    "bad-references.yaml": {"E003"},
    "vague-scope.yaml": {"S101", "S102", "S103", "S104", "S105", "S106"},
    "soft-milestones.yaml": {
        "M201", "M202", "M203", "M204", "M205", "M206", "M207", "M208", "M209",
    },
    "ip-gaps.yaml": {"I301", "I303", "I305"},
    "no-exit.yaml": {"X401", "X402", "X403", "X404", "X405", "X406"},
    "risky-controls.yaml": {"R501", "R502", "R503", "R504", "R505", "R506"},
    "uncapped-payments.yaml": {
        "P601", "P602", "P603", "P604", "P605", "P606", "P607", "P608", "P609",
    },
    "one-sided-governance.yaml": {
        "G701", "G702", "G703", "G704", "G705", "G706", "G707", "Q801", "Q802",
    },
    "invoicing-gaps.yaml": {"V901", "V903", "V904", "V905", "V906", "V907", "V908"},
}  # fmt: skip


def test_there_are_clean_examples() -> None:
    assert {p.name for p in CLEAN} >= {
        "hybrid-dc1.yaml",
        "heat-sensor-housing.yaml",
        "saas-integration.yaml",
        "seasonal-packaging.yaml",
    }


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_clean_example_passes_strict_check(path: Path) -> None:
    loaded = load_deal(path)
    assert loaded.diagnostics == []
    assert loaded.deal is not None
    findings = [
        (f.line, f.code, f.message)
        for f in check_deal(loaded)
        if f.severity in (Severity.ERROR, Severity.WARNING)
    ]
    assert findings == []


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_clean_example_milestones_add_up_to_the_value(path: Path) -> None:
    deal = load_deal(path).deal
    assert deal is not None
    total = sum(m.payment.fraction for m in deal.milestones if m.payment is not None)
    assert total == 1


def test_every_flawed_file_is_in_the_table() -> None:
    assert {p.name for p in FLAWED.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize(("name", "codes"), sorted(EXPECTED.items()))
def test_flawed_example_shows_its_family(name: str, codes: set[str]) -> None:
    findings = check_deal(load_deal(FLAWED / name))
    found = {f.code for f in findings}
    assert codes <= found, f"missing {sorted(codes - found)}; found {sorted(found)}"
    assert all(f.line >= 1 and f.column >= 1 for f in findings)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_flawed_example_explains_each_flaw_in_a_comment(name: str) -> None:
    text = (FLAWED / name).read_text()
    for code in EXPECTED[name]:
        assert code in text, f"{name} has no comment naming {code}"
