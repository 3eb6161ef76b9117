"""Files handed to a browser: evidence (as an attachment, its type never sniffed) and an
invoice as a PDF, a Factur-X PDF (the CII XML embedded, EN 16931) or a UBL 2.1 XML. A stored
file name is metadata: it is reduced to safe characters for the ``Content-Disposition``
header, with the exact name in RFC 5987's ``filename*``.

The e-invoice routes are this module's own ``router``, for the invoice page and the API, under
the same rule as the PDF: a user of a party of the deal (``deal.read``)::

    GET /deals/{deal}/invoices/{number}/facturx.pdf    the page's links
    GET /deals/{deal}/invoices/{number}/ubl.xml
    GET /api/v1/deals/{deal}/invoices/{number}/facturx the API
    GET /api/v1/deals/{deal}/invoices/{number}/ubl

and so are the deal's documents (its current version's term sheet, scope memo or contract
matrix, as ``copact render`` makes them), each as PDF, HTML or Markdown::

    GET /deals/{deal}/documents/{kind}.{fmt}           the dashboard's links (pdf|html|md)
    GET /api/v1/deals/{deal}/documents/{kind}?as=pdf   the API (pdf, the default; html; md)

Every one is an attachment. The HTML of a deal document is made from text the parties wrote:
it is never shown inline in the app's origin, and its own policy sandboxes it besides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from copact.documents.facturx import facturx_pdf
from copact.documents.invoice import InvoiceDocument, render_invoice_pdf
from copact.documents.ubl import ubl_xml
from copact.errors import UnknownName
from copact.services import deal_documents, invoice_documents
from copact.services.evidence_files import EvidenceRecord
from copact.services.views import DealView
from copact.services.workspace import Workspace
from copact.web.access import NotFound
from copact.web.accounts import Principal
from copact.web.deps import ApiUser, Ctx, PageUser, client_ip
from copact.web.queries import view

__all__ = [
    "attachment",
    "deal_document",
    "evidence_download",
    "invoice_document",
    "invoice_facturx",
    "invoice_pdf",
    "invoice_ubl",
    "router",
]

router = APIRouter()


def attachment(name: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return f"attachment; filename=\"{ascii_name[:100]}\"; filename*=UTF-8''{quote(name[:200])}"


def evidence_download(workspace: Workspace, record: EvidenceRecord) -> StreamingResponse:
    def chunks() -> Iterator[bytes]:
        with workspace.blobs.open(record.sha256) as f:
            while chunk := f.read(256 * 1024):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type=record.media_type,
        headers={
            "Content-Disposition": attachment(record.name),
            "Content-Length": str(record.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def invoice_document(shown: DealView, number: str, events: list[object]) -> InvoiceDocument:
    """The invoice as the documents render it (404 when the deal has no such invoice)."""
    try:
        return invoice_documents.invoice_document(shown, number, events)
    except UnknownName as exc:
        raise NotFound(f"{shown.deal.id} has no invoice {number!r}") from exc


def _file(data: bytes, media_type: str, name: str, **headers: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": attachment(name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            **headers,
        },
    )


_SANDBOX = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
"""The policy of a deal document's HTML, should a browser ever show it: its own inline styles,
nothing else, in an origin of its own."""


def deal_document(workspace: Workspace, deal_id: str, kind: str, fmt: str) -> Response:
    """Document ``kind`` of the deal's current version as ``fmt`` (404 for a kind or a format
    there is not), an attachment named like ``hybrid-dc1-term-sheet.pdf``."""
    try:
        file = deal_documents.current_document(workspace, deal_id, kind, fmt)
    except UnknownName as exc:
        raise NotFound(str(exc)) from exc
    extra = {"Content-Security-Policy": _SANDBOX} if fmt == "html" else {}
    return _file(file.data, file.media_type, file.name, **extra)


def invoice_pdf(shown: DealView, number: str, events: list[object]) -> Response:
    doc = invoice_document(shown, number, events)
    return _file(render_invoice_pdf(doc), "application/pdf", f"invoice-{number}.pdf")


def invoice_facturx(shown: DealView, number: str, events: list[object]) -> Response:
    doc = invoice_document(shown, number, events)
    return _file(facturx_pdf(doc), "application/pdf", f"{number}.facturx.pdf")


def invoice_ubl(shown: DealView, number: str, events: list[object]) -> Response:
    doc = invoice_document(shown, number, events)
    return _file(ubl_xml(doc.legal), "application/xml", f"{number}.ubl.xml")


def _shown(ctx: Ctx, request: Request, who: Principal, deal: str) -> tuple[DealView, list[object]]:
    """The deal as ``who`` may read it today, and its journal (404/403 through the guard)."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    return view(ctx.workspace, d, ctx.clock().date()), list(ctx.workspace.events(d.id))


_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}
_XML: dict[int | str, dict[str, Any]] = {200: {"content": {"application/xml": {}}}}
_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}, "text/html": {}, "text/markdown": {}}}
}
_Kind = Annotated[
    str,
    Path(
        description="The document: term-sheet, scope-memo or matrix.",
        json_schema_extra={"enum": list(deal_documents.KINDS)},
    ),
]


@router.get(
    "/api/v1/deals/{deal}/invoices/{number}/facturx",
    tags=["api"],
    response_class=Response,
    responses=_PDF,
)
def api_facturx(ctx: Ctx, who: ApiUser, request: Request, deal: str, number: str) -> Response:
    """The invoice as a Factur-X PDF/A-3 (its EN 16931 CII XML embedded in the PDF)."""
    shown, events = _shown(ctx, request, who, deal)
    return invoice_facturx(shown, number, events)


@router.get(
    "/api/v1/deals/{deal}/invoices/{number}/ubl",
    tags=["api"],
    response_class=Response,
    responses=_XML,
)
def api_ubl(ctx: Ctx, who: ApiUser, request: Request, deal: str, number: str) -> Response:
    """The invoice as a UBL 2.1 invoice (Peppol BIS Billing 3.0)."""
    shown, events = _shown(ctx, request, who, deal)
    return invoice_ubl(shown, number, events)


@router.get("/deals/{deal}/invoices/{number}/facturx.pdf", include_in_schema=False)
def page_facturx(ctx: Ctx, request: Request, who: PageUser, deal: str, number: str) -> Response:
    shown, events = _shown(ctx, request, who, deal)
    return invoice_facturx(shown, number, events)


@router.get("/deals/{deal}/invoices/{number}/ubl.xml", include_in_schema=False)
def page_ubl(ctx: Ctx, request: Request, who: PageUser, deal: str, number: str) -> Response:
    shown, events = _shown(ctx, request, who, deal)
    return invoice_ubl(shown, number, events)


@router.get(
    "/api/v1/deals/{deal}/documents/{kind}",
    tags=["api"],
    response_class=Response,
    responses=_DOCUMENT,
)
def api_deal_document(
    ctx: Ctx,
    who: ApiUser,
    request: Request,
    deal: str,
    kind: _Kind,
    as_: Annotated[
        str,
        Query(
            alias="as",
            description="pdf (A4, the matrix landscape), html or md (Markdown).",
            json_schema_extra={"enum": list(deal_documents.FORMATS)},
        ),
    ] = "pdf",
) -> Response:
    """The term sheet, scope memo or contract matrix of the deal's current version, as an
    attachment: PDF (the default), HTML or Markdown, as ``copact render`` writes it. Its footer
    names the version's SHA-256, the hash the parties sign."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    return deal_document(ctx.workspace, d.id, kind, as_)


@router.get("/deals/{deal}/documents/{kind}.{fmt}", include_in_schema=False)
def page_deal_document(
    ctx: Ctx, request: Request, who: PageUser, deal: str, kind: str, fmt: str
) -> Response:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    return deal_document(ctx.workspace, d.id, kind, fmt)
