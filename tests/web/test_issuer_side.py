"""Invoices and credit notes are the supplier's documents, numbered in its own series: a user
of the buyer may read and pay them but not issue them, whatever their role allows, and the
refusal is written to the access log. On heat-sensor-housing: Ridgeline's finance person
(dana's seat) tries to invoice Kestrel's 30,000.00 advance, and then Kestrel's billing person
does."""

from __future__ import annotations

import sqlalchemy as sa

from copact.store.tables import access_log
from tests.web.conftest import FOREIGN as DEAL
from tests.web.conftest import World, bearer, client_for, sign_in
from tests.web.test_prepayment_web import _user


def test_the_buyer_cannot_issue_the_suppliers_invoice_and_is_logged(fresh: World) -> None:
    buyer, supplier = _user(fresh, "ridgeline", "finance"), _user(fresh, "kestrel", "billing")
    api = client_for(fresh)
    refused = api.post(
        f"/api/v1/deals/{DEAL}/invoices/advance",
        json={},
        headers={**bearer(fresh.users[buyer]), "Idempotency-Key": "advance-by-buyer"},
    )
    assert refused.status_code == 403, refused.text
    assert "the supplier's documents" in refused.text
    listed = api.get(f"/api/v1/deals/{DEAL}/invoices", headers=bearer(fresh.users[buyer]))
    assert listed.json() == []  # nothing was issued in Kestrel's series
    with fresh.workspace.engine.connect() as conn:
        logged = conn.execute(
            sa.select(access_log.c.username, access_log.c.outcome).where(access_log.c.deal == DEAL)
        ).all()
    assert (buyer, "refused") in [tuple(r) for r in logged]

    issued = api.post(
        f"/api/v1/deals/{DEAL}/invoices/advance",
        json={},
        headers={**bearer(fresh.users[supplier]), "Idempotency-Key": "advance-by-supplier"},
    )
    assert issued.status_code == 200, issued.text
    listed = api.get(f"/api/v1/deals/{DEAL}/invoices", headers=bearer(fresh.users[buyer]))
    assert [(i["number"], i["from"]) for i in listed.json()] == [
        ("heat-sensor-housing-001", "kestrel")
    ]


def test_only_the_suppliers_users_see_the_button_that_issues_it(fresh: World) -> None:
    button = "Invoice the prepaid advance"
    buyer, supplier = _user(fresh, "ridgeline", "finance"), _user(fresh, "kestrel", "billing")
    pages = {}
    for user in (buyer, supplier):
        browser = client_for(fresh)
        sign_in(browser, user)
        pages[user] = browser.get(f"/deals/{DEAL}/invoices").text
    assert button not in pages[buyer]
    assert button in pages[supplier]
