"""Supplier selection as one service for the command line and the web: an evaluation file in,
its ranking, the choice, the report and the deal's ``selection`` section out.

``copact select`` and ``POST /deals/{deal}/selection`` both call :func:`evaluate` (the
problems placed on their lines, or the ranking), :func:`choose` (the first, or the buyer's
choice with a reason) and :func:`ranking_json`; ``--write`` calls :func:`write_choice`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from copact.core.deal import Deal
from copact.core.diagnostic import Diagnostic
from copact.core.selection import Evaluation, Ranking, rank, selection_of, shown
from copact.dealfile.evaluation import LoadedEvaluation, load_bytes, write_selection
from copact.documents.layout import Document
from copact.documents.selection_report import choice_reason, selection_report
from copact.errors import CopactError

__all__ = [
    "Choice",
    "Evaluated",
    "NotChosen",
    "choose",
    "evaluate",
    "ranking_json",
    "report_of",
    "write_choice",
]


class NotChosen(CopactError):
    """The choice cannot be made as asked (an unknown candidate, a reason missing, a tie)."""


@dataclass(frozen=True)
class Evaluated:
    """An evaluation file as read: its problems, and its ranking when it has no errors."""

    name: str
    sha256: str
    loaded: LoadedEvaluation
    ranking: Ranking | None

    @property
    def problems(self) -> list[Diagnostic]:
        return self.loaded.diagnostics

    @property
    def evaluation(self) -> Evaluation:
        assert self.loaded.evaluation is not None
        return self.loaded.evaluation


@dataclass(frozen=True)
class Choice:
    candidate: str
    reason: str | None
    """The buyer's own reason, as given (None: the ranking's first, for its score)."""


def evaluate(raw: bytes, name: str, *, deal: Deal | None = None) -> Evaluated:
    """Read and rank an evaluation file's bytes (``name`` labels its problems)."""
    loaded = load_bytes(raw, name, deal=deal)
    ranking = None
    if loaded.evaluation is not None and not loaded.errors:
        ranking = rank(loaded.evaluation)
    return Evaluated(name, hashlib.sha256(raw).hexdigest(), loaded, ranking)


def choose(ranking: Ranking, *, candidate: str | None, reason: str | None) -> Choice:
    """The first of the ranking, or ``candidate``; another than the first needs a reason.

    >>> # voltworks 4.15, gridco 3.75: choose(r, candidate="gridco", reason=None) refuses
    """
    ids = [s.candidate for s in ranking.standings]
    text = reason.strip() if reason else None
    if candidate is None:
        first = ranking.first
        if len(first) > 1:
            tied = ", ".join(s.candidate for s in first)
            raise NotChosen(f"{tied} are tied first: choose one with --choose ID --reason TEXT")
        return Choice(first[0].candidate, text or None)
    if candidate not in ids:
        raise NotChosen(f"{candidate!r} is not a candidate of the evaluation ({', '.join(ids)})")
    standing = ranking.of(candidate)
    if (standing.rank != 1 or standing.tied) and not text:
        raise NotChosen(
            f"{candidate} is ranked {standing.place}, not first alone: give the buyer's reason "
            "(--reason TEXT)"
        )
    return Choice(candidate, text or None)


def report_of(evaluated: Evaluated, choice: Choice) -> Document:
    assert evaluated.ranking is not None
    return selection_report(
        evaluated.evaluation,
        evaluated.ranking,
        chosen=choice.candidate,
        reason=choice.reason,
        version=evaluated.sha256,
    )


def write_choice(deal_text: str, deal: Deal, evaluated: Evaluated, choice: Choice) -> str:
    """The deal's text with the selection written into it; the chosen must be a party of the
    deal (the supplier who signs), else :class:`NotChosen`."""
    if deal.party(choice.candidate) is None:
        raise NotChosen(
            f"{choice.candidate} is not a party of {deal.id}: add it to the deal's parties (the "
            "supplier who signs) before writing the choice"
        )
    assert evaluated.ranking is not None
    selection = selection_of(
        evaluated.evaluation, evaluated.ranking, chosen=choice.candidate, reason=choice.reason
    )
    source = evaluated.name.replace("\\", "/").rsplit("/", 1)[-1]
    comment = (
        f"chosen with `copact select {source[:60]}` (sha256:{evaluated.sha256[:12]}), "
        f"{len(evaluated.evaluation.evaluators)} evaluators"
    )
    return write_selection(deal_text, selection, comment=comment)


def _text(value: Any) -> str:
    return f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)


def ranking_json(evaluated: Evaluated, choice: Choice | None) -> dict[str, Any]:
    """What ``copact select -f json`` prints: the criteria, the ranking with each criterion's
    mean and spread, what decided, the disagreements and the choice (decimals as strings)."""
    ev, ranking = evaluated.evaluation, evaluated.ranking
    assert ranking is not None
    decider = ranking.decider
    return {
        "evaluation": evaluated.name,
        "sha256": evaluated.sha256,
        "deal": ev.deal,
        "scale": {"min": _text(ev.scale.min), "max": _text(ev.scale.max)},
        "criteria": [
            {"id": c.id, "name": c.name or c.id, "weight": str(c.weight)} for c in ev.criteria
        ],
        "ranking": [
            {
                "rank": s.rank,
                "tied": s.tied,
                "candidate": s.candidate,
                "name": s.name,
                "score": f"{s.score:f}",
                "percent": f"{ranking.percent(s):f}",
                "criteria": {
                    m.criterion: {
                        "mean": f"{shown(m.mean):f}",
                        "spread": _text(m.spread),
                        "scores": {who: _text(score) for who, score, _ in m.scores},
                    }
                    for m in s.criteria
                },
            }
            for s in ranking.standings
        ],
        "decided_by": None
        if decider is None
        else {
            "criterion": decider.criterion,
            "margin": f"{shown(decider.margin):f}",
            "lead": f"{shown(decider.lead):f}",
        },
        "disagreements": [
            {"candidate": s.candidate, "criterion": m.criterion, "spread": _text(m.spread)}
            for s, m in ranking.disagreements()
        ],
        "chosen": None if choice is None else choice.candidate,
        "reason": None
        if choice is None
        else choice_reason(ev, ranking, choice.candidate, choice.reason),
    }
