"""Values and deals back to YAML text (starter deals, round-trip tests, approved amendments)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import SafeRepresenter

from copact.core.changes import merge_patch
from copact.core.deal import Deal
from copact.dealfile.nodes import YamlFault, parse_yaml

__all__ = ["amend", "dump_data", "dump_deal", "plain"]


def _represent_decimal(representer: SafeRepresenter, value: Decimal) -> Any:
    text = f"{value:f}"
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return representer.represent_scalar(tag, text)


def plain(value: Any) -> Any:
    """Enums to their values, tuples to lists; Decimal and date stay as they are."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def dump_data(data: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # keep section order
    yaml.width = 100
    yaml.representer.add_representer(Decimal, _represent_decimal)
    yaml.representer.add_representer(date, SafeRepresenter.represent_date)
    out = io.StringIO()
    yaml.dump(plain(data), out)
    return out.getvalue()


def dump_deal(deal: Deal) -> str:
    """The deal as format 1 YAML; loading the text gives an equal deal."""
    return dump_data(deal.model_dump(mode="python", by_alias=True, exclude_unset=True))


def amend(text: str, patch: dict[str, Any]) -> str:
    """A deal's text with a change order's JSON Merge Patch applied (RFC 7386, keys as written
    in the file, e.g. ``{"milestones": [...], "change-control": {"threshold": 8000}}``). The
    result is the next version's text; comments of the original do not carry over."""
    parsed = parse_yaml(text)
    if isinstance(parsed, YamlFault):
        raise ValueError(f"the stored deal does not parse: {parsed.message}")
    data, _, _ = parsed
    return dump_data(merge_patch(data, patch))
