"""Every state-changing route asks a browser session for its CSRF token, walked from the app's
route table so a new route cannot forget it: an API route answers 403 "needs its X-CSRF-Token
header" to a cookie session without the header, a page's form route 403 without its ``csrf``
field, and nothing is recorded. An API token needs no CSRF token (a browser never sends one
on its own): Sam of VoltWorks records hybrid-dc1's March 2027 SLA period and gainshare month
with his token, or from his session with the header, as before."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.routing import APIRoute

from tests.conftest import EXAMPLES
from tests.web.conftest import DEAL, FOREIGN, PDF, World, bearer, client_for, sign_in
from tests.web.test_metering import _files

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: the sign-in form has a CSRF token of its own, from before there is a session
BEFORE_A_SESSION = {("POST", "/login")}


def _flat(routes: list[Any]) -> list[Any]:
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)  # an included router
        out += _flat(inner.routes) if inner is not None else [route]
    return out


def _unsafe_routes(world: World) -> list[tuple[str, str]]:
    found = [
        (method, route.path)
        for route in _flat(world.app().routes)
        if isinstance(route, APIRoute)
        for method in sorted(route.methods & UNSAFE)
        if (method, route.path) not in BEFORE_A_SESSION
    ]
    assert len(found) > 60
    return found


def _path(template: str) -> str:
    """The route's URL on hybrid-dc1, with a plausible value for each other part."""
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: DEAL if m.group(1) == "deal" else "x", template)


def _gainshare_files() -> dict[str, tuple[str, bytes, str]]:
    baseline = EXAMPLES / "baseline"
    return {
        "data": ("fuel-2025.csv", (baseline / "hybrid-dc1-fuel.csv").read_bytes(), "text/csv"),
        "reporting": ("fuel-2027.csv", (baseline / "hybrid-dc1-2027.csv").read_bytes(), "text/csv"),
    }


_UPLOADS = {
    "/deals/{deal}/meter": _files,
    "/deals/{deal}/gainshare-periods": _gainshare_files,
}


def test_a_browser_session_without_its_csrf_token_changes_nothing(world: World) -> None:
    before = {d: len(world.workspace.events(d)) for d in (DEAL, FOREIGN)}
    client = client_for(world)
    sign_in(client, "voltworks-owner")
    through = []
    for method, template in _unsafe_routes(world):
        path = _path(template)
        if path.startswith("/api/"):
            answer = client.request(method, path, headers={"Idempotency-Key": "csrf"}, json={})
            refused = answer.status_code == 403 and "X-CSRF-Token" in answer.text
        else:
            # the files the route reads, so that it gets as far as the token
            files = _UPLOADS.get(template, lambda: {"file": ("m.pdf", PDF, "application/pdf")})()
            form = {"key": "csrf", "period": "2027-03"}
            answer = client.request(method, path, data=form, files=files)
            refused = answer.status_code == 403
        if not refused:
            through.append(f"{method} {template}: {answer.status_code} {answer.text[:120]}")
    assert not through, "\n".join(through)
    assert {d: len(world.workspace.events(d)) for d in (DEAL, FOREIGN)} == before


def test_a_period_and_a_month_need_the_header_from_a_session_not_from_a_token(
    fresh: World,
) -> None:
    fresh.clock.now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
    sam = fresh.users["voltworks-owner"]
    session = client_for(fresh)
    csrf = sign_in(session, "voltworks-owner")
    service = f"/api/v1/deals/{DEAL}/service-periods"
    gainshare = f"/api/v1/deals/{DEAL}/gainshare-periods"
    march = {"period": "2027-03"}

    for path, files in ((service, _files), (gainshare, _gainshare_files)):
        bare = session.post(path, files=files(), data=march, headers={"Idempotency-Key": "s-1"})
        assert bare.status_code == 403, bare.text
        assert "needs its X-CSRF-Token header" in bare.json()["detail"]
    assert [e.type for e in fresh.workspace.events(DEAL)][-1] == "signed"  # nothing recorded

    settled = session.post(
        service,
        files=_files(),
        data=march,
        headers={"Idempotency-Key": "s-2", "X-CSRF-Token": csrf},
    )
    assert settled.status_code == 201, settled.text
    assert settled.json()["events"][0]["sites"][0]["amount"] == "3800.00"

    token = client_for(fresh)
    month = token.post(
        gainshare,
        files=_gainshare_files(),
        data=march,
        headers={**bearer(sam), "Idempotency-Key": "t-1"},
    )
    assert month.status_code == 201, month.text
    assert month.json()["events"][0]["savings"] == "264.703"
    assert [e.type for e in fresh.workspace.events(DEAL)][-2:] == [
        "service-settled",
        "savings-settled",
    ]
