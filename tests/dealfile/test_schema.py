"""`copact schema`: the reference deals validate against it, and the keys an invoice needs are
described where an editor shows them."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from copact.dealfile.loader import load_text
from copact.dealfile.nodes import parse_yaml
from copact.dealfile.schema import deal_schema
from tests.conftest import EXAMPLES

VALIDATOR = jsonschema.Draft202012Validator(
    deal_schema(), format_checker=jsonschema.FormatChecker()
)


def _json(value: Any) -> Any:
    """The deal's YAML data as a JSON document has it: dates are ISO strings."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def _data(path: Path) -> dict[str, Any]:
    parsed = parse_yaml(path.read_text())
    assert isinstance(parsed, tuple)
    data = _json(parsed[0])
    assert isinstance(data, dict)
    return data


def _errors(data: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in VALIDATOR.iter_errors(data)]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_reference_deals_validate_against_the_schema(path: Path) -> None:
    assert _errors(_data(path)) == []


def test_the_invoice_keys_are_described() -> None:
    defs = deal_schema()["$defs"]
    for model in ("Party", "Address", "PaymentInstructions", "Tax"):
        properties = defs[model]["properties"]
        new = set(properties) - {"id", "name", "role"}
        undescribed = sorted(k for k in new if "description" not in properties[k])
        assert undescribed == [], f"{model}: {undescribed}"
    assert "VAT" in deal_schema()["properties"]["tax"]["description"]


def test_the_default_rate_is_written_as_a_deal_file_writes_it() -> None:
    rate = deal_schema()["$defs"]["Tax"]["properties"]["rate"]
    assert rate["default"] == "0%"
    assert not list(jsonschema.Draft202012Validator(rate).iter_errors(rate["default"]))


@pytest.mark.parametrize("country", ["Germany", "de", "D"])
def test_the_schema_and_the_loader_both_refuse_a_country_that_is_not_a_code(country: str) -> None:
    path = EXAMPLES / "seasonal-packaging.yaml"
    data = copy.deepcopy(_data(path))
    data["parties"][1]["address"]["country"] = country
    assert [e for e in _errors(data) if e.startswith("parties/1/address")]
    text = path.read_text().replace(
        "postcode: 6827 AV, country: NL", f"postcode: 6827 AV, country: {country}"
    )
    assert load_text(text).diagnostics, "the loader accepted the country"
