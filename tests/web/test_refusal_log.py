"""Refusals the guard never sees are in the access log too: a page or API call without a session
or token (who: anonymous), a form without its CSRF token, an issued password not yet changed.
The sign-in page and static files are not logged, so stray requests to them write nothing.

Someone with no session opens hybrid-dc1's dashboard from 203.0.113.9: they are sent to sign
in, and Ana (acme's owner) finds "anonymous · sign-in.required · GET /deals/hybrid-dc1" from
that address in the deal's access log.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from copact.store.tables import access_log
from tests.web.conftest import DEAL, World, bearer, sign_in


def _client(world: World, ip: str = "203.0.113.9") -> TestClient:
    return TestClient(
        world.app(), raise_server_exceptions=False, follow_redirects=False, client=(ip, 50000)
    )


def _rows(world: World) -> list[Any]:
    with world.workspace.engine.connect() as conn:
        return list(conn.execute(select(access_log).order_by(access_log.c.id)).all())


def _count(world: World) -> int:
    with world.workspace.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(access_log)).scalar() or 0)


def test_a_page_without_a_session_is_logged_as_anonymous(fresh: World) -> None:
    stranger = _client(fresh)
    answer = stranger.get(f"/deals/{DEAL}")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    last = _rows(fresh)[-1]
    assert (last.username, last.party, last.deal) == (None, None, DEAL)
    assert (last.action, last.object, last.outcome) == (
        "sign-in.required",
        f"GET /deals/{DEAL}",
        "refused",
    )
    assert last.ip == "203.0.113.9"
    assert last.at.replace(tzinfo=None) == fresh.clock().replace(tzinfo=None)  # SQLite: naive

    # both parties' owners see who knocked at their deal
    ana = _client(fresh, "198.51.100.1")
    log = ana.get(f"/api/v1/deals/{DEAL}/access-log", headers=bearer(fresh.users["acme-owner"]))
    knocks = [e for e in log.json() if e["object"] == f"GET /deals/{DEAL}"]
    assert [(e["user"], e["ip"]) for e in knocks] == [(None, "203.0.113.9")]
    csv = ana.get(
        f"/api/v1/deals/{DEAL}/access-log",
        params={"format": "csv"},
        headers=bearer(fresh.users["voltworks-owner"]),
    )
    assert f"anonymous,,{DEAL},sign-in.required,GET /deals/{DEAL},refused,203.0.113.9" in csv.text


def test_an_api_call_without_a_valid_token_is_logged(fresh: World) -> None:
    stranger = _client(fresh)
    for headers in ({}, {"Authorization": "Bearer cpt_not-a-token"}):
        answer = stranger.post(
            f"/api/v1/deals/{DEAL}/payments", headers={**headers, "Idempotency-Key": "k"}, json={}
        )
        assert answer.status_code == 401
        last = _rows(fresh)[-1]
        assert (last.username, last.action, last.object, last.ip) == (
            None,
            "sign-in.required",
            f"POST /api/v1/deals/{DEAL}/payments",
            "203.0.113.9",
        )
    assert stranger.get("/api/v1/me").status_code == 401
    assert _rows(fresh)[-1].deal is None


def test_a_form_without_its_csrf_token_is_logged_with_the_sessions_user(fresh: World) -> None:
    raj = _client(fresh)
    sign_in(raj, "acme-finance")
    before = len(fresh.workspace.events(DEAL))
    answer = raj.post(f"/deals/{DEAL}/invoices", data={"csrf": "forged", "key": "k1"})
    assert answer.status_code == 403
    assert len(fresh.workspace.events(DEAL)) == before
    last = _rows(fresh)[-1]
    assert (last.username, last.party, last.action, last.object, last.concerns) == (
        "acme-finance",
        "acme",
        "csrf",
        f"POST /deals/{DEAL}/invoices",
        "acme",
    )


def test_an_issued_password_not_yet_changed_is_logged(fresh: World) -> None:
    fresh.accounts.set_password("acme-owner", "issued by the admin")
    ana = _client(fresh)
    csrf = re.search(r'name="csrf" value="([^"]*)"', ana.get("/login").text)
    assert csrf
    ana.post(
        "/login",
        data={"username": "acme-owner", "password": "issued by the admin", "csrf": csrf.group(1)},
    )
    assert ana.get("/api/v1/deals").status_code == 403
    last = _rows(fresh)[-1]
    assert (last.username, last.action, last.object) == (
        "acme-owner",
        "password.change-first",
        "GET /api/v1/deals",
    )


def test_the_sign_in_page_and_static_files_write_nothing(fresh: World) -> None:
    stranger = _client(fresh)
    before = _count(fresh)
    refused = stranger.post(
        "/login", data={"username": "acme-owner", "password": "guess", "csrf": "forged"}
    )
    assert refused.status_code == 403
    assert stranger.get("/static/copact.css").status_code == 200
    assert stranger.get("/static/missing.css").status_code == 404
    assert stranger.get("/assets/invoice.css").status_code == 200
    assert stranger.get("/login").status_code == 200
    assert stranger.get("/no-such-page").status_code == 404
    assert _count(fresh) == before
