"""A Hypothesis state machine drives random command sequences through the real guards, the
fold, the ledger and the exit settlement, beside a plain model of what should have happened.

After every step: the ledger balances; nobody paid more than was invoiced plus what is held as
an advance; a milestone is accepted at most once and invoiced at most once; an exit refund never
exceeds the unused funds.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from copact.core import commands
from copact.core.events import Accepted, Event, EvidenceRef, Invoice, Payment, Signed
from copact.core.invoicing import invoice_amount
from copact.core.ledger import build_ledger
from copact.core.settlement import settle_exit
from copact.core.state import deal_state
from copact.errors import RefusedCommand
from tests.conftest import load_example

DEAL = load_example("heat-sensor-housing.yaml")
MILESTONES = [m.id for m in DEAL.milestones]
SPEC = {m.id: m for m in DEAL.milestones}


def evidence_for(milestone: str) -> list[EvidenceRef]:
    kinds = SPEC[milestone].acceptance.evidence  # type: ignore[union-attr]
    return [
        EvidenceRef(name=f"{k}.pdf", sha256=hashlib.sha256(k.encode()).hexdigest(), kind=k)
        for k in kinds
    ]


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.journal: list[Event] = [
            Signed(at=date(2026, 7, 1), deal=DEAL.id, by=["hannah", "luis"])
        ]
        self.day = date(2026, 7, 1)
        self.model: dict[str, str] = dict.fromkeys(MILESTONES, "planned")  # the plain model
        self.refs: set[str] = set()
        self.numbers = 0

    def state(self):  # type: ignore[no-untyped-def]
        return deal_state(DEAL, self.journal, on=self.day)

    def _try(self, command, **kwargs) -> list[Event] | None:  # type: ignore[no-untyped-def]
        try:
            events = command(DEAL, self.state(), at=self.day, **kwargs)
        except RefusedCommand:
            return None
        self.journal.extend(events)
        return events

    def _sync_model(self) -> None:
        """Time passes for the model too: deemed acceptances and missed cure periods."""
        folded = self.state()
        for m in MILESTONES:
            if self.model[m] == "submitted" and folded.milestones[m].deemed:
                self.model[m] = "accepted"
            if self.model[m] == "rejected" and folded.milestones[m].state == "missed":
                self.model[m] = "missed"

    @rule(days=st.integers(min_value=0, max_value=40))
    def time_passes(self, days: int) -> None:
        self.day += timedelta(days=days)
        self._sync_model()

    @rule(m=st.sampled_from(MILESTONES))
    def submit(self, m: str) -> None:
        done = self._try(commands.submit, milestone=m, evidence=evidence_for(m), by="luis")
        allowed = self.model[m] in ("planned", "rejected")
        assert (done is not None) == allowed, (m, self.model[m])
        if done:
            self.model[m] = "submitted"

    @rule(m=st.sampled_from(MILESTONES), by=st.sampled_from(["marcus", "hannah", "luis"]))
    def accept(self, m: str, by: str) -> None:
        done = self._try(commands.accept, milestone=m, by=by)
        assert (done is not None) == (self.model[m] == "submitted" and by == "marcus")
        if done:
            self.model[m] = "accepted"

    @rule(m=st.sampled_from(MILESTONES))
    def reject(self, m: str) -> None:
        done = self._try(commands.reject, milestone=m, by="marcus", reasons=["cracked"])
        assert (done is not None) == (self.model[m] == "submitted")
        if done:
            self.model[m] = "rejected"

    @rule(m=st.sampled_from(MILESTONES))
    def deliver(self, m: str) -> None:
        """The happy path in one step: submitted, accepted by the sign-off, invoiced."""
        self.submit(m)
        if self.model[m] == "submitted":
            self.accept(m, "marcus")
            self.invoice(m)

    @rule(m=st.sampled_from(MILESTONES))
    def invoice(self, m: str) -> None:
        self.numbers += 1
        self._try(commands.invoice_for, milestone=m, number=f"K-{self.numbers}")

    @rule(amount=st.integers(min_value=1, max_value=60_000), ref=st.sampled_from("ABCDEFGH"))
    def pay(self, amount: int, ref: str) -> None:
        done = self._try(
            commands.pay, payer="ridgeline", payee="kestrel", amount=Decimal(amount), ref=ref
        )
        assert (done is not None) == (ref not in self.refs)
        self.refs.add(ref)

    @rule(amount=st.integers(min_value=1, max_value=40_000), ref=st.sampled_from("RSTU"))
    def refund(self, amount: int, ref: str) -> None:
        """The supplier pays money back (after an exit settlement, say)."""
        done = self._try(
            commands.pay, payer="kestrel", payee="ridgeline", amount=Decimal(amount), ref=ref
        )
        assert (done is not None) == (ref not in self.refs)
        self.refs.add(ref)

    @rule(amount=st.integers(min_value=1, max_value=20_000))
    def claim(self, amount: int) -> None:
        self._try(commands.claim, amount=Decimal(amount), for_="rework", evidence=[])

    @invariant()
    def the_fold_agrees_with_the_model(self) -> None:
        folded = self.state()
        for m in MILESTONES:
            assert folded.milestones[m].state == self.model[m], m

    @invariant()
    def the_ledger_balances_and_nobody_overpays(self) -> None:
        ledger = build_ledger(self.journal, DEAL)
        assert ledger.total == 0
        paid = sum(
            (e.amount for e in self.journal if isinstance(e, Payment) and e.from_ == "ridgeline"),
            Decimal(0),
        )
        back = sum(
            (e.amount for e in self.journal if isinstance(e, Payment) and e.from_ == "kestrel"),
            Decimal(0),
        )
        # a refund returns money that was paid ahead, never more than the refunded side paid
        assert ledger.balance("ridgeline:refund") <= min(paid, back)
        assert ledger.balance("kestrel:refund") <= min(paid, back)
        # the commitment booked at signature: every milestone invoice plus the advance
        assert ledger.balance("kestrel:commitment") > 0
        invoiced = sum((e.total for e in self.journal if isinstance(e, Invoice)), Decimal(0))
        held = ledger.balance("ridgeline:advance")
        # what the buyer is out of pocket is what it was invoiced plus what it still has ahead
        # with the supplier (negative when the supplier paid it more than the advance)
        assert paid - back <= invoiced + held
        # nobody owes a negative amount: settlements never exceed what was invoiced
        assert ledger.balance("ridgeline:payable") <= 0 <= ledger.balance("kestrel:receivable")
        assert -ledger.balance("ridgeline:payable") == ledger.balance("kestrel:receivable")

    @invariant()
    def one_acceptance_and_one_invoice_per_milestone(self) -> None:
        for m in MILESTONES:
            accepted = sum(1 for e in self.journal if isinstance(e, Accepted) and e.milestone == m)
            invoices = [
                e
                for e in self.journal
                if isinstance(e, Invoice) and any(line.for_ == m for line in e.lines)
            ]
            assert accepted <= 1 and len(invoices) <= 1
            if invoices:
                assert invoices[0].total == invoice_amount(DEAL, m).amount

    @invariant()
    def refunds_never_exceed_unused_funds(self) -> None:
        s = settle_exit(DEAL, self.journal, trigger="convenience", on=self.day, by="ridgeline")
        assert s.refund <= s.unused
        assert s.unused.amount >= 0 and s.deduction.amount >= 0


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
