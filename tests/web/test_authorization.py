"""The authorization matrix, generated from the app's route table: every route × every role of
three parties × an object of another party. Zero unexpected allows; a route missing from
``EXPECT`` fails the test, so a new route cannot ship without saying who may use it.

- a deal the user's party is not in answers 404 (it does not exist for them), logged;
- evidence confidential to the other party of a shared deal answers 404, logged;
- on their own deal, a role without the route's permission answers 403;
- without a session or token, the API answers 401 and a page sends you to sign in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from copact.web.access import PERMISSIONS
from tests.web.conftest import DEAL, FOREIGN, PDF, World, bearer, client_for, sign_in


@dataclass(frozen=True)
class Rule:
    kind: str  # open | self | deal | evidence
    action: str | None = None
    json: dict[str, Any] | None = None
    form: dict[str, Any] = field(default_factory=dict)
    upload: bool = False


SHA = "0" * 64
COST = {"id": "rig-hire", "period": "2027-03", "amount": "10.00", "description": "rig"}
CONVERSION = {"conversion": "c-2027-07", "window": "2027-07-01", "amount": "10.00"}
PAY = {"payer": "acme", "payee": "voltworks", "amount": "10.00", "ref": "M-1"}
EXPECT: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/openapi.json"): Rule("open"),
    ("GET", "/"): Rule("open"),
    ("GET", "/assets/invoice.css"): Rule("open"),
    ("GET", "/login"): Rule("open"),
    ("POST", "/login"): Rule("open"),
    ("POST", "/logout"): Rule("self"),
    ("GET", "/account/password"): Rule("self"),
    ("POST", "/account/password"): Rule("self"),
    ("GET", "/api/v1/me"): Rule("self"),
    ("GET", "/api/v1/deals"): Rule("self"),
    ("GET", "/deals"): Rule("self"),
    # the API
    ("GET", "/api/v1/deals/{deal}"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/versions"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/versions/{version}"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/milestones"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/milestones/{milestone}"): Rule("deal", "deal.read"),
    ("POST", "/api/v1/deals/{deal}/milestones/{milestone}/submit"): Rule(
        "deal", "milestone.submit", json={"evidence": []}
    ),
    ("POST", "/api/v1/deals/{deal}/milestones/{milestone}/accept"): Rule(
        "deal", "milestone.review", json={}
    ),
    ("POST", "/api/v1/deals/{deal}/milestones/{milestone}/reject"): Rule(
        "deal", "milestone.review", json={"reasons": ["cracked"]}
    ),
    ("GET", "/api/v1/deals/{deal}/evidence"): Rule("deal", "deal.read"),
    ("POST", "/api/v1/deals/{deal}/evidence"): Rule("deal", "evidence.upload", upload=True),
    ("GET", "/api/v1/deals/{deal}/evidence/{sha256}"): Rule("evidence", "deal.read"),
    ("POST", "/api/v1/deals/{deal}/payments"): Rule("deal", "payment.record", json=PAY),
    ("POST", "/api/v1/deals/{deal}/payments/{ref:path}/confirm"): Rule(
        "deal", "payment.confirm", json={}
    ),
    ("POST", "/api/v1/deals/{deal}/claims"): Rule(
        "deal", "work.claim", json={"amount": "10.00", "for": "cells"}
    ),
    ("POST", "/api/v1/deals/{deal}/gates/{phase}"): Rule(
        "deal", "gate.decide", json={"decision": "proceed"}
    ),
    ("GET", "/api/v1/deals/{deal}/changes"): Rule("deal", "deal.read"),
    ("POST", "/api/v1/deals/{deal}/changes"): Rule(
        "deal", "change.propose", json={"change": "co-9", "amount": "100.00"}
    ),
    ("POST", "/api/v1/deals/{deal}/changes/{change}/approve"): Rule(
        "deal", "change.decide", json={}
    ),
    ("POST", "/api/v1/deals/{deal}/changes/{change}/reject"): Rule(
        "deal", "change.decide", json={}
    ),
    ("GET", "/api/v1/deals/{deal}/invoices"): Rule("deal", "deal.read"),
    ("POST", "/api/v1/deals/{deal}/invoices"): Rule("deal", "invoices.issue", json={}),
    ("POST", "/api/v1/deals/{deal}/invoices/advance"): Rule("deal", "invoices.issue", json={}),
    ("POST", "/api/v1/deals/{deal}/service-periods/{period}/review"): Rule(
        "deal", "service.review", json={}
    ),
    ("POST", "/api/v1/deals/{deal}/service-periods/{period}/invoice"): Rule(
        "deal", "invoices.issue", json={}
    ),
    ("POST", "/api/v1/deals/{deal}/invoices/exit-credit-note"): Rule(
        "deal", "invoices.issue", json={}
    ),
    ("GET", "/api/v1/deals/{deal}/invoices/{number}/pdf"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/invoices/{number}/facturx"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/invoices/{number}/ubl"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/documents/{kind}"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/exit-preview"): Rule("deal", "deal.read"),
    ("POST", "/api/v1/deals/{deal}/exit"): Rule(
        "deal", "exit.invoke", json={"trigger": "convenience"}
    ),
    ("GET", "/api/v1/deals/{deal}/journal/verify"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/access-log"): Rule("deal", "access-log.read"),
    ("POST", "/api/v1/deals/{deal}/decisions"): Rule(
        "deal", "decision.log", json={"decision": "pre-order the cells"}
    ),
    ("POST", "/api/v1/deals/{deal}/risks"): Rule(
        "deal", "risk.update", json={"risk": "battery-lead-time", "status": "mitigated"}
    ),
    ("POST", "/api/v1/deals/{deal}/meter"): Rule("deal", "deal.read", upload=True),
    ("POST", "/api/v1/deals/{deal}/service-periods"): Rule("deal", "service.settle", upload=True),
    ("POST", "/api/v1/deals/{deal}/sign"): Rule("deal", "deal.sign", json={}),
    # innovation bonuses and revenue share (API)
    ("POST", "/api/v1/deals/{deal}/bonuses/{bonus}/claim"): Rule(
        "deal", "bonus.claim", json={"evidence": [SHA]}
    ),
    ("POST", "/api/v1/deals/{deal}/bonuses/{bonus}/review"): Rule(
        "deal", "bonus.review", json={"decision": "approved"}
    ),
    ("POST", "/api/v1/deals/{deal}/sales-reports"): Rule(
        "deal", "sales.report", json={"period": "2027-Q1", "sales": "100.00"}
    ),
    ("POST", "/api/v1/deals/{deal}/sales-reports/{period}/audit"): Rule(
        "deal", "sales.audit", json={"sales": "100.00", "evidence": [SHA]}
    ),
    ("POST", "/api/v1/deals/{deal}/revenue-periods/{period}/invoice"): Rule(
        "deal", "invoices.issue", json={}
    ),
    ("POST", "/api/v1/deals/{deal}/revenue-periods/{period}/credit-note"): Rule(
        "deal", "invoices.issue", json={}
    ),
    # gainshare (API)
    ("POST", "/api/v1/deals/{deal}/gainshare-periods/{period}/invoice"): Rule(
        "deal", "invoices.issue", json={}
    ),
    ("POST", "/api/v1/deals/{deal}/gainshare-years/{year}/true-up"): Rule(
        "deal", "invoices.issue", json={}
    ),
    ("POST", "/api/v1/deals/{deal}/gainshare-periods"): Rule(
        "deal", "gainshare.settle", upload=True
    ),
    ("GET", "/api/v1/deals/{deal}/gainshare"): Rule("deal", "deal.read"),
    # volume commitment (API)
    ("POST", "/api/v1/deals/{deal}/purchases"): Rule(
        "deal", "purchases.record", json={"period": "2027-03", "quantity": "10", "ref": "CO-1"}
    ),
    ("POST", "/api/v1/deals/{deal}/purchases/{ref:path}/confirm"): Rule(
        "deal", "purchases.confirm", json={}
    ),
    ("POST", "/api/v1/deals/{deal}/forecasts"): Rule(
        "deal", "forecast.record", json={"from": "2027-03", "quantities": ["10"]}
    ),
    ("POST", "/api/v1/deals/{deal}/volume-years/{year}/true-up"): Rule(
        "deal", "invoices.issue", json={}
    ),
    ("GET", "/api/v1/deals/{deal}/volume"): Rule("deal", "deal.read"),
    # cost-plus (API)
    ("POST", "/api/v1/deals/{deal}/costs"): Rule(
        "deal", "cost.record", json={**COST, "evidence": [SHA]}
    ),
    ("POST", "/api/v1/deals/{deal}/costs/{cost}/review"): Rule(
        "deal", "cost.review", json={"decision": "approved"}
    ),
    ("POST", "/api/v1/deals/{deal}/cost-periods/{period}/invoice"): Rule(
        "deal", "invoices.issue", json={}
    ),
    # convertible support (API)
    ("POST", "/api/v1/deals/{deal}/conversions"): Rule(
        "deal", "conversion.request", json=CONVERSION
    ),
    ("POST", "/api/v1/deals/{deal}/conversions/{conversion}/approve"): Rule(
        "deal", "conversion.approve", json={}
    ),
    ("GET", "/api/v1/deals/{deal}/support"): Rule("deal", "deal.read"),
    ("GET", "/api/v1/deals/{deal}/costs"): Rule("deal", "deal.read"),
    # the pages
    ("GET", "/deals/{deal}"): Rule("deal", "deal.read"),
    ("GET", "/deals/{deal}/milestones/{milestone}"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/milestones/{milestone}/submit"): Rule(
        "deal", "milestone.submit", form={"evidence": []}
    ),
    ("POST", "/deals/{deal}/milestones/{milestone}/accept"): Rule("deal", "milestone.review"),
    ("POST", "/deals/{deal}/milestones/{milestone}/reject"): Rule(
        "deal", "milestone.review", form={"reasons": "cracked"}
    ),
    ("POST", "/deals/{deal}/evidence"): Rule("deal", "evidence.upload", upload=True),
    ("GET", "/deals/{deal}/evidence/{sha256}"): Rule("evidence", "deal.read"),
    ("GET", "/deals/{deal}/invoices"): Rule("deal", "deal.read"),
    ("GET", "/deals/{deal}/invoices/{number}.pdf"): Rule("deal", "deal.read"),
    ("GET", "/deals/{deal}/invoices/{number}/facturx.pdf"): Rule("deal", "deal.read"),
    ("GET", "/deals/{deal}/invoices/{number}/ubl.xml"): Rule("deal", "deal.read"),
    ("GET", "/deals/{deal}/invoices/{number}"): Rule("deal", "deal.read"),
    ("GET", "/deals/{deal}/documents/{kind}.{fmt}"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/invoices"): Rule("deal", "invoices.issue"),
    ("POST", "/deals/{deal}/invoices/advance"): Rule("deal", "invoices.issue"),
    ("POST", "/deals/{deal}/service-periods/{period}/review"): Rule("deal", "service.review"),
    ("POST", "/deals/{deal}/service-periods/{period}/invoice"): Rule("deal", "invoices.issue"),
    ("POST", "/deals/{deal}/invoices/exit-credit-note"): Rule("deal", "invoices.issue"),
    ("POST", "/deals/{deal}/payments"): Rule("deal", "payment.record", form=PAY),
    ("POST", "/deals/{deal}/payments/{ref:path}/confirm"): Rule("deal", "payment.confirm"),
    ("GET", "/deals/{deal}/changes"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/changes"): Rule(
        "deal", "change.propose", form={"change": "co-9", "amount": "100"}
    ),
    ("POST", "/deals/{deal}/changes/{change}/approve"): Rule("deal", "change.decide"),
    ("POST", "/deals/{deal}/changes/{change}/reject"): Rule("deal", "change.decide"),
    ("POST", "/deals/{deal}/claims"): Rule(
        "deal", "work.claim", form={"amount": "10.00", "for": "cells"}
    ),
    ("POST", "/deals/{deal}/exit"): Rule("deal", "exit.invoke", form={"trigger": "convenience"}),
    ("GET", "/deals/{deal}/gates"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/gates/{phase}"): Rule(
        "deal", "gate.decide", form={"decision": "proceed"}
    ),
    ("GET", "/deals/{deal}/exit"): Rule("deal", "deal.read"),
    ("GET", "/deals/{deal}/meter"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/sign"): Rule("deal", "deal.sign"),
    # innovation bonuses and revenue share (pages)
    ("POST", "/deals/{deal}/bonuses/{bonus}/claim"): Rule(
        "deal", "bonus.claim", form={"evidence": [SHA]}
    ),
    ("POST", "/deals/{deal}/bonuses/{bonus}/review"): Rule(
        "deal", "bonus.review", form={"decision": "approved"}
    ),
    ("POST", "/deals/{deal}/sales-reports"): Rule(
        "deal", "sales.report", form={"period": "2027-Q1", "sales": "100.00"}
    ),
    ("POST", "/deals/{deal}/sales-reports/{period}/audit"): Rule(
        "deal", "sales.audit", form={"sales": "100.00", "evidence": [SHA]}
    ),
    ("GET", "/deals/{deal}/incentives"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/revenue-periods/{period}/invoice"): Rule("deal", "invoices.issue"),
    ("POST", "/deals/{deal}/revenue-periods/{period}/credit-note"): Rule("deal", "invoices.issue"),
    # gainshare (pages)
    ("GET", "/deals/{deal}/gainshare"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/gainshare-periods/{period}/invoice"): Rule("deal", "invoices.issue"),
    ("POST", "/deals/{deal}/gainshare-years/{year}/true-up"): Rule("deal", "invoices.issue"),
    ("POST", "/deals/{deal}/gainshare-periods"): Rule("deal", "gainshare.settle", upload=True),
    # volume commitment (pages)
    ("GET", "/deals/{deal}/volume"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/purchases"): Rule(
        "deal", "purchases.record", form={"period": "2027-03", "quantity": "10", "ref": "CO-1"}
    ),
    ("POST", "/deals/{deal}/purchases/{ref:path}/confirm"): Rule("deal", "purchases.confirm"),
    ("POST", "/deals/{deal}/forecasts"): Rule(
        "deal", "forecast.record", form={"from": "2027-03", "quantities": "10"}
    ),
    ("POST", "/deals/{deal}/volume-years/{year}/true-up"): Rule("deal", "invoices.issue"),
    # cost-plus (pages)
    ("GET", "/deals/{deal}/costs"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/costs"): Rule("deal", "cost.record", form={**COST, "evidence": [SHA]}),
    ("POST", "/deals/{deal}/costs/{cost}/review"): Rule(
        "deal", "cost.review", form={"decision": "approved"}
    ),
    ("POST", "/deals/{deal}/cost-periods/{period}/invoice"): Rule("deal", "invoices.issue"),
    # convertible support (pages)
    ("GET", "/deals/{deal}/support"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/conversions"): Rule("deal", "conversion.request", form=CONVERSION),
    ("POST", "/deals/{deal}/conversions/{conversion}/approve"): Rule("deal", "conversion.approve"),
    ("POST", "/deals/{deal}/meter"): Rule("deal", "deal.read", upload=True),
    # supplier selection (pages)
    ("GET", "/deals/{deal}/selection"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/selection"): Rule("deal", "deal.read", upload=True),
    ("GET", "/deals/{deal}/access-log"): Rule("deal", "access-log.read"),
    ("GET", "/deals/{deal}/access-log.csv"): Rule("deal", "access-log.read"),
    ("GET", "/deals/{deal}/journal"): Rule("deal", "deal.read"),
    ("POST", "/deals/{deal}/decisions"): Rule(
        "deal", "decision.log", form={"decision": "pre-order the cells"}
    ),
    ("POST", "/deals/{deal}/risks"): Rule(
        "deal", "risk.update", form={"risk": "battery-lead-time", "status": "mitigated"}
    ),
}

PARAMS = {
    "milestone": "hardware-delivery",
    "change": "co-1",
    "phase": "design",
    "number": "hybrid-dc1-001",
    "version": "1",
    "decision": "approve",
    "ref": "M-1",
    "kind": "scope-memo",
    "period": "2027-03",
    "fmt": "md",
    "bonus": "dispatch-bonus",
    "year": "2027",  # gainshare
    "cost": "rig-hire",  # cost-plus
    "conversion": "c-2027-07",  # convertible support
}


def _flat(routes: list[Any]) -> list[Any]:
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)  # an included router
        out += _flat(inner.routes) if inner is not None else [route]
    return out


def routes(world: World) -> list[tuple[str, str]]:
    """(method, path) of every route the app answers, from its route table."""
    found = []
    for route in _flat(world.app().routes):
        if isinstance(route, Mount):
            continue  # /static: the stylesheet
        assert isinstance(route, APIRoute | Route), route
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, route.path))
    assert len(found) > 40
    return found


@pytest.fixture(scope="module")
def secrets(world: World) -> dict[str, str]:
    """Evidence confidential to each party of the shared deal."""
    out = {}
    for party, username in (("acme", "acme-owner"), ("voltworks", "voltworks-account")):
        with_pdf = PDF + f"confidential to {party}".encode()
        import io

        record = world.workspace.add_evidence(
            DEAL,
            io.BytesIO(with_pdf),
            name=f"{party}-pricing.pdf",
            kind="test-report",
            by=world.users[username].person or "",
            confidential=True,
        )
        out[party] = record.sha256
    return out


@pytest.fixture(scope="module")
def sessions(world: World) -> dict[str, tuple[TestClient, str]]:
    out = {}
    for username in world.users:
        client = client_for(world)
        out[username] = (client, sign_in(client, username))
    return out


def test_every_route_has_an_expectation(world: World) -> None:
    missing = [r for r in routes(world) if r not in EXPECT]
    assert not missing, f"routes with no entry in the authorization expectations: {missing}"


def _path(template: str, deal: str, sha: str) -> str:
    values = {**PARAMS, "deal": deal, "sha256": sha}
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], template)


def _call(
    client: TestClient, method: str, path: str, rule: Rule, *, token: str | None, csrf: str
) -> Any:
    api = path.startswith("/api/")
    headers = {"Idempotency-Key": "matrix"}
    if api and token:
        headers["Authorization"] = f"Bearer {token}"
    if method == "GET":
        params = {"trigger": "convenience"} if "exit" in path else None
        return client.get(path, headers=headers, params=params)
    if rule.upload:
        data = {"kind": "test-report", "csrf": csrf}
        return client.post(
            path, headers=headers, files={"file": ("m.pdf", PDF, "application/pdf")}, data=data
        )
    if api:
        return client.post(path, headers=headers, json=rule.json or {})
    return client.post(path, data={**rule.form, "csrf": csrf, "key": "matrix"})


def _allowed(answer: Any) -> bool:
    if answer.status_code == 303:
        return not answer.headers["location"].startswith("/login")
    return answer.status_code < 400


def test_the_matrix_has_no_unexpected_allow(
    world: World, secrets: dict[str, str], sessions: dict[str, tuple[TestClient, str]]
) -> None:
    before = len(world.workspace.events(DEAL))
    problems = []
    checked = 0
    for method, template in routes(world):
        rule = EXPECT[(method, template)]
        if rule.kind in ("open", "self"):
            continue
        for username, user in world.users.items():
            client, csrf = sessions[username]
            token = user.token
            shared = user.party in ("acme", "voltworks")
            cases = []
            # 1. a deal of other parties
            foreign = FOREIGN if shared else DEAL
            cases.append(("foreign deal", _path(template, foreign, "0" * 64), {404}))
            # 2. the other party's confidential evidence in the shared deal
            if rule.kind == "evidence" and shared:
                other = "voltworks" if user.party == "acme" else "acme"
                cases.append(("other's secret", _path(template, DEAL, secrets[other]), {404}))
            # 3. a role without the permission, on its own deal
            assert rule.action is not None
            if shared and user.role not in PERMISSIONS[rule.action]:
                cases.append(("role", _path(template, DEAL, secrets[user.party]), {403}))
            for what, path, expected in cases:
                answer = _call(client, method, path, rule, token=token, csrf=csrf)
                checked += 1
                if _allowed(answer) or answer.status_code not in expected:
                    problems.append(f"{method} {path} as {username} ({what}): {answer.status_code}")
    assert checked > 500
    assert not problems, "\n".join(problems[:40])
    assert len(world.workspace.events(DEAL)) == before  # nothing was recorded


def test_without_credentials_nothing_but_sign_in_opens(
    world: World, secrets: dict[str, str]
) -> None:
    client = client_for(world)
    for method, template in routes(world):
        rule = EXPECT[(method, template)]
        if rule.kind == "open":
            continue
        path = _path(template, DEAL, secrets["acme"])
        answer = _call(client, method, path, rule, token=None, csrf="")
        if path.startswith("/api/"):
            assert answer.status_code in (401, 422), (method, path, answer.status_code)
        else:
            assert answer.status_code in (303, 403), (method, path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"].startswith("/login")


def test_lists_show_only_the_deals_of_ones_party(
    world: World, sessions: dict[str, tuple[TestClient, str]]
) -> None:
    for username, user in world.users.items():
        client, _ = sessions[username]
        ids = {d["id"] for d in client.get("/api/v1/deals", headers=bearer(user)).json()}
        page = client.get("/deals").text
        if user.party in ("acme", "voltworks"):
            assert ids == {DEAL} and f"/deals/{FOREIGN}" not in page
        else:
            assert ids == {FOREIGN} and f'/deals/{DEAL}"' not in page


def test_refusals_and_confidential_reads_are_in_the_access_log(
    world: World, secrets: dict[str, str]
) -> None:
    client = client_for(world)
    sam = bearer(world.users["voltworks-account"])
    ana = bearer(world.users["acme-owner"])
    assert (
        client.get(f"/api/v1/deals/{DEAL}/evidence/{secrets['acme']}", headers=sam).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/deals/{DEAL}/evidence/{secrets['acme']}", headers=ana).status_code
        == 200
    )
    log = client.get(f"/api/v1/deals/{DEAL}/access-log", headers=ana).json()
    about = [e for e in log if secrets["acme"] in e["object"]]
    assert {(e["user"], e["outcome"]) for e in about} >= {
        ("voltworks-account", "refused"),
        ("acme-owner", "read"),
    }
    csv = client.get(f"/api/v1/deals/{DEAL}/access-log", params={"format": "csv"}, headers=ana)
    assert csv.headers["content-type"].startswith("text/csv")
    assert "voltworks-account" in csv.text and "refused" in csv.text
    # the supplier's owner sees its own people's refusals, not the buyer's reads
    vw = bearer(world.users["voltworks-owner"])
    theirs = client.get(f"/api/v1/deals/{DEAL}/access-log", headers=vw).json()
    assert all(e["party"] == "voltworks" or e["outcome"] == "refused" for e in theirs)
