"""Starting the web app, the web's one entry point for the command line: open (or create) the
workspace, migrate, optionally load the demo, build the app and run it under uvicorn.
``copact serve`` calls :func:`prepare` then :func:`run`; with several workers each worker
process builds its app from the environment (:func:`app_from_environment`)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from copact.services import serving
from copact.services.accounts import AccountError, Accounts
from copact.services.passwords import new_password
from copact.services.uow import system_clock
from copact.services.workspace import Workspace
from copact.web.app import create_app
from copact.web.settings import WebSettings

__all__ = [
    "DEMO_USERS",
    "DemoUser",
    "Serving",
    "app_from_environment",
    "load_demo",
    "open_for_serving",
    "prepare",
    "run",
]

_ENV = "COPACT_SERVE"
_THREADS = WebSettings.threads + 8  # the handlers' threads, and the dependencies' lookups


def open_for_serving(root: Path, database: str | None) -> Workspace:
    """The workspace at ``root`` (created when missing), on ``database`` when given, migrated;
    on PostgreSQL with a pool as large as the server's thread pool."""
    return serving.open_for_serving(root, database, clock=system_clock, pool_size=_THREADS)


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
    accounts = Accounts(ws.engine, settings.accounts, system_clock)
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


@dataclass(frozen=True)
class Serving:
    """A workspace ready to serve: migrated, its settings, and the demo's one-time passwords
    (when the demo was loaded)."""

    workspace: Workspace
    settings: WebSettings
    database: str | None
    issued: list[tuple[DemoUser, str]] = field(default_factory=list)


def prepare(
    root: Path,
    database: str | None,
    *,
    trusted_proxies: tuple[str, ...] = (),
    trusted_hosts: tuple[str, ...] = (),
    demo: Path | None = None,
) -> Serving:
    """Open (or create) and migrate the workspace at ``root``; with ``demo`` (the folder of the
    example deals) load them and issue the demo users' passwords."""
    ws = open_for_serving(root, database)
    settings = WebSettings(
        workspace=root, trusted_proxies=trusted_proxies, trusted_hosts=trusted_hosts
    )
    issued = load_demo(ws, demo, settings) if demo is not None else []
    return Serving(ws, settings, database, issued)


def run(serving: Serving, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until stopped: in this process, or in ``workers`` processes on one socket."""
    import uvicorn

    if workers > 1:
        os.environ[_ENV] = environment_for(serving.settings, serving.database)
        _serve_workers(host, port, workers)
        return
    uvicorn.run(
        create_app(serving.settings, workspace=serving.workspace),
        host=host,
        port=port,
        proxy_headers=False,  # the app reads them from settings.trusted_proxies only
        log_level="warning",
    )


def _serve_workers(host: str, port: int, workers: int) -> None:
    """uvicorn's worker processes on one listening socket, with Nagle's algorithm off.

    uvicorn binds that socket with protocol 0, and asyncio only turns Nagle off on sockets it
    sees as TCP: an answer written in two parts then waits for the client's delayed ACK, about
    40 ms a request. The same socket object marked as TCP fixes it."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "copact.web.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        log_level="warning",
    )
    bound = config.bind_socket()
    sock = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    Multiprocess(config, sockets=[sock]).run()


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
