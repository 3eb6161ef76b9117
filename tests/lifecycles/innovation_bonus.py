"""Innovation bonus (after the milestones, which invoiced VOLTWORKS-2026-0001 and -0002): on the
command line VoltWorks' account lead adds a test report and claims the 10,000.00
performance-bonus with it (the kind the bonus asks for); over the API Acme's owner, the bonus's
sign-off, approves the claim, which issues its invoice in the same transaction:
VOLTWORKS-2026-0003, one line ``bonus:performance-bonus`` of 10,000.00 + 19% VAT 1,900.00 =
11,900.00. The bonus is paid once: a second claim is refused on the command line and over the
API (409).

At the exit the settlement counts the bonus's invoice as earned beside the two milestones the
milestones lifecycle invoiced (20% and 30% of 100,000.00, with VAT): 23,800.00 + 35,700.00 +
11,900.00 = 71,400.00; nothing was paid, so nothing is unused and the refund is 0.00."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import cli_refused
from tests.lifecycles.common import DEAL, Run

BONUS = "performance-bonus"


def lifecycle(run: Run) -> None:
    report = run.add_evidence("test-report")
    claim = ("claim-bonus", DEAL, BONUS, "--evidence", report, "--by", "account-lead")
    claimed = run.cli(*claim)
    assert f"bonus {BONUS} claimed by account-lead with 1 evidence file(s)" in claimed, claimed

    reviewed = run.post("acme", f"bonuses/{BONUS}/review", "approve-bonus",
                        json={"decision": "approved"})  # fmt: skip
    approval, invoice = reviewed["events"]
    assert (approval["type"], approval["decision"], approval["by"]) == (
        "bonus-reviewed", "approved", "owner"
    )  # fmt: skip
    assert (invoice["type"], invoice["number"]) == ("invoice", "VOLTWORKS-2026-0003")
    (listed,) = [i for i in run.invoices() if i["number"] == invoice["number"]]
    assert [(x["for"], Decimal(x["amount"])) for x in listed["lines"]] == [
        (f"bonus:{BONUS}", Decimal("10000.00"))
    ]
    assert (Decimal(listed["tax"]), Decimal(listed["total"])) == (
        Decimal("1900.00"), Decimal("11900.00")
    )  # fmt: skip

    # invoiced once: neither the command line nor the API takes a second claim
    refused = cli_refused(*claim, "-w", run.ws)
    assert f"{BONUS} was approved on" in refused and "it is paid once" in refused, refused
    again = run.client.post(
        f"/api/v1/deals/{DEAL}/bonuses/{BONUS}/claim",
        json={"evidence": [report]},
        headers={**run.tokens["voltworks"], "Idempotency-Key": "claim-again"},
    )
    assert again.status_code == 409 and "it is paid once" in again.text, again.text
    assert run.totals() == [Decimal("11900.00"), Decimal("23800.00"), Decimal("35700.00")]


def settled(run: Run, settlement: dict[str, str]) -> None:
    figures = {k: Decimal(settlement[k]) for k in ("paid", "earned", "unused", "refund")}
    assert figures == {
        "paid": Decimal("0.00"),
        "earned": Decimal("71400.00"),
        "unused": Decimal("0.00"),
        "refund": Decimal("0.00"),
    }, settlement
