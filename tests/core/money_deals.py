"""A small deal for worked examples of invoices, payments and the prepaid advance.

``pump-retrofit``: value 200,000.00 USD, one buyer (mill) and one supplier (pumpco), no funding
entries (the buyer pays 100% of each milestone), a 50,000.00 advance::

    design          20%    40,000.00
    install         30%    60,000.00
    commissioning   50%   100,000.00
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from copact.core import commands
from copact.core.deal import Deal
from copact.core.events import Event, EvidenceRef
from copact.core.state import DealState, deal_state
from copact.dealfile.loader import load_text

PUMP_TEXT = """\
copact: 1
id: pump-retrofit
title: Pump retrofit
structure: prepaid-development-fee
currency: USD
effective: 2026-01-01
parties:
  - {id: mill, name: Mill Co, role: buyer}
  - {id: pumpco, name: PumpCo, role: supplier}
people:
  - {id: ann, party: mill, name: Ann Berg, duties: [owner, technical-acceptance]}
  - {id: bo, party: pumpco, name: Bo Chen, duties: [vendor-contact]}
value: 200000
payment-terms: 30
prepaid: {amount: 50000, due: 2026-01-15}
milestones:
  - {id: design, payment: 20%, due: 2026-03-01,
     acceptance: {criteria: [drawing signed], evidence: [drawing], signoff: ann, review-days: 5}}
  - {id: install, payment: 30%, due: 2026-06-01,
     acceptance: {criteria: [installed], evidence: [photo], signoff: ann, review-days: 5}}
  - {id: commissioning, payment: 50%, due: 2026-09-01,
     acceptance: {criteria: [test passed], evidence: [test-report], signoff: ann, review-days: 5}}
"""


def _load(text: str) -> Deal:
    deal = load_text(text, "pump-retrofit.yaml").deal
    assert deal is not None
    return deal


PUMP = _load(PUMP_TEXT)
KINDS = {"design": "drawing", "install": "photo", "commissioning": "test-report"}


class Journal:
    """A journal built through the real guards, one command at a time."""

    def __init__(self, deal: Deal = PUMP) -> None:
        self.deal = deal
        self.events: list[Event] = []
        self.numbers = 0

    def state(self, on: date) -> DealState:
        return deal_state(self.deal, self.events, on=on)

    def pay(self, amount: str, ref: str, on: date, for_: str | None = None) -> None:
        self.events += commands.pay(
            self.deal,
            self.state(on),
            payer="mill",
            payee="pumpco",
            amount=Decimal(amount),
            ref=ref,
            at=on,
            for_=for_,
        )

    def deliver(self, milestone: str, on: date) -> str:
        """Submitted, accepted and invoiced on ``on``; returns the invoice number."""
        kind = KINDS[milestone]
        evidence = [
            EvidenceRef(name=f"{kind}.pdf", sha256=hashlib.sha256(b"x").hexdigest(), kind=kind)
        ]
        self.events += commands.submit(
            self.deal, self.state(on), milestone=milestone, evidence=evidence, by="bo", at=on
        )
        self.events += commands.accept(
            self.deal, self.state(on), milestone=milestone, by="ann", at=on
        )
        self.numbers += 1
        number = f"PC-{self.numbers}"
        self.events += commands.invoice_for(
            self.deal, self.state(on), milestone=milestone, number=number, at=on
        )
        return number
