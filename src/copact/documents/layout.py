"""The shape of a deal document: sections of blocks (facts, paragraphs, bullet lists, tables)
whose cells are plain text, so that a renderer only lays them out (:mod:`.rendering`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DOCUMENT_KINDS",
    "Block",
    "Bullets",
    "Cell",
    "Document",
    "DocumentKind",
    "Fact",
    "Facts",
    "Paragraph",
    "Section",
    "Table",
]

DocumentKind = Literal["term-sheet", "scope-memo", "matrix", "selection-report"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("term-sheet", "scope-memo", "matrix")
"""The documents made from a deal file alone (``copact render``, the web's downloads). The
selection report is made from an evaluation file (``copact select --report``), so not here."""

Cell = str | tuple[str, ...]
"""A table cell: one text, or several lines (criteria, a ladder of credits)."""


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: Cell


@dataclass(frozen=True, slots=True)
class Facts:
    """Label: value pairs, as a definition list."""

    items: tuple[Fact, ...]
    kind: Literal["facts"] = "facts"


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    label: str | None = None  # a run-in heading: "Problem. Grid outages…"
    kind: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]
    label: str | None = None
    kind: Literal["bullets"] = "bullets"


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: frozenset[int] = frozenset()  # the columns aligned right (amounts, percentages)
    leads: frozenset[int] = frozenset()  # the columns whose first line heads the lines below it
    lists: frozenset[int] = frozenset()  # the columns whose lines are a bulleted list
    label: str | None = None
    kind: Literal["table"] = "table"

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {len(row)} cells in a table of {self.columns}")


Block = Facts | Paragraph | Bullets | Table


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """One document of a deal: what the renderers lay out, page after page."""

    kind: DocumentKind
    name: str  # "Term sheet"
    deal_id: str
    title: str  # the deal's title
    subtitle: str  # structure, currency, effective date
    version: str | None  # the SHA-256 of the deal text this was made from, when known
    sections: tuple[Section, ...]
    landscape: bool = False
