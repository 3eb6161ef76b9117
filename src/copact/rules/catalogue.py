"""Imports every rule module, which registers its rules. The order here does not matter."""

from copact.rules import (  # noqa: F401
    exit_terms,
    format,
    governance,
    ip,
    milestones,
    payments,
    references,
    risk_controls,
    scope,
    selection,
)
