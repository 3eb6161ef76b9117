"""The documents the parties negotiate from, read as a person would check them: the term sheet
names each milestone with its percentage and criteria and each party's funding share; the
contract matrix has a row per milestone and per payment, owed by the supplier to the buyer and
by the payer to the payee; the scope memo keeps to one A4 page; a deal without the optional
sections prints none of them, and never the word "None"."""

from __future__ import annotations

from pathlib import Path

import pytest

from copact.core.deal import Deal
from copact.core.schedule import planned_schedule
from copact.dealfile.loader import load_text
from copact.documents.deal_documents import (
    DOCUMENT_KINDS,
    DocumentKind,
    build_document,
    obligations,
    scope_memo,
)
from copact.documents.rendering import render_html, render_markdown, render_pdf
from tests.conftest import EXAMPLES, load_example

EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))

MINIMAL = """\
copact: 1
id: kiln-retrofit
title: Kiln controller retrofit
structure: milestone-funding
currency: JPY
effective: 2026-04-01
parties:
  - {id: tanaka, name: Tanaka Ceramics, role: buyer}
  - {id: hikari, name: Hikari Controls, role: supplier}
value: 1250000
milestones:
  - {id: install, payment: 60%, due: 2026-06-30}
  - {id: handover, payment: 40%, due: 2026-08-31}
"""


def _minimal() -> Deal:
    deal = load_text(MINIMAL).deal
    assert deal is not None
    return deal


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_every_example_renders_every_document_as_markdown_and_html(
    name: str, kind: DocumentKind
) -> None:
    doc = build_document(load_example(name), kind, version="ab" * 32)
    markdown, html = render_markdown(doc), render_html(doc)
    assert markdown.startswith(f"# {doc.name}: ")
    assert f"version sha256:{'ab' * 32}" in markdown and f"sha256:{'ab' * 32}" in html
    for text in (markdown, html):
        assert "None" not in text


def test_the_term_sheet_names_each_milestone_with_its_percentage_and_criteria() -> None:
    deal = load_example("hybrid-dc1.yaml")
    markdown = render_markdown(build_document(deal, "term-sheet"))
    plan = markdown.split("## 3. Milestone plan")[1].split("## 4.")[0]
    assert (
        "| hardware-delivery | build | 2026-10-01 | 30% | USD 126,000.00 | USD 88,200.00 |" in plan
    )
    for m in deal.milestones:
        assert f"| {m.id} |" in plan and f" {m.payment} |" in plan
        assert m.acceptance is not None
        for criterion in m.acceptance.criteria:
            assert criterion in plan
    for heading in ("Intellectual property", "Exit rights and settlement", "SLA and gainshare"):
        assert f". {heading}" in markdown


def test_the_term_sheet_gives_each_party_its_funding_share_of_each_phase() -> None:
    markdown = render_markdown(build_document(load_example("hybrid-dc1.yaml"), "term-sheet"))
    funding = markdown.split("## 4. Funding shares")[1].split("## 5.")[0]
    assert "| phase | cost | VoltWorks Inc. | Acme Hosting LLC |" in funding
    assert "| design | USD 60,000.00 | 100% | 0% |" in funding
    assert "| build | USD 290,000.00 | 30% | 70% |" in funding
    assert "| operate | USD 20,000.00 | — | 100% (no entry) |" in funding
    # 88,200 + 88,200 + 29,400 + 42,000 invoiced; the rest of the 420,000 carried by VoltWorks
    assert "**Invoiced to Acme Hosting LLC:** USD 247,800.00" in funding
    assert "**Carried by VoltWorks Inc.:** USD 172,200.00" in funding


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_matrix_has_a_row_per_milestone_and_per_payment(name: str) -> None:
    deal = load_example(name)
    rows = obligations(deal)
    buyer, supplier = deal.buyers[0].id, deal.suppliers[0].id
    for m in deal.milestones:
        (deliver,) = [o for o in rows if o.group == "Deliverables" and o.ref == m.id]
        assert (deliver.by, deliver.to) == ((m.payee or supplier,), (buyer,))
        assert deliver.when == str(m.due)
        assert m.acceptance is not None and m.acceptance.evidence[0] in deliver.evidence
    payments = [o for o in rows if o.group == "Payments"]
    for line in planned_schedule(deal):
        (row,) = [o for o in payments if o.ref == line.ref]
        assert (row.by, row.to) == ((line.payer,), (line.payee,))


def test_the_matrix_says_who_owes_what_on_hybrid_dc1() -> None:
    rows = {
        (o.group, o.ref, o.duty if isinstance(o.duty, str) else o.duty[0]): o
        for o in obligations(load_example("hybrid-dc1.yaml"))
    }
    pay = rows["Payments", "hardware-delivery", "Pay for hardware-delivery: USD 88,200.00"]
    assert (pay.by, pay.to) == (("acme",), ("voltworks",))
    assert pay.when == "30 days after the invoice; planned 2026-10-31"
    review = rows[
        "Acceptance", "hardware-delivery", "Accept hardware-delivery, or reject it with reasons"
    ]
    assert (review.by, review.to) == (("acme",), ("voltworks",))
    assert review.when == "5 business days after each submission"
    assert "Ana Ortiz" in review.evidence and "deemed acceptance" in review.evidence
    licence = rows[
        "Intellectual property",
        "license-back",
        "License the foreground back (non-exclusive, own sites)",
    ]
    assert (licence.by, licence.to) == (("voltworks",), ("acme",))
    data = rows["Exit", "confidential-data", "Return or destroy the other side's confidential data"]
    assert set(data.by) == set(data.to) == {"acme", "voltworks"}
    matrix = render_markdown(build_document(load_example("hybrid-dc1.yaml"), "matrix"))
    assert "| Acme Hosting LLC, VoltWorks Inc. | each other | on exit |" in matrix


def test_a_deal_without_the_optional_sections_prints_only_what_it_has() -> None:
    deal = _minimal()
    sheet = render_markdown(build_document(deal, "term-sheet"))
    for absent in (
        "Contributions",
        "Intellectual property",
        "Exit rights",
        "Risk controls",
        "SLA and gainshare",
        "Governance",
    ):
        assert absent not in sheet
    # yen have no minor unit: 60% of 1,250,000
    assert "| install | — | 2026-06-30 | 60% | JPY 750,000 | JPY 750,000 |" in sheet
    memo = render_markdown(scope_memo(deal))
    assert "## 2. At a glance" in memo and "Problem" not in memo
    matrix = render_markdown(build_document(deal, "matrix"))
    assert "Pay for handover: JPY 500,000" in matrix
    for text in (sheet, memo, matrix, render_html(build_document(deal, "term-sheet"))):
        assert "None" not in text


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_scope_memo_of_each_example_is_one_a4_page(name: str, tmp_path: Path) -> None:
    pdf = render_pdf(scope_memo(load_example(name), version="cd" * 32))
    assert pdf.data.startswith(b"%PDF-")
    assert pdf.pages == 1
