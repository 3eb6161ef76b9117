"""Cost-plus: its milestones pay nothing (the costs are the price). Last month's cost of
30,000.00 with its receipt and timesheet is recorded on the command line, approved by the
buyer's owner and invoiced: 30,000.00 + 10% markup = 33,000.00 + 19% VAT = 39,270.00. This
month's 10,000.00 goes the same way over the API (11,000.00 + VAT = 13,090.00), and the budget
left is the 100,000.00 cap less the 44,000.00 approved with markup. At the exit the settlement
counts the two invoices, 52,360.00 with their VAT, as earned and owed."""

from __future__ import annotations

from decimal import Decimal

from copact.core.invoicing import invoice_amounts
from tests.lifecycles.common import DEAL, Run, month
from tests.web.conftest import sign_in


def lifecycle(run: Run) -> None:
    assert all(a.is_zero for a in invoice_amounts(run.deal).values())
    shas = [run.add_evidence(kind) for kind in ("receipts", "timesheets")]
    last = month(-1)
    run.cli(
        "record-cost", DEAL, "--id", "rig-hire", "--period", last, "--amount", "30000.00",
        "--description", "test rig hire", "--evidence", shas[0], "--evidence", shas[1],
        "--by", "account-lead",
    )  # fmt: skip
    run.cli("review-cost", DEAL, "rig-hire", "--decision", "approved", "--by", "owner")
    assert "39,270.00" in run.cli("issue-cost-invoice", DEAL, last)

    this = month()
    body = {"id": "sensors", "period": this, "amount": "10000.00",
            "description": "sensor kits", "evidence": shas}  # fmt: skip
    run.post("voltworks", "costs", "cost-2", json=body)
    run.post("acme", "costs/sensors/review", "review-2", json={"decision": "approved"})
    run.post("billing", f"cost-periods/{this}/invoice", "bill-2", json={})
    assert run.totals() == [Decimal("13090.00"), Decimal("39270.00")]
    assert run.get("acme", "costs")["remaining"] == "56000.00"


def settled(run: Run, settlement: dict[str, str]) -> None:
    assert Decimal(settlement["earned"]) == Decimal("52360.00")
    sign_in(run.client, "acme-owner")  # the pages take a session, not a token
    page = run.client.get(f"/deals/{DEAL}/exit")
    assert page.status_code == 200 and "52,360.00" in page.text
