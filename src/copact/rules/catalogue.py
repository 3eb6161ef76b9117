"""The whole rule catalogue: importing this module imports every rule module, which registers
its rules; :func:`all_rules` and :func:`get_rule` answer for the set."""

from __future__ import annotations

from copact.rules import (  # noqa: F401  (each module registers its rules on import)
    exit_terms,
    format,
    governance,
    invoicing,
    ip,
    milestones,
    payments,
    references,
    risk_controls,
    scope,
    selection,
)
from copact.rules.registry import REGISTRY, Rule

__all__ = ["all_rules", "get_rule"]


def all_rules() -> list[Rule]:
    """Every rule, ordered by code."""
    return [REGISTRY[code] for code in sorted(REGISTRY)]


def get_rule(code: str) -> Rule | None:
    return REGISTRY.get(code.upper())
