"""A service period on the invoices page: hybrid-dc1's March 2027, settled by Sam of VoltWorks
with a flag that asks for review. VoltWorks cannot review its own settlement; Ana of Acme
reviews it from the page; VoltWorks' billing person then invoices it (3,800.00: the 4,000.00
fee less a 5% availability credit), and its UBL names the period and the site."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from copact.core.events import SiteSettlement
from copact.documents.einvoice_check import check_einvoice
from copact.services import operations as ops
from tests.web.conftest import DEAL, World, client_for, sign_in

FLAG = "dc1: review: telemetry is unknown for 12.0% of the period (more than 10%)"


def _post(client: object, path: str, csrf: str) -> str:
    key = hashlib.sha256(path.encode()).hexdigest()
    answer = client.post(path, data={"csrf": csrf, "key": key})  # type: ignore[attr-defined]
    assert answer.status_code == 303, answer.text
    return str(client.get(answer.headers["location"]).text)  # type: ignore[attr-defined]


def test_a_flagged_period_is_reviewed_by_the_buyer_then_invoiced(fresh: World) -> None:
    fresh.clock.now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
    site = SiteSettlement(
        site="dc1",
        fee=Decimal("4000.00"),
        credits=Decimal("200.00"),
        bonuses=Decimal(0),
        amount=Decimal("3800.00"),
    )
    settle = ops.SettleServicePeriod(
        deal=DEAL,
        period="2027-03",
        sites=(site,),
        inputs="sha256:" + "ab" * 32,
        flags=(FLAG,),
        by="sam",
    )
    ops.execute(settle, uow=fresh.workspace, clock=fresh.clock)
    supplier, buyer = client_for(fresh), client_for(fresh)
    billing_csrf = sign_in(supplier, "voltworks-billing")
    owner_csrf = sign_in(buyer, "acme-owner")
    page = supplier.get(f"/deals/{DEAL}/invoices").text
    assert "Service periods" in page and "3,800.00" in page and FLAG in page
    assert "Reviewed: may be invoiced" not in page and "Invoice 2027-03" not in page
    page = _post(buyer, f"/deals/{DEAL}/service-periods/2027-03/review", owner_csrf)
    assert "reviewed by ana" in page
    page = supplier.get(f"/deals/{DEAL}/invoices").text
    assert "Invoice 2027-03" in page
    page = _post(supplier, f"/deals/{DEAL}/service-periods/2027-03/invoice", billing_csrf)
    assert "invoice hybrid-dc1-001" in page and "sla:2027-03:dc1" in page
    ubl = supplier.get(f"/deals/{DEAL}/invoices/hybrid-dc1-001/ubl.xml")
    assert ubl.status_code == 200
    assert check_einvoice(ubl.content).ok
    root = etree.fromstring(ubl.content)
    assert root.findtext(".//{*}InvoiceLine/{*}Item/{*}Name") == (
        "SLA service 2027-03, site dc1: fee less credits plus bonuses"
    )
    assert root.findtext(".//{*}LegalMonetaryTotal/{*}PayableAmount") == "3800.00"
