"""Choosing the supplier before signing: an evaluation of at least three candidates on weighted
pre-qualification criteria, scored by each evaluator, and the ranking it gives.

An evaluation (``examples/selection/hybrid-dc1-evaluation.yaml``) names the criteria and their
weights (adding up to 100%), a score scale (0 to 5), the candidates, and per evaluator a score
per candidate per criterion. :func:`check_evaluation` returns every problem as a
:class:`~copact.core.diagnostic.Diagnostic` with its JSON pointer (the caller places it on a
line); :func:`rank` computes, exactly (fractions, never floats):

- per candidate per criterion the mean of the evaluators' scores, and their spread (max − min);
- the weighted score ``Σ weight × mean / Σ weight``, on the scale (out of 5), shown to two
  decimals half-even; the rank (equal exact scores are a tie and share it);
- the criterion that decided between the first two: the largest ``weight × (mean₁ − mean₂)``.

Worked example (two criteria, 60% and 40%; two evaluators; scale 0–5)::

    voltworks  expertise 5, 4 → mean 4.5    service 3, 3 → mean 3.0
    gridco     expertise 3, 3 → mean 3.0    service 5, 4 → mean 4.5
    voltworks  0.6 × 4.5 + 0.4 × 3.0 = 3.90     gridco  0.6 × 3.0 + 0.4 × 4.5 = 3.60
    decided by expertise: 0.6 × 1.5 = 0.90 against service's 0.4 × −1.5 = −0.60
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from copact.core.deal import Deal
from copact.core.diagnostic import Diagnostic, Severity, escape_pointer
from copact.core.mechanisms import Candidate, Selection
from copact.core.model import Model, Slug
from copact.core.quantities import Percent

__all__ = [
    "DISAGREEMENT",
    "MAX_CANDIDATES",
    "MAX_CRITERIA",
    "MAX_EVALUATORS",
    "MIN_CANDIDATES",
    "CriterionMean",
    "Decider",
    "Evaluation",
    "EvaluationCandidate",
    "Evaluator",
    "Mark",
    "Ranking",
    "Scale",
    "Standing",
    "check_against_deal",
    "check_evaluation",
    "rank",
    "selection_of",
    "shown",
]

MIN_CANDIDATES = 3
MAX_CANDIDATES = 50
MAX_CRITERIA = 30
MAX_EVALUATORS = 30
MAX_NAME = 200
MAX_NOTE = 1_000
DISAGREEMENT = Fraction(2, 5)
"""Evaluators disagree on a candidate's criterion when their spread is 40% of the scale or
more (2 points on a 0–5 scale)."""

_CENT = Decimal("0.01")


def _score(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError("a score is a number such as 4 or 3.5")
    number = Decimal(value)
    if not number.is_finite() or abs(number) > 1_000_000:
        raise ValueError("a score is a number between -1,000,000 and 1,000,000")
    return number


Score = Annotated[Decimal, BeforeValidator(_score)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME, strip_whitespace=True)]
Note = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NOTE, strip_whitespace=True)]


class Scale(Model):
    """The scores allowed, ``min`` (worst) to ``max`` (best), e.g. 0 to 5."""

    min: Score = Decimal(0)
    max: Score = Decimal(5)

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.min >= self.max:
            raise ValueError("the scale's max must be above its min, e.g. {min: 0, max: 5}")
        return self


class Criterion(Model):
    id: Slug
    name: Name | None = None
    weight: Percent


class EvaluationCandidate(Model):
    id: Slug
    """The supplier's id: the party id it has, or will have, in the deal (``voltworks``)."""
    name: Name


class Mark(Model):
    """A score with the evaluator's note: ``{score: 2, note: nearest technician is 3 h away}``."""

    score: Score
    note: Note | None = None


def _as_mark(value: Any) -> Any:
    return value if isinstance(value, (dict, Mark)) else {"score": value}


Marked = Annotated[Mark, BeforeValidator(_as_mark)]
"""A score, written ``4`` or ``{score: 4, note: …}``."""


class Evaluator(Model):
    person: Slug
    """A person id (of the buyer, in the deal's ``people``)."""
    name: Name | None = None
    scores: dict[Slug, Annotated[dict[Slug, Marked], Field(max_length=MAX_CRITERIA)]] = Field(
        max_length=MAX_CANDIDATES
    )
    """Candidate id → criterion id → a score, or a score with a note."""


class Evaluation(Model):
    """An evaluation file: what was weighed, who scored whom, on which scale."""

    copact_evaluation: Literal[1]
    deal: Slug | None = None
    """The deal the chosen supplier signs (its ``id``)."""
    buyer: Slug | None = None
    title: Name | None = None
    date: dt.date | None = None
    scale: Scale = Scale()
    criteria: list[Criterion] = Field(min_length=1, max_length=MAX_CRITERIA)
    candidates: list[EvaluationCandidate] = Field(min_length=1, max_length=MAX_CANDIDATES)
    evaluators: list[Evaluator] = Field(min_length=1, max_length=MAX_EVALUATORS)

    def name_of(self, candidate: str) -> str:
        return next((c.name for c in self.candidates if c.id == candidate), candidate)

    def criterion_name(self, criterion: str) -> str:
        return next((c.name or c.id for c in self.criteria if c.id == criterion), criterion)


# --- the problems ---------------------------------------------------------------------------


def _problem(code: str, message: str, hint: str, *steps: str | int) -> Diagnostic:
    pointer = "".join(f"/{escape_pointer(s)}" for s in steps)
    return Diagnostic(code, Severity.ERROR, message, hint, pointer)


def _duplicates(ev: Evaluation) -> Iterator[Diagnostic]:
    for key, items in (
        ("criteria", [c.id for c in ev.criteria]),
        ("candidates", [c.id for c in ev.candidates]),
        ("evaluators", [e.person for e in ev.evaluators]),
    ):
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item in seen:
                field = "person" if key == "evaluators" else "id"
                yield _problem(
                    "Q857",
                    f"{key}: {item!r} appears twice",
                    "list each one once",
                    key,
                    index,
                    field,
                )
            seen.add(item)


def _weights(ev: Evaluation) -> Iterator[Diagnostic]:
    for index, c in enumerate(ev.criteria):
        if c.weight.fraction <= 0:
            yield _problem(
                "Q852",
                f"criterion {c.id!r} weighs {c.weight}",
                "a criterion that does not count is left out; give each a weight above 0%",
                "criteria",
                index,
                "weight",
            )
    total = sum((c.weight.fraction for c in ev.criteria), Decimal(0))
    if total != 1:
        yield _problem(
            "Q852",
            f"the criteria's weights add up to {Percent(total)}, not 100%",
            "weigh the criteria before scoring so that they add up to 100%",
            "criteria",
        )


def _scores(ev: Evaluation) -> Iterator[Diagnostic]:
    criteria = [c.id for c in ev.criteria]
    candidates = [c.id for c in ev.candidates]
    low, high = ev.scale.min, ev.scale.max
    for e_index, e in enumerate(ev.evaluators):
        where = ("evaluators", e_index, "scores")
        for candidate, marks in e.scores.items():
            if candidate not in candidates:
                yield _problem(
                    "Q856",
                    f"{e.person} scores {candidate!r}, which is not a candidate",
                    "candidates: " + ", ".join(candidates),
                    *where,
                    candidate,
                )
                continue
            for criterion, mark in marks.items():
                if criterion not in criteria:
                    yield _problem(
                        "Q856",
                        f"{e.person} scores {candidate} on {criterion!r}, which is not a criterion",
                        "criteria: " + ", ".join(criteria),
                        *where,
                        candidate,
                        criterion,
                    )
                    continue
                value = mark.score
                if not low <= value <= high:
                    yield _problem(
                        "Q854",
                        f"{e.person} scores {candidate} {value} on {criterion}, outside the "
                        f"scale {low} to {high}",
                        f"score from {low} (worst) to {high} (best)",
                        *where,
                        candidate,
                        criterion,
                    )
            left = [c for c in criteria if c not in marks]
            if left:
                yield _problem(
                    "Q855",
                    f"{e.person} left out {candidate}'s score on {', '.join(left)}",
                    "every evaluator scores every candidate on every criterion",
                    *where,
                    candidate,
                )
        for candidate in candidates:
            if candidate not in e.scores:
                yield _problem(
                    "Q855",
                    f"{e.person} left out {candidate}",
                    f"add `{candidate}: {{{criteria[0]}: …}}` under the evaluator's scores",
                    *(where if e.scores else where[:2]),
                )


def check_evaluation(ev: Evaluation) -> list[Diagnostic]:
    """Every problem of a well-formed evaluation, each at its JSON pointer (errors all)."""
    found = [*_duplicates(ev), *_weights(ev), *_scores(ev)]
    if len(ev.candidates) < MIN_CANDIDATES:
        found.append(
            _problem(
                "Q853",
                f"only {len(ev.candidates)} candidate(s): a selection compares at least "
                f"{MIN_CANDIDATES}",
                "evaluate at least three suppliers on the same criteria",
                "candidates",
            )
        )
    return found


def check_against_deal(ev: Evaluation, deal: Deal) -> list[Diagnostic]:
    """Warnings (Q858) when the evaluation does not fit the deal it chooses for: another deal's
    id, an evaluator who is not one of its people, or one of another party than the buyer."""
    found: list[Diagnostic] = []
    hint = "the buyer's people score the candidates; name them in the deal's people"

    def warn(message: str, *steps: str | int) -> None:
        pointer = "".join(f"/{escape_pointer(s)}" for s in steps)
        found.append(Diagnostic("Q858", Severity.WARNING, message, hint, pointer))

    if ev.deal is not None and ev.deal != deal.id:
        warn(f"the evaluation is for deal {ev.deal!r}, not {deal.id!r}", "deal")
    buyers = {ev.buyer} if ev.buyer else {p.id for p in deal.parties_with_role("buyer")}
    for index, e in enumerate(ev.evaluators):
        person = deal.person(e.person)
        if person is None:
            warn(f"evaluator {e.person!r} is not a person of {deal.id}", "evaluators", index)
        elif buyers and person.party not in buyers:
            warn(
                f"evaluator {e.person!r} is of {person.party}, not the buyer",
                "evaluators",
                index,
                "person",
            )
    return found


# --- the ranking ----------------------------------------------------------------------------


def shown(value: Fraction | Decimal, places: int = 2) -> Decimal:
    """``value`` to ``places`` decimals, half-even, exactly (``Fraction(79, 20)`` → ``3.95``,
    ``Fraction(3925, 1000)`` → ``3.92``)."""
    scaled = Fraction(value) * 10**places
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and whole % 2):
        whole += 1
    return Decimal(whole).scaleb(-places)


@dataclass(frozen=True, slots=True)
class CriterionMean:
    """One candidate on one criterion: the evaluators' scores, their mean and spread."""

    criterion: str
    weight: Fraction
    """The criterion's share of all the weights (0.25 for 25% of 100%)."""
    mean: Fraction
    spread: Decimal
    scores: tuple[tuple[str, Decimal, str | None], ...]
    """(person, score, note), in the evaluators' order."""

    @property
    def contribution(self) -> Fraction:
        return self.weight * self.mean


@dataclass(frozen=True, slots=True)
class Standing:
    candidate: str
    name: str
    rank: int
    tied: bool
    exact: Fraction
    criteria: tuple[CriterionMean, ...]

    @property
    def score(self) -> Decimal:
        """The weighted score to two decimals, half-even (``3.95``)."""
        return shown(self.exact)

    @property
    def place(self) -> str:
        """``1``, or ``=2`` when tied."""
        return f"={self.rank}" if self.tied else str(self.rank)


@dataclass(frozen=True, slots=True)
class Decider:
    """What decided between the first two: the criterion adding most to the leader's lead."""

    criterion: str
    margin: Fraction
    """weight × (leader's mean − runner-up's mean) on that criterion."""
    lead: Fraction
    """The leader's weighted score less the runner-up's."""


@dataclass(frozen=True, slots=True)
class Ranking:
    scale: Scale
    standings: tuple[Standing, ...]
    decider: Decider | None
    """None when the first two are tied (or there is one candidate)."""

    @property
    def first(self) -> tuple[Standing, ...]:
        """The candidate ranked first, or all of those tied first."""
        return tuple(s for s in self.standings if s.rank == 1)

    def of(self, candidate: str) -> Standing:
        return next(s for s in self.standings if s.candidate == candidate)

    def disagreements(self) -> list[tuple[Standing, CriterionMean]]:
        """Where the evaluators' spread is :data:`DISAGREEMENT` of the scale or more."""
        width = Fraction(self.scale.max - self.scale.min)
        return [
            (s, m)
            for s in self.standings
            for m in s.criteria
            if len(m.scores) > 1 and Fraction(m.spread) >= DISAGREEMENT * width
        ]

    def percent(self, standing: Standing) -> Decimal:
        """Where the score lies on the scale, 0 to 100 (for a bar), one decimal."""
        low, high = Fraction(self.scale.min), Fraction(self.scale.max)
        return shown((standing.exact - low) / (high - low) * 100, 1)


def _means(ev: Evaluation, candidate: str, total: Fraction) -> tuple[CriterionMean, ...]:
    out = []
    for c in ev.criteria:
        given: list[tuple[str, Decimal, str | None]] = []
        for e in ev.evaluators:
            mark = e.scores.get(candidate, {}).get(c.id)
            if mark is None:
                continue  # check_evaluation reports it; the mean is of the scores given
            given.append((e.person, mark.score, mark.note))
        values = [v for _, v, _ in given]
        mean = sum((Fraction(v) for v in values), Fraction(0)) / len(values) if values else None
        out.append(
            CriterionMean(
                criterion=c.id,
                weight=Fraction(c.weight.fraction) / total,
                mean=Fraction(ev.scale.min) if mean is None else mean,
                spread=(max(values) - min(values)) if values else Decimal(0),
                scores=tuple(given),
            )
        )
    return tuple(out)


def rank(ev: Evaluation) -> Ranking:
    """The candidates ranked by weighted score (an evaluation :func:`check_evaluation` passes).

    Weights count for their share of the total, so ``{a: 60%, b: 40%}`` and ``{a: 3%, b: 2%}``
    rank alike; equal exact scores share a rank, listed by id."""
    total = sum((Fraction(c.weight.fraction) for c in ev.criteria), Fraction(0))
    if total <= 0:
        raise ValueError("the criteria's weights add up to zero")
    scored = []
    for candidate in ev.candidates:
        means = _means(ev, candidate.id, total)
        exact = sum((m.contribution for m in means), Fraction(0))
        scored.append((candidate, exact, means))
    scored.sort(key=lambda item: (-item[1], item[0].id))
    counts: dict[Fraction, int] = {}
    for _, exact, _ in scored:
        counts[exact] = counts.get(exact, 0) + 1
    standings = []
    for candidate, exact, means in scored:
        first = next(i for i, item in enumerate(scored) if item[1] == exact)
        standings.append(
            Standing(candidate.id, candidate.name, first + 1, counts[exact] > 1, exact, means)
        )
    return Ranking(ev.scale, tuple(standings), _decider(standings))


def _decider(standings: list[Standing]) -> Decider | None:
    if len(standings) < 2 or standings[0].exact == standings[1].exact:
        return None
    one, two = standings[0], standings[1]
    margins = [
        (m1.weight * (m1.mean - m2.mean), m1.criterion)
        for m1, m2 in zip(one.criteria, two.criteria, strict=True)
    ]
    margin, criterion = max(margins, key=lambda item: item[0])
    return Decider(criterion, margin, one.exact - two.exact)


def selection_of(ev: Evaluation, ranking: Ranking, *, chosen: str, reason: str | None) -> Selection:
    """The deal's ``selection`` section: each candidate's weighted score (two decimals), the
    criteria and their weights, the chosen supplier and the buyer's reason, if any."""
    return Selection(
        candidates=[Candidate(id=s.candidate, score=s.score) for s in ranking.standings],
        criteria={c.id: c.weight for c in ev.criteria},
        chosen=chosen,
        reason=reason,
    )
