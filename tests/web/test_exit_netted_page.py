"""The invoices page says what an exit's settlement netted (tests/services/test_exit_netted.py
has the figures): hybrid-dc1 with 20,000.00 of convertible support, paid and never converted,
hardware delivery accepted and invoiced at 88,200.00, then an insolvency exit. The page shows
68,200.00 outstanding and 20,000.00 netted in the exit settlement; the API says the same."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import conftest as root_conftest
from tests.web import conftest as web_conftest
from tests.web.conftest import DEAL, World, bearer, client_for, make_world, sign_in
from tests.web.test_api import MILESTONE, submit_delivery
from tests.web.test_exit_ended import _call

SUPPORT = "convertible:\n  amount: 20000\n  converts-to: service-credits\n  windows: [2026-12-15]\n"


@pytest.fixture
def supported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A world whose hybrid-dc1 holds 20,000.00 of convertible support."""
    examples = tmp_path / "examples"
    shutil.copytree(root_conftest.EXAMPLES, examples)
    deal = examples / f"{DEAL}.yaml"
    text = deal.read_text(encoding="utf-8")
    assert "\ngainshare:\n" in text and "\nconvertible:" not in text
    deal.write_text(text.replace("\ngainshare:\n", f"\n{SUPPORT}gainshare:\n"), encoding="utf-8")
    monkeypatch.setattr(web_conftest, "EXAMPLES", examples)
    world = make_world(tmp_path / "ws", all_roles=False)
    yield world
    world.workspace.engine.dispose()


def test_the_invoices_page_shows_what_the_exit_netted(supported: World) -> None:
    client: TestClient = client_for(supported)
    support = {"payer": "acme", "payee": "voltworks", "amount": "20000.00", "ref": "S-1"}
    assert (
        _call(client, supported, "acme-finance", "/payments", **support, **{"for": "convertible"})
        == 200
    )
    assert _call(client, supported, "voltworks-owner", "/payments/S-1/confirm") == 200
    submit_delivery(client, supported)
    assert _call(client, supported, "acme-owner", f"/milestones/{MILESTONE}/accept") == 200
    assert _call(client, supported, "acme-owner", "/exit", trigger="insolvency") == 200
    raj = bearer(supported.users["acme-finance"])
    billed = [
        i
        for i in client.get(f"/api/v1/deals/{DEAL}/invoices", headers=raj).json()
        if i["total"] != "0.00"
    ]
    assert [(i["total"], i["netted"], i["outstanding"], i["status"]) for i in billed] == [
        ("88200.00", "20000.00", "68200.00", "part-paid")
    ]
    sign_in(client, "acme-owner")
    page = client.get(f"/deals/{DEAL}/invoices").text
    assert "20,000.00 netted in the exit settlement" in page
    assert "68,200.00" in page
