"""The obligations of a deal, one per row of the contract matrix: what is owed, by which
parties to which, when, and what evidence proves it was done.

From each milestone: its deliverable (owed by the payee to the buyer by its due date, with its
evidence and sign-off), its review (owed by the sign-off's party within the review days) and its
cure; from the schedule: each payment (owed by the payer to the payee); from the scope: each
party's contributions; then the SLA's reports, fees and credits, gainshare, volumes, cost-plus,
bonuses and revenue share; the licence-back and exclusivity; the steering cadence, change
control and gates; confidentiality, audit, insurance and risk owners; and the exit's notice,
refund, handovers and the return or destruction of confidential data.
"""

from __future__ import annotations

from dataclasses import dataclass

from copact.core.deal import Deal
from copact.core.invoicing import buyer_of, payee_of
from copact.core.schedule import planned_schedule
from copact.documents.layout import Cell
from copact.documents.wording import NOT_NAMED, Words, credit_text, day_text, money_text
from copact.errors import RefusedCommand

__all__ = ["Obligation", "obligations"]


@dataclass(frozen=True, slots=True)
class Obligation:
    """One row of the contract matrix: what is owed, by which parties to which, when, and what
    evidence proves it was done. ``by`` and ``to`` are party ids."""

    group: str
    ref: str  # the milestone, mechanism or clause the row comes from
    duty: Cell
    by: tuple[str, ...]
    to: tuple[str, ...]
    when: str
    evidence: str


def _contribution_duties(deal: Deal, w: Words) -> list[Obligation]:
    if deal.scope is None:
        return []
    t = deal.scope.timeline
    when = f"{t.start} to {t.end}" if t else "during the project"
    return [
        Obligation(
            "Contributions",
            party,
            ("Contribute to the project", *items),
            (party,),
            w.others([party]),
            when,
            NOT_NAMED,
        )
        for party, items in deal.scope.contributions.items()
        if items
    ]


def _milestone_duties(deal: Deal, w: Words) -> list[Obligation]:
    found: list[Obligation] = []
    try:
        payer: str | None = buyer_of(deal)
    except RefusedCommand:
        payer = None
    buyers = (payer,) if payer else tuple(p.id for p in deal.buyers)
    for m in deal.milestones:
        try:
            supplier: tuple[str, ...] = (payee_of(deal, m),)
        except RefusedCommand:
            supplier = tuple(p.id for p in deal.suppliers)
        a = m.acceptance
        evidence = ", ".join(a.evidence) if a and a.evidence else "none named"
        if a and a.signoff:
            evidence += f"; signed off by {w.person(a.signoff)}"
        duty: Cell = (
            f"Complete {m.id}" + (f": {m.description}" if m.description else ""),
            *(a.criteria if a else ()),
        )
        found.append(
            Obligation("Deliverables", m.id, duty, supplier, buyers, day_text(m.due), evidence)
        )
        if a is not None:
            reviewer = (w.party_of(a.signoff),) if a.signoff else buyers
            days = (
                f"{a.review_days} business days after each submission"
                if a.review_days is not None
                else "no review period set"
            )
            silence = (
                "; silence is deemed acceptance"
                if a.deemed_accepted
                else f"; silence goes to {w.person(a.escalate_to)}"
                if a.escalate_to
                else ""
            )
            signer = w.person(a.signoff) if a.signoff else "the buyer"
            found.append(
                Obligation(
                    "Acceptance",
                    m.id,
                    f"Accept {m.id}, or reject it with reasons",
                    reviewer,
                    supplier,
                    days,
                    f"a decision signed by {signer}{silence}",
                )
            )
        if m.cure_days is not None:
            found.append(
                Obligation(
                    "Acceptance",
                    m.id,
                    f"Cure a rejected {m.id} and resubmit it",
                    supplier,
                    buyers,
                    f"{m.cure_days} days after a rejection",
                    "a resubmission with the evidence above",
                )
            )
    return found


def _funded_by(deal: Deal, w: Words, milestone_id: str) -> str:
    """Who carries a milestone the buyer is invoiced nothing for: its phase's funders."""
    milestone = next(m for m in deal.milestones if m.id == milestone_id)
    entry = next((f for f in deal.funding if f.phase == milestone.phase), None)
    if entry is None or milestone.phase is None:
        return "no share of its value is the buyer's"
    funders = ", ".join(f"{w.party(p)} {share}" for p, share in entry.shares.items())
    return f"the {milestone.phase} phase is funded {funders}"


def _payment_duties(deal: Deal, w: Words) -> list[Obligation]:
    try:
        lines = planned_schedule(deal)
    except RefusedCommand:
        return []
    found: list[Obligation] = []
    for line in lines:
        if line.kind == "prepaid":
            found.append(
                Obligation(
                    "Payments",
                    "prepaid",
                    f"Pay the prepaid advance: {money_text(line.gross)}",
                    (line.payer,),
                    (line.payee,),
                    day_text(line.date),
                    "the payment reference; the advance settles the first invoices",
                )
            )
            continue
        pay = (
            f"Pay for {line.ref}: {money_text(line.gross)}"
            if not line.gross.is_zero
            else f"Pay for {line.ref}: nothing ({_funded_by(deal, w, line.ref)})"
        )
        duty: Cell = pay
        if not line.from_advance.is_zero:
            duty = (
                pay,
                f"{money_text(line.from_advance)} from the advance, "
                f"{money_text(line.cash)} in cash",
            )
        found.append(
            Obligation(
                "Payments",
                line.ref,
                duty,
                (line.payer,),
                (line.payee,),
                f"{deal.payment_terms} days after the invoice; planned {day_text(line.date)}",
                f"the invoice of the accepted {line.ref} and the payment reference",
            )
        )
    return found


def _recurring_duties(deal: Deal, w: Words) -> list[Obligation]:
    found: list[Obligation] = []
    buyers = tuple(p.id for p in deal.buyers[:1])
    suppliers = tuple(p.id for p in deal.suppliers)
    s = deal.sla
    if s is not None:
        start = f"each {s.period}" + (f" from {s.from_}" if s.from_ else "")
        sources = ", ".join(dict.fromkeys(m.source for m in s.metrics if m.source)) or NOT_NAMED
        if s.metrics:
            targets = tuple(
                f"{m.id}: target {m.target}" if m.target is not None else m.id for m in s.metrics
            )
            found.append(
                Obligation(
                    "Service levels",
                    "sla",
                    ("Report the service levels", *targets),
                    suppliers,
                    buyers,
                    start,
                    f"the {s.period}'s SLA report from {sources}",
                )
            )
        if s.fee is not None:
            cap = f", credits capped at {s.credit_cap}" if s.credit_cap else ""
            found.append(
                Obligation(
                    "Service levels",
                    "sla",
                    f"Pay the service fee: {w.fee(s.fee)}, less credits{cap}",
                    buyers,
                    suppliers,
                    start,
                    f"the invoice with the {s.period}'s SLA settlement",
                )
            )
        credits = tuple(f"{m.id} {credit_text(c)}" for m in s.metrics for c in m.credits)
        if credits:
            found.append(
                Obligation(
                    "Service levels",
                    "sla",
                    ("Credit the fee when a target is missed", *credits),
                    suppliers,
                    buyers,
                    start,
                    f"the {s.period}'s SLA settlement",
                )
            )
    g = deal.gainshare
    if g is not None:
        start = "each month" + (f" from {g.from_}" if g.from_ else "")
        locked = g.baseline.locked if g.baseline else None
        evidence = (
            f"the savings against the baseline locked {locked}"
            if locked
            else ("the savings against the baseline")
        )
        if g.base_fee is not None:
            found.append(
                Obligation(
                    "Service levels",
                    "gainshare",
                    f"Pay the gainshare base fee: {w.fee(g.base_fee)}",
                    buyers,
                    suppliers,
                    start,
                    "the invoice",
                )
            )
        for party, share in g.share.items():
            cap = f", capped at {w.money(g.cap)}" if g.cap is not None else ""
            price = f" at {w.money(g.price)} a unit" if g.price is not None else ""
            found.append(
                Obligation(
                    "Service levels",
                    "gainshare",
                    f"Pay {share} of the savings in {g.measure}{price}{cap}",
                    tuple(p for p in buyers if p != party) or w.others([party]),
                    (party,),
                    start,
                    evidence,
                )
            )
    v = deal.volume
    if v is not None:
        term = f" for {v.term_months} months" if v.term_months else ""
        found.append(
            Obligation(
                "Volumes",
                "volume",
                f"Order at least {v.commitment:,} {v.unit}s a {v.per}{term}",
                buyers,
                suppliers,
                f"each {v.per}" + (f"; forecast {w.phrase(v.forecast)}" if v.forecast else ""),
                "purchase orders" + (f"; {v.true_up} true-up" if v.true_up else ""),
            )
        )
        if v.rebate:
            found.append(
                Obligation(
                    "Volumes",
                    "volume",
                    (
                        "Pay the volume rebate",
                        *(f"at least {r.at_least:,} {v.unit}s: {r.rebate}" for r in v.rebate),
                    ),
                    suppliers,
                    buyers,
                    f"at each {v.true_up or v.per} true-up",
                    "the year's delivery records",
                )
            )
    c = deal.cost_plus
    if c is not None:
        cap = f" up to {w.money(c.cap)}" if c.cap is not None else ""
        markup = f" plus {c.markup}" if c.markup else ""
        found.append(
            Obligation(
                "Payments",
                "cost-plus",
                f"Reimburse verified costs{markup}{cap}",
                buyers,
                suppliers,
                "on each cost claim",
                ", ".join(c.evidence) or NOT_NAMED,
            )
        )
        if c.overruns == "prior-written-approval":
            found.append(
                Obligation(
                    "Payments",
                    "cost-plus",
                    "Ask in writing before any overrun of the cap",
                    suppliers,
                    buyers,
                    "before the cost is incurred",
                    "the buyer's written approval",
                )
            )
    for b in deal.innovation_bonus:
        found.append(
            Obligation(
                "Payments",
                b.id,
                f"Pay the innovation bonus {b.id}: {w.money(b.amount)}",
                buyers,
                suppliers,
                b.when,
                NOT_NAMED,
            )
        )
    r = deal.revenue_share
    if r is not None:
        found.append(
            Obligation(
                "Payments",
                "revenue-share",
                f"Pay {r.share} of {r.of}",
                w.others([r.party]),
                (r.party,),
                r.reporting or NOT_NAMED,
                "the revenue report" + ("; open to audit" if r.audit else ""),
            )
        )
    return found


def _ip_duties(deal: Deal, w: Words) -> list[Obligation]:
    ip = deal.ip
    if ip is None:
        return []
    found: list[Obligation] = []
    fg = ip.foreground
    survives = bool(deal.exit and deal.exit.on_exit and deal.exit.on_exit.licenses_survive)
    if fg is not None and fg.license_back is not None:
        lb = fg.license_back
        owners = tuple(dict.fromkeys(f.owner for f in fg.fields)) or (
            (fg.owner,) if fg.owner else w.others([lb.to])
        )
        grantors = tuple(o for o in owners if o != lb.to) or w.others([lb.to])
        scope = ", ".join(x for x in (lb.field, lb.region) if x)
        term = f"for {lb.months} months" if lb.months else "for the term"
        found.append(
            Obligation(
                "Intellectual property",
                "license-back",
                f"License the foreground back ({lb.scope}" + (f", {scope})" if scope else ")"),
                grantors,
                (lb.to,),
                term + ("; survives an exit" if survives else ""),
                "this agreement",
            )
        )
    if ip.exclusivity is not None:
        e = ip.exclusivity
        what = ", ".join(x for x in (e.field, e.region, e.customers) if x)
        found.append(
            Obligation(
                "Intellectual property",
                "exclusivity",
                "Supply no one else" + (f" in {what}" if what else ""),
                tuple(p.id for p in deal.suppliers if p.id != e.holder) or w.others([e.holder]),
                (e.holder,),
                f"{e.months} months from {deal.effective}" if e.months else "for the term",
                NOT_NAMED,
            )
        )
    return found


def _governance_duties(deal: Deal, w: Words) -> list[Obligation]:
    found: list[Obligation] = []
    g = deal.governance
    if g is not None and g.cadence is not None:
        members = tuple(dict.fromkeys(w.party_of(p) for p in g.steering)) or tuple(
            p.id for p in deal.parties
        )
        found.append(
            Obligation(
                "Governance",
                "governance",
                f"Hold the {g.cadence} steering review",
                members,
                members,
                g.cadence,
                "the decision log" if g.decision_log else NOT_NAMED,
            )
        )
    c = deal.change_control
    if c is not None:
        approvers = tuple(dict.fromkeys(w.party_of(p) for p in c.approvers)) or tuple(
            p.id for p in deal.parties
        )
        above = f" above {w.money(c.threshold)}" if c.threshold is not None else ""
        found.append(
            Obligation(
                "Governance",
                "change-control",
                f"Approve each change{above} in writing before it is made",
                approvers,
                approvers,
                "before the change",
                f"a change order approved by {w.people(c.approvers)}"
                if c.approvers
                else "a change order",
            )
        )
    for phase in deal.phases:
        if phase.gate is None or not phase.gate.deciders:
            continue
        deciders = tuple(dict.fromkeys(w.party_of(p) for p in phase.gate.deciders))
        found.append(
            Obligation(
                "Governance",
                phase.id,
                f"Decide the gate of the {phase.id} phase",
                deciders,
                deciders,
                f"at the end of the {phase.id} phase",
                f"a gate decision by {w.people(phase.gate.deciders)}",
            )
        )
    r = deal.risk_controls
    everyone = tuple(p.id for p in deal.parties)
    if r is not None:
        conf = r.confidentiality
        if conf is not None and (conf.need_to_know or conf.access_log):
            found.append(
                Obligation(
                    "Risk controls",
                    "confidentiality",
                    "Give access to the other side's confidential data on a need-to-know basis"
                    if conf.need_to_know
                    else "Log every access to the other side's confidential data",
                    everyone,
                    everyone,
                    "for the term",
                    "the access log" if conf.access_log else NOT_NAMED,
                )
            )
        if r.audit_rights:
            found.append(
                Obligation(
                    "Risk controls",
                    "audit",
                    "Open process controls, certifications and test reports to audit",
                    tuple(p.id for p in deal.suppliers),
                    tuple(p.id for p in deal.buyers),
                    "on request",
                    "the audit report",
                )
            )
        for cover in r.insurance:
            found.append(
                Obligation(
                    "Risk controls",
                    "insurance",
                    f"Hold insurance: {cover}",
                    tuple(p.id for p in deal.suppliers),
                    tuple(p.id for p in deal.buyers),
                    "for the term",
                    "a certificate of insurance",
                )
            )
    for risk in deal.risks:
        if risk.owner is None or risk.mitigation is None:
            continue
        owner = w.party_of(risk.owner)
        found.append(
            Obligation(
                "Risk controls",
                risk.id,
                (f"Mitigate: {risk.mitigation}", f"risk: {risk.risk}"),
                (owner,),
                w.others([owner]),
                f"while the risk is open ({risk.likelihood} likelihood, {risk.impact} impact)",
                "the risk register",
            )
        )
    return found


def _exit_duties(deal: Deal, w: Words) -> list[Obligation]:
    e = deal.exit
    if e is None:
        return []
    found: list[Obligation] = []
    buyers = tuple(p.id for p in deal.buyers)
    suppliers = tuple(p.id for p in deal.suppliers)
    everyone = tuple(p.id for p in deal.parties)
    t = e.triggers
    if t is not None and t.convenience is not None and t.convenience.notice_days is not None:
        by = tuple(t.convenience.by) or everyone
        found.append(
            Obligation(
                "Exit",
                "convenience",
                "Give notice before a convenience exit",
                by,
                w.others(by) or by,
                f"{t.convenience.notice_days} days before it takes effect",
                "a written notice",
            )
        )
    if e.prepaid_refund is not None and e.prepaid_refund.unused and deal.prepaid is not None:
        cap = e.prepaid_refund.deduction_cap
        found.append(
            Obligation(
                "Exit",
                "prepaid-refund",
                "Refund the unused advance"
                + (f", less at most {cap} of it for completed work" if cap else ""),
                suppliers,
                buyers,
                "on exit",
                "the exit settlement (`copact exit`)",
            )
        )
    o = e.on_exit
    if o is not None:
        handovers = (
            ("foreground IP", o.foreground_ip),
            ("tooling", o.tooling),
            ("inventory", o.inventory),
            ("documentation", o.documentation),
            ("source materials", o.source_materials),
            ("customer transition", o.customer_transition),
        )
        for what, text in handovers:
            if text:
                found.append(
                    Obligation(
                        "Exit",
                        what.replace(" ", "-"),
                        f"Deliver the {what}"
                        if text == "deliver"
                        else f"Hand over the {what}: {w.phrase(text)}",
                        suppliers,
                        buyers,
                        "on exit",
                        "a signed handover record",
                    )
                )
        if o.unfinished_work:
            found.append(
                Obligation(
                    "Exit",
                    "unfinished-work",
                    f"Settle the unfinished work: {w.phrase(o.unfinished_work)}",
                    buyers,
                    suppliers,
                    "on exit",
                    "the exit settlement (`copact exit`)",
                )
            )
        if o.confidential_data in ("return-or-destroy", "return", "destroy"):
            verb = o.confidential_data.replace("-", " ")
            found.append(
                Obligation(
                    "Exit",
                    "confidential-data",
                    f"{verb[0].upper()}{verb[1:]} the other side's confidential data",
                    everyone,
                    everyone,
                    "on exit",
                    "a written confirmation of return or destruction",
                )
            )
    return found


def obligations(deal: Deal) -> list[Obligation]:
    """Every obligation of the deal, grouped: contributions, deliverables, acceptance, payments,
    service levels, volumes, intellectual property, governance, risk controls, exit."""
    w = Words(deal)
    found = [
        *_contribution_duties(deal, w),
        *_milestone_duties(deal, w),
        *_payment_duties(deal, w),
        *_recurring_duties(deal, w),
        *_ip_duties(deal, w),
        *_governance_duties(deal, w),
        *_exit_duties(deal, w),
    ]
    order = list(dict.fromkeys(o.group for o in found))
    return sorted(found, key=lambda o: order.index(o.group))
