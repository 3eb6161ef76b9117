"""An issued invoice as the documents render it, built once for every edge: the command line's
``copact invoice show|export`` and the web's invoice page and downloads.

The document is the journal's invoice event as issued, where it stands on the day it is
printed (from the same fold the deal's views come from), and the evidence each of its lines
was accepted on: the files named by the milestone's last submission, as (name, sha256)::

    doc = invoice_document(deal_view(deal, events, today=on), "VW-2026-0001", events)
    doc.legal.payable    # BT-115: gross less the prepaid advance
"""

from __future__ import annotations

from collections.abc import Iterable

from copact.core.events import Submitted
from copact.documents.invoice import InvoiceDocument
from copact.errors import UnknownName
from copact.services.views import DealView

__all__ = ["evidence_of", "invoice_document"]


def evidence_of(events: Iterable[object]) -> dict[str, list[tuple[str, str]]]:
    """Milestone → (name, sha256) of the evidence its last submission named."""
    evidence: dict[str, list[tuple[str, str]]] = {}
    for e in events:
        if isinstance(e, Submitted):
            evidence[e.milestone] = [(r.name, r.sha256) for r in e.evidence]
    return evidence


def invoice_document(view: DealView, number: str, events: Iterable[object]) -> InvoiceDocument:
    """Invoice ``number`` of the deal as printed on ``view.today``; :class:`UnknownName` when
    the deal has issued no invoice of that number."""
    found = view.invoice(number)
    if found is None:
        known = ", ".join(i.number for i in view.documents) or "none yet"
        raise UnknownName(f"{view.deal.id} has no invoice {number!r} (its invoices: {known})")
    return InvoiceDocument(
        view.deal,
        found.issued,
        view.today,
        evidence_of(events),
        found.standing,
        found.type_code,
        found.preceding,
        found.netted,
    )
