"""Fitting a deal's gainshare baseline as a use case (DESIGN §6.5): the data read and checked,
the deal's ``gainshare.model`` fitted, and the fit held against the hash it was locked with.
``copact baseline`` calls :func:`fit_deal_baseline` and renders what it returns::

    result = fit_deal_baseline(deal, Path("examples/baseline/hybrid-dc1-fuel.csv"))
    result.fitted.accepted, result.fitted.hash     # True, "sha256:…" (the hash in the deal)

Locking: a deal that holds ``gainshare.baseline.hash`` refuses a fit with another hash unless
``change`` names an approved change order that re-baselines (its journal as ``events``);
``locked`` does the same for a deal that does not hold the hash. Refusals are
:class:`~copact.errors.RefusedCommand`; the other errors are those of
:mod:`copact.services.inputs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from copact.core.changes import ChangeState
from copact.core.deal import Deal
from copact.core.events import Event, parse_events
from copact.core.gainshare import admit_baseline
from copact.core.mechanisms import BaselineModel
from copact.core.state import deal_state
from copact.errors import RefusedCommand
from copact.metering.baseline import FittedBaseline, baseline_to_json, fit_baseline
from copact.metering.baseline_data import BaselineData, read_baseline_data
from copact.services.inputs import (
    BadOption,
    InputFile,
    MalformedInput,
    MissingTerms,
    Source,
    read_text,
    source_name,
)

__all__ = ["BaselineResult", "draw_baseline_plot", "fit_deal_baseline"]


@dataclass(frozen=True, slots=True)
class BaselineResult:
    """A fitted baseline of a deal; ``locked`` is the hash it was held against (it matched,
    or an approved change order re-baselined), ``None`` when nothing locks it yet."""

    deal: str
    model: BaselineModel
    fitted: FittedBaseline
    locked: str | None = None

    @property
    def accepted(self) -> bool:
        return self.fitted.accepted

    def to_json(self) -> dict[str, object]:
        """DESIGN §11 ``baseline``: exactly what ``copact baseline --format json`` prints."""
        return baseline_to_json(self.deal, self.fitted)


def _model(deal: Deal) -> BaselineModel:
    g = deal.gainshare
    if g is None or g.model is None:
        raise MissingTerms(deal.id, "the deal has no gainshare model (gainshare.model) to fit")
    return g.model


def _period(deal: Deal) -> tuple[date, date] | None:
    b = deal.gainshare.baseline if deal.gainshare else None
    if b is None or b.from_ is None or b.to is None:
        return None
    return (b.from_, b.to)


def _data(source: Source, model: BaselineModel, period: tuple[date, date] | None) -> BaselineData:
    name = source_name(source)
    data, problems = read_baseline_data(read_text(source, "data"), name, model, period=period)
    if data is None:
        raise MalformedInput(f"{name}: {len(problems)} problem(s); nothing was fitted", problems)
    return data


def _journal(events: Source | Sequence[Event]) -> Sequence[Event]:
    if not isinstance(events, Path | InputFile):
        return events
    name = source_name(events)
    parsed, problems = parse_events(read_text(events, "events"), name)
    if problems:
        raise MalformedInput(f"{name}: {len(problems)} bad event line(s)", problems)
    return parsed


def _check_lock(
    deal: Deal,
    fitted: FittedBaseline,
    locked: str,
    *,
    change: str | None,
    events: Source | Sequence[Event] | None,
    on: date | None,
) -> None:
    b = deal.gainshare.baseline if deal.gainshare else None
    if b is None or b.locked is None:
        raise BadOption("locked", "{locked}: the deal's gainshare.baseline has no locked date")
    changes: Mapping[str, ChangeState] = {}
    if change is not None:
        if events is None:
            raise BadOption("change", "{change} needs the journal that approved it: {events} FILE")
        if on is None:
            raise ValueError("on: the day to judge the change order on is needed with change")
        changes = deal_state(deal, _journal(events), on=on).changes
    admit_baseline(
        deal,
        locked_hash=locked,
        locked_on=b.locked,
        candidate_hash=fitted.hash,
        changes=changes,
        via=change,
    )


def fit_deal_baseline(
    deal: Deal,
    data: Source,
    *,
    locked: str | None = None,
    change: str | None = None,
    events: Source | Sequence[Event] | None = None,
    on: date | None = None,
) -> BaselineResult:
    """Fit ``deal``'s gainshare baseline on ``data`` (a baseline CSV) and hold it against its
    lock: the hash in the deal, or ``locked``. A different hash is refused unless ``change``
    names a change order of ``events`` (a journal, as a file or as events) that re-baselines
    as the deal asks, judged on the day ``on``.

    A baseline that is not accepted (too little data, outside ``max-cvrmse``) is returned, not
    raised: its findings say why."""
    model = _model(deal)
    fitted = fit_baseline(_data(data, model, _period(deal)), model)
    written = deal.gainshare.baseline.hash if deal.gainshare and deal.gainshare.baseline else None
    if locked is None and written is not None:
        locked = written  # the deal file holds the hash both sides signed
        if written != fitted.hash and change is None:
            raise RefusedCommand(
                f"this fit's hash {fitted.hash[:19]}… is not the {written[:19]}… "
                "locked in the deal (gainshare.baseline.hash); a re-baseline is a change order "
                "that writes the new hash into the deal once both sides approve it"
            )
    if locked is not None:
        _check_lock(deal, fitted, locked, change=change, events=events, on=on)
    elif change is not None:
        raise BadOption("change", "{change} only makes sense with {locked} HASH")
    return BaselineResult(deal.id, model, fitted, locked)


def draw_baseline_plot(result: BaselineResult, path: Path) -> None:
    """Draw the baseline against the actuals into ``path`` (.png, .svg or .pdf); a file that
    cannot be written or a kind matplotlib does not know is :class:`BadOption`."""
    from copact.metering.baseline_plot import draw_baseline

    try:
        draw_baseline(result.deal, result.fitted, path, grain=result.model.grain)
    except (OSError, ValueError) as exc:
        raise BadOption(
            "plot", "{path}: cannot draw the plot: {why}", path=str(path), why=str(exc)
        ) from None
