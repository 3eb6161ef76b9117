"""G701–G707: change control, cadence, escalation and a balance of power between the sides."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from copact.core.deal import Deal
from copact.core.diagnostic import Severity
from copact.rules.registry import Finding, rule


def _sides(deal: Deal, people: list[str]) -> set[str]:
    """The roles (buyer, supplier…) of the given people that the deal knows."""
    return {role for p in people if (role := deal.role_of_person(p)) is not None}


def _phase_shares(deal: Deal) -> dict[str, Decimal]:
    shares: dict[str, Decimal] = {}
    for m in deal.milestones:
        if m.phase is None:
            continue
        if m.payment is not None:
            share = m.payment.fraction
        elif m.amount is not None and deal.value:
            share = m.amount / deal.value
        else:
            continue
        shares[m.phase] = shares.get(m.phase, Decimal(0)) + share
    return shares


@rule(
    "G701",
    "no-change-control",
    Severity.WARNING,
    "no change-control threshold and approvers from both sides",
    hint="set `change-control: {threshold: 5000, approvers: [BUYER-PERSON, SUPPLIER-PERSON]}`",
)
def no_change_control(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `change-control` has a `threshold` and `approvers` from the buyer
    and from a supplier.

    **Why.** Scope changes are where budgets leak. Above a threshold, a change order needs
    the named approvers of both sides; below it, the teams can move on.

    **Example.**

        change-control: {approvers: [ana]}

    **Use instead.** `change-control: {threshold: 5000, approvers: [ana, sam]}`.
    """
    cc = deal.change_control
    if cc is None:
        yield Finding("", "no change control")
        return
    if cc.threshold is None:
        yield Finding("/change-control", "change control has no threshold")
    sides = _sides(deal, cc.approvers)
    if not {"buyer", "supplier"} <= sides:
        yield Finding("/change-control", "change orders are not approved by both sides")


@rule(
    "G702",
    "no-cadence",
    Severity.WARNING,
    "no review cadence",
    hint="set `governance.cadence`, e.g. monthly",
)
def no_cadence(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `governance.cadence` sets how often the steering group meets.

    **Why.** A project run by email drifts; a monthly review of milestones, blockers,
    approvals and the decision log keeps it a project rather than a promise.

    **Example.** `governance: {steering: [ana, sam]}`.

    **Use instead.** `cadence: monthly`.
    """
    gov = deal.governance
    if gov is None or gov.cadence is None:
        yield Finding("/governance" if gov else "", "no review cadence")


@rule(
    "G703",
    "no-dispute-path",
    Severity.WARNING,
    "no dispute resolution or escalation path",
    hint="set `governance.escalation` and `governance.disputes`",
)
def no_dispute_path(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `governance` names an `escalation` path or a `disputes` procedure.

    **Why.** Disagreements will come; an agreed path (project leads, executives, mediation,
    arbitration) settles them before they reach a court.

    **Example.** `governance: {cadence: monthly}`.

    **Use instead.** `escalation: [project leads, executives, mediation]` and
    `disputes: mediation then arbitration`.
    """
    gov = deal.governance
    if gov is None or not (gov.escalation or gov.disputes):
        yield Finding("/governance" if gov else "", "no escalation or dispute resolution")


@rule(
    "G704",
    "one-sided-steering",
    Severity.WARNING,
    "steering or veto from one side only (power imbalance)",
    hint="put a person of each side in `steering` (and `veto`, if there is one)",
)
def one_sided_steering(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The steering group, and the veto if there is one, has people of the
    buyer and of a supplier.

    **Why.** When one partner decides alone, the other stops investing; a power imbalance is
    one of the ways supplier partnerships fail.

    **Example.** `governance: {steering: [ana], veto: [ana]}` where ana is the buyer's.

    **Use instead.** `steering: [ana, sam], veto: [ana, sam]`.
    """
    gov = deal.governance
    if gov is None:
        return
    if not {"buyer", "supplier"} <= _sides(deal, gov.steering):
        where = "/governance/steering" if gov.steering else "/governance"
        yield Finding(where, "the steering group is not drawn from both sides")
    if gov.veto and not {"buyer", "supplier"} <= _sides(deal, gov.veto):
        yield Finding("/governance/veto", "only one side holds a veto")


@rule(
    "G705",
    "large-commitment-without-gate",
    Severity.INFO,
    "a large commitment with no pilot phase or gate before it",
    hint="put a gated (or `pilot: true`) phase before the phase that carries the money",
)
def large_commitment_without_gate(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A phase whose milestones carry more than half of value has an
    earlier phase with a gate or marked `pilot: true`.

    **Why.** Skipping the pilot is a frequent execution mistake: a small, gated first phase
    tests the collaboration before most of the money is committed.

    **Example.** The first phase, `build`, carries 80% of value.

    **Use instead.** A `design` phase with `gate: {deciders: [ana, sam]}` before `build`.
    """
    shares = _phase_shares(deal)
    for i, phase in enumerate(deal.phases):
        if shares.get(phase.id, Decimal(0)) <= Decimal("0.5"):
            continue
        earlier = deal.phases[:i]
        if not any(p.gate is not None or p.pilot for p in earlier):
            points = (shares[phase.id] * 100).normalize()
            yield Finding(
                f"/phases/{i}",
                f"phase {phase.id} carries {points:f}% of value with no gate or pilot before it",
            )


@rule(
    "G706",
    "no-renegotiation-window",
    Severity.INFO,
    "no renegotiation window tied to performance",
    hint="add `governance.renegotiation: [{when: ...}]`",
)
def no_renegotiation_window(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `governance.renegotiation` names when the terms are reopened, tied
    to performance.

    **Why.** Partnerships outlive their assumptions. A stated trigger ("availability below
    99.5% for three months") reopens the terms without either side losing face.

    **Example.** `governance` without `renegotiation`.

    **Use instead.** `renegotiation: [{when: availability below 99.5% for 3 consecutive
    months}]`.
    """
    gov = deal.governance
    if gov is None or not gov.renegotiation:
        yield Finding("/governance" if gov else "", "no renegotiation window")


@rule(
    "G707",
    "gate-without-deciders",
    Severity.ERROR,
    "a gate with no deciders",
    hint="name the people who decide the gate: `gate: {deciders: [ana, sam]}`",
)
def gate_without_deciders(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** Every phase `gate` names its `deciders`.

    **Why.** A gate is a decision (proceed, adjust or pause). Without named deciders nobody
    can take it, and the project rolls on by default.

    **Example.** `{id: build, gate: {}}`.

    **Use instead.** `{id: build, gate: {deciders: [ana, sam]}}`.
    """
    for i, phase in enumerate(deal.phases):
        if phase.gate is not None and not phase.gate.deciders:
            yield Finding(f"/phases/{i}/gate", f"the gate of phase {phase.id} has no deciders")
