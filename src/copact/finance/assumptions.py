"""The assumptions file of a Monte Carlo run (DESIGN §7), read with the deal file's loader so
every mistake has its line and column::

    runs: 10000
    seed: 7
    milestones:
      "*": {pass: 95%, slip-days: [0, 10, 60]}      # triangular(min, mode, max)
      stable-90-days: {pass: 85%}
    costs: {overrun: [0%, 5%, 40%]}
    flows:
      avoided downtime: {scale: [50%, 100%, 130%]}
    volume: {quantity: [70%, 100%, 125%]}         # each contract year, of the commitment
    bonuses:
      "*": {probability: 40%}                      # paid at the scope timeline's end
      performance-bonus: {probability: 60%, on: 2028-03-31}
    revenue-share: {sales: 412000, every: quarter, from: 2027-01-01, scale: [60%, 100%, 140%]}

A probability is between 0% and 100%; a triple is [min, mode, max] in that order; slips are
days ≥ 0, a cost overrun at least −100% (the cost is at least nothing), a scale or a quantity
at least 0%, sales a positive amount per period. Anything else is an E002 at its key, like a
deal file's.

What each mechanism's entry moves (the flows are in :mod:`copact.finance.mechanisms`):

- ``volume.quantity``: each contract year's purchases are the commitment × one triangular
  draw per year and run; the tier reached gives the rebate (and, with ``shortfall: invoice``,
  the shortfall). Without it the years buy exactly the commitment.
- ``bonuses``: a bonus of the deal is paid with its probability on ``on`` (the ``"*"`` entry
  for the bonuses not named). The planned case counts probability × amount; a bonus without
  an entry is left out of both (a bonus is uncertain).
- ``revenue-share``: the reporting party's sales of each period from ``from``; the share is
  paid after each period, of the sales × one triangular scale per run (the planned case: of
  the sales as written).
- ``costs.overrun`` also moves money under ``cost-plus``: the buyer reimburses the overrun
  with the markup, up to what the cap leaves after the planned invoices.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from copact.core.diagnostic import Diagnostic, Severity, escape_pointer
from copact.core.quantities import Percent
from copact.dealfile.nodes import YamlFault, parse_yaml

__all__ = [
    "Assumptions",
    "BonusAssumption",
    "MilestoneAssumption",
    "RevenueAssumption",
    "load_assumptions",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _probability(v: Percent) -> Percent:
    if not 0 <= v.fraction <= 1:
        raise ValueError(f"pass is a probability between 0% and 100%, not {v}")
    return v


def _slips(v: tuple[int, int, int]) -> tuple[int, int, int]:
    if not 0 <= v[0] <= v[1] <= v[2]:
        raise ValueError("slip-days is [min, mode, max] with 0 ≤ min ≤ mode ≤ max")
    return v


Triple = tuple[Percent, Percent, Percent]


def _triple(v: Triple, *, name: str, floor: Decimal) -> Triple:
    lo, mode, hi = (p.fraction for p in v)
    if not floor <= lo <= mode <= hi:
        written = ", ".join(map(str, v))
        raise ValueError(
            f"{name} is [min, mode, max] with {Percent(floor)} ≤ min ≤ mode ≤ max, not [{written}]"
        )
    return v


class MilestoneAssumption(_Model):
    pass_: Percent = Field(default=Percent(Decimal(1)), alias="pass")
    slip_days: tuple[int, int, int] = Field(default=(0, 0, 0), alias="slip-days")

    _pass = field_validator("pass_")(_probability)
    _ordered = field_validator("slip_days")(_slips)


class _Partial(_Model):
    """A milestone entry as written: either key may be left to the "*" entry."""

    pass_: Percent | None = Field(default=None, alias="pass")
    slip_days: tuple[int, int, int] | None = Field(default=None, alias="slip-days")

    _pass = field_validator("pass_")(_probability)
    _ordered = field_validator("slip_days")(_slips)

    def over(self, base: MilestoneAssumption) -> MilestoneAssumption:
        return MilestoneAssumption(
            pass_=self.pass_ if self.pass_ is not None else base.pass_,
            slip_days=self.slip_days if self.slip_days is not None else base.slip_days,
        )


class _Spread(_Model):
    overrun: Triple = (
        Percent(Decimal(0)),
        Percent(Decimal(0)),
        Percent(Decimal(0)),
    )

    @field_validator("overrun")
    @classmethod
    def _multiplier(cls, v: Triple) -> Triple:
        return _triple(v, name="overrun", floor=Decimal(-1))  # 1 + overrun scales the cost


class _Scale(_Model):
    scale: Triple

    @field_validator("scale")
    @classmethod
    def _multiplier(cls, v: Triple) -> Triple:
        return _triple(v, name="scale", floor=Decimal(0))


_CERTAIN: Triple = (Percent(Decimal(1)), Percent(Decimal(1)), Percent(Decimal(1)))


class _Volume(_Model):
    quantity: Triple = _CERTAIN

    @field_validator("quantity")
    @classmethod
    def _multiplier(cls, v: Triple) -> Triple:
        return _triple(v, name="quantity", floor=Decimal(0))


class BonusAssumption(_Model):
    """How likely a bonus is paid, and on which day (the scope timeline's end when not given)."""

    probability: Percent
    on: date | None = None

    @field_validator("probability")
    @classmethod
    def _between(cls, v: Percent) -> Percent:
        if not 0 <= v.fraction <= 1:
            raise ValueError(f"probability is between 0% and 100%, not {v}")
        return v


class RevenueAssumption(_Model):
    """The reporting party's sales of each period, from ``from``, and their spread."""

    sales: Annotated[Decimal, Field(gt=0, le=Decimal("1e15"), allow_inf_nan=False)]
    every: Literal["month", "quarter", "year"] = "quarter"
    from_: date = Field(alias="from")
    scale: Triple = _CERTAIN

    @field_validator("scale")
    @classmethod
    def _multiplier(cls, v: Triple) -> Triple:
        return _triple(v, name="scale", floor=Decimal(0))


class _File(_Model):
    runs: Annotated[int, Field(gt=0, le=10_000_000)] = 10_000
    seed: int = 0
    milestones: dict[str, _Partial] = {}
    costs: _Spread = _Spread()
    flows: dict[str, _Scale] = {}
    volume: _Volume = _Volume()
    bonuses: dict[str, BonusAssumption] = {}
    revenue_share: RevenueAssumption | None = Field(default=None, alias="revenue-share")


def _floats(v: Triple) -> tuple[float, float, float]:
    return (float(v[0].fraction), float(v[1].fraction), float(v[2].fraction))


class Assumptions:
    """Parsed assumptions; per-milestone entries fall back to ``"*"``, then to certainty."""

    def __init__(self, data: _File) -> None:
        self.runs = data.runs
        self.seed = data.seed
        star = data.milestones.get("*", _Partial())
        self._default = star.over(MilestoneAssumption())
        self._milestones = {k: v.over(self._default) for k, v in data.milestones.items()}
        o = data.costs.overrun
        self.overrun = (float(o[0].fraction), float(o[1].fraction), float(o[2].fraction))
        self.flows: dict[str, tuple[float, float, float]] = {
            label: (float(lo.fraction), float(mode.fraction), float(hi.fraction))
            for label, (lo, mode, hi) in ((k, v.scale) for k, v in data.flows.items())
        }

        self.volume_quantity = _floats(data.volume.quantity)
        self.bonuses = dict(data.bonuses)
        self.revenue_share = data.revenue_share

    def for_bonus(self, bonus_id: str) -> BonusAssumption | None:
        """The bonus's own entry, else the ``"*"`` entry, else None (not paid in the plan)."""
        return self.bonuses.get(bonus_id, self.bonuses.get("*"))

    def for_milestone(self, milestone_id: str) -> MilestoneAssumption:
        return self._milestones.get(milestone_id, self._default)

    @classmethod
    def certain(cls) -> Assumptions:
        return cls(_File())


def load_assumptions(text: str, path: str) -> Assumptions | list[Diagnostic]:
    """Parse an assumptions file; problems come back as diagnostics with their place."""
    parsed = parse_yaml(text)
    if isinstance(parsed, YamlFault):
        return [
            Diagnostic(
                "E001",
                Severity.ERROR,
                parsed.message,
                parsed.hint or "fix the YAML",
                "",
                path,
                parsed.line,
                parsed.column,
            )
        ]
    data, positions, _ = parsed
    try:
        return Assumptions(_File.model_validate(data or {}))
    except ValidationError as exc:
        out = []
        for error in exc.errors(include_url=False):
            pointer = "".join(
                f"/{escape_pointer(str(p))}" for p in error["loc"] if isinstance(p, (str, int))
            )
            line, column = positions.locate(pointer)
            where = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            out.append(
                Diagnostic(
                    "E002",
                    Severity.ERROR,
                    f"{where}: {message}",
                    "see DESIGN §7 for the assumptions file",
                    pointer,
                    path,
                    line,
                    column,
                )
            )
        return out
