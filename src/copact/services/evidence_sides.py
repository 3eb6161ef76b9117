"""Who may read a file the journal attaches to a decision, beyond its own party's records.

Evidence marked confidential is its party's alone (DESIGN §12), with two openings, both for
the side that has to decide on it:

- a file attached to a milestone's **submission** is readable by the party of the sign-off
  person, who is asked to accept it;
- a file attached to a **recorded cost** (its receipts and timesheets, cost-plus) is readable
  by the buyer, who approves or rejects the cost: costs are reimbursed only when verified, so
  the buyer must be able to open the receipts (an open book between the two sides).

A cost's receipts are also kept from everyone else **by default**: whatever visibility they
were uploaded with, once attached to a cost they are confidential to the deal's two sides of
that cost (the recording supplier and the reviewing buyer). Another party of the deal (a
financier, say) cannot read them, and every read of them is written to the access log::

    readers = decision_readers(deal, events, sha)   # {"acme": "voltworks"}: acme reads
                                                    # voltworks' record of the receipt
    cost_receipts(deal, events)                     # {sha: "voltworks"}: kept by voltworks

Pure functions of the deal and its events: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from copact.core.deal import Deal
from copact.core.events import CostRecorded, Event, Submitted

__all__ = ["cost_receipts", "decision_readers", "readable_receipt"]


def decision_readers(deal: Deal, events: Iterable[Event], sha256: str) -> dict[str, str]:
    """For a file attached to submissions or recorded costs: each party that decides on it →
    the party whose record of the file it reads (the submitter's, or the cost's recorder's)."""
    sides: dict[str, str] = {}
    for e in events:
        if isinstance(e, Submitted) and any(r.sha256 == sha256 for r in e.evidence):
            deciders = _milestone_deciders(deal, e.milestone)
        elif isinstance(e, CostRecorded) and any(r.sha256 == sha256 for r in e.evidence):
            deciders = {p.id for p in deal.parties if p.role == "buyer"}
        else:
            continue
        author = deal.person(e.by)
        if author is None:
            continue
        for party in deciders:
            sides.setdefault(party, author.party)
    return sides


def cost_receipts(deal: Deal, events: Iterable[Event]) -> dict[str, str]:
    """Every file attached to a recorded cost → the party that recorded the cost (whose
    confidential item it is, whatever visibility it was uploaded with)."""
    kept: dict[str, str] = {}
    for e in events:
        if not isinstance(e, CostRecorded):
            continue
        author = deal.person(e.by)
        if author is None:
            continue
        for ref in e.evidence:
            kept.setdefault(ref.sha256, author.party)
    return kept


def readable_receipt(deal: Deal, *, kept_by: str, party: str, added_by: str) -> bool:
    """Whether ``party`` may read a cost's receipt kept by ``kept_by`` through a record that
    ``added_by`` uploaded: the two sides of the cost (the recorder and the buyers), or the
    party that uploaded this record itself (it holds the bytes already)."""
    buyers = {p.id for p in deal.parties if p.role == "buyer"}
    uploader = deal.person(added_by)
    return party == kept_by or party in buyers or (uploader is not None and uploader.party == party)


def _milestone_deciders(deal: Deal, milestone: str) -> set[str]:
    """The party whose sign-off person decides ``milestone`` (every buyer when it names none)."""
    spec = next((m for m in deal.milestones if m.id == milestone), None)
    signoff = spec.acceptance.signoff if spec is not None and spec.acceptance else None
    person = deal.person(signoff) if signoff else None
    if person is not None:
        return {person.party}
    return {p.id for p in deal.parties if p.role == "buyer"}
