"""The composition root of the web app: one workspace, its accounts and its guard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

from copact.services.workspace import Workspace
from copact.web.access import Guard
from copact.web.accounts import Accounts
from copact.web.settings import WebSettings

__all__ = ["TEMPLATES", "Context"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Context:
    settings: WebSettings
    workspace: Workspace
    accounts: Accounts
    guard: Guard
    templates: Jinja2Templates
    clock: Callable[[], datetime]

    @property
    def upload_limit(self) -> int:
        return self.settings.upload_limit or self.workspace.evidence_limit
