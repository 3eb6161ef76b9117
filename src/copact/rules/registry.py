"""The rule catalogue: one :class:`Rule` per code, registered by the module that checks it.

A rule is a function from a :class:`~copact.core.deal.Deal` to the findings it makes, each a
JSON pointer into the deal and, optionally, a message more precise than the rule's summary::

    @rule("M203", "milestone-without-evidence", Severity.ERROR,
          "a milestone names no evidence", hint="list the evidence kinds that prove it")
    def milestone_without_evidence(deal: Deal) -> Iterator[Finding]:
        '''What it checks / Why / Example / Use instead: the page `copact rules M203` prints.'''

Codes are stable and never reused; the docstring is the rule's documentation. The catalogue
(``copact.rules.catalogue``) imports every rule module and answers for the whole set.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from copact.core.deal import Deal
from copact.core.diagnostic import Severity

__all__ = ["REGISTRY", "Finding", "Rule", "document", "rule"]


class Finding(NamedTuple):
    """Where a rule found a problem (a JSON pointer) and, optionally, what exactly."""

    pointer: str
    message: str | None = None
    hint: str | None = None


Check = Callable[[Deal], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    hint: str
    doc: str
    check: Check | None

    @property
    def family(self) -> str:
        return _FAMILIES[self.code[0]]


_FAMILIES = {
    "E": "format",
    "S": "scope",
    "M": "milestones",
    "I": "intellectual property",
    "X": "exit",
    "R": "risk controls",
    "P": "payment mechanisms",
    "G": "governance",
    "Q": "selection",
    "V": "invoicing",
}

REGISTRY: dict[str, Rule] = {}


def rule(
    code: str, name: str, severity: Severity, summary: str, *, hint: str
) -> Callable[[Check], Check]:
    """Register the decorated function as the check of rule ``code``."""

    def register(check: Check) -> Check:
        if code in REGISTRY:
            raise ValueError(f"rule code {code} registered twice")
        REGISTRY[code] = Rule(
            code, name, severity, summary, hint, inspect.cleandoc(check.__doc__ or ""), check
        )
        return check

    return register


def document(
    code: str, name: str, severity: Severity, summary: str, *, hint: str, doc: str
) -> None:
    """Register a rule that the loader checks itself (E001, E002): documentation only."""
    REGISTRY[code] = Rule(code, name, severity, summary, hint, inspect.cleandoc(doc), None)
