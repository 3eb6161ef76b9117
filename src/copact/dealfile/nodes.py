"""YAML text → plain values, keeping the line and column of every key.

ruamel.yaml composes the document into nodes that carry their marks; this module builds the
values itself so that (a) every key's place is recorded under its JSON pointer and (b) numbers
keep their exact decimal text (``1.45`` becomes ``Decimal('1.45')``, never a float).

Before any node is built the text's events are read once to hold three limits, so a hostile
file is a fault at its place rather than a crash or a runaway: nesting deeper than
:data:`MAX_DEPTH` (libyaml's composer recurses in C and overflows its stack about 30,000 deep),
more than :data:`MAX_ALIASES` aliases, and aliases that expand the document to more than
:data:`MAX_EXPANDED` values (a "billion laughs" of 7 KB would otherwise build billions). Every
scalar, list and mapping is one value; an alias is worth every value of what it names::

    a: &a [x, x, x]       # 1 + 4 values
    b: [*a, *a]           # 1 + 1 + 2 x 4 values
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from copact.core.diagnostic import Diagnostic, Severity, escape_pointer

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_EXPANDED", "Positions", "YamlFault", "parse_yaml"]

_TAG = "tag:yaml.org,2002:"

MAX_DEPTH = 64
"""Nested lists and mappings, the top-level mapping being 1 (a deal file needs about 8)."""
MAX_ALIASES = 1_000
"""Aliases (``*name``) in one file."""
MAX_EXPANDED = 100_000
"""Values in a file once its aliases are expanded (the largest example has about 1,500)."""


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
    hint: str | None = None
    """What to do instead, when it is not a plain syntax slip."""


_LIMIT_HINT = (
    "a deal file needs no more; flatten the nesting or write the values out instead of aliasing"
)


def _guard(events: Any) -> YamlFault | None:
    """The first place where ``events`` pass a limit, or ``None``; reads each event once."""
    depth = 0
    aliases = 0
    total = 0
    sizes: dict[str, int] = {}  # anchor -> values it expands to
    open_: list[tuple[str | None, int]] = []  # collections being read: (anchor, total before)

    def fault(event: Any, message: str) -> YamlFault:
        mark = event.start_mark
        return YamlFault(message, mark.line + 1, mark.column + 1, _LIMIT_HINT)

    for event in events:
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return fault(event, f"the document nests deeper than {MAX_DEPTH} levels")
            open_.append((event.anchor, total))
            total += 1
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
            anchor, before = open_.pop()
            if anchor is not None:
                sizes[anchor] = total - before
        elif isinstance(event, ScalarEvent):
            total += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                return fault(event, f"more than {MAX_ALIASES} aliases")
            if any(anchor == event.anchor for anchor, _ in open_):
                return fault(event, f"alias *{event.anchor} is inside the value it names")
            total += sizes.get(event.anchor, 1)  # an unknown anchor is the composer's fault
            if total > MAX_EXPANDED:
                return fault(
                    event, f"aliases expand the document to more than {MAX_EXPANDED} values"
                )
        elif isinstance(event, DocumentStartEvent):
            sizes.clear()  # anchors do not cross documents
    return None


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
        limit = _guard(yaml.parse(io.StringIO(text)))
        if limit is not None:
            return limit
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
