"""Q801–Q803: a supplier chosen among several, on criteria weighed in advance."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from copact.core.deal import Deal
from copact.core.diagnostic import Severity
from copact.rules.registry import Finding, rule

MIN_CANDIDATES = 3


@rule(
    "Q801",
    "too-few-candidates",
    Severity.WARNING,
    "a selection with fewer than three candidates evaluated",
    hint="evaluate at least three suppliers and record their scores",
)
def too_few_candidates(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `selection` records at least three candidates.

    **Why.** A partner chosen without comparison is chosen by habit; three scored candidates
    show the strategic supplier was the best of the field, and give leverage.

    **Example.** `selection: {candidates: [{id: voltworks, score: 4.2}]}`.

    **Use instead.** Add the other suppliers evaluated, e.g. `{id: gridco, score: 3.6}`.
    """
    sel = deal.selection
    if sel is not None and len(sel.candidates) < MIN_CANDIDATES:
        yield Finding(
            "/selection/candidates" if sel.candidates else "/selection",
            f"only {len(sel.candidates)} candidate(s) evaluated",
        )


@rule(
    "Q802",
    "unweighted-criteria",
    Severity.INFO,
    "a selection without weighted pre-qualification criteria",
    hint="weigh the criteria so they add up to 100%",
)
def unweighted_criteria(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `selection` has `criteria` whose weights add up to 100%.

    **Why.** Weights set before the scores are known keep the choice honest: expertise,
    monitoring, local service, financing and data sharing each count for what was agreed.

    **Example.** `selection: {candidates: [...]}` with no criteria.

    **Use instead.** `criteria: {controls-expertise: 25%, monitoring: 20%, local-service: 20%,
    financing: 15%, data-sharing: 20%}`.
    """
    sel = deal.selection
    if sel is None:
        return
    if not sel.criteria:
        yield Finding("/selection", "the selection has no weighted criteria")
        return
    total = sum((w.fraction for w in sel.criteria.values()), Decimal(0))
    if total != 1:
        points = (total * 100).normalize()
        yield Finding("/selection/criteria", f"criteria weights add up to {points:f}%, not 100%")


# --- Q803: the chosen supplier (copact select --write) ---------------------------------------


@rule(
    "Q803",
    "chosen-not-evaluated",
    Severity.WARNING,
    "a chosen supplier who was not among the candidates, or is not a party of the deal",
    hint="choose one of the candidates scored, and name it as a party of the deal",
)
def chosen_not_evaluated(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** The `selection`'s `chosen` is one of its `candidates` and a party of
    the deal.

    **Why.** The selection shows the supplier who signs was the best of a field scored on the
    same criteria; a choice outside the field, or a deal signed with someone other than the
    chosen, leaves the comparison proving nothing.

    **Example.** `selection: {candidates: [{id: gridco, score: 3.6}, ...], chosen: voltworks}`.

    **Use instead.** `chosen: gridco` with GridCo as a party, or add VoltWorks' scores to the
    candidates (`copact select EVALUATION.yaml --deal DEAL.yaml --write` writes both).
    """
    sel = deal.selection
    if sel is None or sel.chosen is None:
        return
    if sel.chosen not in {c.id for c in sel.candidates}:
        yield Finding("/selection/chosen", f"{sel.chosen!r} is not among the candidates")
    if sel.chosen not in {p.id for p in deal.parties}:
        yield Finding("/selection/chosen", f"{sel.chosen!r} is not a party of the deal")
