"""The sign-in throttle against a guesser: attempts are counted in the database before the
password is checked, so simultaneous guesses cannot all slip through; per account and address,
per account, and per address. ``X-Forwarded-For`` counts only from a configured proxy, and the
``trusted_hosts`` setting is enforced. A stranger cannot lock a real user out: a browser that
has signed in to the account before carries a device cookie with a budget of its own, and every
wait backs off and ends.

The concurrent tests run real threads against the real app (SQLite and PostgreSQL); the clock
is the test's, so nothing depends on how fast the machine is."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from copact.web.app import create_app
from tests.web.conftest import PASSWORD, World, _field, make_world
from tests.web.test_postgres import pg_url  # noqa: F401 - the fixture

ATTEMPTS = 16


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    database = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    w = make_world(tmp_path / "ws", database=database, all_roles=False)
    yield w
    w.workspace.engine.dispose()


def _client(app: FastAPI, address: str = "203.0.113.5", **headers: str) -> TestClient:
    return TestClient(
        app,
        base_url="http://testserver",
        follow_redirects=False,
        raise_server_exceptions=False,
        client=(address, 50000),
        headers=headers,
    )


def _form(client: TestClient, username: str, password: str) -> dict[str, str]:
    csrf = _field(client.get("/login").text, "csrf")
    return {"username": username, "password": password, "csrf": csrf, "next": "/deals"}


def _login(client: TestClient, username: str, password: str, **headers: str) -> int:
    answer = client.post("/login", data=_form(client, username, password), headers=headers)
    return int(answer.status_code)


def _at_once(clients: list[TestClient], username: str, password: str) -> Counter[int]:
    """Every client posts the sign-in form at the same moment (a barrier releases them)."""
    forms = [_form(c, username, password) for c in clients]
    barrier = threading.Barrier(len(clients))
    answers: list[int] = []
    lock = threading.Lock()

    def attempt(client: TestClient, form: dict[str, str]) -> None:
        barrier.wait()
        status = client.post("/login", data=form).status_code
        with lock:
            answers.append(status)

    threads = [
        threading.Thread(target=attempt, args=pair) for pair in zip(clients, forms, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Counter(answers)


def test_sixteen_simultaneous_guesses_from_one_address_get_three_checks(world: World) -> None:
    app = world.app()
    answers = _at_once([_client(app) for _ in range(ATTEMPTS)], "acme-owner", "guess")
    free = world.settings.accounts.login_free_failures
    assert answers == Counter({401: free, 429: ATTEMPTS - free})


def test_sixteen_simultaneous_guesses_from_sixteen_addresses_get_the_accounts_budget(
    world: World,
) -> None:
    app = world.app()
    clients = [_client(app, f"198.51.100.{i}") for i in range(ATTEMPTS)]
    answers = _at_once(clients, "acme-owner", "guess")
    free = world.settings.accounts.login_account_free_failures
    assert answers == Counter({401: free, 429: ATTEMPTS - free})


def test_a_forwarded_for_header_from_a_stranger_changes_nothing(fresh: World) -> None:
    client = _client(fresh.app())
    answers = [
        _login(client, "acme-owner", "guess", **{"X-Forwarded-For": f"192.0.2.{i}"})
        for i in range(5)
    ]
    assert answers == [401, 401, 401, 429, 429]
    # and the session of a real sign-in records the address the server saw
    assert _login(_client(fresh.app(), "192.0.2.200"), "acme-finance", PASSWORD) == 303


def test_a_forwarded_for_header_from_a_configured_proxy_names_the_client(fresh: World) -> None:
    settings = replace(fresh.settings, trusted_proxies=("10.0.0.2",))
    app = create_app(settings, workspace=fresh.workspace, clock=fresh.clock)
    proxy = _client(app, "10.0.0.2")
    # each client behind the proxy has its own budget of the account and address ...
    for i in range(3):
        forwarded = {"X-Forwarded-For": f"192.0.2.{i}"}
        assert [_login(proxy, "acme-owner", "guess", **forwarded) for _ in range(4)] == [
            401,
            401,
            401,
            429,
        ]
    # ... within the account's budget for every address
    budget = fresh.settings.accounts.login_account_free_failures
    left = budget - 9
    forwarded = {"X-Forwarded-For": "192.0.2.99"}
    assert [_login(proxy, "acme-owner", "guess", **forwarded) for _ in range(left + 1)] == [
        401
    ] * left + [429]
    # a forged hop in front of the client's own address does not help it
    spoofed = {"X-Forwarded-For": "192.0.2.250, 192.0.2.0"}
    assert _login(proxy, "acme-finance", "guess", **spoofed) == 401
    assert [_login(proxy, "acme-finance", "guess", **spoofed) for _ in range(3)][-1] == 429
    assert _login(proxy, "acme-finance", "guess", **{"X-Forwarded-For": "192.0.2.0"}) == 429


def test_a_stranger_cannot_lock_out_a_user_who_signed_in_from_this_browser(
    fresh: World,
) -> None:
    app = fresh.app()
    ana = _client(app, "203.0.113.7")
    assert _login(ana, "acme-owner", PASSWORD) == 303  # this browser now has a device cookie
    # a guesser at the same office address and from many others spends the account's budget
    for i in range(30):
        _login(_client(app, "203.0.113.7" if i % 2 else f"198.51.100.{i}"), "acme-owner", "x")
    assert _login(_client(app, "198.51.100.200"), "acme-owner", PASSWORD) == 429
    # Ana's browser has its own budget
    assert _login(ana, "acme-owner", PASSWORD) == 303
    # a copy of her device cookie guessing wrong loses its own budget, not hers elsewhere
    # (the wait backs off and ends: after the longest wait, a new browser is checked again)
    fresh.clock.advance(fresh.settings.accounts.login_max_delay + timedelta(seconds=1))
    assert _login(_client(app, "198.51.100.201"), "acme-owner", PASSWORD) == 303


def test_a_device_cookie_is_for_its_own_account_only(fresh: World) -> None:
    app = fresh.app()
    browser = _client(app)
    assert _login(browser, "acme-finance", PASSWORD) == 303
    for i in range(12):
        _login(_client(app, f"198.51.100.{i}"), "acme-owner", "x")
    assert _login(browser, "acme-owner", PASSWORD) == 429  # raj's cookie does not open ana's


def test_the_trusted_hosts_setting_is_enforced(fresh: World) -> None:
    settings = replace(fresh.settings, trusted_hosts=("copact.example.com",))
    app = create_app(settings, workspace=fresh.workspace, clock=fresh.clock)
    good = TestClient(app, base_url="http://copact.example.com", follow_redirects=False)
    assert good.get("/login").status_code == 200
    evil = TestClient(app, base_url="http://evil.example", follow_redirects=False)
    refused = evil.get("/login")
    assert refused.status_code == 400 and "csrf" not in refused.text


def test_copact_serve_believes_forwarded_headers_only_from_its_trusted_proxies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's own proxy handling trusts every local process (and FORWARDED_ALLOW_IPS=*
    everyone): ``copact serve`` turns it off and gives the app its ``--trusted-proxy``."""
    import uvicorn
    from typer.testing import CliRunner

    from copact.cli.app import app as cli

    seen: dict[str, object] = {}

    def run(app: FastAPI, **options: object) -> None:
        seen.update(options, app=app)

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    root = tmp_path / "ws"
    done = CliRunner().invoke(
        cli, ["serve", "--workspace", str(root), "--trusted-proxy", "10.0.0.2"]
    )
    assert done.exit_code == 0, done.output
    assert seen["proxy_headers"] is False
    served = seen["app"]
    assert isinstance(served, FastAPI)
    settings = served.state.ctx.settings
    assert settings.trusted_proxies == ("10.0.0.2",)
    assert settings.trusted_hosts == ("127.0.0.1", "localhost")  # loopback: no DNS rebinding
    # a local process rotating X-Forwarded-For is still one address
    local = TestClient(served, base_url="http://127.0.0.1", client=("127.0.0.1", 1))
    served.state.ctx.accounts.create_user(
        username="ana", name="Ana", party="acme", role="owner", password=PASSWORD
    )
    answers = [
        _login(local, "ana", "guess", **{"X-Forwarded-For": f"192.0.2.{i}"}) for i in range(4)
    ]
    assert answers == [401, 401, 401, 429]
    served.state.ctx.workspace.engine.dispose()
