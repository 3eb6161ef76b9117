"""The JSON Schema of deal file format 1, generated from the models in ``core/deal.py``."""

from __future__ import annotations

from typing import Any

from copact.core.deal import Deal

__all__ = ["SCHEMA_ID", "deal_schema"]

SCHEMA_ID = "urn:copact:schema:deal:1"


def deal_schema() -> dict[str, Any]:
    schema = Deal.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "copact deal file, format 1",
        **{k: v for k, v in schema.items() if k != "title"},
    }
