"""Prepaid advance (runs before the milestones): the supplier invoices the 25,000.00 advance on
the command line, a prepayment invoice (type 386) whose VAT is inside the advance:
25,000.00 × 100 / 119 = 21,008.40 net (21,008.4033… half-even), 19% of it 3,991.60 VAT,
21,008.40 + 3,991.60 = 25,000.00. It is invoiced once: a second issue over the API is nothing
to do (409). Over the API Acme's owner records the buyer's payment of the advance, naming the
advance's invoice (the books take it as paid ``for: prepaid``), and VoltWorks' account lead
confirms on the command line that it arrived (only then does it count).

The milestones lifecycle then invoices two milestones of the 100,000.00 value, each of which
draws on what is left of the paid advance when it is issued:

    design-approval   20% = 20,000.00 + 3,800.00 VAT = 23,800.00: 23,800.00 from the advance,
                      0.00 in cash (paid)
    validated-sample  30% = 30,000.00 + 5,700.00 VAT = 35,700.00: the 25,000.00 − 23,800.00 =
                      1,200.00 left of the advance, 34,500.00 in cash (part-paid)

At the exit the settlement counts the advance as paid, 25,000.00, and the two accepted
milestones with their VAT as earned, 23,800.00 + 35,700.00 = 59,500.00; nothing of the advance
is unused (25,000.00 < 59,500.00), no work was claimed, so the refund is 0.00."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.lifecycles.common import DEAL, Run

ADVANCE = "VOLTWORKS-2026-0001"  # the first number of the supplier's series


def _invoice(run: Run, line: str) -> dict[str, Any]:
    """The invoice (or prepayment invoice) whose one line is ``for`` ``line``."""
    (found,) = [i for i in run.invoices() if [x["for"] for x in i["lines"]] == [line]]
    return found


def lifecycle(run: Run) -> None:
    issued = run.cli("issue-advance-invoice", DEAL)
    assert (
        f"prepayment invoice {ADVANCE}: voltworks → acme 25,000.00 for the prepaid advance "
        "(3,991.60 of it VAT)"
    ) in issued, issued
    advance = _invoice(run, "prepaid")
    assert (advance["number"], advance["kind"]) == (ADVANCE, "prepayment")
    assert Decimal(advance["lines"][0]["amount"]) == Decimal("21008.40")
    assert Decimal(advance["tax"]) == Decimal("3991.60")
    assert Decimal(advance["total"]) == Decimal("25000.00")
    again = run.client.post(
        f"/api/v1/deals/{DEAL}/invoices/advance",
        json={},
        headers={**run.tokens["billing"], "Idempotency-Key": "advance-again"},
    )
    assert again.status_code == 409 and "already invoiced" in again.text, again.text

    body = {"payer": "acme", "payee": "voltworks", "amount": "25000.00",
            "ref": "advance-transfer", "for": ADVANCE}  # fmt: skip
    paid = run.post("acme", "payments", "pay-advance", json=body)
    (payment,) = paid["events"]
    assert (payment["type"], payment["for"], payment["by"]) == ("payment", "prepaid", "owner")
    assert _invoice(run, "prepaid")["status"] == "open"  # not until the payee confirms it
    confirmed = run.cli("confirm", DEAL, "advance-transfer", "--by", "account-lead")
    assert "payment advance-transfer confirmed by account-lead" in confirmed, confirmed
    advance = _invoice(run, "prepaid")
    assert (advance["status"], Decimal(advance["paid"])) == ("paid", Decimal("25000.00"))


def settled(run: Run, settlement: dict[str, str]) -> None:
    # what the milestones lifecycle's two invoices took of the advance, and what is left in cash
    design, sample = _invoice(run, "design-approval"), _invoice(run, "validated-sample")
    assert [Decimal(design[k]) for k in ("total", "from_advance", "due_in_cash")] == [
        Decimal("23800.00"), Decimal("23800.00"), Decimal("0.00")
    ]  # fmt: skip
    assert design["status"] == "paid"
    assert [Decimal(sample[k]) for k in ("total", "from_advance", "due_in_cash")] == [
        Decimal("35700.00"), Decimal("1200.00"), Decimal("34500.00")
    ]  # fmt: skip
    assert (sample["status"], Decimal(sample["outstanding"])) == ("part-paid", Decimal("34500.00"))

    figures = {k: Decimal(settlement[k]) for k in ("paid", "earned", "unused", "refund")}
    assert figures == {
        "paid": Decimal("25000.00"),
        "earned": Decimal("59500.00"),
        "unused": Decimal("0.00"),
        "refund": Decimal("0.00"),
    }, settlement
