"""Run the rules over loaded deal files and apply the selection, the ignores and the deal's own
``ignore:`` entries."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from copact.core.diagnostic import Diagnostic, Severity
from copact.dealfile.loader import LoadedDeal
from copact.rules.catalogue import all_rules, get_rule
from copact.rules.registry import Rule

__all__ = ["Selection", "check_deal", "code_matches"]


def code_matches(code: str, patterns: Iterable[str]) -> bool:
    """``M2`` matches every M2xx code, ``M`` the whole family, ``ALL`` everything."""
    return any(p.upper() == "ALL" or code.startswith(p.upper()) for p in patterns)


@dataclass(frozen=True)
class Selection:
    """Which codes to report: ``select`` (empty means all) minus ``ignore``."""

    select: Collection[str] = ()
    ignore: Collection[str] = ()

    def wants(self, code: str) -> bool:
        if self.select and not code_matches(code, self.select):
            return False
        return not code_matches(code, self.ignore)


def check_deal(loaded: LoadedDeal, selection: Selection | None = None) -> list[Diagnostic]:
    """Every finding of one loaded deal file, placed at its line and column, sorted."""
    if loaded.deal is None:
        found = list(loaded.diagnostics)
    else:
        found = [loaded.place(d) for d in _run(loaded, all_rules())]
    wanted = selection or Selection()
    kept = [d for d in found if wanted.wants(d.code)]
    return sorted(kept, key=lambda d: d.sort_key)


def _run(loaded: LoadedDeal, rules: list[Rule]) -> Iterable[Diagnostic]:
    deal = loaded.deal
    assert deal is not None
    silenced: set[str] = set()
    for index, entry in enumerate(deal.ignore):
        if get_rule(entry.code) is None:
            yield Diagnostic(
                "E002",
                Severity.ERROR,
                f"ignore names an unknown rule code '{entry.code}'",
                "`copact rules` lists the codes",
                f"/ignore/{index}/code",
            )
        else:
            silenced.add(entry.code)
    for rule in rules:
        if rule.check is None or rule.code in silenced:
            continue
        for finding in rule.check(deal):
            yield Diagnostic(
                rule.code,
                rule.severity,
                finding.message or rule.summary,
                finding.hint or rule.hint,
                finding.pointer,
            )
