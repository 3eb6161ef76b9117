"""Render a lint report as text (ruff-like), JSON (DESIGN §5) or SARIF 2.1.0."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.text import Text

from copact import __version__
from copact.core.diagnostic import Severity
from copact.rules.catalogue import all_rules
from copact.rules.registry import Rule
from copact.services.lint import LintReport

__all__ = ["render_json", "render_sarif", "render_text", "to_json"]

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_text(report: LintReport, console: Console) -> None:
    """``path:line:col: CODE message`` and a ``help:`` line per finding, then a summary."""
    for file in report.files:
        for d in file.findings:
            line = Text()
            line.append(f"{d.path}:{d.line}:{d.column}:", style="bold")
            line.append(" ")
            line.append(d.code, style=_STYLE[d.severity])
            line.append(f" {d.message}")
            console.print(line, soft_wrap=True)
            console.print(Text("  help: ", style="dim").append(d.hint), soft_wrap=True)
    summary = report.summary
    files = len(report.files)
    total = sum(summary.values())
    noun = "file" if files == 1 else "files"
    if total == 0:
        console.print(f"All checks passed: {files} {noun}.", style="green")
        return
    parts = [f"{n} {sev}{'' if n == 1 else 's'}" for sev, n in summary.items() if n]
    console.print(f"Found {', '.join(parts)} in {files} {noun}.")


def to_json(report: LintReport) -> dict[str, Any]:
    return {
        "files": [
            {
                "path": f.path,
                "findings": [
                    {
                        "code": d.code,
                        "severity": d.severity.value,
                        "message": d.message,
                        "hint": d.hint,
                        "line": d.line,
                        "column": d.column,
                        "pointer": d.pointer,
                    }
                    for d in f.findings
                ],
            }
            for f in report.files
        ],
        "summary": report.summary,
    }


def render_json(report: LintReport) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False)


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc.split("\n\n")[0].replace("**", "")},
        "help": {"text": rule.hint, "markdown": rule.doc},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {"family": rule.family},
    }


def render_sarif(report: LintReport) -> str:
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for file in report.files:
        for d in file.findings:
            results.append(
                {
                    "ruleId": d.code,
                    "ruleIndex": index[d.code],
                    "level": _SARIF_LEVEL[d.severity],
                    "message": {"text": f"{d.message}. help: {d.hint}"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": d.path.replace("\\", "/")},
                                "region": {"startLine": d.line, "startColumn": d.column},
                            },
                            "logicalLocations": [
                                {"fullyQualifiedName": d.pointer or "/", "kind": "member"}
                            ],
                        }
                    ],
                }
            )
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "copact",
                        "version": __version__,
                        "rules": [_sarif_rule(r) for r in rules],
                    }
                },
                "artifacts": [
                    {"location": {"uri": f.path.replace("\\", "/")}} for f in report.files
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False)
