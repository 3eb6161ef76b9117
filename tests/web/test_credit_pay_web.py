"""Kestrel pays out heat-sensor-housing's 2026 rebate credit note through the API and the
invoices page. 31,200 housings × 6.85 = 213,720.00 reach the 3% tier: credit note
heat-sensor-housing-001 of 6,411.60, issued 2027-07-02, due 2027-08-01.

API: Luis (Kestrel's billing) records 4,000.00 for it, Dana (Ridgeline's finance) confirms;
the invoices list shows it part-paid with 2,411.60 outstanding. 2,411.61 more is refused (409,
saying what is outstanding). Page: Luis sees a pay-out form for the note (Dana does not: her
party did not issue it), pays the 2,411.60 left from it, Dana confirms from the page, and the
note shows paid in the list and in the API."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from copact.services import operations as ops
from tests.web.conftest import World, bearer, client_for, sign_in
from tests.web.test_volume_web import _users

DEAL = "heat-sensor-housing"
NOTE = "heat-sensor-housing-001"


def _rebated(world: World) -> None:
    """A year of call-offs (twelve of 2,600) confirmed by Kestrel, then the year's rebate."""
    for i in range(12):
        day = date(2026 + (6 + i) // 12, (6 + i) % 12 + 1, 28)
        world.clock.now = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
        ref = f"CO-{day:%Y-%m}"
        for command in (
            ops.RecordPurchases(
                deal=DEAL, period=f"{day:%Y-%m}", quantity=2600, ref=ref, by="dana"
            ),
            ops.ConfirmPurchases(deal=DEAL, ref=ref, by="luis"),
        ):
            ops.execute(command, uow=world.workspace, clock=world.clock)
    world.clock.now = datetime(2027, 7, 2, 9, 0, tzinfo=UTC)
    ops.execute(ops.TrueUpVolume(deal=DEAL, year="2026"), uow=world.workspace, clock=world.clock)


def _note(client: Any, world: World) -> dict[str, Any]:
    listed = client.get(
        f"/api/v1/deals/{DEAL}/invoices", headers=bearer(world.users["ridgeline-finance"])
    )
    assert listed.status_code == 200, listed.text
    (note,) = [i for i in listed.json() if i["number"] == NOTE]
    assert note["kind"] == "credit-note"
    return dict(note)


def _pay(client: Any, world: World, amount: str, ref: str) -> Any:
    luis = {**bearer(world.users["kestrel-billing"]), "Idempotency-Key": ref}
    body = {"payer": "kestrel", "payee": "ridgeline", "amount": amount, "ref": ref, "for": NOTE}
    return client.post(f"/api/v1/deals/{DEAL}/payments", headers=luis, json=body)


def _post(client: Any, path: str, csrf: str, **form: Any) -> str:
    key = hashlib.sha256((path + repr(form)).encode()).hexdigest()
    answer = client.post(path, data={"csrf": csrf, "key": key, **form})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/deals/{DEAL}/invoices"
    return str(client.get(answer.headers["location"]).text)


def test_a_rebate_credit_note_is_paid_out_through_the_api_and_the_page(fresh: World) -> None:
    _users(fresh)
    _rebated(fresh)
    api = client_for(fresh)
    note = _note(api, fresh)
    assert (note["total"], note["status"], note["due"]) == ("6411.60", "open", "2027-08-01")

    assert _pay(api, fresh, "4000.00", "RB-1").status_code == 200
    dana = {**bearer(fresh.users["ridgeline-finance"]), "Idempotency-Key": "confirm-RB-1"}
    confirmed = api.post(f"/api/v1/deals/{DEAL}/payments/RB-1/confirm", headers=dana)
    assert confirmed.status_code == 200, confirmed.text
    note = _note(api, fresh)
    assert (note["status"], note["paid"], note["outstanding"]) == (
        "part-paid",
        "4000.00",
        "2411.60",
    )
    too_much = _pay(api, fresh, "2411.61", "RB-2")
    assert too_much.status_code == 409
    assert "2411.60 outstanding" in too_much.text and "Traceback" not in too_much.text

    luis = client_for(fresh)
    csrf = sign_in(luis, "kestrel-billing")
    page = luis.get(f"/deals/{DEAL}/invoices").text
    assert f"Pay out credit note {NOTE} to ridgeline" in page and "part-paid" in page
    page = _post(
        luis,
        f"/deals/{DEAL}/payments",
        csrf,
        payer="kestrel",
        payee="ridgeline",
        amount="2411.60",
        ref="RB-2",
        **{"for": NOTE},
    )
    assert f"payment RB-2: kestrel → ridgeline 2,411.60 for {NOTE}" in page
    dana_page = client_for(fresh)
    csrf_dana = sign_in(dana_page, "ridgeline-finance")
    seen = dana_page.get(f"/deals/{DEAL}/invoices").text
    assert "Pay out credit note" not in seen  # Ridgeline did not issue it: nothing to pay out
    seen = _post(dana_page, f"/deals/{DEAL}/payments/RB-2/confirm", csrf_dana)
    assert "payment RB-2 confirmed by dana" in seen
    assert 'class="status-paid">paid' in seen and "part-paid" not in seen
    note = _note(api, fresh)
    assert (note["status"], note["paid"], note["outstanding"]) == ("paid", "6411.60", "0.00")
    assert "Pay out credit note" not in luis.get(f"/deals/{DEAL}/invoices").text


def test_after_an_exit_the_rebate_is_still_paid_out_by_its_note_and_not_credited_again(
    fresh: World,
) -> None:
    """Hannah's convenience exit on 2027-07-10 takes effect 60 days later. Nothing was paid
    for the advance, so the exit refunds nothing: the exit page shows the rebate's 6,411.60
    beside the refund, still to pay out by its number, and the invoices page offers no exit
    credit note (it would credit the 6,411.60 a second time). After the exit, Luis pays the
    rebate out from the page and Dana confirms it: only the settlement moves money, and this
    is part of it."""
    _users(fresh)
    _rebated(fresh)
    fresh.clock.now = datetime(2027, 7, 10, 9, 0, tzinfo=UTC)
    exit_ = ops.TriggerExit(deal=DEAL, trigger="convenience", by="hannah")
    ops.execute(exit_, uow=fresh.workspace, clock=fresh.clock)
    fresh.clock.now = datetime(2027, 9, 15, 9, 0, tzinfo=UTC)  # the exit has taken effect
    luis, dana = client_for(fresh), client_for(fresh)
    csrf = sign_in(luis, "kestrel-billing")
    page = luis.get(f"/deals/{DEAL}/exit?trigger=convenience").text
    assert 'id="credit-notes-open"' in page and "6,411.60" in page
    invoices = luis.get(f"/deals/{DEAL}/invoices").text
    assert "Credit the exit refund" not in invoices
    assert f"Pay out credit note {NOTE}" in invoices
    _post(luis, f"/deals/{DEAL}/payments", csrf, payer="kestrel", payee="ridgeline",
          amount="6411.60", ref="RB-9", **{"for": NOTE})  # fmt: skip
    csrf_dana = sign_in(dana, "ridgeline-finance")
    _post(dana, f"/deals/{DEAL}/payments/RB-9/confirm", csrf_dana)
    assert _note(dana, fresh)["status"] == "paid"
