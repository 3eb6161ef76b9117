"""What every lifecycle of tests/test_structures_e2e.py shares: the deal's id, evidence files
of each kind, the web app with a token of each side, the invoices the API lists, the exit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from copact.core.deal import Deal
from copact.services.workspace import Workspace
from copact.web.accounts import Accounts
from copact.web.app import create_app
from copact.web.settings import WebSettings
from tests.conftest import cli_ok

DEAL = "acme-voltworks"
PASSWORD = "correct horse battery staple"
# a 1×1 PNG: evidence of any kind that takes a document or an image
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
DATA_KINDS = {"test-log", "telemetry-export", "load-study"}


def evidence_file(kind: str) -> tuple[str, bytes]:
    """A file that passes as evidence of ``kind``: a CSV for data kinds, else a PNG."""
    if kind in DATA_KINDS:
        return f"{kind}.csv", f"reading,value\n{kind},1\n".encode()
    return f"{kind}.png", PNG + kind.encode()


@dataclass
class Run:
    """One structure's deal in its workspace: the deal as loaded, the workspace's folder, a
    scratch folder, and the web app on the same workspace with a bearer token of each side
    (``acme``: Acme's owner; ``voltworks``: VoltWorks' account lead; ``billing``: VoltWorks'
    billing clerk)."""

    deal: Deal
    ws: str
    tmp: Path
    client: TestClient
    tokens: dict[str, dict[str, str]]

    def cli(self, *args: str) -> str:
        """``copact ARGS -w WS``: its output; the test fails unless it exits 0."""
        return cli_ok(*args, "-w", self.ws)

    def post(self, who: str, path: str, key: str, **kwargs: Any) -> dict[str, Any]:
        """POST /api/v1/deals/DEAL/PATH as ``who`` with idempotency key ``key``: the answer's
        JSON; the test fails unless it is 200."""
        headers = {**self.tokens[who], "Idempotency-Key": key}
        answer = self.client.post(f"/api/v1/deals/{DEAL}/{path}", headers=headers, **kwargs)
        assert answer.status_code == 200, f"POST {path}: {answer.status_code} {answer.text}"
        body: dict[str, Any] = answer.json()
        return body

    def get(self, who: str, path: str, **kwargs: Any) -> Any:
        """GET /api/v1/deals/DEAL/PATH as ``who``: the answer's JSON (200 or the test fails)."""
        answer = self.client.get(f"/api/v1/deals/{DEAL}/{path}", headers=self.tokens[who], **kwargs)
        assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def upload(self, who: str, kind: str, name: str, content: bytes) -> str:
        """Upload ``content`` as evidence of ``kind`` over the API: its SHA-256."""
        headers = {**self.tokens[who], "Idempotency-Key": f"up-{kind}-{name}"}
        sent = self.client.post(
            f"/api/v1/deals/{DEAL}/evidence",
            files={"file": (name, content)},
            data={"kind": kind},
            headers=headers,
        )
        assert sent.status_code in (200, 201), sent.text
        return hashlib.sha256(content).hexdigest()

    def add_evidence(self, kind: str, by: str = "account-lead") -> str:
        """A file of ``kind`` added on the command line (``copact evidence add``): its SHA-256."""
        name, content = evidence_file(kind)
        (self.tmp / name).write_bytes(content)
        self.cli("evidence", "add", DEAL, str(self.tmp / name), "--kind", kind, "--by", by)
        return hashlib.sha256(content).hexdigest()

    def invoices(self) -> list[dict[str, Any]]:
        """The deal's invoices and credit notes as the API lists them to the buyer."""
        return items(self.get("acme", "invoices"))

    def totals(self, kind: str = "invoice") -> list[Decimal]:
        """The totals (VAT included) of the deal's invoices (or credit notes), sorted."""
        return sorted(Decimal(i["total"]) for i in self.invoices() if i["kind"] == kind)


def today() -> date:
    """Today in UTC: the command line runs on the real clock."""
    return datetime.now(UTC).date()


def month(offset: int = 0) -> str:
    """This month moved by ``offset`` months, as a period: ``2026-11`` for -1 in December."""
    day = today()
    index = day.year * 12 + day.month - 1 + offset
    return f"{index // 12}-{index % 12 + 1:02}"


def web(ws: str) -> tuple[Workspace, TestClient, dict[str, dict[str, str]]]:
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


def exit_settlement(run: Run) -> dict[str, str]:
    """The buyer's owner invokes a convenience exit on the command line; its settlement as the
    API shows it, recorded."""
    exited = run.cli("exit", DEAL, "--trigger", "convenience", "--invoke", "--by", "owner")
    assert "refund" in exited.lower()
    shown = run.get("acme", "exit-preview", params={"trigger": "convenience"})
    assert shown["recorded"] and shown["settlement"] is not None
    return dict(shown["settlement"])


def items(listed: object) -> list[dict[str, Any]]:
    """The rows of an invoices answer, whether a list or wrapped in an object."""
    if isinstance(listed, dict):
        for key in ("invoices", "items", "documents"):
            if key in listed:
                return list(listed[key])
    assert isinstance(listed, list), listed
    return listed
