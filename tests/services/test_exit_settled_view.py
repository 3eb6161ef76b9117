"""Once the exit's settlement is paid, the deal says so: on the scenario journal Ridgeline
exits on 2026-12-28 and Kestrel owes 12,920.00 back (tests/services/test_credit_note.py
works it out). Luis pays 5,000.00 `for: exit`: it shows only once Dana confirms it, as
"5,000.00 paid, 7,920.00 to pay"; once the other 7,920.00 is paid and confirmed, the deal
reads "kestrel paid ridgeline USD 12,920.00: settled" and no longer that Kestrel owes it."""

from __future__ import annotations

from decimal import Decimal

from copact.services import operations as ops
from copact.services.views import deal_view
from copact.services.workspace import Workspace
from tests.conftest import DayClock
from tests.services.test_credit_note import EXIT_DAY, _exit, ended  # noqa: F401  (the fixture)
from tests.services.test_operations import DEAL_ID
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)


def _owed(ws: Workspace) -> str:
    v = deal_view(ws.deal(DEAL_ID), list(ws.events(DEAL_ID)), today=EXIT_DAY)
    assert v.exit is not None
    return v.exit.owed


def _pay(ws: Workspace, clock: DayClock, ref: str, amount: str) -> None:
    payment = ops.RecordPayment(
        deal=DEAL_ID, payer="kestrel", payee="ridgeline", amount=Decimal(amount), ref=ref,
        for_="exit", by="luis",
    )  # fmt: skip
    ops.execute(payment, uow=ws, clock=clock)


def test_the_settlement_reads_paid_once_it_is(ended: tuple[Workspace, DayClock]) -> None:  # noqa: F811
    ws, clock = ended
    _exit(ws, clock)
    assert _owed(ws) == "kestrel owes ridgeline USD 12,920.00"
    _pay(ws, clock, "R-1", "5000")
    assert _owed(ws) == "kestrel owes ridgeline USD 12,920.00"  # recorded, not yet confirmed
    ops.execute(ops.ConfirmPayment(deal=DEAL_ID, ref="R-1", by="dana"), uow=ws, clock=clock)
    assert _owed(ws) == "kestrel owes ridgeline USD 12,920.00 (5,000.00 paid, 7,920.00 to pay)"
    _pay(ws, clock, "R-2", "7920")
    ops.execute(ops.ConfirmPayment(deal=DEAL_ID, ref="R-2", by="dana"), uow=ws, clock=clock)
    assert _owed(ws) == "kestrel paid ridgeline USD 12,920.00: settled"
