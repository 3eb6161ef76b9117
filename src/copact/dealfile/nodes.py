"""YAML text → plain values, keeping the line and column of every key.

ruamel.yaml composes the document into nodes that carry their marks; this module builds the
values itself so that (a) every key's place is recorded under its JSON pointer and (b) numbers
keep their exact decimal text (``1.45`` becomes ``Decimal('1.45')``, never a float).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from copact.core.diagnostic import Diagnostic, Severity, escape_pointer

__all__ = ["Positions", "YamlFault", "parse_yaml"]

_TAG = "tag:yaml.org,2002:"


@dataclass
class Positions:
    """1-based (line, column) of each key (or sequence item) by JSON pointer."""

    keys: dict[str, tuple[int, int]] = field(default_factory=dict)

    def locate(self, pointer: str) -> tuple[int, int]:
        """The place of ``pointer``, or of its nearest ancestor present in the file."""
        while True:
            found = self.keys.get(pointer)
            if found is not None:
                return found
            if not pointer:
                return (1, 1)
            pointer = pointer.rsplit("/", 1)[0]


@dataclass(frozen=True)
class YamlFault:
    """Why the text is not YAML, and where (1-based)."""

    message: str
    line: int
    column: int


def _scalar(node: ScalarNode) -> Any:
    tag = node.tag if isinstance(node.tag, str) else getattr(node.tag, "value", str(node.tag))
    text = node.value
    if not tag.startswith(_TAG):
        return text
    kind = tag[len(_TAG) :]
    if kind == "str":
        return text
    if kind == "null":
        return None
    if kind == "bool":
        return text.lower() in ("true", "yes", "on")
    if kind == "int":
        cleaned = text.replace("_", "")
        try:
            based = cleaned.lower().startswith(("0x", "0o", "0b"))
            return int(cleaned, 0) if based else int(cleaned)
        except ValueError:
            return text
    if kind == "float":
        try:
            number = Decimal(text.replace("_", ""))
        except InvalidOperation:
            return text
        return number if number.is_finite() else text
    if kind == "timestamp":
        try:
            return date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text)
        except ValueError:
            return text  # left as text, so the model reports a bad date at its place
    return text


class _Builder:
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.positions = Positions()
        self.diagnostics = diagnostics

    def build(self, node: Node, pointer: str) -> Any:
        if isinstance(node, ScalarNode):
            return _scalar(node)
        if isinstance(node, SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                child_pointer = f"{pointer}/{index}"
                mark = child.start_mark
                self.positions.keys.setdefault(child_pointer, (mark.line + 1, mark.column + 1))
                items.append(self.build(child, child_pointer))
            return items
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                mark = key_node.start_mark
                place = (mark.line + 1, mark.column + 1)
                if not isinstance(key_node, ScalarNode):
                    self._fault(pointer, place, "a key must be a plain word, not a list or mapping")
                    continue
                key = str(key_node.value)
                child_pointer = f"{pointer}/{escape_pointer(key)}"
                if key in result:
                    self._fault(child_pointer, place, f"duplicate key '{key}'")
                    continue
                self.positions.keys[child_pointer] = place
                result[key] = self.build(value_node, child_pointer)
            return result
        return None  # pragma: no cover - ruamel only makes the three node kinds

    def _fault(self, pointer: str, place: tuple[int, int], message: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                "E002",
                Severity.ERROR,
                message,
                "each key may appear once in a mapping; merge the two entries",
                pointer,
                line=place[0],
                column=place[1],
            )
        )


def parse_yaml(text: str) -> tuple[Any, Positions, list[Diagnostic]] | YamlFault:
    """Parse ``text``; return its values, the places of its keys and shape faults found on the
    way (duplicate keys), or the syntax fault that stops it."""
    yaml = YAML(typ="safe")  # libyaml's C parser when ruamel.yaml.clib is installed
    try:
        root = yaml.compose(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return YamlFault(problem, line, column)
    except YAMLError as exc:
        mark = getattr(exc, "position", None)
        return YamlFault(str(exc).splitlines()[0] if str(exc) else "not valid YAML", 1, 1)
    except RecursionError:
        return YamlFault("the document nests too deeply", 1, 1)
    diagnostics: list[Diagnostic] = []
    builder = _Builder(diagnostics)
    if root is None:
        return None, builder.positions, diagnostics
    # findings about a missing top-level section point at the document's first key
    builder.positions.keys[""] = (root.start_mark.line + 1, root.start_mark.column + 1)
    try:
        value = builder.build(root, "")
    except RecursionError:
        return YamlFault("the document nests too deeply", 1, 1)
    return value, builder.positions, diagnostics
