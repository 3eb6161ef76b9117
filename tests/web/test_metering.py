"""Metering a period over the API and on its page: the buyer uploads the sample month of
hybrid-dc1 and gets the settlement `copact meter` prints for the same files and workspace
(3,800.00 USD: a 5% availability credit on the 4,000 fee); a bad row is a 422 naming the
uploaded file and the line; nothing is appended to the journal. seasonal-packaging settles its
October from the deliveries alone (38 of 40 on time: 95%, a 10% credit, 5,400.00 EUR) and
without them is refused, naming the metric and the input."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from copact.cli.app import app
from copact.services.workspace import Workspace
from copact.web.accounts import Accounts
from copact.web.settings import WebSettings
from tests.conftest import EXAMPLES
from tests.web.conftest import (
    DEAL,
    FOREIGN,
    PASSWORD,
    Clock,
    User,
    World,
    bearer,
    client_for,
    sign_in,
)

SAMPLE = EXAMPLES / "telemetry"
TELEMETRY = SAMPLE / "dc1-2027-03.parquet"
WINDOWS = SAMPLE / "dc1-2027-03-windows.csv"
TICKETS = SAMPLE / "dc1-2027-03-tickets.csv"
BAD = (
    b"site,ts,signal,value\n"
    b"dc1,2027-03-01T00:00:00-05:00,supply_ok,1\n"
    b"dc1,2027-03-14T02:30:00,supply_ok,1\n"
)


def _files() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [
        ("telemetry", ("dc1-2027-03.parquet", TELEMETRY.read_bytes(), "application/octet-stream")),
        ("windows", ("windows.csv", WINDOWS.read_bytes(), "text/csv")),
        ("tickets", ("tickets.csv", TICKETS.read_bytes(), "text/csv")),
    ]


def _printed(world: World) -> dict[str, object]:
    """What `copact meter --workspace` prints for the same files: the journal's windows (none
    recorded here) are an input of the web's settlement too."""
    args = ["meter", str(EXAMPLES / "hybrid-dc1.yaml"), "-t", str(TELEMETRY)]
    args += ["--windows", str(WINDOWS), "--tickets", str(TICKETS), "--period", "2027-03"]
    result = CliRunner().invoke(app, [*args, "--workspace", str(world.root), "-f", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_the_api_settles_the_month_as_copact_meter_does(world: World) -> None:
    client = client_for(world)
    before = len(world.workspace.events(DEAL))
    answer = client.post(
        f"/api/v1/deals/{DEAL}/meter",
        headers=bearer(world.users["acme-owner"]),
        files=_files(),
        data={"period": "2027-03"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    printed = _printed(world)
    assert {k: body[k] for k in ("deal", "period", "sites")} == printed
    (site,) = body["sites"]
    assert site["settlement"]["fee"] == "4000.00"
    assert site["settlement"]["credits"] == "200.00"
    assert site["settlement"]["amount"] == "3800.00"
    assert body["inputs"].startswith("sha256:") and body["warnings"] == []
    assert len(world.workspace.events(DEAL)) == before  # metering records nothing


def test_a_bad_row_is_refused_with_its_file_and_line(world: World) -> None:
    answer = TestClient(world.app()).post(
        f"/api/v1/deals/{DEAL}/meter",
        headers=bearer(world.users["voltworks-account"]),
        files={"telemetry": ("march.csv", BAD, "text/csv")},
        data={"period": "2027-03"},
    )
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert "1 malformed row(s) in the inputs; nothing was settled" in body["detail"]
    assert "march.csv:3:2: M102" in body["detail"]
    (problem,) = body["problems"]
    assert (problem["path"], problem["line"], problem["column"]) == ("march.csv", 3, 2)
    assert problem["message"] == "timestamp '2027-03-14T02:30:00' has no UTC offset"


def test_what_cannot_be_metered_says_why(world: World) -> None:
    client = client_for(world)
    acme = bearer(world.users["acme-owner"])
    telemetry = {"telemetry": ("t.parquet", TELEMETRY.read_bytes(), "application/octet-stream")}
    path = f"/api/v1/deals/{DEAL}/meter"
    bad_period = client.post(path, headers=acme, files=telemetry, data={"period": "March"})
    assert bad_period.status_code == 422 and "period: " in bad_period.json()["detail"]
    quarter = client.post(path, headers=acme, files=telemetry, data={"period": "2027-Q1"})
    assert quarter.status_code == 422 and "settles per month" in quarter.json()["detail"]
    no_file = client.post(
        path, headers=acme, files={"other": ("x", b"", "")}, data={"period": "2027-03"}
    )
    assert no_file.status_code == 422 and "telemetry" in no_file.json()["detail"]
    assert client.post(path, files=telemetry, data={"period": "2027-03"}).status_code == 401
    stranger = bearer(world.users["ridgeline-owner"])
    assert client.post(path, headers=stranger, files=telemetry).status_code == 404
    foreign = client.post(
        f"/api/v1/deals/{FOREIGN}/meter",
        headers=stranger,
        files=telemetry,
        data={"period": "2027-03"},
    )
    assert foreign.status_code == 409 and "no sla section" in foreign.json()["detail"]
    big = {"telemetry": ("big.csv", b"0" * (400 * 1024), "text/csv")}
    assert client.post(path, headers=acme, files=big, data={"period": "2027-03"}).status_code == 413


def test_the_page_meters_an_upload_and_shows_the_settlement(world: World) -> None:
    client = client_for(world)
    csrf = sign_in(client, "acme-owner")
    dashboard = client.get(f"/deals/{DEAL}").text
    assert f'href="/deals/{DEAL}/meter"' in dashboard
    form = client.get(f"/deals/{DEAL}/meter")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text and 'name="telemetry"' in form.text
    assert 'name="period" value="2026-06"' in form.text  # the month before the clock's
    page = client.post(
        f"/deals/{DEAL}/meter", files=_files(), data={"csrf": csrf, "period": "2027-03"}
    )
    assert page.status_code == 200, page.text
    assert "USD 3,800.00" in page.text and "743 h" in page.text
    assert re.search(r"<td>availability</td><td>availability</td><td class=\"num\">99\.", page.text)
    assert "not recorded in the journal" in page.text
    refused = client.post(
        f"/deals/{DEAL}/meter",
        files={"telemetry": ("march.csv", BAD, "text/csv")},
        data={"csrf": csrf, "period": "2027-03"},
    )
    assert refused.status_code == 422
    assert "nothing was settled" in refused.text and "march.csv:3:2</code> M102" in refused.text
    forged = client.post(
        f"/deals/{DEAL}/meter", files=_files(), data={"csrf": "forged", "period": "2027-03"}
    )
    assert forged.status_code == 403


# -- on-time delivery: seasonal-packaging, settled from its deliveries alone --

SEASONAL = "seasonal-packaging"
DELIVERIES = SAMPLE / "tilburg-2026-10-deliveries.csv"


@pytest.fixture(scope="module")
def packaging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A workspace with seasonal-packaging, Sanne of Van Dijk (the buyer) signed up."""
    root = tmp_path_factory.mktemp("packaging") / "ws"
    clock = Clock(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    ws = Workspace.init(root, database=None, clock=clock)
    ws.add_deal((EXAMPLES / f"{SEASONAL}.yaml").read_text(), f"{SEASONAL}.yaml")
    settings = WebSettings(workspace=root, upload_limit=256 * 1024)
    accounts = Accounts(ws.engine, settings.accounts, clock)
    w = World(root, ws, settings, clock, accounts)
    accounts.create_user(
        username="vandijk-owner",
        name="Sanne de Vries",
        party="van-dijk",
        role="owner",
        password=PASSWORD,
        person="sanne",
        one_time=False,
    )
    user = User("vandijk-owner", "van-dijk", "owner", "sanne")
    user.token = accounts.create_token("vandijk-owner", "tests")
    w.users[user.username] = user
    yield w
    ws.engine.dispose()


def test_the_api_settles_on_time_delivery_from_uploaded_deliveries(packaging: World) -> None:
    client = client_for(packaging)
    sanne = bearer(packaging.users["vandijk-owner"])
    path = f"/api/v1/deals/{SEASONAL}/meter"
    upload = {"deliveries": ("october.csv", DELIVERIES.read_bytes(), "text/csv")}
    answer = client.post(path, headers=sanne, files=upload, data={"period": "2026-10"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    printed = CliRunner().invoke(
        app,
        [
            *("meter", str(EXAMPLES / f"{SEASONAL}.yaml"), "--deliveries", str(DELIVERIES)),
            *("--period", "2026-10", "--workspace", str(packaging.root), "-f", "json"),
        ],
    )
    assert printed.exit_code == 0, printed.output
    assert {k: body[k] for k in ("deal", "period", "sites")} == json.loads(printed.stdout)
    (site,) = body["sites"]
    assert site["metrics"]["on-time"]["value"] == 0.95
    assert site["settlement"]["amount"] == "5400.00"
    # without them: refused, naming the metric and the input; nothing is settled
    refused = client.post(
        path, headers=sanne, files={"other": ("x", b"", "")}, data={"period": "2026-10"}
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": "on-time: on-time-delivery needs deliveries (a CSV of site,id,due,delivered); "
        "nothing was settled",
        "needs": [{"metric": "on-time", "measure": "on-time-delivery", "input": "deliveries"}],
    }
    bad = {"deliveries": ("october.csv", b"site,id,due,delivered\ntilburg-dc,,x,\n", "text/csv")}
    malformed = client.post(path, headers=sanne, files=bad, data={"period": "2026-10"})
    assert malformed.status_code == 422
    assert [(p["path"], p["line"], p["code"]) for p in malformed.json()["problems"]] == [
        ("october.csv", 2, "M104"),  # no id
        ("october.csv", 2, "M101"),  # x is no date
    ]


def test_the_page_takes_the_deliveries_and_shows_the_settlement(packaging: World) -> None:
    client = client_for(packaging)
    csrf = sign_in(client, "vandijk-owner")
    form = client.get(f"/deals/{SEASONAL}/meter").text
    # the deal's one metric comes from the deliveries: that file is required, telemetry is not
    assert re.search(r'name="deliveries" accept="\.csv" required', form)
    assert re.search(r'name="telemetry" accept="[^"]*" multiple>', form)
    upload = {"deliveries": ("october.csv", DELIVERIES.read_bytes(), "text/csv")}
    page = client.post(
        f"/deals/{SEASONAL}/meter", files=upload, data={"csrf": csrf, "period": "2026-10"}
    )
    assert page.status_code == 200, page.text
    assert "EUR 5,400.00" in page.text and "745 h" in page.text
    assert '<td>on-time-delivery</td><td class="num">95.0000%</td>' in page.text
    assert "on-time: 38 of 40 deliveries due on time (1 late, 1 open at the period&#39;s end)" in (
        page.text
    )
    empty = {"deliveries": ("", b"", "application/octet-stream")}  # the input left empty
    refused = client.post(
        f"/deals/{SEASONAL}/meter", files=empty, data={"csrf": csrf, "period": "2026-10"}
    )
    assert refused.status_code == 422
    assert "on-time: on-time-delivery needs deliveries" in refused.text
    assert "nothing was settled" in refused.text and "Amount due" not in refused.text
