"""The documents the parties negotiate from, built from the deal as typed values (DESIGN §11,
``copact render``): the term sheet, the one-page scope memo and the contract matrix.

Each is a :class:`Document` of sections of blocks (facts, paragraphs, bullet lists, tables) whose
cells are plain text; the Markdown, HTML and PDF renderers (:mod:`.rendering`) only lay them out.
Nothing here reads a file or a clock: the version hash a footer prints is given.

The matrix has a row for every obligation of the deal; on ``examples/hybrid-dc1.yaml``::

    obligation                       owed by          owed to          when
    Deliver hardware-delivery        VoltWorks Inc.   Acme Hosting LLC 2026-10-01
    Accept hardware-delivery, or     Acme Hosting LLC VoltWorks Inc.   5 business days after
      reject it with reasons                                           each submission
    Pay for hardware-delivery:       Acme Hosting LLC VoltWorks Inc.   30 days after the invoice;
      USD 88,200.00                                                    planned 2026-10-31

Money is printed exactly in the deal's currency (``USD 88,200.00``, ``JPY 1,000``) and
percentages as the deal writes them (``20%``, ``99.95%``). A section the deal does not have is
left out, never printed empty.
"""

from __future__ import annotations

from copact.core.deal import Deal
from copact.core.invoicing import milestone_amounts
from copact.documents.layout import (
    DOCUMENT_KINDS,
    Block,
    Bullets,
    Cell,
    Document,
    DocumentKind,
    Fact,
    Facts,
    Paragraph,
    Section,
    Table,
)
from copact.documents.obligations import Obligation, obligations
from copact.documents.term_sheet import term_sheet
from copact.documents.wording import (
    EVERY,
    Words,
    day_text,
    document_of,
    money_text,
    section_of,
    sections_of,
)

__all__ = [
    "DOCUMENT_KINDS",
    "Block",
    "Bullets",
    "Cell",
    "Document",
    "DocumentKind",
    "Fact",
    "Facts",
    "Obligation",
    "Paragraph",
    "Section",
    "Table",
    "build_document",
    "contract_matrix",
    "money_text",
    "obligations",
    "scope_memo",
    "term_sheet",
]


def scope_memo(deal: Deal, *, version: str | None = None) -> Document:
    """The one-page scope memo: the problem, the deliverable, who contributes what, the
    timeline and what success looks like, with the milestones and upside at a glance."""
    w = Words(deal)
    by_role = tuple(
        Fact(role.capitalize(), w.parties(p.id for p in deal.parties_with_role(role)))
        for role in ("buyer", "supplier", "financier")
        if deal.parties_with_role(role)
    )
    owners = tuple(
        Fact(
            duty.replace("-", " ").capitalize(), w.people(p.id for p in deal.people_with_duty(duty))
        )
        for duty in ("owner", "vendor-contact")
        if deal.people_with_duty(duty)
    )
    scope = deal.scope
    problem = deliverable = success = timeline = contributions = None
    if scope is not None:
        problem = Paragraph(scope.problem, "Problem") if scope.problem else None
        deliverable = Paragraph(scope.deliverable, "Deliverable") if scope.deliverable else None
        success = Paragraph(scope.success, "Success") if scope.success else None
        if scope.timeline is not None:
            t = scope.timeline
            timeline = Paragraph(f"{t.start} to {t.end}", "Timeline")
        if scope.contributions:
            contributions = Table(
                ("party", "contributes"),
                tuple((w.party(p), "; ".join(items)) for p, items in scope.contributions.items()),
                label="Who contributes what",
            )
    milestones = None
    if deal.milestones:
        amounts = milestone_amounts(deal)
        milestones = Table(
            ("milestone", "due", "payment"),
            tuple(
                (
                    m.id,
                    day_text(m.due),
                    f"{m.payment} · {money_text(amounts[m.id])}"
                    if m.payment is not None
                    else money_text(amounts[m.id]),
                )
                for m in deal.milestones
            ),
            numeric=frozenset({2}),
            label="Milestones",
        )
    upside = None
    if deal.business_case is not None and deal.business_case.flows:
        upside = Table(
            ("party", "upside", "amount", "from"),
            tuple(
                (w.party(f.party), f.label, f"{w.money(f.amount)} {EVERY[f.every]}", str(f.from_))
                for f in deal.business_case.flows
            ),
            numeric=frozenset({2}),
            label="Quantified upside",
        )
    sections = sections_of(
        Section("Parties", (Facts(by_role + owners),)),
        section_of("Scope", problem, deliverable, contributions, timeline, success),
        section_of("At a glance", milestones, upside),
    )
    return document_of("scope-memo", "Scope memo", deal, version, sections)


# --- the contract matrix ---------------------------------------------------------------------


def _owed(w: Words, by: tuple[str, ...], to: tuple[str, ...]) -> tuple[str, str]:
    if len(by) > 1 and set(by) == set(to):
        return w.parties(by), "each other"
    return w.parties(by) or "—", w.parties(to) or "—"


def contract_matrix(deal: Deal, *, version: str | None = None) -> Document:
    """The contract matrix: one row per obligation, who owes it to whom, when, and what
    evidence proves it, in sections by kind."""
    w = Words(deal)
    rows = obligations(deal)
    sections: list[Section] = []
    number = 0
    for group in dict.fromkeys(o.group for o in rows):
        table_rows: list[tuple[Cell, ...]] = []
        for o in rows:
            if o.group != group:
                continue
            number += 1
            by, to = _owed(w, o.by, o.to)
            table_rows.append((str(number), o.duty, by, to, o.when, o.evidence))
        sections.append(
            Section(
                group,
                (
                    Table(
                        ("#", "obligation", "owed by", "owed to", "when", "evidence"),
                        tuple(table_rows),
                        leads=frozenset({1}),
                    ),
                ),
            )
        )
    return document_of("matrix", "Contract matrix", deal, version, tuple(sections))


def build_document(deal: Deal, kind: DocumentKind, *, version: str | None = None) -> Document:
    """The document ``kind`` of the deal (``term-sheet``, ``scope-memo`` or ``matrix``)."""
    builders = {"term-sheet": term_sheet, "scope-memo": scope_memo, "matrix": contract_matrix}
    return builders[kind](deal, version=version)
