"""A deal that does not bind yet offers no operating form on any page: before a person of every
party has signed the same version the services refuse every command but signing and the
negotiation's decisions and risks (409), so the pages show the "Not binding yet" banner with a
link to the dashboard's sign form instead. Once both parties sign, the same pages offer their
forms.

The deals: hybrid-dc1 (milestones, gates, change orders, an SLA to meter, gainshare),
heat-sensor-housing (a volume commitment) and hybrid-dc1's text with a cost-plus, a convertible
support or a bonus and revenue-share section, as the pages' own tests make them; nobody has
signed any of them yet (``unsigned``)."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient

from copact.core.events import Signed, dumps_events
from tests.conftest import EXAMPLES, sign_deal
from tests.web.conftest import DEAL, FOREIGN, World, client_for, sign_in
from tests.web.test_costplus_web import COST_PLUS
from tests.web.test_support_web import CONVERTIBLE
from tests.web.test_volume_web import _users

COSTS, SUPPORT, INCENTIVES = "dc1-costs", "dc1-support", "dc1-incentives"
BONUS_AND_SHARE = (
    "innovation-bonus:\n"
    "  - {id: performance-bonus, amount: 25000, signoff: ana, evidence: [test-report],\n"
    "     when: round-trip efficiency 5% above the design's}\n"
    "revenue-share: {party: voltworks, share: 5%, of: net sales of the DC1 controller,\n"
    "                reporting: quarterly, audit: true}\n\n"
)
ALLOWED = ("/sign", "/risks", "/decisions", "/evidence", "/meter")
"""What a deal's page may post to before it binds: signing, the negotiation's decisions and
risks, an evidence upload (kept before the deal binds, so a submission's files can be ready) and
metering, which previews a period and records nothing."""

#: (user, page) → the operating forms it offers once the deal binds (their action URLs)
PAGES: dict[tuple[str, str], tuple[str, ...]] = {
    ("voltworks-owner", f"/deals/{DEAL}/milestones/design-approval"): (
        f"/deals/{DEAL}/milestones/design-approval/submit",
    ),
    ("acme-owner", f"/deals/{DEAL}/invoices"): (f"/deals/{DEAL}/payments",),
    # the supplier's users issue its invoices (the buyer pays them)
    ("voltworks-owner", f"/deals/{DEAL}/invoices"): (f"/deals/{DEAL}/invoices",),
    ("acme-owner", f"/deals/{DEAL}/changes"): (f"/deals/{DEAL}/changes",),
    ("acme-owner", f"/deals/{DEAL}/gates"): (
        f"/deals/{DEAL}/gates/design",
        f"/deals/{DEAL}/gates/build",
    ),
    ("acme-owner", f"/deals/{DEAL}/gainshare"): (f"/deals/{DEAL}/gainshare-periods",),
    ("acme-owner", f"/deals/{DEAL}/meter"): ("record",),  # the meter form's record box
    ("acme-owner", f"/deals/{DEAL}/exit"): (),  # a preview: the exit is invoked elsewhere
    ("ridgeline-owner", f"/deals/{FOREIGN}/volume"): (
        f"/deals/{FOREIGN}/purchases",
        f"/deals/{FOREIGN}/forecasts",
    ),
    ("voltworks-owner", f"/deals/{COSTS}/costs"): (f"/deals/{COSTS}/costs",),
    ("acme-owner", f"/deals/{SUPPORT}/support"): (f"/deals/{SUPPORT}/payments",),
    ("acme-owner", f"/deals/{INCENTIVES}/incentives"): (f"/deals/{INCENTIVES}/sales-reports",),
    ("voltworks-owner", f"/deals/{INCENTIVES}/incentives"): (
        f"/deals/{INCENTIVES}/bonuses/performance-bonus/claim",
    ),
}


def _variant(world: World, deal_id: str, section: str) -> None:
    """hybrid-dc1's text as ``deal_id`` with ``section`` added, not signed."""
    text = (EXAMPLES / f"{DEAL}.yaml").read_text().replace(f"id: {DEAL}", f"id: {deal_id}")
    world.workspace.add_deal(text.replace("\nip:\n", f"\n{section}ip:\n"), f"{deal_id}.yaml")


def _deals(world: World) -> None:
    _variant(world, COSTS, COST_PLUS)
    _variant(world, SUPPORT, CONVERTIBLE)
    _variant(world, INCENTIVES, BONUS_AND_SHARE)
    _users(world)  # ridgeline's people, for heat-sensor-housing


def _forms(html: str) -> set[str]:
    """The action URLs of a page's forms that post, and ``record`` for the meter's record box."""
    posts = re.findall(r'<form method="post" action="([^"]*)"', html)
    return {*posts, *(["record"] if 'name="record"' in html else [])}


def _operating(html: str) -> set[str]:
    return {a for a in _forms(html) if a != "/logout" and not a.endswith(ALLOWED)}


def _clients(world: World) -> dict[str, tuple[TestClient, str]]:
    """A signed-in client of each user of :data:`PAGES`, with its session's CSRF token."""
    clients = {}
    for username in {user for user, _ in PAGES}:
        client = client_for(world)
        clients[username] = (client, sign_in(client, username))
    return clients


def test_no_page_of_a_deal_not_binding_yet_offers_an_operating_form(unsigned: World) -> None:
    """Every page of the four deals shows the banner and posts nowhere but to what a deal
    takes before it binds; the bonus claim's evidence is uploaded before, and is taken. Once
    a person of each party signed, the banner is gone and each page offers its forms."""
    _deals(unsigned)
    clients = _clients(unsigned)
    sam, csrf = clients["voltworks-owner"]
    report = b"test-report: round-trip efficiency 5% above the design's"
    uploaded = sam.post(
        f"/deals/{INCENTIVES}/evidence",
        data={"csrf": csrf, "kind": "test-report", "back": f"/deals/{INCENTIVES}/incentives"},
        files={"file": ("efficiency.txt", report, "text/plain")},
    )
    assert uploaded.status_code == 303, uploaded.text  # evidence is not refused before binding
    held = unsigned.workspace.evidence(INCENTIVES, party=None)
    assert [r.sha256 for r in held] == [hashlib.sha256(report).hexdigest()]

    for (username, path), _ in PAGES.items():
        page = clients[username][0].get(path)
        assert page.status_code == 200, (path, page.text)
        assert _operating(page.text) == set(), (username, path)
        assert page.text.count('id="not-binding"') == 1, path
        deal_id = path.split("/")[2]
        assert f'<a href="/deals/{deal_id}#signing">sign it on the dashboard</a>' in page.text

    for deal_id in (DEAL, FOREIGN, COSTS, SUPPORT, INCENTIVES):
        sign_deal(unsigned.workspace, deal_id)
    for (username, path), expected in PAGES.items():
        page = clients[username][0].get(path)
        assert page.status_code == 200, (path, page.text)
        assert set(expected) <= _operating(page.text), (username, path, _forms(page.text))
        assert 'id="not-binding"' not in page.text, path


def test_the_dashboard_shows_the_banner_once_and_the_sign_form(unsigned: World) -> None:
    """The banner moved into the page frame: the dashboard shows it once, above the sign form
    it links to; pages without the deal's view (the journal) show none."""
    ana = client_for(unsigned)
    sign_in(ana, "acme-owner")
    dashboard = ana.get(f"/deals/{DEAL}").text
    assert dashboard.count('id="not-binding"') == 1
    assert 'id="signing"' in dashboard and "Sign for acme" in dashboard
    assert dashboard.index('id="not-binding"') < dashboard.index(f'action="/deals/{DEAL}/sign"')
    assert 'id="not-binding"' not in ana.get(f"/deals/{DEAL}/journal").text


def test_a_party_that_signed_an_older_version_sees_the_sign_form_again(unsigned: World) -> None:
    """Ana signed another text of hybrid-dc1 than the one Sam signed (the parties signed
    different versions): her dashboard offers her the sign form again, Sam's does not; once
    she signs the version Sam signed, the deal binds and neither is offered it."""
    ws = unsigned.workspace
    day = unsigned.clock()
    version = hashlib.sha256(ws.deal_text(DEAL).encode()).hexdigest()
    signed = [
        Signed(at=day, deal=DEAL, by=["ana"], version="a" * 64),
        Signed(at=day, deal=DEAL, by=["sam"], version=version),
    ]
    assert ws.import_journal(DEAL, dumps_events(signed), "journal.jsonl") == 2
    ana, sam = client_for(unsigned), client_for(unsigned)
    csrf = sign_in(ana, "acme-owner")
    sign_in(sam, "voltworks-owner")
    mine = ana.get(f"/deals/{DEAL}").text
    assert "Sign for acme" in mine and 'id="not-binding"' in mine
    assert "the parties signed different versions" in mine
    theirs = sam.get(f"/deals/{DEAL}").text
    assert "Sign for voltworks" not in theirs and f'action="/deals/{DEAL}/sign"' not in theirs

    done = ana.post(f"/deals/{DEAL}/sign", data={"csrf": csrf, "key": "again"})
    assert done.status_code == 303, done.text
    assert ws.events(DEAL)[-1].version == version  # type: ignore[union-attr]
    for client in (ana, sam):
        shown = client.get(f"/deals/{DEAL}").text
        assert f'action="/deals/{DEAL}/sign"' not in shown and 'id="not-binding"' not in shown
        assert "binding since" in shown
