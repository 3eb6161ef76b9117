"""Starting the web app: open (or create) the workspace, migrate, optionally load the demo, and
build the app. ``copact serve`` calls :func:`prepare` then uvicorn; with several workers each
worker process builds its app from the environment (:func:`app_from_environment`)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import create_engine

from copact.services.workspace import CONFIG, Workspace
from copact.store.engine import migrate, open_engine
from copact.web.accounts import AccountError, Accounts
from copact.web.app import create_app
from copact.web.passwords import new_password
from copact.web.settings import WebSettings

__all__ = ["DEMO_USERS", "DemoUser", "app_from_environment", "load_demo", "open_for_serving"]

_ENV = "COPACT_SERVE"
_THREADS = WebSettings.threads + 8  # the handlers' threads, and the dependencies' lookups


def _now() -> datetime:
    return datetime.now(UTC)


def open_for_serving(root: Path, database: str | None) -> Workspace:
    """The workspace at ``root`` (created when missing), on ``database`` when given, migrated.

    On PostgreSQL the server keeps a pool as large as its thread pool, so a burst of requests
    never queues for a connection."""
    if not (root / CONFIG).is_file():
        ws = Workspace.init(root, database=database, clock=_now)
    else:
        ws = Workspace.open(root, clock=_now)
    configured = ws.engine.url.render_as_string(hide_password=False)
    url = database or configured
    if url.startswith("postgresql"):
        ws.engine.dispose()
        # no ping before each checkout (a round trip per query): after a database restart the
        # first request fails, the pool is discarded, and a retry with its key is safe
        engine = create_engine(url, pool_size=_THREADS, max_overflow=8, pool_recycle=1800)
    elif url != configured:
        engine = open_engine(url)
    else:
        return ws
    migrate(engine)
    return Workspace(root, engine, _now, ws.evidence_limit)


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    party: str
    role: str
    person: str | None
    deal: str


DEMO_USERS = (
    DemoUser("ana", "Ana Ortiz", "acme", "owner", "ana", "hybrid-dc1"),
    DemoUser("raj", "Raj Patel", "acme", "finance", "raj", "hybrid-dc1"),
    DemoUser("acme-audit", "Acme auditor", "acme", "auditor", None, "hybrid-dc1"),
    DemoUser("sam", "Sam Lee", "voltworks", "account", "sam", "hybrid-dc1"),
    DemoUser("vw-billing", "VoltWorks billing", "voltworks", "billing", None, "hybrid-dc1"),
    DemoUser("marcus", "Marcus Bell", "ridgeline", "acceptor", "marcus", "heat-sensor-housing"),
    DemoUser("dana", "Dana Whitfield", "ridgeline", "finance", "dana", "heat-sensor-housing"),
    DemoUser("luis", "Luis Fernández", "kestrel", "account", "luis", "heat-sensor-housing"),
)


def load_demo(ws: Workspace, examples: Path, settings: WebSettings) -> list[tuple[DemoUser, str]]:
    """Register the example deals, import their journals (once), and give each demo user a
    fresh one-time password; returns (user, password) pairs to print."""
    for path in sorted(examples.glob("*.yaml")):
        ws.add_deal(path.read_text(encoding="utf-8"), str(path))
    for path in sorted((examples / "journals").glob("*.jsonl")):
        deal_id = path.stem
        if deal_id in {d for d, *_ in ws.deals()} and not ws.events(deal_id):
            ws.import_journal(deal_id, path.read_text(encoding="utf-8"), str(path))
    accounts = Accounts(ws.engine, settings, _now)
    issued = []
    for user in DEMO_USERS:
        password = new_password()
        if accounts.user_exists(user.username):
            accounts.set_password(user.username, password)
        else:
            try:
                accounts.create_user(
                    username=user.username,
                    name=user.name,
                    party=user.party,
                    role=user.role,
                    password=password,
                    person=user.person,
                )
            except AccountError:
                continue
        issued.append((user, password))
    return issued


def environment_for(settings: WebSettings, database: str | None) -> str:
    return json.dumps(
        {
            "workspace": str(settings.workspace),
            "database": database,
            "trusted_hosts": list(settings.trusted_hosts),
            "trusted_proxies": list(settings.trusted_proxies),
        }
    )


def app_from_environment() -> FastAPI:
    """The app of a worker process (uvicorn ``factory=True``), from ``$COPACT_SERVE``."""
    config = json.loads(os.environ[_ENV])
    root = Path(config["workspace"])
    ws = open_for_serving(root, config.get("database"))
    settings = WebSettings(
        workspace=root,
        trusted_hosts=tuple(config.get("trusted_hosts", ())),
        trusted_proxies=tuple(config.get("trusted_proxies", ())),
    )
    return create_app(settings, workspace=ws)
