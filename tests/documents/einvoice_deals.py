"""The e-invoice tests' own deal (tests/fixtures/einvoice-pump.yaml: pump-retrofit with full
party details and 19% VAT) and a journal of it, built through the real guards."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from copact.core import commands
from copact.core.deal import Deal
from copact.core.events import Event, EvidenceRef, Invoice, Submitted
from copact.core.invoicing import InvoiceStanding, payee_of, settlement_order
from copact.core.state import DealState, deal_state
from copact.dealfile.loader import load_text
from copact.documents.legal import LegalInvoice, legal_invoice
from tests.core.money_deals import Journal

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "einvoice-pump.yaml"


def fixture_deal(text: str | None = None) -> Deal:
    deal = load_text(text or FIXTURE.read_text(encoding="utf-8"), FIXTURE.name).deal
    assert deal is not None
    return deal


def invoice_inputs(
    j: Journal, number: str, on: date
) -> tuple[Invoice, InvoiceStanding, dict[str, list[tuple[str, str]]]]:
    """Invoice ``number`` of journal ``j``, where it stands on ``on`` and the evidence (name,
    sha256) each milestone was submitted with: what a document of it is built from."""
    state = j.state(on)
    invoice = next(i for i in state.invoices if i.number == number)
    standing = state.book.find(number)
    assert standing is not None
    evidence = {
        e.milestone: [(r.name, r.sha256) for r in e.evidence]
        for e in j.events
        if isinstance(e, Submitted)
    }
    return invoice, standing, evidence


def legal_of(j: Journal, number: str, on: date) -> LegalInvoice:
    """The legal invoice ``number`` of journal ``j`` as it stands on ``on``."""
    return legal_invoice(j.deal, *invoice_inputs(j, number, on))


def _number(deal: Deal, state: DealState, payee: str) -> str:
    """The next number of the payee's series, as the services number a milestone invoice."""
    party = deal.party(payee)
    series = party.invoice_series if party else None
    prefix, width = (series, 4) if series else (f"{deal.id}-", 3)
    n = 1 + sum(1 for number in state.invoice_numbers if number.startswith(prefix))
    return f"{prefix}{n:0{width}d}"


def invoice_every_milestone(deal: Deal, events: list[Event] | None = None) -> list[Event]:
    """``events`` and then every milestone of ``deal`` that can be, submitted (with evidence
    of each kind it requires, by a person of its payee), accepted by its sign-off person and
    invoiced, in settlement order, each on its due date (or after the last event); one
    already accepted is only invoiced. Milestones nobody can sign off are left alone."""
    events = list(events or [])
    day = max((e.day for e in events), default=deal.effective)
    for m in settlement_order(deal):
        day = max(day, m.due or day)
        state = deal_state(deal, events, on=day)
        current = state.milestones[m.id]
        if current.invoiced or m.acceptance is None:
            continue
        payee = payee_of(deal, m)
        if current.state != "accepted":
            person = next(p.id for p in deal.people if p.party == payee)
            evidence = [
                EvidenceRef(
                    name=f"{kind}.pdf",
                    sha256=hashlib.sha256(f"{m.id}/{kind}".encode()).hexdigest(),
                    kind=kind,
                )
                for kind in m.acceptance.evidence
            ]
            events += commands.submit(
                deal, state, milestone=m.id, evidence=evidence, by=person, at=day
            )
            events += commands.accept(
                deal,
                deal_state(deal, events, on=day),
                milestone=m.id,
                by=m.acceptance.signoff,
                at=day,
            )
            state = deal_state(deal, events, on=day)
        events += commands.invoice_for(
            deal, state, milestone=m.id, number=_number(deal, state, payee), at=day
        )
    return events


def legal_invoices(deal: Deal, events: list[Event], on: date) -> list[LegalInvoice]:
    """Every invoice of the journal ``events`` as a legal invoice, as it stands on ``on``."""
    state = deal_state(deal, events, on=on)
    evidence: dict[str, list[tuple[str, str]]] = {}
    for e in events:
        if isinstance(e, Submitted):
            evidence[e.milestone] = [(r.name, r.sha256) for r in e.evidence]
    found = []
    for invoice in state.invoices:
        standing = state.book.find(invoice.number)
        assert standing is not None
        found.append(legal_invoice(deal, invoice, standing, evidence))
    return found
