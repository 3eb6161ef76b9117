"""The one-page selection report: how the supplier was chosen, from an evaluation file
(``copact select EVALUATION.yaml --report selection.pdf``).

Its sections: the criteria and their weights; the ranking (weighted score out of the scale's
top, its place on the scale, the gap to the leader); each candidate's mean per criterion and the
evaluators' spread; the evaluators, where they disagreed and their notes; the choice and why.
On ``examples/selection/hybrid-dc1-evaluation.yaml``::

    1   VoltWorks Inc.          4.15 of 5
    2   GridCo Power Services   3.75 of 5   −0.40
    3   SunBox Energy Systems   3.20 of 5   −0.95
    Decided by Willingness to share performance data: 20% × (5.00 − 3.00) = 0.40 of the 0.40 lead

The Markdown, HTML and PDF renderers (:mod:`.rendering`) lay it out like the deal documents.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from copact.core.selection import Evaluation, Ranking, Standing, shown
from copact.documents.layout import (
    Bullets,
    Cell,
    Document,
    Fact,
    Facts,
    Paragraph,
    Section,
    Table,
)

__all__ = ["choice_reason", "selection_report"]


def _num(value: Fraction | Decimal) -> str:
    return f"{shown(value):f}"


def _points(value: Fraction | Decimal) -> str:
    """A share of the weights as a percentage: ``Fraction(1, 4)`` → ``25%``."""
    text = f"{shown(Fraction(value) * 100, 2).normalize():f}"
    return f"{text}%"


def _top(ev: Evaluation) -> str:
    return f"{ev.scale.max.normalize():f}"


def choice_reason(ev: Evaluation, ranking: Ranking, chosen: str, reason: str | None) -> str:
    """Why ``chosen``: the buyer's reason, else the ranking's (first, and by how much)."""
    if reason:
        return reason
    standing = ranking.of(chosen)
    if standing.rank != 1:
        return f"ranked {standing.place} with {_num(standing.exact)} of {_top(ev)}"
    if standing.tied:
        others = ", ".join(s.name for s in ranking.first if s.candidate != chosen)
        return f"tied first with {others} at {_num(standing.exact)} of {_top(ev)}"
    decider = ranking.decider
    text = f"the highest weighted score, {_num(standing.exact)} of {_top(ev)}"
    if decider is not None:
        runner = ranking.standings[1]
        text += (
            f", {_num(decider.lead)} ahead of {runner.name}; "
            f"{ev.criterion_name(decider.criterion).lower()} decided it"
        )
    return text


def _ranking(ev: Evaluation, ranking: Ranking) -> Section:
    lead = ranking.standings[0].exact
    rows: list[tuple[Cell, ...]] = []
    for s in ranking.standings:
        gap = "" if s.exact == lead else f"−{_num(lead - s.exact)}"
        rows.append(
            (s.place, s.name, f"{_num(s.exact)} of {_top(ev)}", f"{ranking.percent(s)}%", gap)
        )
    blocks: list[Paragraph | Table] = [
        Table(
            ("rank", "candidate", "weighted score", "on the scale", "behind the first"),
            tuple(rows),
            numeric=frozenset({2, 3, 4}),
        )
    ]
    decider = ranking.decider
    if decider is not None:
        one, two = ranking.standings[0], ranking.standings[1]
        m1 = next(m for m in one.criteria if m.criterion == decider.criterion)
        m2 = next(m for m in two.criteria if m.criterion == decider.criterion)
        blocks.append(
            Paragraph(
                f"{ev.criterion_name(decider.criterion)} decided between {one.name} and "
                f"{two.name}: {_points(m1.weight)} × ({_num(m1.mean)} − {_num(m2.mean)}) = "
                f"{_num(decider.margin)} of the {_num(decider.lead)} lead.",
                label="Decided by",
            )
        )
    else:
        tied = ", ".join(s.name for s in ranking.first)
        blocks.append(Paragraph(f"{tied} are tied first: the buyer chooses.", label="A tie"))
    return Section(
        "Ranking",
        tuple(blocks),
        note="Weighted score = Σ weight × the evaluators' mean on each criterion; "
        "equal scores share a rank (=2).",
    )


def _mean_cell(s: Standing, criterion: str) -> str:
    m = next(m for m in s.criteria if m.criterion == criterion)
    if not m.spread:
        return _num(m.mean)
    values = [score for _, score, _ in m.scores]
    return f"{_num(m.mean)} ({min(values).normalize():f}–{max(values).normalize():f})"


def _means(ev: Evaluation, ranking: Ranking) -> Section:
    weights = {m.criterion: m.weight for m in ranking.standings[0].criteria}
    columns = ("criterion", "weight", *(s.name for s in ranking.standings))
    rows: list[tuple[Cell, ...]] = [
        (
            c.name or c.id,
            _points(weights[c.id]),
            *(_mean_cell(s, c.id) for s in ranking.standings),
        )
        for c in ev.criteria
    ]
    rows.append(("Weighted score", "100%", *(_num(s.exact) for s in ranking.standings)))
    return Section(
        "Criteria, weights and means",
        (Table(columns, tuple(rows), numeric=frozenset(range(1, len(columns)))),),
        note="Weighed before any candidate was scored. Each cell is the mean of the "
        "evaluators' scores, (2–4) the lowest and highest where they differ.",
    )


def _evaluators(ev: Evaluation, ranking: Ranking) -> Section:
    people = Facts(
        (Fact("Scored by", ", ".join(f"{e.name or e.person} ({e.person})" for e in ev.evaluators)),)
    )
    blocks: list[Facts | Bullets | Paragraph] = [people]
    split = [
        f"{s.name}, {ev.criterion_name(m.criterion).lower()}: "
        + ", ".join(f"{who} {score.normalize():f}" for who, score, _ in m.scores)
        + f" (spread {m.spread.normalize():f})"
        for s, m in ranking.disagreements()
    ]
    if split:
        blocks.append(Bullets(tuple(split), label="Disagreements"))
    else:
        blocks.append(Paragraph("no spread of 40% of the scale or more.", label="Disagreements"))
    notes = [
        f"{who} on {s.name}, {ev.criterion_name(m.criterion).lower()} "
        f"({score.normalize():f}): {note}"
        for s in ranking.standings
        for m in s.criteria
        for who, score, note in m.scores
        if note
    ]
    if notes:
        blocks.append(Bullets(tuple(notes), label="Notes"))
    return Section("Evaluators", tuple(blocks))


def selection_report(
    ev: Evaluation,
    ranking: Ranking,
    *,
    chosen: str,
    reason: str | None = None,
    version: str | None = None,
) -> Document:
    """The report of ``ev``'s ranking and the choice of ``chosen`` (the first, unless the
    buyer chose another with ``reason``); ``version`` is the evaluation file's SHA-256."""
    standing = ranking.of(chosen)
    facts = [
        Fact(
            "Chosen",
            f"{standing.name} ({chosen}), ranked {standing.place} of {len(ranking.standings)}",
        ),
        Fact("Why", choice_reason(ev, ranking, chosen, reason)),
    ]
    if version:
        facts.append(Fact("Evaluation file", f"sha256:{version}"))
    choice = Facts(tuple(facts))
    who = f"{ev.buyer} · " if ev.buyer else ""
    when = f" · {ev.date.isoformat()}" if ev.date else ""
    evaluators = len(ev.evaluators)
    subtitle = (
        f"{who}{len(ev.candidates)} candidates · {len(ev.criteria)} criteria · "
        f"{evaluators} evaluator{'s' if evaluators != 1 else ''} · scores "
        f"{ev.scale.min.normalize():f} (worst) to {_top(ev)} (best){when}"
    )
    return Document(
        kind="selection-report",
        name="Supplier selection",
        deal_id=ev.deal or "no deal named",
        title=ev.title or f"Choosing among {len(ev.candidates)} suppliers",
        subtitle=subtitle,
        version=None,  # the deal's version is not the evaluation's: its hash is a fact
        sections=(
            Section("Choice", (choice,)),
            _ranking(ev, ranking),
            _means(ev, ranking),
            _evaluators(ev, ranking),
        ),
    )
