"""Load a deal file: YAML text → :class:`Deal` plus diagnostics with line and column.

Three things can be wrong before any rule runs, and each becomes a diagnostic, never an
exception:

- **E001**: the text is not YAML (the line and column of the fault);
- **E002**: the YAML does not fit format 1 (unknown key with a did-you-mean, wrong type,
  bad date or percentage, missing key, duplicate key);
- the file cannot be read at all (reported by the caller as exit code 2).

When there is no E001 or E002 the result carries the typed :class:`Deal`.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from copact.core.deal import Deal
from copact.core.diagnostic import Diagnostic, Severity, escape_pointer
from copact.dealfile.nodes import Positions, YamlFault, parse_yaml

__all__ = ["LoadedDeal", "load_deal", "load_text"]


@dataclass(frozen=True)
class LoadedDeal:
    """A deal file as read: its text, its values, the places of its keys, and what went wrong."""

    path: str
    text: str
    data: Any
    positions: Positions
    deal: Deal | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def place(self, diagnostic: Diagnostic) -> Diagnostic:
        """Give a diagnostic found by pointer its file, line and column."""
        line, column = self.positions.locate(diagnostic.pointer)
        return diagnostic.at(path=self.path, line=line, column=column)


def load_deal(path: Path | str) -> LoadedDeal:
    """Read and load a deal file. Raises ``OSError`` only when the file cannot be read."""
    p = Path(path)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        fault = Diagnostic(
            "E001",
            Severity.ERROR,
            "the file is not UTF-8 text",
            "save the deal file as UTF-8",
            path=str(path),
            line=line,
            column=1,
        )
        return LoadedDeal(str(path), "", None, Positions(), None, [fault])
    return load_text(text, str(path))


def load_text(text: str, path: str = "<text>") -> LoadedDeal:
    """Load a deal from its YAML text; ``path`` only names it in diagnostics."""
    parsed = parse_yaml(text)
    if isinstance(parsed, YamlFault):
        fault = Diagnostic(
            "E001",
            Severity.ERROR,
            f"not valid YAML: {parsed.message}",
            parsed.hint
            or "fix the YAML syntax at this place (indentation, a missing colon or bracket)",
            path=path,
            line=parsed.line,
            column=parsed.column,
        )
        return LoadedDeal(path, text, None, Positions(), None, [fault])
    data, positions, shape = parsed
    loaded_diags = [d.at(path=path, line=d.line, column=d.column) for d in shape]
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        fault = Diagnostic(
            "E002",
            Severity.ERROR,
            f"a deal file is a mapping of keys; this one is {what}",
            "start from `copact new` for a deal file with every section",
            path=path,
        )
        return LoadedDeal(path, text, data, positions, None, [*loaded_diags, fault])
    try:
        deal = Deal.model_validate(data)
    except ValidationError as exc:
        found = _shape_diagnostics(exc, data)
        placed = [_place(d, positions, path) for d in found]
        return LoadedDeal(path, text, data, positions, None, [*loaded_diags, *placed])
    if loaded_diags:
        return LoadedDeal(path, text, data, positions, None, loaded_diags)
    return LoadedDeal(path, text, data, positions, deal, [])


def _place(diagnostic: Diagnostic, positions: Positions, path: str) -> Diagnostic:
    line, column = positions.locate(diagnostic.pointer)
    return diagnostic.at(path=path, line=line, column=column)


# --- pydantic errors → E002 -----------------------------------------------------------------


def _data_path(loc: tuple[int | str, ...], data: Any) -> list[str | int]:
    """Keep the parts of a pydantic ``loc`` that step into the data (drop union branch tags)."""
    steps: list[str | int] = []
    current = data
    for token in loc:
        into_dict = isinstance(current, dict) and isinstance(token, str) and token in current
        into_list = (
            isinstance(current, list) and isinstance(token, int) and 0 <= token < len(current)
        )
        if into_dict or into_list:
            steps.append(token)
            current = current[token]
    return steps


def _candidates(tp: Any) -> list[Any]:
    """The concrete types a field annotation may hold (Optional, Annotated, unions unwrapped)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _candidates(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_candidates(arg))
        return out
    return [tp]


def _model_at(steps: list[str | int]) -> type[BaseModel] | None:
    """The model class whose keys live at ``steps`` in a deal, for did-you-mean suggestions."""
    current: list[Any] = [Deal]
    for step in steps:
        following: list[Any] = []
        for tp in current:
            for cand in _candidates(tp):
                origin = typing.get_origin(cand)
                if isinstance(cand, type) and issubclass(cand, BaseModel) and isinstance(step, str):
                    for name, info in cand.model_fields.items():
                        if step in (info.alias, name):
                            following.append(info.annotation)
                elif origin is list and isinstance(step, int):
                    following.append(typing.get_args(cand)[0])
                elif origin is dict and isinstance(step, str):
                    following.append(typing.get_args(cand)[1])
        current = following
    for tp in current:
        for cand in _candidates(tp):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                return cand
    return None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _where(steps: list[str | int]) -> str:
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "the top level"


def _shape_diagnostics(exc: ValidationError, data: dict[str, Any]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: set[str] = set()
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        steps = _data_path(loc, data)
        if kind == "missing":
            name = str(loc[-1])
            pointer = _pointer(steps)
            message = f"missing key '{name}' in {_where(steps)}"
            hint = f"add `{name}:`; `copact schema` lists what each section needs"
        elif kind == "extra_forbidden":
            name = str(loc[-1])
            pointer = _pointer(steps)
            parent = _model_at(steps[:-1])
            allowed = _keys_of(parent) if parent else []
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            where = _where(steps[:-1])
            message = f"unknown key '{name}' in {where}"
            if close:
                hint = f"did you mean '{close[0]}'?"
            elif allowed:
                hint = "allowed keys here: " + ", ".join(allowed)
            else:
                hint = "remove the key; `copact schema` lists the keys of format 1"
        else:
            pointer = _pointer(steps)
            message = f"{_where(steps)}: {_message(error)}"
            hint = _hint(kind, error)
        if pointer in seen:
            continue  # a union reports one error per branch; the first is enough
        seen.add(pointer)
        found.append(Diagnostic("E002", Severity.ERROR, message, hint, pointer))
    return found


def _pointer(steps: list[str | int]) -> str:
    return "".join(f"/{escape_pointer(s)}" for s in steps)


def _message(error: Any) -> str:
    msg = str(error["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    value = error.get("input")
    if error["type"].startswith(("date", "datetime")):
        return f"bad date {value!r}"
    if isinstance(value, (str, int, date)) and "got" not in msg and not isinstance(value, bool):
        return f"{msg[0].lower()}{msg[1:]} (got {value!r})"
    return msg[0].lower() + msg[1:]


def _hint(kind: str, error: Any) -> str:
    if kind.startswith(("date", "datetime")):
        return "write dates as YYYY-MM-DD, e.g. 2026-06-01"
    if kind == "percent":
        return "write percentages with a % sign, e.g. 20% or 99.95%"
    if kind == "duration":
        return "write durations with a unit, e.g. 4h, 15m, 30s or 2d"
    if kind == "figure_sign":
        return "a deal's value, prices and advances are above 0; caps, fees and costs 0 or more"
    if kind == "figure_size":
        return "write the figure in full in the deal's currency, e.g. 420000 or 1250.50"
    if kind == "string_pattern_mismatch":
        return "ids are lower-case slugs: letters, digits and hyphens, e.g. design-approval"
    if kind in ("literal_error", "enum"):
        return "use one of the listed values"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return "this value has the wrong type; see `copact schema` for the expected one"
    return "see `copact schema` for the shape of format 1"
