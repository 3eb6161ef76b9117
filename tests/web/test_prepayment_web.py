"""The advance's invoice on the web: heat-sensor-housing's 30,000.00 advance (a US deal,
outside the scope of VAT). Kestrel's billing person issues it from the invoices page (once:
the button goes), Ridgeline's finance person sees it listed and downloads its UBL (type 386),
the API lists it as a prepayment, and a second issue through the API is nothing to do."""

from __future__ import annotations

import hashlib

from lxml import etree

from tests.web.conftest import FOREIGN as DEAL
from tests.web.conftest import PASSWORD, User, World, bearer, client_for, sign_in

BUTTON = "Invoice the prepaid advance"


def _user(world: World, party: str, role: str) -> str:
    username = f"{party}-{role}"
    world.accounts.create_user(
        username=username,
        name=username,
        party=party,
        role=role,
        password=PASSWORD,
        person=None,
        one_time=False,
    )
    user = User(username, party, role, None)
    user.token = world.accounts.create_token(username, "tests")
    world.users[username] = user
    return username


def test_the_advance_is_invoiced_from_the_invoices_page(fresh: World) -> None:
    supplier, buyer = _user(fresh, "kestrel", "billing"), _user(fresh, "ridgeline", "finance")
    billing, finance = client_for(fresh), client_for(fresh)
    csrf = sign_in(billing, supplier)
    sign_in(finance, buyer)
    page = billing.get(f"/deals/{DEAL}/invoices").text
    assert BUTTON in page and "30,000.00" in page
    key = hashlib.sha256(b"advance").hexdigest()
    answer = billing.post(f"/deals/{DEAL}/invoices/advance", data={"csrf": csrf, "key": key})
    assert answer.status_code == 303, answer.text
    page = billing.get(answer.headers["location"]).text
    assert "prepayment invoice heat-sensor-housing-001" in page  # the flash: what was recorded
    assert BUTTON not in page
    seen = finance.get(f"/deals/{DEAL}/invoices").text
    assert "prepaid advance" in seen and "heat-sensor-housing-001" in seen
    ubl = finance.get(f"/deals/{DEAL}/invoices/heat-sensor-housing-001/ubl.xml")
    assert ubl.status_code == 200
    root = etree.fromstring(ubl.content)
    assert root.findtext("{*}InvoiceTypeCode") == "386"
    assert root.findtext(".//{*}LegalMonetaryTotal/{*}PayableAmount") == "30000.00"

    api = client_for(fresh)
    listed = api.get(f"/api/v1/deals/{DEAL}/invoices", headers=bearer(fresh.users[buyer]))
    assert [(i["number"], i["kind"], i["total"]) for i in listed.json()] == [
        ("heat-sensor-housing-001", "prepayment", "30000.00")
    ]
    again = api.post(
        f"/api/v1/deals/{DEAL}/invoices/advance",
        json={},
        headers={**bearer(fresh.users[supplier]), "Idempotency-Key": "advance-again"},
    )
    assert again.status_code == 409 and "already invoiced" in again.text, again.text
