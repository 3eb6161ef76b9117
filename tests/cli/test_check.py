"""`copact check` end to end through Typer's CliRunner: exit codes, outputs and their schemas."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES, FIXTURES

runner = CliRunner()
SAMPLE = FIXTURES / "cli" / "sample-deal.yaml"
OUTPUT_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "src/copact/cli/schemas/check.schema.json").read_text()
)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_the_reference_examples_pass_strictly() -> None:
    code, output = run("check", *map(str, sorted(EXAMPLES.glob("*.yaml"))), "--strict")
    assert code == 0, output
    assert "All checks passed" in output


def test_an_error_exits_1_and_points_at_the_line() -> None:
    code, output = run("check", str(SAMPLE))
    assert code == 1
    # the sign-off by the supplier's own person sits on line 27, column 7 of the sample
    assert f"{SAMPLE}:27:7: M205" in output
    assert "help:" in output


def test_a_missing_file_exits_2_without_a_traceback() -> None:
    code, output = run("check", "no/such/deal.yaml")
    assert code == 2
    assert "no such file" in output
    assert "Traceback" not in output


def test_select_and_ignore_narrow_the_findings() -> None:
    _, output = run("check", str(SAMPLE), "--format", "json", "--select", "M2")
    codes = {f["code"] for f in json.loads(output)["files"][0]["findings"]}
    assert codes and all(c.startswith("M2") for c in codes)
    _, output = run("check", str(SAMPLE), "--format", "json", "--ignore", "M,S")
    codes = {f["code"] for f in json.loads(output)["files"][0]["findings"]}
    assert not any(c.startswith(("M", "S")) for c in codes)


def test_strict_fails_on_warnings_only_when_asked() -> None:
    code, _ = run("check", str(SAMPLE), "--select", "S102")
    assert code == 0
    code, _ = run("check", str(SAMPLE), "--select", "S102", "--strict")
    assert code == 1


def test_json_output_matches_its_schema() -> None:
    code, output = run("check", str(SAMPLE), str(EXAMPLES), "--format", "json")
    document = json.loads(output)
    jsonschema.validate(document, OUTPUT_SCHEMA)
    total = sum(len(f["findings"]) for f in document["files"])
    assert sum(document["summary"].values()) == total
    assert code == 1


def test_sarif_is_2_1_0_with_every_rule_and_a_located_result() -> None:
    _, output = run("check", str(SAMPLE), "--format", "sarif")
    sarif = json.loads(output)
    assert sarif["version"] == "2.1.0"
    run0 = sarif["runs"][0]
    rules = run0["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    for result in run0["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert result["level"] in ("error", "warning", "note")
    assert "M205" in ids and "E001" in ids
    jsonschema.validate(sarif, SARIF_SUBSET)


def test_rules_lists_and_explains() -> None:
    code, output = run("rules")
    assert code == 0 and "M202" in output and "X401" in output
    code, output = run("rules", "m202")
    assert code == 0
    for section in ("What it checks", "Why", "Example", "Use instead"):
        assert section in output
    code, output = run("rules", "Z999")
    assert code == 2


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_validate_against_the_published_schema(path: Path) -> None:
    from copact.dealfile.nodes import parse_yaml

    code, output = run("schema")
    assert code == 0
    schema = json.loads(output)
    parsed = parse_yaml(path.read_text())
    assert isinstance(parsed, tuple)
    # JSON has no date or decimal type: compare the file as a JSON document would carry it
    data = json.loads(json.dumps(parsed[0], default=_jsonable))
    jsonschema.validate(data, schema)


def _jsonable(value: object) -> object:
    from datetime import date
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(value)


# The parts of the SARIF 2.1.0 schema (OASIS) that a consumer such as GitHub code scanning reads.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "shortDescription": {
                                                    "type": "object",
                                                    "required": ["text"],
                                                },
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {
                                                        "level": {
                                                            "enum": [
                                                                "none",
                                                                "note",
                                                                "warning",
                                                                "error",
                                                            ]
                                                        }
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {
                                    "type": "object",
                                    "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
                                },
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "properties": {"uri": {"type": "string"}},
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                            "startColumn": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_a_folder_check_leaves_out_a_supplier_evaluation_but_a_named_one_is_checked() -> None:
    """`copact check examples/selection/` finds no deal there (the evaluation declares
    `copact-evaluation: 1`), while naming the file checks it as a deal, which it is not."""
    folder = EXAMPLES / "selection"
    result = runner.invoke(app, ["check", str(folder), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["files"] == []
    named = runner.invoke(app, ["check", str(folder / "hybrid-dc1-evaluation.yaml")])
    assert named.exit_code == 1 and "E002" in named.output
