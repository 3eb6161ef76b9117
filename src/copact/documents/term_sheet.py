"""The term sheet: every term of the deal in the order the parties negotiate it: parties and
objective, contributions, the milestone plan with its percentages and acceptance criteria,
funding shares (and the other ways money moves), IP, exit, governance and change control, risk
controls, the SLA and gainshare terms, and a block for the signatures."""

from __future__ import annotations

from decimal import Decimal

from copact.core.deal import Deal
from copact.core.invoicing import buyer_of, invoice_amounts, milestone_amounts
from copact.core.money import Money
from copact.documents.layout import Block, Cell, Document, Facts, Section, Table
from copact.documents.wording import (
    Words,
    bonus_text,
    credit_text,
    day_text,
    document_of,
    facts_of,
    money_text,
    months_text,
    party_cell,
    section_of,
    sections_of,
    yes_no,
)
from copact.errors import RefusedCommand

__all__ = ["term_sheet"]


def _parties(deal: Deal, w: Words) -> Section:
    details = any(party_cell(p) != (p.name,) for p in deal.parties)
    parties = (
        Table(
            ("party", "role", "legal name, address and registration"),
            tuple((p.name, p.role, party_cell(p)) for p in deal.parties),
        )
        if details
        else Table(("party", "role"), tuple((p.name, p.role) for p in deal.parties))
    )
    people = (
        Table(
            ("person", "party", "duties"),
            tuple((p.name, w.party(p.party), ", ".join(p.duties) or "—") for p in deal.people),
        )
        if deal.people
        else None
    )
    scope = deal.scope
    objective = None
    if scope is not None:
        timeline = f"{scope.timeline.start} to {scope.timeline.end}" if scope.timeline else None
        objective = facts_of(
            ("Problem", scope.problem),
            ("Deliverable", scope.deliverable),
            ("Success", scope.success),
            ("Timeline", timeline),
        )
    return Section("Parties and objective", tuple(b for b in (parties, people, objective) if b))


def _contributions(deal: Deal, w: Words) -> Section | None:
    if deal.scope is None or not deal.scope.contributions:
        return None
    rows = tuple(
        (w.party(party), tuple(items)) for party, items in deal.scope.contributions.items()
    )
    return section_of("Contributions", Table(("party", "contributes"), rows, lists=frozenset({1})))


def _milestone_plan(deal: Deal, w: Words) -> Section | None:
    if not deal.milestones:
        return None
    amounts = milestone_amounts(deal)
    try:
        invoices: dict[str, Money] | None = invoice_amounts(deal)
        payer: str | None = buyer_of(deal)
    except RefusedCommand:
        invoices, payer = None, None
    head = facts_of(
        ("Value", w.money(deal.value) if deal.value is not None else None),
        ("Payment terms", f"{deal.payment_terms} days after each invoice"),
    )
    columns = ["milestone", "phase", "due", "payment", "amount"]
    if invoices is not None and payer is not None:
        columns.append(f"invoiced to {w.party(payer)}")
    rows: list[tuple[Cell, ...]] = []
    for m in deal.milestones:
        payment = str(m.payment) if m.payment is not None else "fixed amount"
        row: list[Cell] = [
            (m.id, m.description) if m.description else m.id,
            m.phase or "—",
            day_text(m.due),
            payment,
            money_text(amounts[m.id]),
        ]
        if invoices is not None:
            row.append(money_text(invoices[m.id]))
        rows.append(tuple(row))
    plan = Table(tuple(columns), tuple(rows), numeric=frozenset({3, 4, 5}))
    acceptance_rows: list[tuple[Cell, ...]] = []
    for m in deal.milestones:
        a = m.acceptance
        if a is None:
            acceptance_rows.append(((m.id, "no acceptance terms"), "—", "—"))
            continue
        signer = deal.person(a.signoff) if a.signoff else None
        review = [
            f"{signer.name if signer else a.signoff} signs off" if a.signoff else "no sign-off"
        ]
        if a.review_days is not None:
            review.append(f"within {a.review_days} business days")
        if a.deemed_accepted:
            review.append("silence: deemed accepted")
        elif a.escalate_to:
            review.append(f"silence: to {w.person(a.escalate_to)}")
        if m.cure_days is not None:
            review.append(f"cure: {m.cure_days} days")
        acceptance_rows.append(
            (
                (m.id, *a.criteria) if a.criteria else (m.id, "no criteria written"),
                ", ".join(a.evidence) or "none named",
                tuple(review),
            )
        )
    acceptance = Table(
        ("milestone and acceptance criteria", "evidence", "sign-off, review, cure"),
        tuple(acceptance_rows),
        leads=frozenset({0}),
        label="Acceptance",
    )
    return section_of("Milestone plan", head, plan, acceptance)


def _funding(deal: Deal, w: Words) -> Section | None:
    blocks: list[Block | None] = []
    try:
        payer: str | None = buyer_of(deal)
    except RefusedCommand:
        payer = None
    if deal.funding or deal.phases:
        funders = list(dict.fromkeys(p for f in deal.funding for p in f.shares))
        rows: list[tuple[Cell, ...]] = []
        for phase in deal.phases:
            entry = next((f for f in deal.funding if f.phase == phase.id), None)
            shares: list[Cell] = []
            for party in funders:
                if entry is not None:
                    shares.append(str(entry.shares.get(party, "0%")))
                elif party == payer:
                    shares.append("100% (no entry)")
                else:
                    shares.append("—")
            cost = w.money(phase.cost) if phase.cost is not None else "—"
            label: Cell = (phase.id, phase.description) if phase.description else phase.id
            rows.append((label, cost, *shares))
        for f in deal.funding:  # funding of a phase the deal does not list (the linter says)
            if deal.phase(f.phase) is None:
                rows.append((f.phase, "—", *(str(f.shares.get(p, "—")) for p in funders)))
        columns = ("phase", "cost", *(w.party(p) for p in funders))
        blocks.append(
            Table(columns, tuple(rows), numeric=frozenset(range(1, len(columns)))) if rows else None
        )
        if payer is not None and deal.milestones:
            invoiced = sum(invoice_amounts(deal).values(), deal.money(0))
            total = sum(milestone_amounts(deal).values(), deal.money(0))
            others = [p for p in funders if p != payer]
            carrier = w.party(others[0]) if len(others) == 1 else "the other funders"
            blocks.append(
                facts_of(
                    (f"Invoiced to {w.party(payer)}", money_text(invoiced)),
                    (f"Carried by {carrier}", money_text(total - invoiced)),
                )
            )
    if deal.prepaid is not None:
        p = deal.prepaid
        blocks.append(
            facts_of(
                ("Prepaid advance", w.money(p.amount)),
                ("paid on", day_text(p.due) if p.due else None),
                ("refund rights", w.phrase(p.refund_rights) if p.refund_rights else None),
            )
        )
    blocks.extend(_other_mechanisms(deal, w))
    note = (
        "Each milestone invoice is the buyer's share of its phase; a phase without an entry is "
        "the buyer's alone. The prepaid advance is drawn down against the invoices first."
        if deal.funding
        else None
    )
    return section_of("Funding shares", *blocks, note=note)


def _other_mechanisms(deal: Deal, w: Words) -> list[Block | None]:
    blocks: list[Block | None] = []
    if deal.cost_plus is not None:
        c = deal.cost_plus
        blocks.append(
            facts_of(
                ("Cost-plus reimbursement", "verified costs reimbursed"),
                ("cap", w.money(c.cap) if c.cap is not None else None),
                ("markup", str(c.markup) if c.markup is not None else None),
                ("overruns", w.phrase(c.overruns) if c.overruns else None),
                ("evidence", ", ".join(c.evidence)),
            )
        )
    if deal.volume is not None:
        v = deal.volume
        rebates = tuple(f"at least {r.at_least:,} {v.unit}s: {r.rebate} rebate" for r in v.rebate)
        blocks.append(
            facts_of(
                ("Volume commitment", f"{v.commitment:,} {v.unit}s a {v.per}"),
                ("term", months_text(v.term_months)),
                ("unit price", w.money(v.price) if v.price is not None else None),
                ("rebates", rebates),
                ("forecast", w.phrase(v.forecast) if v.forecast else None),
                ("true-up", v.true_up),
                ("contract years from", str(v.from_) if v.from_ else None),  # volume
                (
                    "shortfall",
                    f"a year below {v.commitment:,} {v.unit}s is invoiced the missing units "
                    "× the unit price"
                    if v.shortfall == "invoice"
                    else None,
                ),
            )
        )
    if deal.convertible is not None:
        c2 = deal.convertible
        blocks.append(
            facts_of(
                ("Convertible support", w.money(c2.amount)),
                ("converts to", w.phrase(c2.converts_to) if c2.converts_to else None),
                ("formula", c2.formula),
                ("windows", ", ".join(str(d) for d in c2.windows)),
            )
        )
    if deal.innovation_bonus:
        blocks.append(
            Table(
                ("innovation bonus", "amount", "when"),
                tuple((b.id, w.money(b.amount), b.when) for b in deal.innovation_bonus),
                numeric=frozenset({1}),
            )
        )
    if deal.revenue_share is not None:
        r = deal.revenue_share
        blocks.append(
            facts_of(
                ("Revenue share", f"{r.share} of {r.of} to {w.party(r.party)}"),
                ("reporting", r.reporting),
                ("audit", yes_no(r.audit) if r.audit is not None else None),
            )
        )
    return blocks


def _ip(deal: Deal, w: Words) -> Section | None:
    ip = deal.ip
    if ip is None:
        return None
    background = (
        Table(
            ("party", "background IP", "kind"),
            tuple(
                (w.party(party), item.item, item.kind)
                for party, items in ip.background.items()
                for item in items
            ),
            label="Background",
        )
        if ip.background
        else None
    )
    foreground: Facts | Table | None = None
    licence: Facts | None = None
    fg = ip.foreground
    if fg is not None:
        if fg.fields:
            foreground = Table(
                ("field", "foreground owned by"),
                tuple((f.field, w.party(f.owner)) for f in fg.fields),
                label=f"Foreground: {w.phrase(fg.model or 'field-split')}",
            )
        else:
            joint = fg.joint_terms
            foreground = facts_of(
                ("Foreground", w.phrase(fg.model) if fg.model else None),
                ("owned by", w.party(fg.owner) if fg.owner else None),
                ("consent to license", joint.consent_to_license if joint else None),
                ("enforcement", joint.enforcement if joint else None),
            )
        if fg.license_back is not None:
            lb = fg.license_back
            licence = facts_of(
                ("Licence-back", f"{lb.scope} licence to {w.party(lb.to)}"),
                ("field", lb.field),
                ("region", lb.region),
                ("term", months_text(lb.months)),
            )
    exclusivity = None
    if ip.exclusivity is not None:
        e = ip.exclusivity
        exclusivity = facts_of(
            ("Exclusivity", f"held by {w.party(e.holder)}"),
            ("field", e.field),
            ("region", e.region),
            ("customers", e.customers),
            ("term", months_text(e.months)),
        )
    return section_of("Intellectual property", background, foreground, licence, exclusivity)


_TRIGGERS = {
    "missed_milestone": "missed milestone",
    "convenience": "convenience",
    "change_of_control": "change of control",
    "insolvency": "insolvency",
}


def _exit(deal: Deal, w: Words) -> Section | None:
    e = deal.exit
    if e is None:
        return None
    triggers = None
    if e.triggers is not None:
        rows: list[tuple[Cell, ...]] = []
        t = e.triggers
        if t.missed_milestone is not None:
            after = "after its cure period" if t.missed_milestone.after_cure else "on the due date"
            rows.append(("missed milestone", w.parties(p.id for p in deal.buyers), after))
        if t.convenience is not None:
            notice = (
                f"{t.convenience.notice_days} days' notice"
                if t.convenience.notice_days is not None
                else "notice not set"
            )
            rows.append(("convenience", w.parties(t.convenience.by) or "any party", notice))
        if t.change_of_control is not None:
            who = w.parties(t.change_of_control.by) or "any party"
            rows.append(("change of control", who, "when the other side changes hands"))
        if t.insolvency is not None:
            who = w.parties(t.insolvency.by) or "any party"
            rows.append(("insolvency", who, "when the other side is insolvent"))
        triggers = Table(("exit trigger", "may be invoked by", "when"), tuple(rows))
    refund = None
    if e.prepaid_refund is not None:
        r = e.prepaid_refund
        refund = facts_of(
            ("Prepaid refund", "unused funds are refunded" if r.unused else "no refund"),
            (
                "deduction for completed work",
                f"at most {r.deduction_cap} of the unused funds" if r.deduction_cap else None,
            ),
        )
    on_exit = None
    if e.on_exit is not None:
        o = e.on_exit
        on_exit = facts_of(
            ("Foreground IP", w.phrase(o.foreground_ip) if o.foreground_ip else None),
            ("Tooling", w.phrase(o.tooling) if o.tooling else None),
            ("Inventory", w.phrase(o.inventory) if o.inventory else None),
            ("Unfinished work", w.phrase(o.unfinished_work) if o.unfinished_work else None),
            ("Documentation", w.phrase(o.documentation) if o.documentation else None),
            ("Source materials", w.phrase(o.source_materials) if o.source_materials else None),
            (
                "Customer transition",
                w.phrase(o.customer_transition) if o.customer_transition else None,
            ),
            (
                "Licences survive",
                yes_no(o.licenses_survive) if o.licenses_survive is not None else None,
            ),
            (
                "Confidential data",
                o.confidential_data.replace("-", " ") if o.confidential_data else None,
            ),
        )
    return section_of("Exit rights and settlement", triggers, refund, on_exit)


def _governance(deal: Deal, w: Words) -> Section | None:
    g = deal.governance
    facts = None
    if g is not None:
        facts = facts_of(
            ("Review cadence", g.cadence),
            ("Steering", w.people(g.steering)),
            ("Veto", w.people(g.veto)),
            ("Escalation", " → ".join(g.escalation)),
            ("Disputes", g.disputes),
            ("Renegotiation when", tuple(r.when for r in g.renegotiation)),
            ("Decision log", yes_no(g.decision_log) if g.decision_log is not None else None),
        )
    change = None
    if deal.change_control is not None:
        c = deal.change_control
        change = facts_of(
            (
                "Change orders",
                f"above {w.money(c.threshold)} need written approval"
                if c.threshold is not None
                else "every change needs written approval",
            ),
            ("approved by", w.people(c.approvers)),
        )
    gates = tuple(
        (p.id, w.people(p.gate.deciders) or "—") for p in deal.phases if p.gate is not None
    )
    gate_table = Table(("phase gate", "decided by"), gates) if gates else None
    return section_of("Governance and change control", facts, change, gate_table)


def _risk_controls(deal: Deal, w: Words) -> Section | None:
    r = deal.risk_controls
    facts = None
    if r is not None:
        conf = r.confidentiality
        confidentiality = (
            tuple(
                text
                for flag, text in (
                    (conf.need_to_know, "need-to-know access"),
                    (conf.access_log, "access log"),
                    (conf.return_or_destroy, "return or destroy at the end"),
                )
                if flag
            )
            if conf
            else ()
        )
        liability = r.liability
        cap = None
        if liability is not None and liability.cap is not None:
            cap = w.money(liability.cap) if isinstance(liability.cap, Decimal) else liability.cap
        facts = facts_of(
            ("Confidentiality", confidentiality),
            ("Audit rights", yes_no(r.audit_rights) if r.audit_rights is not None else None),
            ("Liability cap", cap),
            ("carve-outs", ", ".join(liability.carve_outs) if liability else None),
            ("Insurance", tuple(r.insurance)),
            ("Indemnity", tuple(r.indemnity)),
            ("Reserve", f"{r.reserve} of value" if r.reserve is not None else None),
        )
    risks = (
        Table(
            ("risk", "likelihood", "impact", "owner", "mitigation"),
            tuple(
                (
                    x.risk,
                    x.likelihood,
                    x.impact,
                    w.person(x.owner) if x.owner else "—",
                    x.mitigation or "—",
                )
                for x in deal.risks
            ),
            label="Risk register",
        )
        if deal.risks
        else None
    )
    return section_of("Risk controls", facts, risks)


def _sla_gainshare(deal: Deal, w: Words) -> Section | None:
    blocks: list[Block | None] = []
    s = deal.sla
    if s is not None:
        blocks.append(
            facts_of(
                ("SLA service fee", w.fee(s.fee) if s.fee else None),
                ("measured per", s.period),
                ("from", str(s.from_) if s.from_ else None),
                ("sites", ", ".join(site.id for site in s.sites)),
                ("credits capped at", f"{s.credit_cap} of the fee" if s.credit_cap else None),
                ("unknown time counts as", s.unknown),
                ("data gaps tolerated", str(s.gap_tolerance) if s.gap_tolerance else None),
            )
        )
        if s.metrics:
            blocks.append(
                Table(
                    ("metric", "target", "source", "credits", "bonuses"),
                    tuple(
                        (
                            f"{m.id} ({m.measure})" if m.id != m.measure else m.id,
                            str(m.target) if m.target is not None else "—",
                            m.source or "—",
                            tuple(credit_text(c) for c in m.credits) or "—",
                            tuple(bonus_text(b) for b in m.bonuses) or "—",
                        )
                        for m in s.metrics
                    ),
                )
            )
    g = deal.gainshare
    if g is not None:
        shares = ", ".join(f"{w.party(p)} {share}" for p, share in g.share.items())
        b = g.baseline
        baseline: tuple[str, ...] = ()
        if b is not None:
            baseline = tuple(
                x
                for x in (
                    f"{b.from_} to {b.to}" if b.from_ and b.to else "",
                    f"from {', '.join(b.sources)}" if b.sources else "",
                    f"locked {b.locked}" if b.locked else "",
                    b.hash or "",
                    f"re-baselining: {b.rebaseline}" if b.rebaseline else "",
                )
                if x
            )
        model = g.model
        blocks.append(
            facts_of(
                ("Gainshare on", g.measure),
                ("from", str(g.from_) if g.from_ else None),
                ("base fee", w.fee(g.base_fee) if g.base_fee else None),
                ("unit price of savings", w.money(g.price) if g.price is not None else None),
                ("share of savings", shares),
                ("cap", w.money(g.cap) if g.cap is not None else None),
                ("baseline", baseline),
                (
                    "baseline model",
                    f"{model.kind} on {', '.join(model.drivers) or 'time'}" if model else None,
                ),
            )
        )
    return section_of("SLA and gainshare", *blocks)


def _signatures(deal: Deal) -> Section:
    rows = tuple((p.legal, "", "", "") for p in deal.parties)
    return Section(
        "Signatures",
        (Table(("for", "name and title", "signature", "date"), rows),),
        note="This term sheet records the terms negotiated; the agreement binds once every "
        "party has signed the same deal version.",
    )


def term_sheet(deal: Deal, *, version: str | None = None) -> Document:
    """The term sheet: every term of the deal, section by section."""
    w = Words(deal)
    sections = sections_of(
        _parties(deal, w),
        _contributions(deal, w),
        _milestone_plan(deal, w),
        _funding(deal, w),
        _ip(deal, w),
        _exit(deal, w),
        _governance(deal, w),
        _risk_controls(deal, w),
        _sla_gainshare(deal, w),
        _signatures(deal),
    )
    return document_of("term-sheet", "Term sheet", deal, version, sections)
