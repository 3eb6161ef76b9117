"""Volume commitment with rebate (the volume-commitment-rebate and supplier-partnership
starters alike): 10,000 units a year at 5.00, a 3% rebate from 12,000 units and 5% from
15,000, rolling-quarterly forecasts, no shortfall invoice, 24 months from the first of the
effective month: contract year 2026 is January to December 2026, 2027 the year after.

The year worked on is the last contract year ended by today, else the one running (in
December 2026 year 2026 runs until 2026-12-31, so nothing can be trued up before 2027). Its
first month's call-off of 7,000 units is recorded on the command line by VoltWorks' account
lead (7,000 × 5.00 = 35,000.00) and confirmed there by Acme's owner; its second month's 5,500
units (27,500.00) are recorded over the API by Acme's owner and confirmed on the command line
by the account lead (over the API the supplier's tokens cannot: the account lead's role may
not confirm purchases and the billing clerk is linked to no person). Confirmed: 12,500 units,
62,500.00, the 3% tier: a rebate of 3% × 62,500.00 = 1,875.00; 2,500 units to the 5% tier,
which would bring 5% × (62,500.00 + 2,500 × 5.00) = 3,750.00; the commitment of 10,000 met.

While this month is inside the term, Acme's owner forecasts one quarter of 4,000 units from
it over the API: the year it falls in is forecast at its units confirmed before this month
plus 4,000, so 12,500 + 4,000 = 16,500 (meets the commitment) when it is the year above,
0 + 4,000 = 4,000 (below it) when it is the next one (any month of 2027).

Once the year has ended VoltWorks' billing clerk trues it up over the API: a rebate credit
note of 1,875.00 + 19% VAT 356.25 = 2,231.25; the command line's second true-up finds it done.
Before the year ends the command line and the API both refuse the true-up. At the exit the
credit note stays out of the refund (it is paid out by its own number) and the settlement
lists it as open: 2,231.25, or 0.00 when no year could be trued up yet. What the supplier
earned is the two milestone invoices, (40,000.00 + 30,000.00) × 1.19 = 83,300.00."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from copact.core.volume import ContractYear, contract_years, year_label_of
from tests.conftest import cli_refused
from tests.lifecycles.common import DEAL, Run, month, today

NOTE = "2231.25"  # 1,875.00 + 19% VAT 356.25


def _year(run: Run) -> ContractYear:
    """The last contract year ended by today, else the first one (running in December 2026)."""
    years = contract_years(run.deal)
    ended = [y for y in years if _ended(y)]
    return ended[-1] if ended else years[0]


def _ended(year: ContractYear) -> bool:
    return year.after <= today()


def _period(first: date, months: int = 0) -> str:
    """The month ``months`` after ``first``, as a period like 2026-02."""
    n = first.year * 12 + first.month - 1 + months
    return f"{n // 12}-{n % 12 + 1:02}"


def lifecycle(run: Run) -> None:
    year = _year(run)
    first, second = _period(year.first), _period(year.first, 1)

    recorded = run.cli(
        "record-purchases", DEAL, "--period", first, "--quantity", "7000",
        "--ref", "CO-1", "--by", "account-lead",
    )  # fmt: skip
    assert f"purchases CO-1 of {first} recorded by account-lead" in recorded, recorded
    assert "35,000.00" in recorded, recorded
    assert "confirmed by owner" in run.cli("confirm-purchases", DEAL, "CO-1", "--by", "owner")

    body = {"period": second, "quantity": "5500", "ref": "CO-2"}
    (event,) = run.post("acme", "purchases", "purchases-2", json=body)["events"]
    assert (event["by"], event["quantity"], event["amount"]) == ("owner", "5500", "27500.00")
    confirmed = run.cli("confirm-purchases", DEAL, "CO-2", "--by", "account-lead")
    assert "confirmed by account-lead" in confirmed, confirmed

    this = month()
    forecast_in = year_label_of(run.deal, this)
    if forecast_in is not None:  # a forecast looks ahead, inside the term
        run.post("acme", "forecasts", "forecast-1", json={"from": this, "quantities": ["4000"]})

    shown = run.get("acme", "volume")
    rows = {y["label"]: y for y in shown["years"]}
    row = rows[year.label]
    assert (row["quantity"], row["amount"], row["tier"], row["rebate"]) == (
        "12500", "62500.00", "3%", "1875.00",
    )  # fmt: skip
    assert (row["to_next"], row["next_rate"], row["next_rebate"]) == ("2500", "5%", "3750.00")
    assert row["to_commitment"] == "0"
    if forecast_in is not None:
        assert shown["latest_forecast"]["quantities"] == ["4000"]
        projected = rows[forecast_in]
        expected = ("16500", True) if forecast_in == year.label else ("4000", False)
        assert (projected["forecast"], projected["meets_commitment"]) == expected, projected

    true_up = f"volume-years/{year.label}/true-up"
    if not _ended(year):
        refused = cli_refused("true-up-volume", DEAL, year.label, "-w", run.ws)
        assert f"contract year {year.label} runs until {year.last}" in refused, refused
        early = run.client.post(
            f"/api/v1/deals/{DEAL}/{true_up}",
            json={},
            headers={**run.tokens["billing"], "Idempotency-Key": "true-up-early"},
        )
        assert early.status_code == 409 and "true it up after" in early.text, early.text
        assert run.totals("credit-note") == []
        return
    (note,) = run.post("billing", true_up, "true-up-1", json={})["events"]
    assert (note["type"], note["for"], note["period"]) == ("credit-note", "rebate", year.label)
    assert (note["amount"], note["tax"]) == ("1875.00", "356.25"), note
    assert "already trued up" in cli_refused("true-up-volume", DEAL, year.label, "-w", run.ws)
    assert run.totals("credit-note") == [Decimal(NOTE)]
    after = {y["label"]: y for y in run.get("acme", "volume")["years"]}[year.label]
    assert after["rebate_note"] == note["number"], after


def settled(run: Run, settlement: dict[str, str]) -> None:
    trued_up = _ended(_year(run))
    assert Decimal(settlement["earned"]) == Decimal("83300.00")
    assert Decimal(settlement["refund"]) == 0  # the rebate is not in the refund
    open_notes = Decimal(settlement["credit_notes_open"] or 0)
    assert open_notes == (Decimal(NOTE) if trued_up else 0), settlement
