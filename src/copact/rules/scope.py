"""S101–S106: the one-page scope memo, the business case and who owns the deal."""

from __future__ import annotations

import re
from collections.abc import Iterator

from copact.core.deal import Deal
from copact.core.diagnostic import Severity
from copact.rules.registry import Finding, rule

_GENERIC = re.compile(
    r"\b(better|best|improve[sd]?|improving|improvement|enhance[sd]?|optimi[sz]e[sd]?|"
    r"innovat\w*|world[- ]class|synerg\w*|transform\w*|modernis\w*|moderniz\w*|"
    r"strategic|partnership|quality|efficien\w*|grow(th)?)\b",
    re.IGNORECASE,
)
_MEASURABLE = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twice)\b", re.I)
_MIN_WORDS = 8


@rule(
    "S101",
    "incomplete-scope-memo",
    Severity.ERROR,
    "scope memo incomplete",
    hint="write the problem, the deliverable, what success is and what each party contributes",
)
def incomplete_scope_memo(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The deal has a `scope` with a `problem`, a `deliverable`, a `success`
    statement and `contributions` for every party.

    **Why.** The one-page scope memo is what the business teams agree on before lawyers draft:
    the problem, the deliverable, who brings what, the timeline and what success looks like.
    A deal without it turns into an open-ended "innovation partnership" nobody can manage.

    **Example.**

        scope:
          problem: Grid outages stop the payment racks about twice a year.
          contributions: {acme: [site access]}

    **Use instead.** Add `deliverable:` and `success:`, and list the supplier's contributions
    (`voltworks: [engineering, controller firmware]`).
    """
    if deal.scope is None:
        yield Finding("", "there is no scope memo", "add a `scope:` section")
        return
    scope = deal.scope
    for key in ("problem", "deliverable", "success"):
        if not (getattr(scope, key) or "").strip():
            yield Finding("/scope", f"the scope memo has no {key}", f"add `{key}:` to `scope`")
    for party in deal.parties:
        if not scope.contributions.get(party.id):
            yield Finding(
                "/scope/contributions" if scope.contributions else "/scope",
                f"the scope memo lists no contribution of {party.id}",
                f"add `{party.id}: [...]` under `scope.contributions`",
            )


@rule(
    "S102",
    "problem-too-broad",
    Severity.WARNING,
    "the problem statement is too broad to fund",
    hint="name the constraint, the thing to build and a number (lead time, rate, hours)",
)
def problem_too_broad(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The scope's `problem` is at least eight words and, when it uses generic
    words ("better", "improve", "quality", "innovation"…), also says something measurable.

    **Why.** "We need a better vendor" cannot be funded or tested; "a heat-resistant connector
    with a six-week lead time" can. The more concrete the constraint, the easier the case.

    **Example.**

        scope: {problem: Improve quality with a better vendor}

    **Use instead.** `problem: Sensor housings crack above 85 °C and the only supplier quotes
    a 14-week lead time.`
    """
    if deal.scope is None or not deal.scope.problem:
        return
    text = deal.scope.problem
    words = len(text.split())
    if words < _MIN_WORDS:
        yield Finding("/scope/problem", f"the problem statement has only {words} words")
    elif _GENERIC.search(text) and not _MEASURABLE.search(text):
        word = _GENERIC.search(text)
        yield Finding(
            "/scope/problem",
            f"the problem statement is generic ('{word.group(0) if word else ''}') "
            "and says nothing measurable",
        )


@rule(
    "S103",
    "no-quantified-upside",
    Severity.WARNING,
    "no quantified upside",
    hint="add `business-case.flows` with amounts per party (avoided cost, new sales)",
)
def no_quantified_upside(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `business-case` with at least one flow of a non-zero amount.

    **Why.** A supplier takes a co-investment seriously when the buyer can show the numbers:
    higher sales, fewer stockouts, avoided downtime. Without them nobody can say whether the
    deal pays back, and `copact simulate` has no upside to weigh against the cost.

    **Example.**

        business-case: {horizon-months: 60}

    **Use instead.**

        business-case:
          flows:
            - {party: acme, label: avoided downtime, amount: 6000, every: month,
               from: 2027-01-01}
    """
    case = deal.business_case
    if case is None:
        yield Finding("", "there is no business case")
    elif not any(flow.amount != 0 for flow in case.flows):
        yield Finding("/business-case", "the business case has no flow with an amount")


@rule(
    "S104",
    "no-internal-owner",
    Severity.ERROR,
    "no internal owner",
    hint="give a person of the buyer the duty `owner`",
)
def no_internal_owner(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** At least one person of a buyer party has the duty `owner`.

    **Why.** A co-investment run by nobody in particular is run by email. The buyer needs one
    person answerable for milestones, approvals and the decision log.

    **Example.**

        people: [{id: raj, party: acme, name: Raj Patel, duties: [invoice-approval]}]

    **Use instead.** `{id: ana, party: acme, name: Ana Ortiz, duties: [owner]}`.
    """
    buyers = {p.id for p in deal.buyers}
    if not any(p.party in buyers and "owner" in p.duties for p in deal.people):
        yield Finding("/people" if deal.people else "", "no person of the buyer has duty `owner`")


@rule(
    "S105",
    "duty-without-person",
    Severity.WARNING,
    "a duty without a person",
    hint="name a person for vendor-contact, technical-acceptance and invoice-approval",
)
def duty_without_person(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Someone holds each of the duties `vendor-contact` (a supplier person),
    `technical-acceptance` and `invoice-approval` (buyer persons).

    **Why.** Milestones are accepted, invoices approved and questions answered by people; a
    duty nobody holds is where a deemed acceptance or a late payment comes from.

    **Example.**

        people: [{id: ana, party: acme, name: Ana Ortiz, duties: [owner]}]

    **Use instead.** Add `technical-acceptance` and `invoice-approval` to buyer people and
    `vendor-contact` to a supplier person.
    """
    for duty in ("vendor-contact", "technical-acceptance", "invoice-approval"):
        if not deal.people_with_duty(duty):
            yield Finding("/people" if deal.people else "", f"nobody has the duty `{duty}`")


@rule(
    "S106",
    "too-complex",
    Severity.WARNING,
    "too complex to explain in two minutes",
    hint="keep to three mechanisms and ten milestones; split the rest into a later deal",
)
def too_complex(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The deal uses at most three payment mechanisms and at most ten
    milestones.

    **Why.** If the finance team cannot have the deal explained in two minutes, it is too
    complicated for a small business to manage safely: every mechanism is another invoice
    stream, another true-up and another way to disagree.

    **Example.** A deal with `prepaid`, `milestones`, `cost-plus`, `sla` and `gainshare`.

    **Use instead.** Pick the mechanisms that carry the risk that matters (e.g. milestones and
    an SLA) and leave the others to a follow-on deal.
    """
    mechanisms = deal.mechanisms
    if len(mechanisms) > 3:
        yield Finding("", f"{len(mechanisms)} mechanisms ({', '.join(mechanisms)}); at most 3")
    if len(deal.milestones) > 10:
        yield Finding("/milestones", f"{len(deal.milestones)} milestones; at most 10")
