"""The documents a deal is negotiated from, as files: the term sheet, the scope memo or the
contract matrix of the deal's current version, as PDF, HTML or Markdown (DESIGN §11's
``copact render``, offered by the web's deal pages and API).

The document is built from the text of the deal's latest stored version and its footer names
that text's SHA-256 (the hash ``copact sign`` signs), through the same
:func:`~copact.documents.deal_documents.build_document` and renderers as the command line::

    file = current_document(workspace, "hybrid-dc1", "term-sheet", "pdf")
    file.name        # "hybrid-dc1-term-sheet.pdf"
    file.media_type  # "application/pdf"
    file.pages       # 5

A kind or a format there is not is :class:`~copact.errors.UnknownName`, naming those there are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from copact.core.deal import Deal
from copact.documents.deal_documents import DOCUMENT_KINDS, DocumentKind, build_document
from copact.documents.rendering import render_html, render_markdown, render_pdf
from copact.errors import UnknownName
from copact.services.deal_cache import parsed_deal
from copact.services.workspace import Workspace
from copact.store.journal import version_sha

__all__ = ["FORMATS", "KINDS", "PDFS_KEPT", "DealFile", "current_document", "render_document"]

KINDS: tuple[DocumentKind, ...] = DOCUMENT_KINDS
"""``term-sheet``, ``scope-memo``, ``matrix``."""

FORMATS: dict[str, str] = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
"""Format → the media type a file of it is served as."""


@dataclass(frozen=True, slots=True)
class DealFile:
    """One deal document rendered in one format."""

    data: bytes
    name: str  # "hybrid-dc1-term-sheet.pdf"
    media_type: str
    title: str  # "Term sheet"
    pages: int  # of a PDF; 0 for HTML and Markdown


PDFS_KEPT = 24
"""Printed PDFs kept, least recently asked for first out: the three documents of a few deals'
latest versions."""

_PDFS: OrderedDict[tuple[str, str, str], DealFile] = OrderedDict()
_LOCK = threading.Lock()  # the web app's handler threads share it


def _checked(kind: str, fmt: str) -> DocumentKind:
    """``kind`` as a document kind, when it is one and ``fmt`` is a format; else UnknownName."""
    found = next((known for known in KINDS if known == kind), None)
    if found is None:
        raise UnknownName(
            f"no deal document {kind!r}: a deal has a term-sheet, a scope-memo and a matrix"
        )
    if fmt not in FORMATS:
        raise UnknownName(f"no format {fmt!r} for a deal document: pdf, html or md")
    return found


def render_document(deal: Deal, kind: str, fmt: str, *, version: str | None) -> DealFile:
    """Document ``kind`` of ``deal`` as ``fmt`` (``pdf``, ``html`` or ``md``), its footer naming
    ``version`` (the SHA-256 of the deal text it was made from, when known)."""
    known = _checked(kind, fmt)
    doc = build_document(deal, known, version=version)
    pages = 0
    if fmt == "pdf":
        pdf = render_pdf(doc)
        data, pages = pdf.data, pdf.pages
    else:
        data = (render_html(doc) if fmt == "html" else render_markdown(doc)).encode("utf-8")
    return DealFile(data, f"{deal.id}-{known}.{fmt}", FORMATS[fmt], doc.name, pages)


def current_document(workspace: Workspace, deal_id: str, kind: str, fmt: str) -> DealFile:
    """Document ``kind`` of the deal's current version, as ``fmt``: the deal and the version
    hash come from one read of its text, so the footer names the version it shows.

    A PDF takes WeasyPrint a second or several; the same version's PDF is printed once and
    kept (the last :data:`PDFS_KEPT`), as the document is the text's alone."""
    _checked(kind, fmt)  # refused before anything is read
    text = workspace.deal_text(deal_id)
    version = version_sha(text)
    key = (deal_id, version, kind)
    if fmt == "pdf":
        with _LOCK:
            kept = _PDFS.get(key)
            if kept is not None:
                _PDFS.move_to_end(key)
                return kept
    file = render_document(parsed_deal(text, deal_id), kind, fmt, version=version)
    if fmt == "pdf":
        with _LOCK:
            _PDFS[key] = file
            while len(_PDFS) > PDFS_KEPT:
                _PDFS.popitem(last=False)
    return file
