"""E003: every reference to a person, party, phase or milestone resolves."""

from __future__ import annotations

from collections.abc import Iterator

from copact.core.deal import Deal
from copact.core.diagnostic import Severity
from copact.rules.registry import Finding, rule


def _refs(deal: Deal) -> Iterator[tuple[str, str, str]]:
    """(pointer, kind, id) of every reference in the deal."""
    for i, person in enumerate(deal.people):
        yield f"/people/{i}/party", "party", person.party
    if deal.scope:
        for party in deal.scope.contributions:
            yield f"/scope/contributions/{party}", "party", party
    if deal.business_case:
        for i, flow in enumerate(deal.business_case.flows):
            yield f"/business-case/flows/{i}/party", "party", flow.party
    for i, phase in enumerate(deal.phases):
        if phase.gate:
            for j, who in enumerate(phase.gate.deciders):
                yield f"/phases/{i}/gate/deciders/{j}", "person", who
    for i, entry in enumerate(deal.funding):
        yield f"/funding/{i}/phase", "phase", entry.phase
        for party in entry.shares:
            yield f"/funding/{i}/shares/{party}", "party", party
    for i, m in enumerate(deal.milestones):
        if m.phase is not None:
            yield f"/milestones/{i}/phase", "phase", m.phase
        if m.payee is not None:
            yield f"/milestones/{i}/payee", "party", m.payee
        if m.acceptance:
            if m.acceptance.signoff is not None:
                yield f"/milestones/{i}/acceptance/signoff", "person", m.acceptance.signoff
            if m.acceptance.escalate_to is not None:
                yield f"/milestones/{i}/acceptance/escalate-to", "person", m.acceptance.escalate_to
    if deal.gainshare:
        for party in deal.gainshare.share:
            yield f"/gainshare/share/{party}", "party", party
    if deal.revenue_share:
        yield "/revenue-share/party", "party", deal.revenue_share.party
    for i, bonus in enumerate(deal.innovation_bonus):
        if bonus.signoff is not None:
            yield f"/innovation-bonus/{i}/signoff", "person", bonus.signoff
    if deal.ip:
        for party in deal.ip.background:
            yield f"/ip/background/{party}", "party", party
        fg = deal.ip.foreground
        if fg:
            if fg.owner is not None:
                yield "/ip/foreground/owner", "party", fg.owner
            for i, f in enumerate(fg.fields):
                yield f"/ip/foreground/fields/{i}/owner", "party", f.owner
            if fg.license_back:
                yield "/ip/foreground/license-back/to", "party", fg.license_back.to
        if deal.ip.exclusivity:
            yield "/ip/exclusivity/holder", "party", deal.ip.exclusivity.holder
    if deal.exit and deal.exit.triggers:
        t = deal.exit.triggers
        for key, trig in (
            ("convenience", t.convenience),
            ("change-of-control", t.change_of_control),
            ("insolvency", t.insolvency),
        ):
            if trig is not None:
                for j, party in enumerate(trig.by):
                    yield f"/exit/triggers/{key}/by/{j}", "party", party
    if deal.change_control:
        for j, who in enumerate(deal.change_control.approvers):
            yield f"/change-control/approvers/{j}", "person", who
    if deal.governance:
        for j, who in enumerate(deal.governance.steering):
            yield f"/governance/steering/{j}", "person", who
        for j, who in enumerate(deal.governance.veto):
            yield f"/governance/veto/{j}", "person", who
    for i, risk in enumerate(deal.risks):
        if risk.owner is not None:
            yield f"/risks/{i}/owner", "person", risk.owner


@rule(
    "E003",
    "unresolved-reference",
    Severity.ERROR,
    "a reference does not resolve",
    hint="use the id of a party, person or phase declared in this file",
)
def unresolved_reference(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every person, party and phase named anywhere in the deal (sign-offs,
    gate deciders, funding shares, IP owners, approvers, risk owners…) is declared in
    `parties`, `people` or `phases`; ids are unique.

    **Why.** A sign-off by someone the deal does not know cannot be enforced: the approval
    would be recorded against nobody, and money would move on it.

    **Example.**

        people: [{id: ana, party: acme, name: Ana Ortiz}]
        milestones:
          - {id: design-approval, acceptance: {signoff: anna}}

    **Use instead.** `signoff: ana`, the id as declared.
    """
    known = {
        "party": {p.id for p in deal.parties},
        "person": {p.id for p in deal.people},
        "phase": {p.id for p in deal.phases},
    }
    sections: tuple[tuple[str, list[str]], ...] = (
        ("parties", [p.id for p in deal.parties]),
        ("people", [p.id for p in deal.people]),
        ("phases", [p.id for p in deal.phases]),
        ("milestones", [m.id for m in deal.milestones]),
        ("risks", [r.id for r in deal.risks]),
    )
    for section, ids in sections:
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if ident in seen:
                yield Finding(
                    f"/{section}/{i}/id",
                    f"duplicate id '{ident}' in {section}",
                    "give every entry its own id",
                )
            seen.add(ident)
    for pointer, kind, ident in _refs(deal):
        if ident not in known[kind]:
            choices = ", ".join(sorted(known[kind])) or "none declared"
            yield Finding(pointer, f"unknown {kind} '{ident}'", f"known {kind} ids: {choices}")
