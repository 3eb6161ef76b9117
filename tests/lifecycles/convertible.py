"""Convertible support (the convertible-support starter): 20,000.00 of support converting at
1.15 credit per 1.00 paid at the windows 2027-01-05 and 2027-07-05, each open the 30 days up to
and including its date (2026-12-07 to 2027-01-05, 2027-06-06 to 2027-07-05). The milestones
lifecycle has invoiced design-approval (20% of 100,000.00) and validated-sample (30%): 23,800.00
and 35,700.00 with 19% VAT.

What can happen depends on the day the test runs (the command line and the web run on the real
clock), and each case is worked out here:

- **A window is open.** Acme's owner pays the support on the command line (`pay --for
  convertible`, 20,000.00) and VoltWorks' account lead confirms it there; the owner asks over
  the API to convert 12,000.00 at the open window and the account lead approves it on the
  command line (over the API the supplier's tokens cannot: the account lead's role may not
  approve, the billing clerk is linked to no person): 12,000.00 × 1.15 = 13,800.00 credits,
  8,000.00 stays support. The pilot-test milestone (30%: 30,000.00 + 5,700.00 VAT = 35,700.00)
  is then accepted: its invoice takes the 13,800.00 credits, 21,900.00 is due in cash. The
  buyer pays the invoices' cash, 23,800.00 + 35,700.00 + 21,900.00 = 81,400.00. At the exit:
  paid 20,000.00 + 81,400.00 = 101,400.00; earned: the three milestone invoices, 95,200.00,
  + the 12,000.00 converted − the 13,800.00 credits consumed = 93,400.00 (the invoice's credits
  earn the 12,000.00 of support they were bought with); the unconverted 8,000.00 is unused and
  refunded by VoltWorks (a convenience exit deducts only claimed work: none).
- **No window is open, one is still to come** (today, 2026-12-04; 2027-01-06 to 2027-06-05).
  The support is paid the same way; the request over the API is refused (the next window opens
  later). The pilot-test invoice takes no credits (35,700.00 due in cash); the buyer pays
  23,800.00 + 35,700.00 + 35,700.00 = 95,200.00. At the exit: paid 115,200.00, earned
  95,200.00, the whole 20,000.00 of support unused and refunded.
- **The last window is over** (after 2027-07-05, for good): the support can no longer be paid
  (it could not convert) and a request is refused; the buyer pays the 95,200.00 of invoices,
  earned 95,200.00, nothing to refund."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from copact.core.convertible import next_window, window_of
from tests.conftest import cli_refused
from tests.lifecycles.common import DEAL, Run, evidence_file, today

MILESTONE = "pilot-test"  # the third payable milestone: 30,000.00 + 19% VAT = 35,700.00


def _over(run: Run) -> bool:
    """The last window's date has passed: the support neither converts nor can be paid."""
    assert run.deal.convertible is not None
    return max(run.deal.convertible.windows) < today()


def _open(run: Run) -> date | None:
    return window_of(run.deal, today())


def _pay(run: Run, amount: str, ref: str, *more: str) -> None:
    """Acme's owner records a payment on the command line, VoltWorks' account lead confirms it."""
    run.cli(
        "pay", DEAL, "--from", "acme", "--to", "voltworks", "--amount", amount, "--ref", ref,
        *more, "--by", "owner",
    )  # fmt: skip
    run.cli("confirm", DEAL, ref, "--by", "account-lead")


def _accept_pilot(run: Run) -> dict[str, str]:
    """The pilot-test milestone submitted and accepted on the command line: its invoice."""
    files = []
    for kind in ("test-report", "telemetry-export", "photo"):
        name, content = evidence_file(kind)
        (run.tmp / name).write_bytes(content)
        files += ["--evidence", f"{kind}={run.tmp / name}"]
    run.cli("submit", DEAL, MILESTONE, "--by", "account-lead", *files)
    accepted = run.cli("accept", DEAL, MILESTONE, "--by", "owner")
    assert "35,700.00" in accepted, accepted
    (invoice,) = [i for i in run.invoices() if [x["for"] for x in i["lines"]] == [MILESTONE]]
    return invoice


def _case(run: Run) -> tuple[str, str, str, str]:
    """What the support holds after the lifecycle, by the day: (paid, converted, credits,
    unconverted)."""
    if _over(run):
        return "0.00", "0.00", "0.00", "0.00"
    if _open(run) is None:
        return "20000.00", "0.00", "0.00", "20000.00"
    return "20000.00", "12000.00", "13800.00", "8000.00"


def lifecycle(run: Run) -> None:
    window = _open(run)
    if _over(run):
        late = cli_refused(
            "pay", DEAL, "--from", "acme", "--to", "voltworks", "--for", "convertible",
            "--amount", "20000.00", "--ref", "SUP-1", "--by", "owner", "-w", run.ws,
        )  # fmt: skip
        assert "support paid now could not convert" in late, late
    else:
        _pay(run, "20000.00", "SUP-1", "--for", "convertible")

    terms = run.deal.convertible
    assert terms is not None
    at = window or next_window(run.deal, today()) or max(terms.windows)
    asked = {"conversion": "c-1", "window": at.isoformat(), "amount": "12000.00"}
    if window is not None:
        (event,) = run.post("acme", "conversions", "ask-1", json=asked)["events"]
        assert (event["type"], event["by"]) == ("conversion-requested", "owner"), event
        approved = run.cli(
            "approve-conversion", DEAL, "c-1", "--credits", "13800.00", "--by", "account-lead"
        )
        assert "c-1" in approved, approved
    else:
        refused = run.client.post(
            f"/api/v1/deals/{DEAL}/conversions",
            json=asked,
            headers={**run.tokens["acme"], "Idempotency-Key": "ask-1"},
        )
        assert refused.status_code == 409, refused.text
        # before a window opens: outside it; after the last: no support was paid to convert
        assert "outside it" in refused.text or "0.00 of the support paid" in refused.text

    paid, converted, credits, unconverted = _case(run)
    support = run.get("acme", "support")
    assert (support["paid"], support["converted"], support["unconverted"]) == (
        paid, converted, unconverted,
    )  # fmt: skip
    assert (support["credits_issued"], support["credits_left"]) == (credits, credits)

    invoice = _accept_pilot(run)
    assert (invoice["total"], invoice["from_advance"]) == ("35700.00", credits), invoice
    assert Decimal(invoice["due_in_cash"]) == Decimal("35700.00") - Decimal(credits), invoice
    after = run.get("acme", "support")
    assert (after["credits_consumed"], after["credits_left"]) == (credits, "0.00"), after
    assert after["unused"] == unconverted  # no credits left: only the unconverted support

    cash = Decimal("95200.00") - Decimal(credits)  # 81,400.00 or 95,200.00
    billed = [i for i in run.invoices() if i["kind"] == "invoice"]
    assert sum(Decimal(i["due_in_cash"]) for i in billed) == cash
    _pay(run, f"{cash}", "BANK-1")  # the buyer pays its invoices' cash, oldest first
    assert [i["status"] for i in run.invoices() if i["kind"] == "invoice"] == ["paid"] * 3


def settled(run: Run, settlement: dict[str, str]) -> None:
    paid, converted, credits, unconverted = _case(run)
    cash = Decimal("95200.00") - Decimal(credits)
    earned = Decimal("95200.00") + Decimal(converted) - Decimal(credits)
    assert Decimal(settlement["paid"]) == Decimal(paid) + cash, settlement
    assert Decimal(settlement["earned"]) == earned, settlement  # 93,400.00 or 95,200.00
    assert Decimal(settlement["unused"]) == Decimal(unconverted), settlement
    assert Decimal(settlement["refund"]) == Decimal(unconverted), settlement  # nothing claimed
    if Decimal(unconverted):
        shown: dict[str, Any] = dict(settlement)  # "owed" is an object in the JSON
        assert shown["owed"] == {"from": "voltworks", "to": "acme", "amount": unconverted}
