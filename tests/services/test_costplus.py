"""Cost-plus reimbursement from cost to invoice, on a real workspace (SQLite always, PostgreSQL
when it answers), on the starter deal of `copact new --structure cost-plus-reimbursement`.

Acme Foods and Volt Works, EUR, 19% VAT; cap 100,000.00, markup 10%, overruns need prior
written approval, evidence: receipts and timesheets. In March Volt Works records 40,000.00
(test rig hire) and 25,000.00 (engineering hours); Acme's owner approves both. The March
invoice bills 40,000.00 + 25,000.00 + 6,500.00 markup = 71,500.00 + 13,585.00 VAT =
85,085.00, and 28,500.00 of the cap remain. A 40,000.00 April cost would commit 71,500.00 +
44,000.00 = 115,500.00 > 100,000.00: refused until change order co-cap raising the cap to
120,000.00 is approved by owner and account-lead; then it is recorded and 4,500.00 remain."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from copact.core.events import CostRecorded, CostReviewed, Invoice, dumps_events
from copact.dealfile.starters import Structure, starter_deal
from copact.errors import NothingToDo, RefusedCommand
from copact.services import operations as ops
from copact.services.views import DealView, deal_view
from copact.services.workspace import ImportRefused, Workspace
from tests.conftest import DayClock, run_events, sign_deal
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)
from tests.web.conftest import PDF

DEAL_ID = "acme-foods-volt-works"


def deal_text(*, overruns: str = "prior-written-approval", vat: bool = True) -> str:
    text = starter_deal(
        Structure.COST_PLUS_REIMBURSEMENT,
        buyer="Acme Foods",
        supplier="Volt Works",
        currency="EUR",
        value=Decimal(100000),
        start=date(2027, 1, 4),
    )
    text = text.replace("overruns: prior-written-approval", f"overruns: {overruns}")
    if not vat:
        text = text.replace("tax: {category: standard, rate: 19%}", "tax: {category: exempt}")
    return text


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:  # noqa: F811
    workspace.clock = DayClock(date(2027, 4, 2))
    workspace.add_deal(deal_text(), "cost-plus.yaml")
    sign_deal(workspace, DEAL_ID)
    return workspace


def _view(ws: Workspace) -> DealView:
    return deal_view(ws.deal(DEAL_ID), list(ws.events(DEAL_ID)), today=ws.clock().date())


def _file(ws: Workspace, kind: str, name: str) -> str:
    """A receipt (a PDF: a receipt is a PDF or an image) or a timesheet (a CSV), one per cost."""
    if kind == "receipts":
        content, file = PDF.replace(b"%%EOF", f"% {name}\n%%EOF".encode()), f"{name}.pdf"
    else:
        content, file = f"day,hours\n2027-03-01,8\n# {name}\n".encode(), f"{name}.csv"
    record = ws.add_evidence(DEAL_ID, io.BytesIO(content), name=file, kind=kind, by="account-lead")
    return record.sha256


def _record(ws: Workspace, cost: str, period: str, amount: str, **changes: object) -> list[object]:
    fields: dict[str, object] = {
        "deal": DEAL_ID,
        "id": cost,
        "period": period,
        "amount": amount,
        "description": f"{cost} as invoiced by the rig's owner",
        "evidence": (_file(ws, "receipts", cost), _file(ws, "timesheets", cost)),
        "by": "account-lead",
    }
    return run_events(ws, ops.RecordCost(**{**fields, **changes}))  # type: ignore[arg-type]


def _approve(ws: Workspace, cost: str, by: str = "owner") -> list[object]:
    return run_events(ws, ops.ReviewCost(deal=DEAL_ID, cost=cost, decision="approved", by=by))


def _march(ws: Workspace) -> Invoice:
    _record(ws, "rig-hire", "2027-03", "40000.00")
    _record(ws, "engineering", "2027-03", "25000.00")
    _approve(ws, "rig-hire")
    _approve(ws, "engineering")
    (invoice,) = run_events(ws, ops.IssueCostInvoice(deal=DEAL_ID, period="2027-03"))
    assert isinstance(invoice, Invoice)
    return invoice


def test_the_worked_example_runs_from_cost_to_invoice_and_through_a_raised_cap(
    ws: Workspace,
) -> None:
    invoice = _march(ws)
    assert [(line.for_, line.amount) for line in invoice.lines] == [
        ("cost:2027-03:rig-hire", Decimal("40000.00")),
        ("cost:2027-03:engineering", Decimal("25000.00")),
        ("cost:2027-03:markup", Decimal("6500.00")),
    ]
    assert (invoice.net, invoice.tax, invoice.total) == (
        Decimal("71500.00"),
        Decimal("13585.00"),
        Decimal("85085.00"),
    )
    assert (invoice.from_, invoice.to, invoice.number) == (
        "volt-works",
        "acme-foods",
        "VOLT-WORKS-2027-0001",
    )
    budget = _view(ws).costs
    assert budget is not None and budget.remaining is not None
    assert (budget.billed.amount, budget.remaining.amount) == (
        Decimal("71500.00"),
        Decimal("28500.00"),
    )
    with pytest.raises(RefusedCommand) as refused:
        _record(ws, "april-rig", "2027-04", "40000.00")
    said = str(refused.value)
    assert "would commit 115,500.00, above the cap of 100,000.00" in said
    assert "prior written approval" in said and "cost-plus.cap" in said
    assert "owner, account-lead" in said
    raise_cap = {"cost-plus": {"cap": 120000}}
    run_events(
        ws,
        ops.ProposeChange(
            deal=DEAL_ID, change="co-cap", amount="20000", patch=raise_cap, by="account-lead"
        ),
    )
    with pytest.raises(RefusedCommand):  # proposed is not approved
        _record(ws, "april-rig", "2027-04", "40000.00")
    run_events(ws, ops.ApproveChange(deal=DEAL_ID, change="co-cap", by="owner"))
    assert ws.deal(DEAL_ID).cost_plus.cap == Decimal(120000)  # type: ignore[union-attr]
    (recorded,) = _record(ws, "april-rig", "2027-04", "40000.00")
    assert isinstance(recorded, CostRecorded) and not recorded.overrun
    budget = _view(ws).costs
    assert budget is not None and budget.remaining is not None
    assert budget.cap is not None and budget.cap.amount == Decimal("120000.00")
    assert (budget.pending.amount, budget.remaining.amount) == (
        Decimal("44000.00"),
        Decimal("4500.00"),
    )


def test_the_supplier_cannot_approve_its_own_cost_and_a_cost_is_reviewed_once(
    ws: Workspace,
) -> None:
    _record(ws, "rig-hire", "2027-03", "40000.00")
    with pytest.raises(RefusedCommand, match="a person of acme-foods approves or rejects it"):
        _approve(ws, "rig-hire", by="account-lead")
    with pytest.raises(RefusedCommand, match="say why"):
        run_events(
            ws, ops.ReviewCost(deal=DEAL_ID, cost="rig-hire", decision="rejected", by="owner")
        )
    (reviewed,) = _approve(ws, "rig-hire", by="finance")
    assert isinstance(reviewed, CostReviewed)
    with pytest.raises(NothingToDo, match="reviewed once"):
        _approve(ws, "rig-hire")
    with pytest.raises(RefusedCommand, match="cannot record a cost"):
        _record(ws, "buyer-cost", "2027-03", "10.00", by="owner")


def test_a_cost_needs_its_receipt_a_month_begun_a_new_id_and_whole_cents(ws: Workspace) -> None:
    timesheet = _file(ws, "timesheets", "hours")
    with pytest.raises(RefusedCommand, match="needs evidence of kind receipts"):
        _record(ws, "rig-hire", "2027-03", "40000.00", evidence=(timesheet,))
    with pytest.raises(RefusedCommand, match="2027-05 has not begun on 2027-04-02"):
        _record(ws, "rig-hire", "2027-05", "40000.00")
    with pytest.raises(RefusedCommand, match="a cost is positive, in whole minor units"):
        _record(ws, "rig-hire", "2027-03", "0.005")
    with pytest.raises(RefusedCommand, match="a cost is positive"):
        _record(ws, "rig-hire", "2027-03", "-5.00")
    with pytest.raises(RefusedCommand, match="names a month's markup line"):
        _record(ws, "markup", "2027-03", "5.00")
    _record(ws, "rig-hire", "2027-03", "40000.00")
    with pytest.raises(RefusedCommand, match="give this cost an id of its own"):
        _record(ws, "rig-hire", "2027-03", "1.00")


def test_a_month_is_billed_once_and_a_later_approval_bills_only_itself(ws: Workspace) -> None:
    """March: 333.33 approved and invoiced (markup 33.33), then 333.34 approved: the second
    invoice bills 333.34 and the markup of 666.67 (66.67) less the 33.33 billed = 33.34."""
    _record(ws, "a", "2027-03", "333.33")
    _record(ws, "b", "2027-03", "333.34")
    _approve(ws, "a")
    (first,) = run_events(ws, ops.IssueCostInvoice(deal=DEAL_ID, period="2027-03"))
    assert isinstance(first, Invoice) and first.net == Decimal("366.66")
    with pytest.raises(NothingToDo, match=r"333\.34 awaits the buyer's review"):
        run_events(ws, ops.IssueCostInvoice(deal=DEAL_ID, period="2027-03"))
    _approve(ws, "b")
    (second,) = run_events(ws, ops.IssueCostInvoice(deal=DEAL_ID, period="2027-03"))
    assert isinstance(second, Invoice)
    assert [(line.for_, line.amount) for line in second.lines] == [
        ("cost:2027-03:b", Decimal("333.34")),
        ("cost:2027-03:markup", Decimal("33.34")),
    ]
    assert first.net + second.net == Decimal("733.34")  # 666.67 + 66.67, rounded once
    with pytest.raises(NothingToDo, match="no approved cost left to bill"):
        run_events(ws, ops.IssueCostInvoice(deal=DEAL_ID, period="2027-03"))
    with pytest.raises(RefusedCommand, match="no costs recorded in 2027-02"):
        run_events(ws, ops.IssueCostInvoice(deal=DEAL_ID, period="2027-02"))
    standing = ws.events(DEAL_ID)
    assert sum(1 for e in standing if isinstance(e, Invoice)) == 2
    view = _view(ws)
    billed = [i for i in view.invoices if i.number in (first.number, second.number)]
    assert all(i.from_advance.is_zero for i in billed)  # never drawn from the advance


def test_a_rejected_cost_frees_its_budget(ws: Workspace) -> None:
    _record(ws, "rig-hire", "2027-03", "90000.00")  # 99,000.00 with the markup
    with pytest.raises(RefusedCommand, match="above the cap"):
        _record(ws, "extra", "2027-03", "1000.00")
    run_events(
        ws,
        ops.ReviewCost(
            deal=DEAL_ID, cost="rig-hire", decision="rejected", reasons=("no receipt",), by="owner"
        ),
    )
    _record(ws, "extra", "2027-03", "1000.00")
    budget = _view(ws).costs
    assert budget is not None and budget.remaining is not None
    assert budget.remaining.amount == Decimal("98900.00")


def test_overruns_notify_records_and_flags_none_refuses(workspace: Workspace) -> None:  # noqa: F811
    workspace.clock = DayClock(date(2027, 4, 2))
    workspace.add_deal(deal_text(overruns="notify"), "notify.yaml")
    sign_deal(workspace, DEAL_ID)
    (first,) = _record(workspace, "rig-hire", "2027-03", "95000.00")
    assert isinstance(first, CostRecorded) and first.overrun
    budget = _view(workspace).costs
    assert budget is not None and budget.remaining is not None
    assert budget.remaining.amount == Decimal("-4500.00")


def test_overruns_none_refuses_without_asking_for_approval(workspace: Workspace) -> None:  # noqa: F811
    workspace.clock = DayClock(date(2027, 4, 2))
    workspace.add_deal(deal_text(overruns="none"), "none.yaml")
    sign_deal(workspace, DEAL_ID)
    with pytest.raises(RefusedCommand, match=r"allows no overrun \(overruns: none\)"):
        _record(workspace, "rig-hire", "2027-03", "95000.00")


def test_an_exit_counts_approved_costs_not_yet_invoiced(workspace: Workspace) -> None:  # noqa: F811
    """No VAT. Acme pays 30,000.00 on account; 40,000.00 is approved and not invoiced (44,000.00
    with its markup), 5,000.00 awaits review: earned 44,000.00 (the pending cost counts for
    nothing), paid 30,000.00, nothing unused, so no refund."""
    workspace.clock = DayClock(date(2027, 4, 2))
    workspace.add_deal(deal_text(vat=False), "exempt.yaml")
    sign_deal(workspace, DEAL_ID)
    _record(workspace, "rig-hire", "2027-03", "40000.00")
    _record(workspace, "waiting", "2027-03", "5000.00")
    _approve(workspace, "rig-hire")
    run_events(
        workspace,
        ops.RecordPayment(
            deal=DEAL_ID,
            payer="acme-foods",
            payee="volt-works",
            amount="30000.00",
            ref="ACME-1",
            by="finance",
        ),
    )
    run_events(workspace, ops.ConfirmPayment(deal=DEAL_ID, ref="ACME-1", by="account-lead"))
    run_events(
        workspace,
        ops.TriggerExit(deal=DEAL_ID, trigger="change-of-control", by="owner"),
    )
    exit_ = _view(workspace).exit
    assert exit_ is not None
    s = exit_.settlement
    assert (s.paid.amount, s.earned.amount, s.unused.amount, s.refund.amount) == (
        Decimal("30000.00"),
        Decimal("44000.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_an_imported_journal_is_held_to_the_guards(ws: Workspace) -> None:
    """A journal exported after March's invoice imports into a fresh copy of the deal; the same
    journal with the invoice's markup forged to 7,000.00, or with a cost above the cap, does
    not."""
    _march(ws)
    good = list(ws.events(DEAL_ID))
    text = dumps_events(good)
    forged = text.replace('"amount":"6500.00"', '"amount":"7000.00"')
    assert forged != text
    ws.add_deal(deal_text().replace("acme-foods-volt-works", "copy"), "copy.yaml")
    with pytest.raises(ImportRefused, match="the deal's figures say"):
        ws.import_journal(
            "copy", forged.replace('"deal":"acme-foods-volt-works"', '"deal":"copy"'), "f"
        )
    over = text.replace('"amount":"25000.00"', '"amount":"75000.00"')
    with pytest.raises(ImportRefused, match="above the cap"):
        ws.import_journal(
            "copy", over.replace('"deal":"acme-foods-volt-works"', '"deal":"copy"'), "o"
        )
    same = text.replace('"deal":"acme-foods-volt-works"', '"deal":"copy"')
    assert ws.import_journal("copy", same, "j") == len(good)


def test_a_change_order_cannot_take_the_cap_below_what_is_committed(ws: Workspace) -> None:
    """After March (71,500.00 committed and invoiced): a cap of 70,000.00 is refused when
    proposed, and so is another markup; a cap of 71,500.00 is not."""
    _march(ws)
    lower = ops.ProposeChange(
        deal=DEAL_ID, change="co-low", patch={"cost-plus": {"cap": 70000}}, by="account-lead"
    )
    with pytest.raises(RefusedCommand, match=r"cost-plus.cap 70,000\.00 is below the 71,500\.00"):
        run_events(ws, lower)
    markup = ops.ProposeChange(
        deal=DEAL_ID, change="co-mk", patch={"cost-plus": {"markup": "12%"}}, by="account-lead"
    )
    with pytest.raises(RefusedCommand, match="invoiced with the markup they have"):
        run_events(ws, markup)
    exact = ops.ProposeChange(
        deal=DEAL_ID, change="co-ok", patch={"cost-plus": {"cap": 71500}}, by="account-lead"
    )
    assert run_events(ws, exact)
