"""M201–M209: milestones that release money only against evidence anyone can verify."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from copact.core.deal import Deal, Milestone
from copact.core.diagnostic import Severity
from copact.rules.registry import Finding, rule

# Phrases that leave "done" to someone's opinion. Each pattern tolerates word forms, hyphens
# and filler words between its parts ("to the reasonable satisfaction of", "satisfactorily").
_SUBJECTIVE = [
    r"(to\s+(the|its|our|their)\s+)?((reasonable|full|sole|complete|entire)\s+)?"
    r"satisf(y|ie[sd]|ying|actor(y|ily)|action)(\s+of)?",
    r"progress(\s+\w+){0,2}\s+(made|achieved|shown|demonstrated)",
    r"(make|making|made|show|showing|shown|demonstrat\w*)\s+(\w+\s+){0,2}progress",
    r"ongoing\s+(\w+\s+)?(collaboration|cooperation|engagement|support|effort)",
    r"(best|reasonable|commercially\s+reasonable|good[- ]faith|all\s+reasonable)\s+"
    r"(endeavou?rs?|efforts?)",
    r"substantial(ly)?[- ]+complet\w*",
    r"as\s+(needed|required|appropriate|necessary|reasonable)",
    r"acceptable\s+to",
    r"to\s+be\s+(agreed|determined|confirmed)",
    r"good\s+faith",
    r"(in\s+a\s+)?timely(\s+manner)?",
    r"high[- ]quality",
    r"(works?|working|runs?|running)\s+(well|properly|smoothly|as\s+expected)",
    r"(meets?|meeting|exceeds?)\s+(\w+\s+)?expectations",
    r"sufficient(ly)?",
    r"adequate(ly)?",
    r"appropriate(ly)?",
    r"reasonabl[ey]",
    r"(fit|suitable)\s+for\s+purpose",
    r"user[- ]friendly",
    r"industry[- ]standard",
    r"state[- ]of[- ]the[- ]art",
    r"(sign(ed)?[- ]off|approved)\s+at\s+(the\s+)?discretion",
    r"discretion",
    r"to\s+(our|the\s+buyer'?s?|the\s+customer'?s?)\s+liking",
    r"(look|feel)s?\s+(good|right)",
    r"significant(ly)?\s+(progress|improvement)",
    r"improved?\s+(performance|quality)",
]
_SUBJECTIVE_RE = re.compile(r"\b(" + "|".join(f"(?:{p})" for p in _SUBJECTIVE) + r")\b", re.I)

_UNVERIFIABLE = {
    "verbal-update",
    "verbal",
    "verbal-report",
    "oral-report",
    "meeting",
    "meeting-notes",
    "status-meeting",
    "status-call",
    "phone-call",
    "call",
    "email-confirmation",
    "email",
    "handshake",
    "self-assessment",
    "self-certification",
}
_PREPAY_LIMIT = Decimal("0.30")


def subjective_phrase(text: str) -> str | None:
    """The first subjective phrase in an acceptance criterion, or None when it is objective."""
    match = _SUBJECTIVE_RE.search(text)
    return match.group(0) if match else None


def _share_of_value(deal: Deal, milestone: Milestone) -> Decimal | None:
    if milestone.payment is not None:
        return milestone.payment.fraction
    if milestone.amount is not None and deal.value:
        return milestone.amount / deal.value
    return None


@rule(
    "M201",
    "payments-do-not-add-up",
    Severity.ERROR,
    "milestone payments do not add up to 100% of value",
    hint="make the milestone percentages add up to 100% (or the amounts to `value`)",
)
def payments_do_not_add_up(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The milestones' `payment` percentages add up to exactly 100% of
    `value`, or their `amount`s to `value`; a deal with percentage milestones has a `value`.

    **Why.** When the milestones pay 95% of the price, nobody knows when the last 5% is due;
    at 105% someone is paid twice. Each invoice is computed from these numbers.

    **Example.**

        value: 420000
        milestones:
          - {id: design-approval, payment: 20%}
          - {id: delivery, payment: 70%}

    **Use instead.** Add the missing 10% to a milestone with its own evidence, e.g.
    `{id: stable-90-days, payment: 10%}`.

    A `cost-plus` deal may instead have milestones that all pay 0%: its verified costs and
    markup are the price, invoiced month by month up to the cap, and its milestones are the
    stages the buyer accepts on evidence. Milestones paying a share of value on top of the
    costs bill the work twice, so they add up to 100% only where that is the deal.
    """
    if not deal.milestones:
        return
    if deal.value is None:
        if any(m.payment is not None for m in deal.milestones):
            yield Finding("/milestones", "milestones are percentages of value, but no `value`")
        return
    total = Decimal(0)
    for m in deal.milestones:
        share = _share_of_value(deal, m)
        total += share if share is not None else Decimal(0)
    if total != 1 and not (total == 0 and deal.cost_plus is not None):
        points = (total * 100).normalize()
        yield Finding("/milestones", f"milestone payments add up to {points:f}% of value, not 100%")


@rule(
    "M202",
    "subjective-criterion",
    Severity.ERROR,
    "an acceptance criterion is subjective",
    hint="state what is measured and the threshold, e.g. 'passes 1,000 cycles at 180 °C'",
)
def subjective_criterion(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** No acceptance criterion leaves "done" to an opinion: satisfaction in
    any form ("to the reasonable satisfaction of", "satisfactory progress"), effort instead of
    result ("best efforts", "commercially reasonable efforts"), "progress made", "ongoing
    collaboration", "substantially complete", "as needed", "in a timely manner", "high
    quality", "meets expectations", "sufficient", "adequate" and their relatives.

    **Why.** A milestone releases money. If its test is someone's satisfaction, every
    acceptance is a negotiation and every rejection a dispute; if someone who was not in the
    room cannot verify it, it is too subjective to release funds.

    **Example.**

        criteria: [Prototype delivered to the reasonable satisfaction of the buyer]

    **Use instead.** `criteria: [Prototype survives 1,000 thermal cycles from -20 °C to
    180 °C with no crack, per the attached test plan]`.
    """
    for i, m in enumerate(deal.milestones):
        if m.acceptance is None:
            continue
        for j, criterion in enumerate(m.acceptance.criteria):
            phrase = subjective_phrase(criterion)
            if phrase:
                yield Finding(
                    f"/milestones/{i}/acceptance/criteria/{j}",
                    f"milestone {m.id}: subjective criterion ('{phrase}')",
                )


@rule(
    "M203",
    "no-evidence",
    Severity.ERROR,
    "a milestone names no evidence",
    hint="list the evidence that proves it: test-report, signed-acceptance, delivery-receipt…",
)
def no_evidence(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every milestone's `acceptance.evidence` lists at least one kind of
    evidence.

    **Why.** Finance teams need auditability: a milestone is paid against files that are
    archived with their hashes (test logs, photos, delivery receipts, signed certificates),
    not against a recollection.

    **Example.**

        acceptance: {criteria: [Generator delivered], signoff: ana}

    **Use instead.** `evidence: [delivery-receipt, photo]`.
    """
    for i, m in enumerate(deal.milestones):
        if m.acceptance is None:
            yield Finding(f"/milestones/{i}", f"milestone {m.id} has no acceptance terms")
        elif not m.acceptance.evidence:
            yield Finding(f"/milestones/{i}/acceptance", f"milestone {m.id} names no evidence")


@rule(
    "M204",
    "unverifiable-evidence",
    Severity.ERROR,
    "evidence that someone who was not in the room cannot verify",
    hint="replace it with a document: minutes signed by both sides, a test log, a receipt",
)
def unverifiable_evidence(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** No evidence kind is a conversation: `verbal-update`, `meeting`,
    `status-call`, `phone-call`, `email-confirmation`, `self-assessment` and the like.

    **Why.** The test of good evidence is whether someone who was not in the room can verify
    it later: an auditor, a new finance lead, an arbitrator. A meeting leaves nothing to check.

    **Example.**

        evidence: [verbal-update]

    **Use instead.** `evidence: [signed-acceptance, test-report]`.
    """
    for i, m in enumerate(deal.milestones):
        if m.acceptance is None:
            continue
        for j, kind in enumerate(m.acceptance.evidence):
            if kind in _UNVERIFIABLE:
                yield Finding(
                    f"/milestones/{i}/acceptance/evidence/{j}",
                    f"milestone {m.id}: '{kind}' cannot be verified by someone not in the room",
                )


@rule(
    "M205",
    "signoff-not-payer",
    Severity.ERROR,
    "sign-off missing, or not a person of the paying party",
    hint="name a person of the buyer (duty technical-acceptance) as `signoff`",
)
def signoff_not_payer(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every milestone names a `signoff` person, and that person belongs to
    a buyer party (the party that pays). An id that names nobody is reported by E003.

    **Why.** Whoever pays decides whether the deliverable is accepted. A supplier signing off
    its own milestone marks its own homework, and the money moves on it.

    **Example.**

        people: [{id: sam, party: voltworks, name: Sam Lee}]
        milestones: [{id: install, acceptance: {signoff: sam}}]

    **Use instead.** `signoff: ana`, a person of the buyer.
    """
    for i, m in enumerate(deal.milestones):
        if m.acceptance is None or m.acceptance.signoff is None:
            where = f"/milestones/{i}/acceptance" if m.acceptance else f"/milestones/{i}"
            yield Finding(where, f"milestone {m.id} has no sign-off person")
            continue
        person = deal.person(m.acceptance.signoff)
        if person is None:
            continue
        if deal.role_of_person(person.id) != "buyer":
            yield Finding(
                f"/milestones/{i}/acceptance/signoff",
                f"milestone {m.id} is signed off by {person.id} of {person.party}, "
                "not by the paying party",
            )


@rule(
    "M206",
    "no-review-rule",
    Severity.WARNING,
    "no review period, or no rule for silence",
    hint="set `review-days` and either `deemed-accepted: true` or `escalate-to`",
)
def no_review_rule(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every milestone has `review-days` and a rule for what happens when
    nobody answers in time: `deemed-accepted: true` or `escalate-to` a person.

    **Why.** A submission that nobody reviews leaves the supplier unpaid and the buyer
    exposed. Review periods in business days, with deemed acceptance on silence, keep both
    sides moving.

    **Example.**

        acceptance: {criteria: [...], evidence: [test-report], signoff: ana}

    **Use instead.** Add `review-days: 10` and `deemed-accepted: true`.
    """
    for i, m in enumerate(deal.milestones):
        acc = m.acceptance
        if acc is None:
            continue
        where = f"/milestones/{i}/acceptance"
        if acc.review_days is None:
            yield Finding(where, f"milestone {m.id} has no review period (`review-days`)")
        if not acc.deemed_accepted and acc.escalate_to is None:
            yield Finding(where, f"milestone {m.id} says nothing about a review nobody answers")


@rule(
    "M207",
    "no-cure-or-exit",
    Severity.WARNING,
    "no cure period and no exit trigger for a missed milestone",
    hint="add `cure-days` to the milestone or `exit.triggers.missed-milestone`",
)
def no_cure_or_exit(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A milestone without `cure-days` in a deal without a missed-milestone
    exit trigger.

    **Why.** A rejection should lead somewhere: either the supplier gets a stated time to
    fix and resubmit, or the buyer can leave. Without either, a missed milestone stalls the
    deal with money already paid.

    **Example.**

        milestones: [{id: pilot, payment: 30%}]     # no cure-days, no exit terms

    **Use instead.** `cure-days: 15`, and
    `exit: {triggers: {missed-milestone: {after-cure: true}}}`.
    """
    has_exit = bool(deal.exit and deal.exit.triggers and deal.exit.triggers.missed_milestone)
    if has_exit:
        return
    for i, m in enumerate(deal.milestones):
        if m.cure_days is None:
            yield Finding(f"/milestones/{i}", f"milestone {m.id} has no cure period and no exit")


@rule(
    "M208",
    "front-loaded-payment",
    Severity.WARNING,
    "more than 30% of value payable before any deliverable is accepted, without refund rights",
    hint="lower the prepayment or add refund rights for unused funds",
)
def front_loaded_payment(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Money paid before anything is accepted (`prepaid`, and a
    `convertible` support paid up front) stays at or below 30% of value, unless the deal
    gives refund rights (`prepaid.refund-rights`, or `exit.prepaid-refund.unused: true`).

    **Why.** A prepaid development fee suits a small, well-defined prototype; above that, a
    supplier that under-delivers keeps the money. Refund rights tied to deliverables are the
    control.

    **Example.**

        value: 100000
        prepaid: {amount: 50000, due: 2026-06-01}

    **Use instead.** `prepaid: {amount: 20000, refund-rights: deliverable-based}` or
    `exit: {prepaid-refund: {unused: true, deduction-cap: 10%}}`.
    """
    upfront = Decimal(0)
    if deal.prepaid:
        upfront += deal.prepaid.amount
    if deal.convertible:
        upfront += deal.convertible.amount
    if not upfront or not deal.value:
        return
    refundable = bool(
        (deal.prepaid and deal.prepaid.refund_rights in ("deliverable-based", "unused-funds"))
        or (deal.exit and deal.exit.prepaid_refund and deal.exit.prepaid_refund.unused)
    )
    share = upfront / deal.value
    if share > _PREPAY_LIMIT and not refundable:
        where = "/prepaid" if deal.prepaid else "/convertible"
        points = (share * 100).quantize(Decimal("0.1"))
        yield Finding(where, f"{points}% of value is paid before any acceptance, with no refund")


@rule(
    "M209",
    "due-dates-out-of-order",
    Severity.ERROR,
    "due dates out of order, or outside the scope timeline",
    hint="order milestones by due date, inside scope.timeline",
)
def due_dates_out_of_order(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Milestone due dates rise in the order the milestones are listed,
    and fall inside `scope.timeline` (from its start to its end).

    **Why.** A commissioning milestone due before the delivery it depends on, or a payment
    due after the project ended, is a typo that becomes a dispute about when money was due.

    **Example.**

        timeline: {start: 2026-06-01, end: 2027-06-30}
        milestones:
          - {id: delivery, due: 2026-10-01}
          - {id: installation, due: 2026-09-01}

    **Use instead.** Put installation after delivery (`due: 2026-12-01`).
    """
    timeline = deal.scope.timeline if deal.scope else None
    previous = None
    for i, m in enumerate(deal.milestones):
        if m.due is None:
            continue
        where = f"/milestones/{i}/due"
        if previous is not None and m.due < previous[1]:
            yield Finding(where, f"milestone {m.id} is due {m.due}, before {previous[0]}")
        elif timeline and not timeline.start <= m.due <= timeline.end:
            yield Finding(
                where,
                f"milestone {m.id} is due {m.due}, outside the timeline "
                f"{timeline.start} to {timeline.end}",
            )
        previous = (m.id, m.due)
