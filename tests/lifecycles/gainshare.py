"""Gainshare: Acme's energy use (kWh) against a baseline of its output (production units),
locked by both sides, then last month's savings recorded on the web and invoiced on the
command line.

The baseline year (2025-01-05 to 2026-01-04, a row a month from the 5th) is the line
2,000 kWh + 5 kWh a unit, missed by +50 kWh in the first six months and −50 kWh in the last
six, at the same six outputs (1,200 … 700 units, then 700 … 1,200)::

    residuals +50 and −50 at each output: Σr = 0 and Σ(units × r) = 0, so least squares
    gives back the line exactly: intercept 2,000, β = 5
    mean use ȳ = 2,000 + 5 × 950 = 6,750 kWh; Σr² = 12 × 50² = 30,000
    CV(RMSE) = √(30,000 / (12 − 1)) / 6,750 = 52.2 / 6,750 = 0.77% (≤ 20%), NMBE 0 (≤ 5%):
    accepted

``copact baseline`` fits it and prints its hash; VoltWorks' account lead proposes a change
order writing the hash into the deal (``gainshare.baseline.hash``: the starter names the
baseline's dates but no hash, and no month settles until one is locked), Acme's owner
approves it over the API, and the deal's version 2 holds it.

Last month Acme made 1,000 units and used 5,800 kWh::

    predicted = 2,000 + 5 × 1,000 = 7,000 kWh; S = 7,000 − 5,800 = 1,200 kWh
    share = 30% × 1,200 × 0.20 EUR = 72.00 (the contract year's cap, 30,000.00, is far off)
    invoice = base fee 1,000.00 + 72.00 = 1,072.00 + 19% VAT 203.68 = 1,275.68

``copact baseline -r -p`` previews the month; Acme's owner records it over the API (the
buyer's meter readings and production logs, kept as its evidence); its invoice is issued on
the command line, and the API's gainshare view shows the month and the contract year so far
(its share 72.00, billed 72.00, nothing to true up). At the exit the settlement counts it as
earned beside the two milestones the milestones lifecycle invoiced: 83,300.00 + 1,275.68 =
84,575.68.

The starter's gainshare runs from 2026-11-01 and a month is settled once it has ended, so on
2026-12-04 there is one month to settle; its first contract year (2026-11 to 2027-10) ends
after the deal's term (2027-01-04), so there is no true-up to make."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from tests.lifecycles.common import DEAL, Run, month

# (units, use) of each baseline month from 2025-01-05: 2,000 + 5 × units ± 50
OUTPUT = (1200, 1100, 1000, 900, 800, 700, 700, 800, 900, 1000, 1100, 1200)
HEADER = "start,end,observed,production-units\n"


def _baseline_csv() -> str:
    rows = []
    for i, units in enumerate(OUTPUT):
        start, end = (date(2025 + (i + j) // 12, (i + j) % 12 + 1, 5) for j in (0, 1))
        use = 2000 + 5 * units + (50 if i < 6 else -50)
        rows.append(f"{start},{end},{use},{units}\n")
    return HEADER + "".join(rows)


def _reporting_csv(period: str) -> str:
    first = date.fromisoformat(f"{period}-01")
    after = (first + timedelta(days=31)).replace(day=1)
    return HEADER + f"{first},{after},5800,1000\n"


def lifecycle(run: Run) -> None:
    data = run.tmp / "energy-2025.csv"
    data.write_text(_baseline_csv())
    starter = run.tmp / "gainshare-v1.yaml"
    starter.write_text(run.cli("deal", "show", DEAL, "--version", "1"))
    fitted = json.loads(run.cli("baseline", str(starter), "-d", str(data), "-f", "json"))
    assert fitted["accepted"] and fitted["fit"]["n"] == 12
    assert round(fitted["model"]["intercept"], 6) == 2000
    assert round(fitted["model"]["coefficients"]["production-units"], 6) == 5
    assert round(fitted["fit"]["cvrmse"], 4) == 0.0077 and abs(fitted["fit"]["nmbe"]) < 1e-9
    digest = fitted["hash"]

    # lock it: a change order of nothing (0.00, under the threshold) that writes the hash in
    patch = json.dumps({"gainshare": {"baseline": {"hash": digest}}})
    run.cli(
        "change", "propose", DEAL, "lock-baseline", "--by", "account-lead",
        "--amount", "0", "--patch", patch,
    )  # fmt: skip
    run.post("acme", "changes/lock-baseline/approve", "lock-baseline", json={})
    versions = run.get("acme", "versions")
    assert [v["version"] for v in versions] == [1, 2]
    text = run.client.get(f"/api/v1/deals/{DEAL}/versions/2", headers=run.tokens["acme"]).text
    assert digest in text
    locked = run.tmp / "gainshare-v2.yaml"
    locked.write_text(text)

    period = month(-1)
    reporting = run.tmp / f"energy-{period}.csv"
    reporting.write_text(_reporting_csv(period))
    preview = run.cli("baseline", str(locked), "-d", str(data), "-r", str(reporting), "-p", period)
    assert f"{period}: predicted 7000.000 energy-kwh, actual 5800, savings S = 1200.000" in preview

    # the web: Acme's owner records the month from its meter readings and production logs
    files = {
        "data": (data.name, data.read_bytes(), "text/csv"),
        "reporting": (reporting.name, reporting.read_bytes(), "text/csv"),
    }
    headers = {**run.tokens["acme"], "Idempotency-Key": "gainshare-record"}
    answer = run.client.post(
        f"/api/v1/deals/{DEAL}/gainshare-periods",
        files=files, data={"period": period}, headers=headers,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    (event,) = answer.json()["events"]
    assert (event["type"], event["period"], event["by"]) == ("savings-settled", period, "owner")
    figures = (event["predicted"], event["actual"], event["savings"])
    assert figures == ("7000.000", "5800", "1200.000")
    assert [e["kind"] for e in event["evidence"]] == ["baseline-data", "reporting-data"]

    # the command line: the month's invoice
    billed = run.cli("issue-gainshare-invoice", DEAL, period)
    assert "voltworks → acme 1,275.68" in billed, billed
    assert f"gainshare:{period}:base" in billed and f"gainshare:{period}:share" in billed
    (invoice,) = [i for i in run.invoices() if i["lines"][0]["for"].startswith("gainshare:")]
    assert [(ln["for"], Decimal(ln["amount"])) for ln in invoice["lines"]] == [
        (f"gainshare:{period}:base", Decimal("1000.00")),
        (f"gainshare:{period}:share", Decimal("72.00")),
    ]
    assert Decimal(invoice["total"]) == Decimal("1275.68")

    shown = run.get("voltworks", "gainshare")
    (row,) = shown["months"]
    assert (row["period"], row["savings"]) == (period, "1200.000")
    assert row["invoice"] == invoice["number"]
    assert (row["billed"], row["share"], row["year_to_date"]) == ("1072.00", "72.00", "72.00")
    (year,) = shown["years"]
    assert year["year"] == row["year"] and year["document"] is None
    assert (year["year_share"], year["billed"], year["true_up"]) == ("72.00", "72.00", "0.00")
    assert shown["terms"]["cap"] == "30000.00"


def settled(run: Run, settlement: dict[str, str]) -> None:
    assert Decimal(settlement["earned"]) == Decimal("83300.00") + Decimal("1275.68")
