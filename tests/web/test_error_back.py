"""An error page's "Go back" is a plain link (the app's CSP runs no script, so the
``javascript:history.back()`` it was did nothing): back to the page the form was on when that
is one of ours, else to the deal's dashboard.

Sam of VoltWorks confirms a payment nobody recorded from hybrid-dc1's invoices page: the page
that says why leads back to the invoices page. A milestone that does not exist leads to the
deal's dashboard, and a link from another site is never where "Go back" goes."""

from __future__ import annotations

import re

from tests.web.conftest import DEAL, World, client_for, sign_in


def _back(html: str) -> str | None:
    found = re.search(r'<a href="([^"]*)" class="back">Go back</a>', html)
    return found.group(1) if found else None


def test_a_refused_form_leads_back_to_its_page(fresh: World) -> None:
    sam = client_for(fresh)
    csrf = sign_in(sam, "voltworks-owner")
    answer = sam.post(
        f"/deals/{DEAL}/payments/NOBODY-PAID/confirm",
        data={"csrf": csrf, "key": "k-1"},
        headers={"Referer": f"http://testserver/deals/{DEAL}/invoices"},
    )
    assert answer.status_code in (404, 409), answer.text[:300]
    assert _back(answer.text) == f"/deals/{DEAL}/invoices"
    assert "javascript:" not in answer.text


def test_without_a_page_of_ours_it_leads_to_the_deal(fresh: World) -> None:
    sam = client_for(fresh)
    sign_in(sam, "voltworks-owner")
    for headers in ({}, {"Referer": "https://elsewhere.example/deals/x"}):
        answer = sam.get(f"/deals/{DEAL}/milestones/no-such-milestone", headers=headers)
        assert answer.status_code == 404
        assert _back(answer.text) == f"/deals/{DEAL}"
    odd = sam.get(
        f"/deals/{DEAL}/milestones/no-such-milestone",
        headers={"Referer": "http://testserver/\\elsewhere.example"},
    )
    assert _back(odd.text) == f"/deals/{DEAL}"


def test_an_unknown_deal_offers_your_deals_only(fresh: World) -> None:
    sam = client_for(fresh)
    sign_in(sam, "voltworks-owner")
    answer = sam.get("/deals/no-such-deal")
    assert answer.status_code == 404
    assert _back(answer.text) is None and 'href="/deals">Your deals' in answer.text
