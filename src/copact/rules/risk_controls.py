"""R501–R506: confidentiality, audit, liability, insurance, the risk register and a reserve."""

from __future__ import annotations

import re
from collections.abc import Iterator

from copact.core.deal import Deal
from copact.core.diagnostic import Severity
from copact.rules.registry import Finding, rule

_CARVE_OUTS = {
    "fraud": re.compile(r"fraud", re.I),
    "confidentiality breach": re.compile(r"confidential", re.I),
    "wilful misconduct": re.compile(r"(wil+ful|intentional|deliberate)[- ]+misconduct", re.I),
}


@rule(
    "R501",
    "confidentiality-without-controls",
    Severity.WARNING,
    "confidentiality without need-to-know and access logs",
    hint="set `risk-controls.confidentiality: {need-to-know: true, access-log: true}`",
)
def confidentiality_without_controls(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `risk-controls.confidentiality` has `need-to-know: true` and
    `access-log: true`.

    **Why.** Joint development shares technical, pricing and customer data. Who may see what,
    and a log of who did, is what makes a confidentiality clause enforceable.

    **Example.**

        risk-controls: {audit-rights: true}

    **Use instead.** `confidentiality: {need-to-know: true, access-log: true,
    return-or-destroy: true}`.
    """
    rc = deal.risk_controls
    conf = rc.confidentiality if rc else None
    if conf is None:
        yield Finding("/risk-controls" if rc else "", "no confidentiality controls")
        return
    missing = [
        k
        for k, v in (("need-to-know", conf.need_to_know), ("access-log", conf.access_log))
        if not v
    ]
    if missing:
        yield Finding(
            "/risk-controls/confidentiality", f"confidentiality without {' and '.join(missing)}"
        )


@rule(
    "R502",
    "no-audit-rights",
    Severity.WARNING,
    "no audit rights",
    hint="set `risk-controls.audit-rights: true`",
)
def no_audit_rights(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `risk-controls.audit-rights: true`.

    **Why.** The right to inspect process controls, certifications, test reports and
    subcontractors is what catches a supplier quietly changing materials or methods.

    **Example.**

        risk-controls: {confidentiality: {...}}

    **Use instead.** `audit-rights: true`.
    """
    rc = deal.risk_controls
    if rc is None or not rc.audit_rights:
        yield Finding("/risk-controls" if rc else "", "no audit rights")


@rule(
    "R503",
    "liability-cap-without-carve-outs",
    Severity.ERROR,
    "liability capped without carve-outs for fraud, confidentiality breach and wilful misconduct",
    hint="add `carve-outs: [fraud, confidentiality-breach, wilful-misconduct]`",
)
def liability_cap_without_carve_outs(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A liability `cap` comes with carve-outs for fraud, breach of
    confidentiality and wilful (intentional) misconduct.

    **Why.** A reasonable cap is fair for ordinary failures; it must not cap the damage of a
    partner who cheats, leaks or acts in bad faith on purpose.

    **Example.**

        liability: {cap: 12 months of fees}

    **Use instead.** `liability: {cap: 12 months of fees, carve-outs: [fraud,
    confidentiality-breach, wilful-misconduct]}`.
    """
    rc = deal.risk_controls
    liability = rc.liability if rc else None
    if liability is None or liability.cap is None:
        return
    text = " ".join(liability.carve_outs)
    missing = [name for name, pattern in _CARVE_OUTS.items() if not pattern.search(text)]
    if missing:
        yield Finding(
            "/risk-controls/liability",
            f"the liability cap has no carve-out for {', '.join(missing)}",
        )


@rule(
    "R504",
    "no-insurance",
    Severity.INFO,
    "no insurance or indemnity named",
    hint="name the insurance (`insurance: [product liability 2M]`) or indemnities",
)
def no_insurance(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `risk-controls` names an insurance or an indemnity.

    **Why.** If a co-funded product fails and causes a customer loss, someone pays; an
    insurance policy or an indemnity says who, before it happens.

    **Example.**

        risk-controls: {audit-rights: true}

    **Use instead.** `insurance: [product liability 2M]`.
    """
    rc = deal.risk_controls
    if rc is None or not (rc.insurance or rc.indemnity):
        yield Finding("/risk-controls" if rc else "", "no insurance or indemnity named")


@rule(
    "R505",
    "no-risk-register",
    Severity.INFO,
    "no risk register",
    hint="list the main risks with an owner and a mitigation under `risks`",
)
def no_risk_register(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The deal lists its `risks`, each with likelihood, impact, an owner
    and a mitigation.

    **Why.** A shared register of what could go wrong, reviewed at each steering meeting, is
    how a partnership sees a late battery shipment before it becomes a missed milestone.

    **Example.** A deal with no `risks:` section.

    **Use instead.** `risks: [{id: battery-lead-time, risk: cells ship late, likelihood:
    medium, impact: high, owner: sam, mitigation: pre-order at design approval}]`.
    """
    if not deal.risks:
        yield Finding("", "no risk register")


@rule(
    "R506",
    "no-reserve",
    Severity.INFO,
    "no contingency reserve",
    hint="set `risk-controls.reserve`, e.g. 5% of value",
)
def no_reserve(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `risk-controls.reserve` sets a contingency buffer as a share of value.

    **Why.** Development overruns; a reserve agreed up front is spent by decision instead of
    being found by argument.

    **Example.** `risk-controls` without `reserve`.

    **Use instead.** `reserve: 5%`.
    """
    rc = deal.risk_controls
    if rc is None or rc.reserve is None:
        yield Finding("/risk-controls" if rc else "", "no contingency reserve")
