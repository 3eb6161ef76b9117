"""One-time passwords are one-time: a password issued by ``serve --demo`` (or ``copact user add``)
opens only the change-password page until its owner picks their own.

Ana, the demo buyer's owner, signs in with the password the demo printed: she lands on
/account/password, /deals sends her back there, and the API answers 403 to her browser session
(her API token still works: a script is not a person at a sign-in form). She picks
"ana's own passphrase": her browser gets a new session id, the old one is gone, the issued
password no longer signs in, and the next sign-in goes straight to her deals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from copact.services.workspace import Workspace
from copact.web.accounts import Accounts
from copact.web.app import create_app
from copact.web.server import load_demo
from copact.web.settings import WebSettings
from tests.conftest import EXAMPLES

OWN = "ana's own passphrase"


@dataclass
class Demo:
    workspace: Workspace
    settings: WebSettings
    passwords: dict[str, str]  # username → the one-time password the demo printed

    def client(self) -> TestClient:
        app = create_app(self.settings, workspace=self.workspace)
        return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    root = tmp_path / "ws"
    ws = Workspace.init(root, database=None, clock=lambda: datetime.now(UTC))
    settings = WebSettings(workspace=root)
    issued = load_demo(ws, EXAMPLES, settings)
    yield Demo(ws, settings, {user.username: password for user, password in issued})
    ws.engine.dispose()


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str) -> Response:
    csrf = _field(client.get("/login").text, "csrf")
    return client.post(
        "/login", data={"username": username, "password": password, "csrf": csrf, "next": "/deals"}
    )


def change(client: TestClient, current: str, new: str, confirm: str | None = None) -> Response:
    csrf = _field(client.get("/account/password").text, "csrf")
    return client.post(
        "/account/password",
        data={
            "csrf": csrf,
            "current": current,
            "new": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def test_a_demo_user_changes_the_issued_password_before_anything_else(demo: Demo) -> None:
    client = demo.client()
    issued = demo.passwords["ana"]
    signed = sign_in(client, "ana", issued)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/account/password"

    # nothing else opens: pages go back to the form, the API refuses the browser session
    for path in ("/deals", "/deals/hybrid-dc1", "/deals/hybrid-dc1/invoices", "/"):
        answer = client.get(path, follow_redirects=True)
        assert answer.url.path == "/account/password", path
    api = client.get("/api/v1/deals")
    assert api.status_code == 403
    assert "change it first" in api.json()["detail"]
    assert client.get("/static/copact.css").status_code == 200
    page = client.get("/account/password")
    assert page.status_code == 200 and "was issued to you" in page.text
    assert 'href="/account/password"' in page.text  # in the header, for everyone

    # a script's API token is not a browser session: it is not held up
    token = Accounts(
        demo.workspace.engine, demo.settings.accounts, lambda: datetime.now(UTC)
    ).create_token("ana", "export")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200

    # the change: a new session id, the old one ended, on to the deals
    old = client.cookies["copact"]
    done = change(client, issued, OWN)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/deals")
    new = client.cookies["copact"]
    assert new != old
    assert client.get("/deals").status_code == 200
    assert client.get("/api/v1/deals").status_code == 200

    stale = demo.client()
    stale.cookies.set("copact", old)
    assert stale.get("/deals").headers["location"].startswith("/login")

    # the issued password is spent; the new one goes straight to the deals
    other = demo.client()
    assert sign_in(other, "ana", issued).status_code == 401
    again = sign_in(other, "ana", OWN)
    assert again.status_code == 303 and again.headers["location"] == "/deals"
    assert other.get("/deals").status_code == 200


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        (None, "short one", None, "at least 12 characters"),
        (None, None, None, "must differ from the current one"),
        (None, OWN, "ana's own passphrasf", "confirmation differ"),
        ("not her password at all", OWN, None, "current password is not right"),
    ],
    ids=["too-short", "same-as-current", "not-confirmed", "wrong-current"],
)
def test_a_refused_change_says_why_and_changes_nothing(
    demo: Demo, current: str | None, new: str | None, confirm: str | None, message: str
) -> None:
    client = demo.client()
    issued = demo.passwords["ana"]
    sign_in(client, "ana", issued)
    session = client.cookies["copact"]
    answer = change(client, current or issued, new or issued, confirm)
    assert answer.status_code == 400
    assert message in answer.text
    assert client.cookies["copact"] == session
    assert client.get("/deals").headers["location"] == "/account/password"
    assert sign_in(demo.client(), "ana", issued).headers["location"] == "/account/password"


def test_the_change_form_needs_its_csrf_token(demo: Demo) -> None:
    client = demo.client()
    issued = demo.passwords["ana"]
    sign_in(client, "ana", issued)
    answer = client.post(
        "/account/password", data={"current": issued, "new": OWN, "confirm": OWN, "csrf": "x"}
    )
    assert answer.status_code == 403
    assert sign_in(demo.client(), "ana", OWN).status_code == 401


def test_one_can_sign_out_before_changing(demo: Demo) -> None:
    client = demo.client()
    sign_in(client, "ana", demo.passwords["ana"])
    csrf = _field(client.get("/account/password").text, "csrf")
    out = client.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/deals").headers["location"].startswith("/login")


def test_a_password_issued_again_is_one_time_again(demo: Demo) -> None:
    client = demo.client()
    change_first = sign_in(client, "raj", demo.passwords["raj"])
    assert change_first.headers["location"] == "/account/password"
    assert change(client, demo.passwords["raj"], "raj picked this").status_code == 303
    assert client.get("/deals").status_code == 200
    # the next `serve --demo` issues new passwords: one-time, and raj's sessions end
    reissued = {u.username: p for u, p in load_demo(demo.workspace, EXAMPLES, demo.settings)}
    assert client.get("/deals").headers["location"].startswith("/login")
    assert sign_in(client, "raj", reissued["raj"]).headers["location"] == "/account/password"
