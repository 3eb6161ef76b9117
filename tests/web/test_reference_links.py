"""A reference written by a person goes into the confirm button's URL as one path segment.

On heat-sensor-housing Dana (Ridgeline's finance) records a wire of 500.00, ref WIRE-BIG, and
one of 1.00 whose ref is ``../payments/WIRE-BIG``. Luis (Kestrel's billing) opens the
invoices page and clicks Confirm on the 1.00 row: his browser resolves the form's action
against the page, and what he confirms is the 1.00 payment; the 500.00 one still waits. The
same holds for purchases on the volume page (``../purchases/CO-TRAP``). A reference of dots
only (which a browser resolves as ``..`` even encoded) or with a control character is
refused when it is recorded, and ``INV/2026/7`` is confirmed from its own row."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import World, add_user, bearer, client_for, sign_in

DEAL = "heat-sensor-housing"
INVOICES = f"http://testserver/deals/{DEAL}/invoices"
VOLUME = f"http://testserver/deals/{DEAL}/volume"


def _users(world: World) -> None:
    add_user(world, "ridgeline-finance", "ridgeline", "finance", "dana")
    add_user(world, "kestrel-billing", "kestrel", "billing", "luis")


def _record(world: World, what: str, body: dict[str, str], key: str) -> int:
    answer = TestClient(world.app()).post(
        f"/api/v1/deals/{DEAL}/{what}",
        json=body,
        headers={**bearer(world.users["ridgeline-finance"]), "Idempotency-Key": key},
    )
    return answer.status_code


def _pay(world: World, amount: str, ref: str) -> int:
    body = {"payer": "ridgeline", "payee": "kestrel", "amount": amount, "ref": ref}
    return _record(world, "payments", body, f"pay-{ref}")


def _confirm_form(page: str, row_text: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the Confirm form in the table row holding ``row_text``."""
    for row in re.findall(r"<tr.*?</tr>", page, re.S):
        if row_text in row and "<form" in row:
            action = unescape(re.search(r'action="([^"]*)"', row).group(1))  # type: ignore[union-attr]
            fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', row))
            return action, fields
    raise AssertionError(f"no Confirm form in the row of {row_text}")


def _click(client: TestClient, page_url: str, action: str, fields: dict[str, str]) -> None:
    """Post the form as a browser does: its action resolved against the page's URL."""
    target = urlsplit(urljoin(page_url, action))
    answer = client.post(target.path, data=fields)
    assert answer.status_code == 303, answer.text


def _pending(world: World) -> list[str]:
    state = TestClient(world.app()).get(
        f"/api/v1/deals/{DEAL}", headers=bearer(world.users["kestrel-billing"])
    )
    return sorted(p["ref"] for p in state.json()["pending_payments"])


def test_confirm_on_the_1_00_row_confirms_that_payment_not_the_500_00_one(fresh: World) -> None:
    _users(fresh)
    assert _pay(fresh, "500.00", "WIRE-BIG") == 200
    assert _pay(fresh, "1.00", "../payments/WIRE-BIG") == 200
    luis = client_for(fresh)
    sign_in(luis, "kestrel-billing")
    page = luis.get(f"/deals/{DEAL}/invoices").text
    action, fields = _confirm_form(page, "../payments/WIRE-BIG")
    assert action == f"/deals/{DEAL}/payments/..%2Fpayments%2FWIRE-BIG/confirm"
    _click(luis, INVOICES, action, fields)
    assert _pending(fresh) == ["WIRE-BIG"]  # the 500.00 payment still waits for Luis


def test_confirm_on_a_purchases_row_confirms_those_purchases_only(fresh: World) -> None:
    _users(fresh)
    fresh.clock.now = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
    for ref, period in (("CO-TRAP", "2026-07"), ("../purchases/CO-TRAP", "2026-08")):
        body = {"period": period, "quantity": "2600", "ref": ref}
        assert _record(fresh, "purchases", body, f"buy-{period}") == 200
    luis = client_for(fresh)
    sign_in(luis, "kestrel-billing")
    page = luis.get(f"/deals/{DEAL}/volume").text
    action, fields = _confirm_form(page, "Confirm ../purchases/CO-TRAP")
    _click(luis, VOLUME, action, fields)
    page = luis.get(f"/deals/{DEAL}/volume").text
    assert "Confirm CO-TRAP<" in page  # the 2026-07 call-off still waits for Luis
    assert "Confirm ../purchases/CO-TRAP" not in page


def test_a_reference_with_slashes_is_confirmed_from_its_own_row(fresh: World) -> None:
    _users(fresh)
    assert _pay(fresh, "500.00", "INV/2026/7") == 200
    assert _pay(fresh, "2.00", "INV") == 200
    luis = client_for(fresh)
    sign_in(luis, "kestrel-billing")
    action, fields = _confirm_form(luis.get(f"/deals/{DEAL}/invoices").text, "INV/2026/7")
    assert action == f"/deals/{DEAL}/payments/INV%2F2026%2F7/confirm"
    _click(luis, INVOICES, action, fields)
    assert _pending(fresh) == ["INV"]


@pytest.mark.parametrize("ref", [".", "..", "...", "WIRE\n7", "WIRE\x00", "\x85WIRE"])
def test_a_reference_of_dots_only_or_with_a_control_character_is_refused(
    fresh: World, ref: str
) -> None:
    _users(fresh)
    body = {"payer": "ridgeline", "payee": "kestrel", "amount": "1.00", "ref": ref}
    answer = TestClient(fresh.app()).post(
        f"/api/v1/deals/{DEAL}/payments",
        json=body,
        headers={**bearer(fresh.users["ridgeline-finance"]), "Idempotency-Key": "dots"},
    )
    assert answer.status_code == 422, answer.text
    assert "not dots only" in answer.text
    assert _pending(fresh) == []
