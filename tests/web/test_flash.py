"""What the green banner says comes from the server: a link with ``?msg=`` shows nothing, a real
action shows its note once (on the page it lands on), and a note made for one session cannot
be replayed into another."""

from __future__ import annotations

from tests.web.conftest import DEAL, World, client_for, sign_in

BANNER = 'class="note" role="status"'


def test_a_crafted_msg_link_shows_no_banner(fresh: World) -> None:
    raj = client_for(fresh)
    sign_in(raj, "acme-finance")
    page = raj.get(f"/deals/{DEAL}/invoices", params={"msg": "Payment approved"})
    assert page.status_code == 200
    assert "Payment approved" not in page.text and BANNER not in page.text


def test_a_real_action_shows_its_note_once(fresh: World) -> None:
    raj = client_for(fresh)
    csrf = sign_in(raj, "acme-finance")
    done = raj.post(
        f"/deals/{DEAL}/payments",
        data={
            "csrf": csrf,
            "key": "pay-1",
            "payer": "acme",
            "payee": "voltworks",
            "amount": "1000.00",
            "ref": "WIRE-7",
        },
    )
    assert done.status_code == 303
    assert "msg=" not in done.headers["location"]  # nothing a link could carry
    landed = raj.get(done.headers["location"])
    assert BANNER in landed.text and "payment WIRE-7: acme → voltworks 1,000.00" in landed.text
    again = raj.get(done.headers["location"])
    assert (
        "payment WIRE-7: acme → voltworks 1,000.00" not in again.text and BANNER not in again.text
    )


def test_a_note_of_one_session_does_not_show_in_another(fresh: World) -> None:
    raj, sam = client_for(fresh), client_for(fresh)
    csrf = sign_in(raj, "acme-finance")
    sign_in(sam, "voltworks-account")
    done = raj.post(
        f"/deals/{DEAL}/payments",
        data={
            "csrf": csrf,
            "key": "pay-2",
            "payer": "acme",
            "payee": "voltworks",
            "amount": "1.00",
            "ref": "WIRE-8",
        },
    )
    note = done.cookies.get("copact_flash")
    assert note  # the note travels as a cookie signed for raj's session
    sam.cookies.set("copact_flash", note, domain="testserver.local")
    page = sam.get(f"/deals/{DEAL}/invoices")
    assert "payment WIRE-8: acme → voltworks" not in page.text and BANNER not in page.text
