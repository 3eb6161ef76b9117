"""Revenue share (after the milestones, which invoiced VOLTWORKS-2026-0001 and -0002): VoltWorks
gets 5% of Acme's net sales, reported quarterly, with an audit right. The two quarters are the
last two that have ended by today (2026-Q2 and 2026-Q3 in December 2026), each invoiced at
5% × sales + 19% VAT, the VAT on the line's net:

- command line: Acme's finance reports the earlier quarter at 412,000.00; VoltWorks invoices
  5% = 20,600.00 + 3,914.00 VAT = 24,514.00 (VOLTWORKS-2026-0003);
- API: Acme's owner reports the later quarter at 250,000.00; VoltWorks' billing clerk
  invoices 12,500.00 + 2,375.00 = 14,875.00 (VOLTWORKS-2026-0004);
- command line: VoltWorks' account lead audits the earlier quarter with the audit report and
  finds 400,000.00: its share is 20,000.00, 600.00 less than billed, so the credit note
  VOLTWORKS-2026-0005 gives back 600.00 + 114.00 VAT = 714.00, correcting -0003;
- API: the account lead audits the later quarter and finds 256,000.00: 12,800.00, 300.00
  more than billed, so the billing clerk invoices the difference, 300.00 + 57.00 = 357.00
  (VOLTWORKS-2026-0006, line ``revenue:PERIOD:audit``).

At the exit the settlement counts every invoice as earned, the milestones' 47,600.00
(40% of 100,000.00 with VAT) and 35,700.00 (30%) and the revenue share's 24,514.00 +
14,875.00 + 357.00 = 39,746.00: 123,046.00 in all. The credit note is not taken off the
earned figure: it is its own document, paid out by its number, and the settlement shows its
714.00 beside the refund (0.00: nothing was paid)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.lifecycles.common import DEAL, Run, today


def quarter(offset: int) -> str:
    """This quarter moved by ``offset`` quarters: ``2026-Q3`` for -1 in December 2026."""
    day = today()
    index = day.year * 4 + (day.month - 1) // 3 + offset
    return f"{index // 4}-Q{index % 4 + 1}"


def _document(run: Run, number: str) -> dict[str, Any]:
    (found,) = [i for i in run.invoices() if i["number"] == number]
    return found


def _figures(document: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """Its lines (what each is for, its net), its VAT and its total."""
    lines = [(x["for"], Decimal(x["amount"])) for x in document["lines"]]
    return [*lines, ("tax", Decimal(document["tax"])), ("total", Decimal(document["total"]))]


def lifecycle(run: Run) -> None:
    earlier, later = quarter(-2), quarter(-1)

    reported = run.cli("report-sales", DEAL, "--period", earlier, "--sales", "412000.00",
                       "--by", "finance")  # fmt: skip
    assert f"sales of {earlier} reported by finance: 412,000.00" in reported, reported
    billed = run.cli("issue-revenue-share-invoice", DEAL, earlier)
    assert (
        f"invoice VOLTWORKS-2026-0003: voltworks → acme 24,514.00 for revenue:{earlier}"
    ) in billed, billed
    assert _figures(_document(run, "VOLTWORKS-2026-0003")) == [
        (f"revenue:{earlier}", Decimal("20600.00")),
        ("tax", Decimal("3914.00")),
        ("total", Decimal("24514.00")),
    ]

    sent = run.post("acme", "sales-reports", "report-later",
                    json={"period": later, "sales": "250000.00"})  # fmt: skip
    (report,) = sent["events"]
    assert (report["type"], report["by"], report["audit"]) == ("sales-reported", "owner", False)
    invoiced = run.post("billing", f"revenue-periods/{later}/invoice", "bill-later", json={})
    assert [e["number"] for e in invoiced["events"]] == ["VOLTWORKS-2026-0004"]
    assert _figures(_document(run, "VOLTWORKS-2026-0004")) == [
        (f"revenue:{later}", Decimal("12500.00")),
        ("tax", Decimal("2375.00")),
        ("total", Decimal("14875.00")),
    ]

    audit = run.add_evidence("audit-report")
    audited = run.cli("audit-sales", DEAL, earlier, "--sales", "400000.00",
                      "--evidence", audit, "--by", "account-lead")  # fmt: skip
    assert f"sales of {earlier} audited by account-lead: 400,000.00" in audited, audited
    credited = run.cli("credit-revenue-share", DEAL, earlier)
    assert (
        f"credit note VOLTWORKS-2026-0005: voltworks → acme 714.00 for revenue-share {earlier}, "
        "correcting VOLTWORKS-2026-0003"
    ) in credited, credited
    note = _document(run, "VOLTWORKS-2026-0005")
    assert note["kind"] == "credit-note"
    assert _figures(note) == [
        ("revenue-share", Decimal("600.00")),
        ("tax", Decimal("114.00")),
        ("total", Decimal("714.00")),
    ]

    found = run.upload("voltworks", "audit-report", "audit-later.txt", b"audited: 256,000.00\n")
    run.post("voltworks", f"sales-reports/{later}/audit", "audit-later",
             json={"sales": "256000.00", "evidence": [found]})  # fmt: skip
    run.post("billing", f"revenue-periods/{later}/invoice", "bill-audit", json={})
    assert _figures(_document(run, "VOLTWORKS-2026-0006")) == [
        (f"revenue:{later}:audit", Decimal("300.00")),
        ("tax", Decimal("57.00")),
        ("total", Decimal("357.00")),
    ]
    assert run.totals() == [Decimal(t) for t in ("357.00", "14875.00", "24514.00",
                                                 "35700.00", "47600.00")]  # fmt: skip
    assert run.totals("credit-note") == [Decimal("714.00")]


def settled(run: Run, settlement: dict[str, str]) -> None:
    figures = {k: Decimal(settlement[k]) for k in ("paid", "earned", "refund", "credit_notes_open")}
    assert figures == {
        "paid": Decimal("0.00"),
        "earned": Decimal("123046.00"),
        "refund": Decimal("0.00"),
        "credit_notes_open": Decimal("714.00"),
    }, settlement
