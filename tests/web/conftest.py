"""A workspace with two deals of four parties, users of every role, a clock the tests move,
and the app in-process (``client``) or under a real uvicorn on a free loopback port
(``live_server``).

hybrid-dc1: acme (buyer: Ana signs off) and voltworks (supplier: Sam submits).
heat-sensor-housing: ridgeline and kestrel, a deal acme and voltworks are not in.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from copact.services.workspace import Workspace
from copact.web.accounts import ROLES, Accounts
from copact.web.app import create_app
from copact.web.settings import WebSettings
from tests.conftest import EXAMPLES, sign_deal

PASSWORD = "correct horse battery staple"
DEAL = "hybrid-dc1"
FOREIGN = "heat-sensor-housing"

#: a PDF and a PNG small enough to read, real enough for the content sniffer
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]"
    b"/Count 1>>endobj 3 0 obj<</Type/Page/MediaBox[0 0 200 200]/Parent 2 0 R>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class Clock:
    """The app's clock: fixed, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class User:
    username: str
    party: str
    role: str
    person: str | None
    token: str = ""


@dataclass
class World:
    root: Path
    workspace: Workspace
    settings: WebSettings
    clock: Clock
    accounts: Accounts
    users: dict[str, User] = field(default_factory=dict)

    def app(self) -> FastAPI:
        return create_app(self.settings, workspace=self.workspace, clock=self.clock)


def _people(party: str, role: str) -> str | None:
    """The deal person a user of this party and role is linked to."""
    return {
        ("acme", "owner"): "ana",
        ("acme", "acceptor"): "ana",
        ("acme", "finance"): "raj",
        ("acme", "operations"): "ana",
        ("voltworks", "account"): "sam",
        ("voltworks", "engineer"): "sam",
        ("voltworks", "owner"): "sam",
        ("voltworks", "operations"): "sam",
        ("ridgeline", "owner"): "hannah",
        ("kestrel", "account"): "luis",
    }.get((party, role))


def make_world(
    root: Path,
    *,
    database: str | None = None,
    all_roles: bool = True,
    one_time: bool = False,
    signed: bool = True,
) -> World:
    """The workspace and its users; ``one_time`` issues their passwords as an administrator
    does (each user changes it at the first sign-in), else they have picked their own. Both
    deals are ``signed`` by a person of each party on the first day (so they bind and can
    operate), unless a test signs them itself."""
    clock = Clock(datetime(2026, 7, 1, 10, 0, tzinfo=UTC))
    ws = Workspace.init(root, database=database, clock=clock)
    for name in (f"{DEAL}.yaml", f"{FOREIGN}.yaml"):
        ws.add_deal((EXAMPLES / name).read_text(), name)
        if signed and name == f"{FOREIGN}.yaml":  # as its example journal starts: it imports
            signatures = (EXAMPLES / "journals" / name.replace(".yaml", ".jsonl")).read_text()
            ws.import_journal(FOREIGN, "".join(signatures.splitlines(True)[:2]), "signed.jsonl")
        elif signed:
            sign_deal(ws, name.removesuffix(".yaml"))
    settings = WebSettings(workspace=root, upload_limit=256 * 1024)
    accounts = Accounts(ws.engine, settings.accounts, clock)
    world = World(root, ws, settings, clock, accounts)
    parties = ("acme", "voltworks", "ridgeline") if all_roles else ("acme", "voltworks")
    roles = ROLES if all_roles else ("owner", "finance", "account", "billing", "auditor")
    for party in parties:
        for role in roles:
            add_user(
                world,
                f"{party}-{role}",
                party,
                role,
                _people(party, role),
                name=f"{role.title()} of {party}",
                one_time=one_time,
            )
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("web") / "ws")
    yield w
    w.workspace.engine.dispose()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[World]:
    """A world of its own (for tests that change the deal's state or the clock)."""
    w = make_world(tmp_path / "ws", all_roles=False)
    yield w
    w.workspace.engine.dispose()


@pytest.fixture
def unsigned(tmp_path: Path) -> Iterator[World]:
    """A world of its own whose deals nobody has signed yet."""
    w = make_world(tmp_path / "ws", all_roles=False, signed=False)
    yield w
    w.workspace.engine.dispose()


def add_user(
    world: World,
    username: str,
    party: str,
    role: str,
    person: str | None = None,
    *,
    name: str | None = None,
    one_time: bool = False,
) -> User:
    """One more user of ``world`` (their password set, one-time if told; an API token made),
    kept in ``world.users``."""
    world.accounts.create_user(
        username=username,
        name=name or username,
        party=party,
        role=role,
        password=PASSWORD,
        person=person,
        one_time=one_time,
    )
    user = User(username, party, role, person)
    user.token = world.accounts.create_token(username, "tests")
    world.users[username] = user
    return user


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {user.token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def client_for(world: World, *, https: bool = False) -> TestClient:
    return TestClient(
        world.app(),
        base_url="https://testserver" if https else "http://testserver",
        raise_server_exceptions=False,
        follow_redirects=False,
    )


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token (from the next page)."""
    page = client.get("/login")
    csrf = _field(page.text, "csrf")
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf": csrf, "next": "/deals"}
    )
    assert answer.status_code == 303, answer.text
    deals = client.get("/deals")
    return _field(deals.text, "csrf")


def _field(html: str, name: str) -> str:
    import re

    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field"
    return found.group(1)
