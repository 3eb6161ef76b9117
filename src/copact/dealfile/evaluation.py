"""Evaluation files in, the deal's ``selection`` section out.

:func:`load_evaluation` reads an evaluation file (``examples/selection/README.md``) into a
:class:`~copact.core.selection.Evaluation` and places every problem on its line and column,
``hybrid-dc1-evaluation.yaml:31:9: Q854 raj scores gridco 6 on monitoring, outside the scale
0 to 5``: the YAML's (Q850), the shape's (Q851: an unknown key, a weight without its %, more
than 50 candidates) and those :func:`~copact.core.selection.check_evaluation` finds.

:func:`write_selection` puts a ``selection`` section into a deal file's text and leaves every
other line as it was, comments included: the section's lines are replaced (or appended at the
end), and the result is checked to parse to the deal's values with the section replaced, else
the values are dumped afresh (:func:`~copact.dealfile.dump.dump_data`, comments lost).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from copact.core.deal import Deal
from copact.core.diagnostic import Diagnostic, Severity, escape_pointer
from copact.core.mechanisms import Selection
from copact.core.selection import Evaluation, check_against_deal, check_evaluation
from copact.dealfile.dump import dump_data
from copact.dealfile.nodes import Positions, YamlFault, parse_yaml

__all__ = ["MAX_BYTES", "LoadedEvaluation", "load_evaluation", "load_text", "write_selection"]

MAX_BYTES = 1_000_000
"""An evaluation file's size limit (50 candidates × 30 criteria × 30 evaluators fit)."""


@dataclass(frozen=True)
class LoadedEvaluation:
    path: str
    evaluation: Evaluation | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    positions: Positions = field(default_factory=Positions)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == Severity.ERROR]


def _fault(code: str, message: str, hint: str, path: str, line: int = 1, column: int = 1) -> Any:
    return Diagnostic(code, Severity.ERROR, message, hint, path=path, line=line, column=column)


def load_evaluation(path: Path | str, *, deal: Deal | None = None) -> LoadedEvaluation:
    """Read an evaluation file; ``OSError`` only when it cannot be read. With ``deal``, also
    warn of evaluators who are not people of it (Q858)."""
    p = Path(path)
    with p.open("rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
    return load_bytes(raw, str(path), deal=deal)


def load_bytes(raw: bytes, path: str, *, deal: Deal | None = None) -> LoadedEvaluation:
    """An evaluation from the bytes of its file (an upload); ``path`` names it in problems."""
    if len(raw) > MAX_BYTES:
        message = f"the file is larger than {MAX_BYTES:,} bytes"
        hint = "an evaluation of 50 candidates, 30 criteria and 30 evaluators is far smaller"
        return LoadedEvaluation(path, None, [_fault("Q850", message, hint, path)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        fault = _fault("Q850", "the file is not UTF-8 text", "save it as UTF-8", path, line)
        return LoadedEvaluation(path, None, [fault])
    return load_text(text, path, deal=deal)


def load_text(text: str, path: str = "<text>", *, deal: Deal | None = None) -> LoadedEvaluation:
    """An evaluation from its YAML text, with every problem placed."""
    parsed = parse_yaml(text)
    if isinstance(parsed, YamlFault):
        hint = parsed.hint or "fix the YAML syntax here (indentation, a colon or a bracket)"
        fault = _fault("Q850", f"not valid YAML: {parsed.message}", hint, path)
        return LoadedEvaluation(
            path, None, [fault.at(path=path, line=parsed.line, column=parsed.column)]
        )
    data, positions, shape = parsed
    placed = [d.at(path=path, line=d.line, column=d.column) for d in shape]
    if not isinstance(data, dict):
        fault = _fault(
            "Q851",
            "an evaluation file is a mapping of keys",
            "start from examples/selection/hybrid-dc1-evaluation.yaml",
            path,
        )
        return LoadedEvaluation(path, None, [*placed, fault], positions)
    try:
        evaluation = Evaluation.model_validate(data)
    except ValidationError as exc:
        found = [_place(d, positions, path) for d in _shape(exc, data)]
        return LoadedEvaluation(path, None, [*placed, *found], positions)
    problems = check_evaluation(evaluation)
    if deal is not None:
        problems += check_against_deal(evaluation, deal)
    found = sorted((_place(d, positions, path) for d in problems), key=lambda d: d.sort_key)
    return LoadedEvaluation(path, evaluation, [*placed, *found], positions)


def _place(d: Diagnostic, positions: Positions, path: str) -> Diagnostic:
    line, column = positions.locate(d.pointer)
    return d.at(path=path, line=line, column=column)


def _shape(exc: ValidationError, data: dict[str, Any]) -> list[Diagnostic]:
    """Pydantic's errors as Q851 problems at the data's pointers (one per place)."""
    found: list[Diagnostic] = []
    seen: set[str] = set()
    for error in exc.errors(include_url=False):
        steps: list[str | int] = []
        current: Any = data
        for token in error["loc"]:
            into_dict = isinstance(current, dict) and isinstance(token, str) and token in current
            into_list = (
                isinstance(current, list) and isinstance(token, int) and token < len(current)
            )
            if into_dict or into_list:
                steps.append(token)
                current = current[token]
        pointer = "".join(f"/{escape_pointer(s)}" for s in steps)
        if pointer in seen:
            continue  # a union reports one error per branch; the first says enough
        seen.add(pointer)
        where = ".".join(str(s) for s in steps) or "the top level"
        name = str(error["loc"][-1]) if error["loc"] else ""
        kind = error["type"]
        if kind == "missing":
            message, hint = f"missing key '{name}' in {where}", f"add `{name}:`"
        elif kind == "extra_forbidden":
            message = f"unknown key '{name}'"
            hint = "examples/selection/README.md lists the keys of an evaluation file"
        else:
            msg = str(error["msg"]).removeprefix("Value error, ")
            message = f"{where}: {msg[0].lower()}{msg[1:]}"
            hint = "write percentages with a % sign (25%); scores as numbers; ids as slugs"
        found.append(Diagnostic("Q851", Severity.ERROR, message, hint, pointer))
    return found


# --- the deal's selection section -----------------------------------------------------------


def _section(selection: Selection, comment: str | None) -> tuple[list[str], dict[str, Any]]:
    """The section's lines and the values they parse to."""
    lines = ["selection:\n"]
    if comment:
        lines.append(f"  # {comment}\n")
    lines.append("  candidates:\n")
    lines += [f"    - {{id: {c.id}, score: {c.score:f}}}\n" for c in selection.candidates]
    lines.append("  criteria:\n")
    lines += [f"    {slug}: {weight}\n" for slug, weight in selection.criteria.items()]
    values: dict[str, Any] = {
        "candidates": [{"id": c.id, "score": c.score} for c in selection.candidates],
        "criteria": {slug: str(weight) for slug, weight in selection.criteria.items()},
    }
    if selection.chosen is not None:
        lines.append(f"  chosen: {selection.chosen}\n")
        values["chosen"] = selection.chosen
    if selection.reason is not None:
        lines.append(f"  reason: {json.dumps(selection.reason, ensure_ascii=False)}\n")
        values["reason"] = selection.reason
    return lines, values


def write_selection(text: str, selection: Selection, *, comment: str | None = None) -> str:
    """The deal's text with ``selection`` as its ``selection`` section; the other lines, and
    their comments, stay as written. ``comment`` becomes the section's first line."""
    parsed = parse_yaml(text)
    if isinstance(parsed, YamlFault) or not isinstance(parsed[0], dict):
        raise ValueError("the deal file does not parse; `copact check` it first")
    data, positions, _ = parsed
    block, values = _section(selection, comment)
    lines = text.splitlines(keepends=True)
    if "selection" in data:
        start = positions.keys["/selection"][0] - 1
        tops = sorted(
            line - 1
            for pointer, (line, _) in positions.keys.items()
            if pointer.count("/") == 1 and line - 1 > start
        )
        end = tops[0] if tops else len(lines)
        while end > start + 1 and (lines[end - 1].strip() == "" or lines[end - 1][0] == "#"):
            end -= 1  # blank lines and comments before the next section belong to it
        result = "".join([*lines[:start], *block, *lines[end:]])
    else:
        body = text if text.endswith("\n") or not text else text + "\n"
        result = body + "\n" + "".join(block)
    expected = {**data, "selection": values}
    again = parse_yaml(result)
    if isinstance(again, YamlFault) or again[0] != expected:
        return dump_data(expected)  # an unusual layout (flow style, a `...`): keep the values
    return result
