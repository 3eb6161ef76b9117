"""The e-invoice tests' own deal (tests/fixtures/einvoice-pump.yaml: pump-retrofit with full
party details and 19% VAT) and a journal of it, built through the real guards."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from copact.core.deal import Deal
from copact.core.events import Submitted
from copact.dealfile.loader import load_text
from copact.documents.legal import LegalInvoice, legal_invoice
from tests.core.money_deals import Journal

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "einvoice-pump.yaml"


def fixture_deal(text: str | None = None) -> Deal:
    deal = load_text(text or FIXTURE.read_text(encoding="utf-8"), FIXTURE.name).deal
    assert deal is not None
    return deal


def legal_of(j: Journal, number: str, on: date) -> LegalInvoice:
    """The legal invoice ``number`` of journal ``j`` as it stands on ``on``."""
    state = j.state(on)
    invoice = next(i for i in state.invoices if i.number == number)
    standing = state.book.find(number)
    assert standing is not None
    evidence = {
        e.milestone: [(r.name, r.sha256) for r in e.evidence]
        for e in j.events
        if isinstance(e, Submitted)
    }
    return legal_invoice(j.deal, invoice, standing, evidence)
