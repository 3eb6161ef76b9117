"""Signing in and staying signed in: cookie flags, CSRF, a new session id at every sign-in,
sign-out on the server, the idle timeout, the login throttle and hashed API tokens."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from copact.store.tables import api_tokens, sessions, users
from tests.web.conftest import PASSWORD, World, _field, client_for, sign_in


def _set_cookie(answer: object) -> str:
    headers = answer.headers  # type: ignore[attr-defined]
    [cookie] = [c for c in headers.get_list("set-cookie") if "copact" in c and "login" not in c]
    return str(cookie)


def _login(client: TestClient, username: str, password: str, ip_note: str = "") -> object:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": _field(page.text, "csrf")},
    )


def test_the_session_cookie_is_httponly_lax_and_on_tls_secure_with_host_prefix(
    fresh: World,
) -> None:
    plain = _set_cookie(_login(client_for(fresh), "acme-owner", PASSWORD))
    assert plain.startswith("copact=")
    assert "HttpOnly" in plain and "SameSite=lax" in plain and "Secure" not in plain
    tls = _set_cookie(_login(client_for(fresh, https=True), "acme-owner", PASSWORD))
    assert tls.startswith("__Host-copact=")
    assert "HttpOnly" in tls and "Secure" in tls and "Path=/" in tls and "Domain" not in tls


def test_a_form_without_the_csrf_token_is_refused(fresh: World) -> None:
    client = client_for(fresh)
    csrf = sign_in(client, "acme-finance")
    body = {"key": "k1", "payer": "acme", "payee": "voltworks", "amount": "10", "ref": "R1"}
    refused = client.post("/deals/hybrid-dc1/payments", data=body)
    assert refused.status_code == 403
    wrong = client.post("/deals/hybrid-dc1/payments", data={**body, "csrf": "x" + csrf})
    assert wrong.status_code == 403
    assert [e.type for e in fresh.workspace.events("hybrid-dc1")] == ["signed", "signed"]
    done = client.post("/deals/hybrid-dc1/payments", data={**body, "csrf": csrf})
    assert done.status_code == 303
    assert [e.type for e in fresh.workspace.events("hybrid-dc1")] == ["signed", "signed", "payment"]


def test_the_api_refuses_a_cookie_request_without_its_csrf_header(fresh: World) -> None:
    client = client_for(fresh)
    csrf = sign_in(client, "acme-finance")
    body = {"payer": "acme", "payee": "voltworks", "amount": "10.00", "ref": "R2"}
    path = "/api/v1/deals/hybrid-dc1/payments"
    assert client.post(path, json=body, headers={"Idempotency-Key": "a"}).status_code == 403
    ok = client.post(path, json=body, headers={"Idempotency-Key": "a", "X-CSRF-Token": csrf})
    assert ok.status_code == 200


def test_every_sign_in_makes_a_new_session_and_sign_out_ends_it_on_the_server(
    fresh: World,
) -> None:
    client = client_for(fresh)
    client.cookies.set("copact", "chosen-by-an-attacker", domain="testserver.local")
    csrf = sign_in(client, "acme-owner")
    first = client.cookies.get("copact")
    assert first and first != "chosen-by-an-attacker"
    sign_in(client, "acme-owner")
    assert client.cookies.get("copact") != first
    # and the session it replaced is over
    stale = client_for(fresh)
    stale.cookies.set("copact", str(first), domain="testserver.local")
    assert stale.get("/api/v1/me").status_code == 401
    # the session id is stored hashed only
    with fresh.workspace.engine.connect() as conn:
        stored = conn.execute(sa.select(sessions.c.id_hash)).scalars().all()
    assert first not in stored
    current = client.cookies.get("copact")
    csrf = _field(client.get("/deals").text, "csrf")
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    # replaying the old cookie after sign-out does not get in
    replay = client_for(fresh)
    replay.cookies.set("copact", str(current), domain="testserver.local")
    assert replay.get("/deals").status_code == 303
    assert replay.get("/api/v1/me").status_code == 401


def test_an_idle_session_expires(fresh: World) -> None:
    client = client_for(fresh)
    sign_in(client, "acme-owner")
    fresh.clock.advance(timedelta(minutes=29))
    assert client.get("/deals").status_code == 200
    fresh.clock.advance(timedelta(minutes=29))  # touched a moment ago: still alive
    assert client.get("/deals").status_code == 200
    fresh.clock.advance(timedelta(minutes=31))
    answer = client.get("/deals")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_failed_sign_ins_slow_the_attacker_not_the_user_elsewhere(fresh: World) -> None:
    attacker = client_for(fresh)
    for _ in range(3):  # three free tries
        assert _login(attacker, "acme-owner", "guess").status_code == 401  # type: ignore[attr-defined]
    # then each next try waits, even with the right password: 1 s, 2 s, 4 s …
    waiting = _login(attacker, "acme-owner", PASSWORD)
    assert waiting.status_code == 429  # type: ignore[attr-defined]
    assert int(waiting.headers["retry-after"]) >= 1  # type: ignore[attr-defined]
    # the real user from another address is not locked out
    elsewhere = TestClient(
        fresh.app(),
        base_url="http://testserver",
        follow_redirects=False,
        client=("10.0.0.9", 5000),
    )
    assert _login(elsewhere, "acme-owner", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    # the wait doubles with each failure after it
    fresh.clock.advance(timedelta(seconds=1))
    assert _login(attacker, "acme-owner", "guess").status_code == 401  # type: ignore[attr-defined]
    fresh.clock.advance(timedelta(seconds=1))
    assert _login(attacker, "acme-owner", PASSWORD).status_code == 429  # type: ignore[attr-defined]
    fresh.clock.advance(timedelta(seconds=1))
    assert _login(attacker, "acme-owner", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_passwords_are_argon2id_and_tokens_stored_hashed(fresh: World) -> None:
    with fresh.workspace.engine.connect() as conn:
        hashes = conn.execute(sa.select(users.c.password_hash)).scalars().all()
        stored = conn.execute(sa.select(api_tokens.c.token_hash)).scalars().all()
    for h in hashes:
        assert h.startswith("$argon2id$v=19$")
        params = dict(p.split("=") for p in h.split("$")[3].split(","))
        assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2
    token = fresh.users["acme-finance"].token
    assert token not in stored and all(len(s) == 64 for s in stored)
    client = client_for(fresh)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["party"] == "acme"
    fresh.accounts.revoke_tokens("acme-finance")
    # another process may remember the token for a few seconds (settings.accounts.token_cache)
    fresh.clock.advance(timedelta(seconds=fresh.settings.accounts.token_cache + 1))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer cpt_made-up"}).status_code == 401
    )


def test_errors_are_clear_and_never_a_traceback(fresh: World) -> None:
    client = client_for(fresh)
    sign_in(client, "acme-owner")
    page = client.get("/deals/no-such-deal")
    assert page.status_code == 404
    assert "no deal" in page.text and "Traceback" not in page.text
