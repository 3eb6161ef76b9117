"""The gainshare page: hybrid-dc1's 2027 recorded from examples/baseline/hybrid-dc1-2027.csv
by Sam of VoltWorks. March saves 264.703 L (30% × 264.703 × 1.45 = 115.15, so March bills
1,500.00 + 115.15 = 1,615.15); July's −97.608 L is shown as a bad month and bills the base fee
only. VoltWorks' billing person invoices each month from the page; after the year, the true-up
button gives back 42.47 as a credit note (the twelve months billed 346.59 of share, the year's
ΣS = 699.137 L earns 304.12). The auditor sees the page without the buttons. Over the API a
month is recorded from the uploaded files as the token's person."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from copact.documents.einvoice_check import check_einvoice
from copact.services.gainshare_periods import SavingsRequest, record_month
from tests.conftest import EXAMPLES
from tests.web.conftest import DEAL, World, bearer, client_for, sign_in

DATA = EXAMPLES / "baseline" / "hybrid-dc1-fuel.csv"
REPORTING = EXAMPLES / "baseline" / "hybrid-dc1-2027.csv"


def _post(client: object, path: str, csrf: str) -> str:
    key = hashlib.sha256(path.encode()).hexdigest()
    answer = client.post(path, data={"csrf": csrf, "key": key})  # type: ignore[attr-defined]
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/deals/{DEAL}/gainshare"
    return str(client.get(answer.headers["location"]).text)  # type: ignore[attr-defined]


def _record(fresh: World, months: range) -> None:
    for m in months:
        request = SavingsRequest(data=DATA, reporting=REPORTING, period=f"2027-{m:02d}")
        record_month(fresh.workspace, DEAL, request, by="sam", clock=fresh.clock)


def test_months_are_invoiced_and_the_year_trued_up_from_the_page(fresh: World) -> None:
    fresh.clock.now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
    _record(fresh, range(1, 4))
    billing, auditor = client_for(fresh), client_for(fresh)
    csrf = sign_in(billing, "voltworks-billing")
    sign_in(auditor, "acme-auditor")
    page = billing.get(f"/deals/{DEAL}/gainshare").text
    assert "1264.703" in page and "264.703" in page and "1,615.15" in page
    assert "Invoice 2027-03" in page and "the year is still running" in page
    assert "Invoice 2027-03" not in auditor.get(f"/deals/{DEAL}/gainshare").text
    page = _post(billing, f"/deals/{DEAL}/gainshare-periods/2027-03/invoice", csrf)
    assert "invoice hybrid-dc1-001" in page and "gainshare:2027-03:share" in page
    assert "115.15 / 60,000.00" in page  # the year's share lines so far, against the cap
    fresh.clock.now = datetime(2028, 1, 5, 9, 0, tzinfo=UTC)
    _record(fresh, range(4, 13))
    csrf = sign_in(billing, "voltworks-billing")  # the session of April has expired
    for m in (1, 2, *range(4, 13)):
        _post(billing, f"/deals/{DEAL}/gainshare-periods/2027-{m:02d}/invoice", csrf)
    page = billing.get(f"/deals/{DEAL}/gainshare").text
    assert "-97.608" in page and "346.59" in page and "304.12" in page
    assert "True up 2027" in page and "a credit note of 42.47" in page
    page = _post(billing, f"/deals/{DEAL}/gainshare-years/2027/true-up", csrf)
    assert "credit note hybrid-dc1-013" in page and "42.47" in page
    assert "True up 2027" not in page
    ubl = billing.get(f"/deals/{DEAL}/invoices/hybrid-dc1-001/ubl.xml")
    assert ubl.status_code == 200 and check_einvoice(ubl.content).ok
    names = etree.fromstring(ubl.content).findall(".//{*}InvoiceLine/{*}Item/{*}Name")
    assert [n.text for n in names] == ["Gainshare 2027-03: base", "Gainshare 2027-03: share"]
    note = billing.get(f"/deals/{DEAL}/invoices/hybrid-dc1-013/ubl.xml")
    assert note.status_code == 200 and check_einvoice(note.content).ok, note.text[:300]
    root = etree.fromstring(note.content)
    assert root.findtext(".//{*}LegalMonetaryTotal/{*}PayableAmount") == "42.47"
    listed = billing.get(f"/deals/{DEAL}/invoices").text
    assert "hybrid-dc1-013" in listed


def test_a_month_is_recorded_over_the_api_as_the_tokens_person(fresh: World) -> None:
    """Sam of VoltWorks (owner) uploads the fuel logs and 2027's use: March is recorded as his,
    S = 264.703 L, the two files as its evidence; a second upload is a 409, an auditor's 403."""
    fresh.clock.now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
    client = client_for(fresh)
    path = f"/api/v1/deals/{DEAL}/gainshare-periods"
    files = {
        "data": ("fuel-2025.csv", DATA.read_bytes(), "text/csv"),
        "reporting": ("fuel-2027.csv", REPORTING.read_bytes(), "text/csv"),
    }

    def post(user: str, key: str, **extra: object) -> Any:
        headers = {**bearer(fresh.users[user]), "Idempotency-Key": key}
        given = {"files": files, "data": {"period": "2027-03"}, **extra}
        return client.post(path, headers=headers, **given)

    answer = post("voltworks-owner", "k1")
    assert answer.status_code == 201, answer.text
    (event,) = answer.json()["events"]
    assert (event["type"], event["period"], event["savings"], event["by"]) == (
        "savings-settled",
        "2027-03",
        "264.703",
        "sam",
    )
    assert [e["kind"] for e in event["evidence"]] == ["baseline-data", "reporting-data"]
    again = post("voltworks-owner", "k2")
    assert again.status_code == 409 and "already settled" in again.json()["detail"]
    assert post("acme-auditor", "k3").status_code == 403
    lacking = post("voltworks-owner", "k4", files={"data": files["data"]})
    assert lacking.status_code == 400 and "missing: reporting" in lacking.json()["detail"]
    shown = client.get(f"/api/v1/deals/{DEAL}/gainshare", headers=bearer(fresh.users["acme-owner"]))
    assert shown.status_code == 200
    (march,) = shown.json()["months"]
    assert (march["savings"], march["invoice"], march["billed"]) == ("264.703", None, "1615.15")
    (year,) = shown.json()["years"]
    assert (year["year_share"], year["billed"], year["true_up"]) == ("115.15", "0.00", "115.15")


def test_a_month_is_recorded_from_the_pages_upload_form(fresh: World) -> None:
    """Sam (VoltWorks' owner) uploads the two files on the page: March is recorded as his and
    the page says so; a month's file with a word where the use goes shows its line instead."""
    fresh.clock.now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
    client = client_for(fresh)
    csrf = sign_in(client, "voltworks-owner")
    page = client.get(f"/deals/{DEAL}/gainshare").text
    assert "Record the month" in page
    files = {
        "data": ("fuel-2025.csv", DATA.read_bytes(), "text/csv"),
        "reporting": ("fuel-2027.csv", REPORTING.read_bytes(), "text/csv"),
    }
    form = {"csrf": csrf, "key": "march", "period": "2027-03"}
    answer = client.post(f"/deals/{DEAL}/gainshare-periods", data=form, files=files)
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"]).text
    assert "gainshare 2027-03 settled by sam: savings 264.703" in page
    assert "1,615.15" in page
    bad = REPORTING.read_bytes().replace(b"1000.0", b"lots")
    files["reporting"] = ("fuel-2027.csv", bad, "text/csv")
    form = {**form, "key": "february", "period": "2027-02"}
    refused = client.post(f"/deals/{DEAL}/gainshare-periods", data=form, files=files)
    assert refused.status_code == 422 and "fuel-2027.csv:4:" in refused.text
    auditor = client_for(fresh)
    sign_in(auditor, "acme-auditor")
    assert "Record the month" not in auditor.get(f"/deals/{DEAL}/gainshare").text
