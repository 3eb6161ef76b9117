"""An invoice's files on the web: the invoice page and the API hand out its PDF, its Factur-X
PDF (CII XML embedded) and its UBL XML to a user of a party of the deal, and to nobody else.

hybrid-dc1 (tests/web/conftest.py): Sam submits the hardware delivery, Ana accepts it, which
issues VoltWorks' invoice to Acme; users of both parties may download it, a user of Ridgeline
(a party of another deal) finds no such deal, and without credentials nothing opens.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from lxml import etree
from pypdf import PdfReader

from copact.core.events import Invoice
from copact.services import operations as ops
from tests.web.conftest import DEAL, PDF, PNG, World, bearer, client_for, sign_in


def _evidence(world: World, milestone: str) -> tuple[str, ...]:
    spec = next(m for m in world.workspace.deal(DEAL).milestones if m.id == milestone)
    assert spec.acceptance is not None
    hashes = []
    for kind in spec.acceptance.evidence:
        photo = kind == "photo"
        data = (PNG if photo else PDF) + f"{milestone} {kind}".encode()
        record = world.workspace.add_evidence(
            DEAL,
            io.BytesIO(data),
            name=f"{kind}.{'png' if photo else 'pdf'}",
            kind=kind,
            by="sam",
            confidential=False,
        )
        hashes.append(record.sha256)
    return tuple(hashes)


@pytest.fixture(scope="module")
def number(world: World) -> str:
    """The design approved, its gate passed, the hardware delivery accepted: one invoice."""

    def run(command: ops.Command) -> ops.Outcome:
        return ops.execute(command, uow=world.workspace, clock=world.clock)

    evidence = _evidence(world, "design-approval")
    run(ops.Submit(deal=DEAL, milestone="design-approval", by="sam", evidence=evidence))
    run(ops.Accept(deal=DEAL, milestone="design-approval", by="ana"))
    for by in ("ana", "sam"):
        run(ops.DecideGate(deal=DEAL, phase="design", decision="proceed", by=by))
    evidence = _evidence(world, "hardware-delivery")
    run(ops.Submit(deal=DEAL, milestone="hardware-delivery", by="sam", evidence=evidence))
    world.clock.advance(timedelta(days=2))
    outcome = run(ops.Accept(deal=DEAL, milestone="hardware-delivery", by="ana"))
    invoice = outcome.events[-1]
    assert isinstance(invoice, Invoice)
    return invoice.number


def test_the_api_hands_out_the_facturx_pdf_and_the_ubl_xml(world: World, number: str) -> None:
    base = f"/api/v1/deals/{DEAL}/invoices/{number}"
    client = client_for(world)
    for username in ("acme-finance", "voltworks-account", "acme-auditor"):
        facturx = client.get(f"{base}/facturx", headers=bearer(world.users[username]))
        assert facturx.status_code == 200, (username, facturx.text)
        assert facturx.headers["content-type"] == "application/pdf"
        assert f'filename="{number}.facturx.pdf"' in facturx.headers["content-disposition"]
        attached = PdfReader(io.BytesIO(facturx.content)).attachments
        assert list(attached) == ["factur-x.xml"]
        ubl = client.get(f"{base}/ubl", headers=bearer(world.users[username]))
        assert ubl.status_code == 200
        assert ubl.headers["content-type"].startswith("application/xml")
        root = etree.fromstring(ubl.content)
        assert etree.QName(root).localname == "Invoice" and root.findtext("{*}ID") == number
        # 30% of 420,000 of which Acme funds 70%: 88,200.00, with no VAT (outside its scope)
        assert root.findtext(".//{*}LegalMonetaryTotal/{*}PayableAmount") == "88200.00"


def test_the_pages_link_and_hand_out_each_format(world: World, number: str) -> None:
    client = client_for(world)
    sign_in(client, "acme-owner")
    page = client.get(f"/deals/{DEAL}/invoices/{number}").text
    base = f"/deals/{DEAL}/invoices/{number}"
    for link in (f"{base}.pdf", f"{base}/facturx.pdf", f"{base}/ubl.xml"):
        assert f'href="{link}"' in page
    dashboard = client.get(f"/deals/{DEAL}").text
    assert 'id="documents"' in dashboard and f'href="{base}/facturx.pdf"' in dashboard
    assert f'href="{base}/ubl.xml"' in dashboard
    for path, media in (
        (f"{base}.pdf", "application/pdf"),
        (f"{base}/facturx.pdf", "application/pdf"),
        (f"{base}/ubl.xml", "application/xml"),
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith(media)
        assert answer.headers["content-disposition"].startswith("attachment;")


def test_another_partys_user_finds_no_such_deal(world: World, number: str) -> None:
    client = client_for(world)
    for suffix in ("facturx", "ubl"):
        path = f"/api/v1/deals/{DEAL}/invoices/{number}/{suffix}"
        answer = client.get(path, headers=bearer(world.users["ridgeline-owner"]))
        assert answer.status_code == 404
        assert number not in answer.text
    sign_in(client, "ridgeline-owner")
    for suffix in ("facturx.pdf", "ubl.xml"):
        assert client.get(f"/deals/{DEAL}/invoices/{number}/{suffix}").status_code == 404


def test_without_credentials_nothing_opens(world: World, number: str) -> None:
    client = client_for(world)
    assert client.get(f"/api/v1/deals/{DEAL}/invoices/{number}/facturx").status_code == 401
    page = client.get(f"/deals/{DEAL}/invoices/{number}/ubl.xml")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_an_invoice_the_deal_does_not_have_is_not_found(world: World, number: str) -> None:
    client = client_for(world)
    user = bearer(world.users["acme-finance"])
    answer = client.get(f"/api/v1/deals/{DEAL}/invoices/{number}-9/ubl", headers=user)
    assert answer.status_code == 404
    assert answer.json() == {"detail": f"{DEAL} has no invoice '{number}-9'"}


def test_a_client_sees_the_routes_in_the_api_description(world: World) -> None:
    paths = client_for(world).get("/api/v1/openapi.json").json()["paths"]
    for suffix in ("facturx", "ubl"):
        assert f"/api/v1/deals/{{deal}}/invoices/{{number}}/{suffix}" in paths
    assert not any(p.endswith("/facturx.pdf") for p in paths)  # the pages' routes are not API
