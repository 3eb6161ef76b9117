"""Files handed to a browser: evidence (as an attachment, its type never sniffed) and
invoice PDFs. A stored file name is metadata: it is reduced to safe characters for the
``Content-Disposition`` header, with the exact name in RFC 5987's ``filename*``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import StreamingResponse

from copact.core.events import Submitted
from copact.documents.invoice import InvoiceDocument, render_invoice_pdf
from copact.services.evidence_files import EvidenceRecord
from copact.services.views import DealView
from copact.services.workspace import Workspace
from copact.web.access import NotFound

__all__ = ["attachment", "evidence_download", "invoice_document", "invoice_pdf"]


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


def invoice_document(view: DealView, number: str, events: list[object]) -> InvoiceDocument:
    found = view.invoice(number)
    if found is None:
        raise NotFound(f"{view.deal.id} has no invoice {number!r}")
    evidence: dict[str, list[tuple[str, str]]] = {}
    for e in events:
        if isinstance(e, Submitted):
            evidence[e.milestone] = [(r.name, r.sha256) for r in e.evidence]
    return InvoiceDocument(view.deal, found.issued, view.today, evidence, found.standing)


def invoice_pdf(view: DealView, number: str, events: list[object]) -> Response:
    doc = invoice_document(view, number, events)
    return Response(
        render_invoice_pdf(doc),
        media_type="application/pdf",
        headers={
            "Content-Disposition": attachment(f"invoice-{number}.pdf"),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
