"""The advance's invoice and the exit refund's credit note on the web, on heat-sensor-housing
(a US deal, outside the scope of VAT). Its 30,000.00 advance: Kestrel's billing person
invoices it from the invoices page (once: the button goes), Ridgeline's finance person sees it
listed and downloads its UBL (type 386), the API lists it as a prepayment, and a second issue
through the API is nothing to do. After an exit, the refund is credited from the same page."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from copact.services import operations as ops
from tests.conftest import EXAMPLES
from tests.web.conftest import FOREIGN as DEAL
from tests.web.conftest import World, add_user, bearer, client_for, sign_in

BUTTON = "Invoice the prepaid advance"


def _user(world: World, party: str, role: str) -> str:
    return add_user(world, f"{party}-{role}", party, role).username


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


def test_the_exit_refund_is_credited_from_the_invoices_page(fresh: World) -> None:
    """The scenario journal, then Ridgeline's missed-milestone exit on 2026-12-28: Kestrel owes
    12,920.00 back (tests/services/test_credit_note.py works it out) and credits it."""
    journal = EXAMPLES / "journals" / "heat-sensor-housing.jsonl"
    fresh.clock.now = datetime(2026, 12, 28, 10, 0, tzinfo=UTC)
    fresh.workspace.import_journal(DEAL, journal.read_text(encoding="utf-8"), str(journal))
    exit_ = ops.TriggerExit(deal=DEAL, trigger="missed-milestone", by="hannah")
    ops.execute(exit_, uow=fresh.workspace, clock=fresh.clock)
    supplier = _user(fresh, "kestrel", "billing")
    billing = client_for(fresh)
    csrf = sign_in(billing, supplier)
    page = billing.get(f"/deals/{DEAL}/invoices").text
    assert "Credit the exit refund" in page and "12,920.00" in page
    assert BUTTON not in page  # the deal has ended: no advance is invoiced any more
    key = hashlib.sha256(b"credit").hexdigest()
    answer = billing.post(
        f"/deals/{DEAL}/invoices/exit-credit-note", data={"csrf": csrf, "key": key}
    )
    assert answer.status_code == 303, answer.text
    page = billing.get(answer.headers["location"]).text
    assert "credit note heat-sensor-housing-001" in page
    assert "Credit the exit refund" not in page
    ubl = billing.get(f"/deals/{DEAL}/invoices/heat-sensor-housing-001/ubl.xml")
    root = etree.fromstring(ubl.content)
    assert etree.QName(root).localname == "CreditNote"
    assert root.findtext(".//{*}LegalMonetaryTotal/{*}PayableAmount") == "12920.00"


def test_a_refund_that_rose_after_its_credit_note_is_offered_again(fresh: World) -> None:
    """As above, but Ridgeline recorded 1,000.00 more before the exit and Kestrel confirms it
    only after the refund's credit note: the refund rises to 13,770.00, the page offers a
    second note for the 850.00 it rose by, and the API's state says so in ``to_credit``."""
    journal = EXAMPLES / "journals" / "heat-sensor-housing.jsonl"
    fresh.clock.now = datetime(2026, 12, 28, 10, 0, tzinfo=UTC)
    ws, clock = fresh.workspace, fresh.clock
    ws.import_journal(DEAL, journal.read_text(encoding="utf-8"), str(journal))
    late = ops.RecordPayment(
        deal=DEAL, payer="ridgeline", payee="kestrel", amount=Decimal(1000), ref="L-1", by="dana"
    )
    ops.execute(late, uow=ws, clock=clock)
    ops.execute(
        ops.TriggerExit(deal=DEAL, trigger="missed-milestone", by="hannah"), uow=ws, clock=clock
    )
    ops.execute(ops.CreditExitRefund(deal=DEAL), uow=ws, clock=clock)
    supplier = _user(fresh, "kestrel", "billing")
    billing, api = client_for(fresh), client_for(fresh)
    csrf = sign_in(billing, supplier)
    state = api.get(f"/api/v1/deals/{DEAL}", headers=bearer(fresh.users[supplier])).json()
    assert state["exit"]["to_credit"] == "0.00"
    assert "Credit the exit refund" not in billing.get(f"/deals/{DEAL}/invoices").text
    ops.execute(ops.ConfirmPayment(deal=DEAL, ref="L-1", by="luis"), uow=ws, clock=clock)
    state = api.get(f"/api/v1/deals/{DEAL}", headers=bearer(fresh.users[supplier])).json()
    assert state["exit"]["to_credit"] == "850.00"
    page = billing.get(f"/deals/{DEAL}/invoices").text
    assert "Credit the exit refund" in page and "850.00" in page
    assert "what the refund rose by since it was credited" in page
    key = hashlib.sha256(b"supplement").hexdigest()
    answer = billing.post(
        f"/deals/{DEAL}/invoices/exit-credit-note", data={"csrf": csrf, "key": key}
    )
    assert answer.status_code == 303, answer.text
    page = billing.get(answer.headers["location"]).text
    assert "credit note heat-sensor-housing-002" in page
    assert "Credit the exit refund" not in page
    ubl = billing.get(f"/deals/{DEAL}/invoices/heat-sensor-housing-002/ubl.xml")
    assert etree.fromstring(ubl.content).findtext(".//{*}LegalMonetaryTotal/{*}PayableAmount") == (
        "850.00"
    )
