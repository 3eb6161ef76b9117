"""The workspace: where deals, their versions and their journals live, and the use cases on
them. Every change goes through here, so the command line and (next) the web app agree.

A workspace is a folder with ``copact.toml`` (the database URL) and ``evidence/``; the default
database is ``copact.db`` (SQLite) in the folder, ``--database postgresql+psycopg://…`` a server.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from copact.core.commands import admit
from copact.core.deal import Deal
from copact.core.events import Event, canonical_json, dumps_events, parse_events
from copact.core.state import deal_state
from copact.dealfile.loader import load_text
from copact.errors import CopactError, RefusedCommand
from copact.store import journal
from copact.store.engine import migrate, open_engine

__all__ = ["ImportRefused", "Workspace", "WorkspaceError", "default_workspace"]

CONFIG = "copact.toml"


class WorkspaceError(CopactError):
    """The workspace is missing, or a deal is not in it."""


class ImportRefused(CopactError):
    """A journal line that the deal's state does not allow; nothing of the file was applied."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def _common_prefix(held: list[Event], incoming: list[Event]) -> int:
    """How many of ``incoming`` the journal already holds, when it starts with them (or they
    start with the journal): the part of a file an earlier import already applied."""
    n = min(len(held), len(incoming))
    if n == 0 or canonical_json(held[0]) != canonical_json(incoming[0]):
        return 0
    for i in range(n):
        if canonical_json(held[i]) != canonical_json(incoming[i]):
            return 0
    return n


def default_workspace() -> Path:
    return Path(os.environ.get("COPACT_WORKSPACE", "copact-workspace"))


@dataclass
class Workspace:
    root: Path
    engine: Engine
    clock: Callable[[], datetime]

    @classmethod
    def init(cls, root: Path, *, database: str | None, clock: Callable[[], datetime]) -> Workspace:
        root.mkdir(parents=True, exist_ok=True)
        (root / "evidence").mkdir(exist_ok=True)
        url = database or f"sqlite:///{(root / 'copact.db').resolve()}"
        (root / CONFIG).write_text(f'database = "{url}"\n')
        return cls.open(root, clock=clock)

    @classmethod
    def open(cls, root: Path, *, clock: Callable[[], datetime]) -> Workspace:
        config = root / CONFIG
        if not config.is_file():
            raise WorkspaceError(f"{root} is not a workspace; create one with `copact init {root}`")
        url = tomllib.loads(config.read_text())["database"]
        engine = open_engine(url)
        migrate(engine)
        return cls(root, engine, clock)

    # -- deals --

    def add_deal(self, text: str, path: str) -> tuple[Deal, int]:
        loaded = load_text(text, path)
        if loaded.deal is None:
            first = loaded.diagnostics[0]
            raise WorkspaceError(
                f"{path}:{first.line}:{first.column}: {first.code} {first.message}"
            )
        with self.engine.begin() as conn:
            version = journal.add_deal(
                conn, deal_id=loaded.deal.id, title=loaded.deal.title, text=text, now=self.clock()
            )
        return loaded.deal, version

    def deals(self) -> list[tuple[str, str, int, int]]:
        with self.engine.connect() as conn:
            return journal.list_deals(conn)

    def deal(self, deal_id: str) -> Deal:
        with self.engine.connect() as conn:
            text = journal.deal_text(conn, deal_id)
        if text is None:
            raise WorkspaceError(
                f"no deal {deal_id!r} in {self.root}; `copact deal list` shows them"
            )
        loaded = load_text(text, f"{deal_id} (stored)")
        assert loaded.deal is not None
        return loaded.deal

    # -- commands --

    def run(
        self, deal_id: str, command: Callable[..., list[Event]], **kwargs: object
    ) -> list[Event]:
        """Fold the deal's state now, check the command's guard, append what it causes, in one
        transaction. A concurrent writer that got there first surfaces as a refusal: the
        unique keys of the journal decide, not the timing."""
        deal = self.deal(deal_id)
        now = self.clock()
        try:
            with self.engine.begin() as conn:
                history = journal.read_events(conn, deal_id)
                state = deal_state(deal, history, on=now.date())
                caused = command(deal, state, at=now, **kwargs)
                journal.append(conn, deal_id, caused)
        except IntegrityError:
            raise RefusedCommand(
                "another change to this deal was recorded at the same moment; "
                "look at the deal again and retry"
            ) from None
        return caused

    # -- the journal --

    def events(self, deal_id: str) -> list[Event]:
        with self.engine.connect() as conn:
            return journal.read_events(conn, deal_id)

    def import_journal(self, deal_id: str, text: str, path: str) -> int:
        """Append a JSON Lines file through the guards, all or nothing; returns how many events
        were appended. Events the journal already holds as its first lines are skipped, so a
        re-import after a crash or a retry completes exactly instead of doubling up."""
        deal = self.deal(deal_id)
        parsed, problems = parse_events(text, path)
        if problems:
            raise ImportRefused(problems[0].line, f"{problems[0].code} {problems[0].message}")
        lines = [n for n, raw in enumerate(text.split("\n"), start=1) if raw.strip()]
        with self.engine.begin() as conn:
            history = journal.read_events(conn, deal_id)
            held = _common_prefix(history, parsed)
            for line, event in zip(lines[held:], parsed[held:], strict=True):
                if history and event.day < history[-1].day:
                    raise ImportRefused(line, "events must come in date order")
                try:
                    admit(deal, deal_state(deal, history, on=event.day), event)
                except RefusedCommand as exc:
                    raise ImportRefused(line, str(exc)) from None
                history.append(event)
            try:
                journal.append(conn, deal_id, parsed[held:])
            except IntegrityError:
                raise ImportRefused(
                    lines[held] if held < len(lines) else 1,
                    "another writer appended at the same time; retry",
                ) from None
        return len(parsed) - held

    def export_journal(self, deal_id: str) -> str:
        self.deal(deal_id)
        return dumps_events(self.events(deal_id))

    def verify(self, deal_id: str) -> journal.Verification:
        self.deal(deal_id)
        with self.engine.connect() as conn:
            return journal.verify(conn, deal_id)
