"""Registering deals and reading their versions. A deal enters the workspace once, as version
1; every later version comes from an approved change order (:mod:`copact.services.amendment`),
never from registering another text::

    add_deal(uow, text, "hybrid-dc1.yaml")     → (Deal(id="hybrid-dc1", ...), 1)
    add_deal(uow, text, "hybrid-dc1.yaml")     → the same: a no-op
    add_deal(uow, edited, "hybrid-dc1.yaml")   → WorkspaceError: it changes through a change order
"""

from __future__ import annotations

from datetime import datetime

from copact.core.deal import Deal
from copact.core.diagnostic import Severity
from copact.dealfile.loader import load_text
from copact.services.config import WorkspaceError
from copact.services.sql import SqlUnitOfWork
from copact.store import journal

__all__ = ["add_deal", "list_deals", "versions"]


def add_deal(uow: SqlUnitOfWork, text: str, path: str) -> tuple[Deal, int]:
    """Register a deal file as version 1. The same text again is a no-op; another text for
    a registered deal is refused: a deal changes through an approved change order."""
    loaded = load_text(text, path)
    errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    if loaded.deal is None or errors:
        first = (errors or loaded.diagnostics)[0]
        raise WorkspaceError(f"{path}:{first.line}:{first.column}: {first.code} {first.message}")
    deal = loaded.deal
    with uow.engine.begin() as conn:
        held = journal.versions(conn, deal.id)
        if held:
            if held[0][2] == text:
                return deal, 1
            raise WorkspaceError(
                f"deal {deal.id} is already registered (version {len(held)}); it changes "
                "through a change order both sides approve (`copact change propose`)"
            )
        version = journal.add_deal(
            conn, deal_id=deal.id, title=deal.title, text=text, now=uow.clock()
        )
    return deal, version


def list_deals(uow: SqlUnitOfWork) -> list[tuple[str, str, int, int]]:
    """(id, title, latest version, events) of every deal."""
    with uow.engine.connect() as conn:
        return journal.list_deals(conn)


def versions(uow: SqlUnitOfWork, deal_id: str) -> list[tuple[int, str, str, datetime]]:
    """(version, sha256, text, created) of every version of a deal, oldest first."""
    uow.deal_text(deal_id)
    with uow.engine.connect() as conn:
        return journal.versions(conn, deal_id)
