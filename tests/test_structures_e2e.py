"""Every structure of DESIGN §3.2 from `copact new` to an invoice and an exit settlement, on
the command line and on the web, in one workspace (issue 15's "done when").

For each structure, between Acme (buyer) and VoltWorks (supplier), EUR, starting 2026-01-05:
`copact new` → `check` (no error) → `simulate` → `init` → `deal add` → `sign` by a person of
each party (nothing operates before both signed the same version); on the command line the
supplier's account lead submits the first milestone the buyer pays for with a file of each
evidence kind it requires, and the buyer's owner accepts it, which issues its invoice; on the
web, over the JSON API with each side's token, the next payable milestone is submitted and
accepted the same way and the invoices list holds both; finally the buyer invokes a
convenience exit on the command line and its settlement is printed and shown on the exit page.
A cost-plus deal's milestones pay nothing (its costs are the price), so there a month's cost is
recorded, approved and invoiced on the command line and another over the API instead.
The mechanism of each structure (SLA periods, gainshare, cost-plus, volume, convertible,
bonuses, revenue share) has its own worked-example tests beside its module's."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from copact.cli.app import app as cli
from copact.core.deal import Deal, Milestone, Structure
from copact.core.invoicing import invoice_amounts, vat_on
from copact.dealfile.loader import load_deal
from copact.services.workspace import Workspace
from copact.web.accounts import Accounts
from copact.web.app import create_app
from copact.web.settings import WebSettings
from tests.conftest import cli_ok
from tests.web.conftest import sign_in

runner = CliRunner()
DEAL = "acme-voltworks"
PASSWORD = "correct horse battery staple"
# a 1×1 PNG: evidence of any kind that takes a document or an image
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
DATA_KINDS = {"test-log", "telemetry-export", "load-study"}


def _evidence(kind: str) -> tuple[str, bytes]:
    if kind in DATA_KINDS:
        return f"{kind}.csv", f"reading,value\n{kind},1\n".encode()
    return f"{kind}.png", PNG + kind.encode()


def _payable(deal: Deal) -> list[Milestone]:
    amounts = invoice_amounts(deal)
    return [m for m in deal.milestones if amounts[m.id].amount > 0]


def _kinds(m: Milestone) -> list[str]:
    return list(m.acceptance.evidence) if m.acceptance else []


@pytest.mark.parametrize("structure", list(Structure), ids=lambda s: s.value)
def test_each_structure_runs_from_new_to_an_invoice_and_an_exit(
    structure: Structure, tmp_path: Path
) -> None:
    path = tmp_path / "deal.yaml"
    ws = str(tmp_path / "ws")
    cli_ok(
        "new", "-s", structure.value, "--buyer", "Acme", "--supplier", "VoltWorks",
        "--currency", "EUR", "--start", "2026-01-05", "-o", str(path),
    )  # fmt: skip
    checked = runner.invoke(cli, ["check", str(path), "-f", "json"])
    assert checked.exit_code == 0, checked.output
    simulated = cli_ok("simulate", str(path), "-f", "json")
    assert json.loads(simulated)
    cli_ok("init", ws)
    cli_ok("deal", "add", str(path), "-w", ws)
    # nothing operates before a person of each party has signed the same version
    signed = cli_ok("sign", DEAL, "--by", "owner", "-w", ws)
    assert "signed by owner" in signed
    bound = cli_ok("sign", DEAL, "--by", "account-lead", "-w", ws)
    assert "signed by account-lead" in bound
    deal = load_deal(path).deal
    assert deal is not None and deal.id == DEAL
    if deal.cost_plus is not None:
        _cost_plus_lifecycle(deal, ws, tmp_path)
        return
    first, second, *_ = _payable(deal)
    amounts = invoice_amounts(deal)

    # the command line: the supplier submits, the buyer's sign-off accepts and it is invoiced
    files = []
    for kind in _kinds(first):
        name, content = _evidence(kind)
        (tmp_path / name).write_bytes(content)
        files += ["--evidence", f"{kind}={tmp_path / name}"]
    cli_ok("submit", DEAL, first.id, "--by", "account-lead", *files, "-w", ws)
    signoff = first.acceptance.signoff if first.acceptance else None
    accepted = cli_ok("accept", DEAL, first.id, "--by", signoff or "owner", "-w", ws)
    gross = amounts[first.id] + vat_on(deal, amounts[first.id])
    assert f"invoice VOLTWORKS-2026-0001: voltworks → acme {gross.amount:,.2f}" in accepted

    # the web: the next payable milestone over the JSON API, each side with its own token
    workspace, client, tokens = _api(ws)
    try:
        hashes = []
        for kind in _kinds(second):
            name, content = _evidence(kind)
            sent = client.post(
                f"/api/v1/deals/{DEAL}/evidence",
                files={"file": (name, content)},
                data={"kind": kind},
                headers={**tokens["voltworks"], "Idempotency-Key": f"up-{kind}"},
            )
            assert sent.status_code in (200, 201), sent.text
            hashes.append(hashlib.sha256(content).hexdigest())
        submitted = client.post(
            f"/api/v1/deals/{DEAL}/milestones/{second.id}/submit",
            json={"evidence": hashes},
            headers={**tokens["voltworks"], "Idempotency-Key": "submit-2"},
        )
        assert submitted.status_code == 200, submitted.text
        accepted_web = client.post(
            f"/api/v1/deals/{DEAL}/milestones/{second.id}/accept",
            json={},
            headers={**tokens["acme"], "Idempotency-Key": "accept-2"},
        )
        assert accepted_web.status_code == 200, accepted_web.text
        assert [e["type"] for e in accepted_web.json()["events"]] == ["accepted", "invoice"]
        listed = client.get(f"/api/v1/deals/{DEAL}/invoices", headers=tokens["acme"]).json()
        billed = [
            sum(Decimal(line["amount"]) for line in i["lines"])
            for i in _items(listed)
            if i["kind"] == "invoice"
        ]
        assert amounts[first.id].amount in billed and amounts[second.id].amount in billed

        # the exit: invoked on the command line, its settlement on the page and the API
        settlement = _exit(ws, client, tokens["acme"])
        paid, earned = (Decimal(settlement[k]) for k in ("paid", "earned"))
        assert earned > 0 and paid == 0  # nothing paid yet: the buyer owes what was earned
    finally:
        workspace.engine.dispose()


def _api(ws: str) -> tuple[Workspace, TestClient, dict[str, dict[str, str]]]:
    """The web app on workspace ``ws`` and a bearer token of each side: Acme's owner,
    VoltWorks' account lead and (``billing``) VoltWorks' billing clerk."""
    workspace = Workspace.open(Path(ws), clock=lambda: datetime.now(UTC))
    settings = WebSettings(workspace=Path(ws), upload_limit=256 * 1024)
    accounts = Accounts(workspace.engine, settings.accounts, lambda: datetime.now(UTC))
    tokens = {}
    for username, party, role, person in (
        ("acme-owner", "acme", "owner", "owner"),
        ("volt-lead", "voltworks", "account", "account-lead"),
        ("volt-billing", "voltworks", "billing", None),
    ):
        accounts.create_user(
            username=username, name=username, party=party, role=role,
            password=PASSWORD, person=person, one_time=False,
        )  # fmt: skip
        token = {"Authorization": f"Bearer {accounts.create_token(username, 'e2e')}"}
        tokens[party if role != "billing" else "billing"] = token
    app = create_app(settings, workspace=workspace)
    return workspace, TestClient(app, follow_redirects=False), tokens


def _exit(ws: str, client: TestClient, buyer: dict[str, str]) -> dict[str, str]:
    """The buyer's owner invokes a convenience exit on the command line; its settlement as the
    API shows it, recorded."""
    exited = cli_ok("exit", DEAL, "--trigger", "convenience", "--invoke", "--by", "owner", "-w", ws)
    assert "refund" in exited.lower()
    preview = client.get(f"/api/v1/deals/{DEAL}/exit-preview?trigger=convenience", headers=buyer)
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["recorded"] and shown["settlement"] is not None
    return dict(shown["settlement"])


def _cost_plus_lifecycle(deal: Deal, ws: str, tmp_path: Path) -> None:
    """Cost-plus: its milestones pay nothing (the costs are the price). Last month's cost of
    30,000.00 with its receipt and timesheet is recorded on the command line, approved by the
    buyer's owner and invoiced: 30,000.00 + 10% markup = 33,000.00 + 19% VAT = 39,270.00. This
    month's 10,000.00 goes the same way over the API (11,000.00 + VAT = 13,090.00). Then the
    buyer exits for convenience and the settlement counts the two invoices, 52,360.00 with
    their VAT, as earned and owed."""
    assert all(a.is_zero for a in invoice_amounts(deal).values())
    today = datetime.now(UTC).date()
    this = f"{today.year}-{today.month:02}"
    last = f"{today.year - (today.month == 1)}-{(today.month - 2) % 12 + 1:02}"
    shas = []
    for kind in ("receipts", "timesheets"):
        name, content = _evidence(kind)
        (tmp_path / name).write_bytes(content)
        cli_ok("evidence", "add", DEAL, str(tmp_path / name), "--kind", kind,
            "--by", "account-lead", "-w", ws)  # fmt: skip
        shas.append(hashlib.sha256(content).hexdigest())
    cli_ok(
        "record-cost", DEAL, "--id", "rig-hire", "--period", last, "--amount", "30000.00",
        "--description", "test rig hire", "--evidence", shas[0], "--evidence", shas[1],
        "--by", "account-lead", "-w", ws,
    )  # fmt: skip
    cli_ok("review-cost", DEAL, "rig-hire", "--decision", "approved", "--by", "owner", "-w", ws)
    billed = cli_ok("issue-cost-invoice", DEAL, last, "-w", ws)
    assert "39,270.00" in billed

    workspace, client, tokens = _api(ws)
    try:
        body = {
            "id": "sensors",
            "period": this,
            "amount": "10000.00",
            "description": "sensor kits",
            "evidence": shas,
        }
        volt = {**tokens["voltworks"], "Idempotency-Key": "cost-2"}
        recorded = client.post(f"/api/v1/deals/{DEAL}/costs", headers=volt, json=body)
        assert recorded.status_code == 200, recorded.text
        acme = {**tokens["acme"], "Idempotency-Key": "review-2"}
        reviewed = client.post(
            f"/api/v1/deals/{DEAL}/costs/sensors/review",
            headers=acme,
            json={"decision": "approved"},
        )
        assert reviewed.status_code == 200, reviewed.text
        issued = client.post(
            f"/api/v1/deals/{DEAL}/cost-periods/{this}/invoice",
            headers={**tokens["billing"], "Idempotency-Key": "bill-2"},
            json={},
        )
        assert issued.status_code == 200, issued.text
        listed = client.get(f"/api/v1/deals/{DEAL}/invoices", headers=tokens["acme"]).json()
        totals = sorted(Decimal(i["total"]) for i in _items(listed) if i["kind"] == "invoice")
        assert totals == [Decimal("13090.00"), Decimal("39270.00")]
        budget = client.get(f"/api/v1/deals/{DEAL}/costs", headers=tokens["acme"]).json()
        assert budget["remaining"] == "56000.00"  # 100,000 cap − 44,000 approved with markup

        settlement = _exit(ws, client, tokens["acme"])
        assert Decimal(settlement["earned"]) == Decimal("52360.00")
        assert Decimal(settlement["paid"]) == 0
        sign_in(client, "acme-owner")  # the pages take a session, not a token
        page = client.get(f"/deals/{DEAL}/exit")
        assert page.status_code == 200 and "52,360.00" in page.text
    finally:
        workspace.engine.dispose()


def _items(listed: object) -> list[dict[str, str]]:
    if isinstance(listed, dict):
        for key in ("invoices", "items", "documents"):
            if key in listed:
                return list(listed[key])
    assert isinstance(listed, list), listed
    return listed
