"""The deal's documents on the web: the dashboard links the term sheet, the scope memo and the
contract matrix of the deal's current version as PDF, HTML and Markdown, and the page routes
and the API hand each out as an attachment to a user of a party of the deal, and to nobody
else, the same files ``copact render`` writes.

hybrid-dc1 (tests/web/conftest.py) is the deal of Acme and VoltWorks: "Hybrid backup power for
DC1", whose milestones include ``hardware-delivery``. A user of Ridgeline (a party of another
deal) finds no such deal; a kind or a format there is not is not found either.
"""

from __future__ import annotations

import hashlib
import html
import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES
from tests.web.conftest import DEAL, World, bearer, client_for, sign_in

TITLE = "Hybrid backup power for DC1"
KINDS = {"term-sheet": "Term sheet", "scope-memo": "Scope memo", "matrix": "Contract matrix"}


def _version(world: World) -> str:
    """The SHA-256 of the deal's current text: the version every footer names."""
    return hashlib.sha256(world.workspace.deal_text(DEAL).encode("utf-8")).hexdigest()


def test_the_dashboard_links_each_document_in_each_format(world: World) -> None:
    client = client_for(world)
    sign_in(client, "voltworks-account")
    page = client.get(f"/deals/{DEAL}").text
    section = page[page.index('id="documents"') :]
    deal_docs, invoices = section.index('id="deal-documents"'), section.index('id="invoices"')
    assert deal_docs < invoices  # the deal's documents come above its invoices
    for kind, name in KINDS.items():
        assert name in section[deal_docs:invoices]
        for fmt in ("pdf", "html", "md"):
            assert f'href="/deals/{DEAL}/documents/{kind}.{fmt}"' in section[deal_docs:invoices]


def test_each_document_downloads_as_a_pdf(world: World) -> None:
    """The one test that prints PDFs (WeasyPrint takes seconds a document): two through the
    page routes, the matrix through the API, whose format is PDF unless asked otherwise."""
    client = client_for(world)
    sign_in(client, "acme-owner")
    answers = {
        kind: client.get(f"/deals/{DEAL}/documents/{kind}.pdf")
        for kind in ("term-sheet", "scope-memo")
    }
    answers["matrix"] = client.get(
        f"/api/v1/deals/{DEAL}/documents/matrix", headers=bearer(world.users["acme-finance"])
    )
    version = _version(world)
    for kind, answer in answers.items():
        assert answer.status_code == 200, (kind, answer.text)
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.content.startswith(b"%PDF")
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith(f'attachment; filename="{DEAL}-{kind}.pdf"')
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "private, no-store"
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
        assert TITLE in text and version[:12] in text  # the footer names the version
    assert len(PdfReader(io.BytesIO(answers["scope-memo"].content)).pages) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_html_and_markdown_carry_the_deals_title_and_its_milestones(
    world: World, kind: str
) -> None:
    client = client_for(world)
    sign_in(client, "voltworks-account")
    version = _version(world)
    html_file = client.get(f"/deals/{DEAL}/documents/{kind}.html")
    assert html_file.status_code == 200, html_file.text
    assert html_file.headers["content-type"] == "text/html; charset=utf-8"
    # made from text the parties wrote: downloaded, never shown inline in the app's origin
    assert html_file.headers["content-disposition"].startswith(
        f'attachment; filename="{DEAL}-{kind}.html"'
    )
    assert "sandbox" in html_file.headers["content-security-policy"]
    assert html_file.headers["x-content-type-options"] == "nosniff"
    assert f"<title>{KINDS[kind]}: {TITLE}</title>" in html_file.text
    assert "hardware-delivery" in html_file.text and version in html_file.text

    md = client.get(
        f"/api/v1/deals/{DEAL}/documents/{kind}?as=md", headers=bearer(world.users["acme-auditor"])
    )
    assert md.status_code == 200, md.text
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert md.headers["content-disposition"].startswith(f'attachment; filename="{DEAL}-{kind}.md"')
    assert md.text.startswith(f"# {KINDS[kind]}: {TITLE}\n")
    assert "hardware-delivery" in md.text and f"version sha256:{version}" in md.text
    from_page = client.get(f"/deals/{DEAL}/documents/{kind}.md")
    assert from_page.status_code == 200 and from_page.content == md.content


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_files_are_those_copact_render_writes_from_the_deal_file(
    world: World, fmt: str, tmp_path: Path
) -> None:
    """The workspace holds examples/hybrid-dc1.yaml as its text: the same bytes, so the same
    version hash, and the same document to the byte."""
    client = client_for(world)
    sign_in(client, "acme-owner")
    for kind in KINDS:
        target = tmp_path / f"{kind}.{fmt}"
        result = CliRunner().invoke(
            app, ["render", str(EXAMPLES / f"{DEAL}.yaml"), "--as", kind, "-o", str(target)]
        )
        assert result.exit_code == 0, result.output
        assert client.get(f"/deals/{DEAL}/documents/{kind}.{fmt}").content == target.read_bytes()


def test_a_user_of_no_party_of_the_deal_finds_no_such_deal(world: World) -> None:
    client = client_for(world)
    stranger = bearer(world.users["ridgeline-owner"])
    answer = client.get(f"/api/v1/deals/{DEAL}/documents/term-sheet?as=md", headers=stranger)
    assert answer.status_code == 404
    assert answer.json() == {"detail": f"no deal {DEAL!r}"}
    sign_in(client, "ridgeline-owner")
    for fmt in ("pdf", "html", "md"):
        page = client.get(f"/deals/{DEAL}/documents/term-sheet.{fmt}")
        assert page.status_code == 404 and TITLE not in page.text


def test_without_credentials_nothing_opens(world: World) -> None:
    client = client_for(world)
    assert client.get(f"/api/v1/deals/{DEAL}/documents/matrix").status_code == 401
    page = client.get(f"/deals/{DEAL}/documents/matrix.md")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_document_or_format_there_is_not_is_not_found(world: World) -> None:
    client = client_for(world)
    user = bearer(world.users["acme-finance"])
    answer = client.get(f"/api/v1/deals/{DEAL}/documents/invoice", headers=user)
    assert answer.status_code == 404
    assert answer.json() == {
        "detail": "no deal document 'invoice': a deal has a term-sheet, a scope-memo and a matrix"
    }
    answer = client.get(f"/api/v1/deals/{DEAL}/documents/term-sheet?as=docx", headers=user)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "no format 'docx' for a deal document: pdf, html or md"}
    sign_in(client, "acme-finance")
    for path in ("memo.pdf", "term-sheet.docx", "term-sheet.tar.gz", "matrix"):
        page = client.get(f"/deals/{DEAL}/documents/{path}")
        assert page.status_code == 404, path
    page = client.get(f"/deals/{DEAL}/documents/memo.pdf")
    assert "no deal document 'memo'" in html.unescape(page.text)


def test_a_client_sees_the_api_route_in_the_api_description(world: World) -> None:
    spec = client_for(world).get("/api/v1/openapi.json").json()
    route = spec["paths"]["/api/v1/deals/{deal}/documents/{kind}"]["get"]
    params = {p["name"]: p for p in route["parameters"]}
    assert params["kind"]["schema"]["enum"] == list(KINDS)
    assert params["as"]["schema"]["enum"] == ["pdf", "html", "md"]
    assert params["as"]["schema"]["default"] == "pdf"
    assert not any("/documents/{kind}." in p for p in spec["paths"])  # the pages are not API
