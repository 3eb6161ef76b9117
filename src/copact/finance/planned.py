"""The planned case of one or several deals: NPV, IRR, peak exposure, payback per party, and
the JSON shape of ``copact simulate`` (DESIGN §11).

Each party of a deal with other mechanisms also has ``mechanisms`` (a deal without them keeps
the shape above): the money of each mechanism the deal has (volume rebates, convertible
support and its service credits, bonuses, revenue share; in a simulation also shortfalls and
cost-plus overruns reimbursed), signed as the party sees it — the planned sum, and the mean
per run of a simulation — so two structures side by side show where the money differs. The
convertible-support starter (100,000.00 from 2026-07-01, its first window moved to 2026-10-01)
plans ``{"support": "-20000.00", "service-credits": "23000.00"}`` for the buyer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from copact.core.deal import Deal
from copact.core.money import Money
from copact.finance.assumptions import Assumptions
from copact.finance.flows import Flow, planned_flows
from copact.finance.mechanisms import MECHANISM_KINDS
from copact.finance.montecarlo import SimulationResult
from copact.finance.returns import payback, peak_exposure, xirr, xnpv

__all__ = ["planned_case", "simulation_json"]


def _dated(flows: list[Flow]) -> list[tuple[Any, float]]:
    return [(f.date, float(f.amount.amount)) for f in flows]


def _money(value: float) -> str:
    return f"{value:.2f}"


def _mechanisms(deal: Deal, flows: dict[str, list[Flow]]) -> dict[str, dict[str, str]]:
    """Per party, the planned sum of each mechanism's flows the deal has (exact); cost-plus
    shows its overrun reimbursed, nothing in the plan (the milestones release the costs)."""
    currency = deal.money_currency
    kinds = [
        k
        for k in MECHANISM_KINDS
        if any(f.kind == k for fs in flows.values() for f in fs)
        or (k == "overrun-reimbursed" and deal.cost_plus is not None)
    ]
    out: dict[str, dict[str, str]] = {}
    for party, items in flows.items():
        sums = {}
        for kind in kinds:
            total = sum((f.amount.amount for f in items if f.kind == kind), Decimal(0))
            sums[kind] = str(Money.of(total, currency).quantize().amount)
        out[party] = sums
    return out


def planned_case(deal: Deal, assumptions: Assumptions | None = None) -> dict[str, Any]:
    rate = (
        float(deal.business_case.discount_rate.fraction)
        if deal.business_case and deal.business_case.discount_rate
        else 0.0
    )
    parties: dict[str, Any] = {}
    every = planned_flows(deal, assumptions)
    mechanisms = _mechanisms(deal, every)
    for party, flows in every.items():
        dated = _dated(flows)
        back = payback(dated)
        irr = xirr(dated, start=deal.effective)
        parties[party] = {
            "npv": _money(xnpv(rate, dated, start=deal.effective)),
            "irr": round(irr, 6) if irr is not None else None,
            "peak_exposure": _money(peak_exposure(dated)),
            "payback": back.isoformat() if back else None,
            "flows": [
                {
                    "date": f.date.isoformat(),
                    "amount": str(f.amount.quantize().amount),
                    "label": f.label,
                    "kind": f.kind,
                }
                for f in flows
            ],
        }
        if mechanisms[party]:  # only a deal with mechanisms has them (the shape stays §11's)
            parties[party]["mechanisms"] = mechanisms[party]
    return {"parties": parties}


def simulation_json(
    deal: Deal, result: SimulationResult | None, assumptions: Assumptions | None = None
) -> dict[str, Any]:
    simulated = None
    if result is not None:
        simulated = {
            "runs": result.runs,
            "seed": result.seed,
            "completion": round(result.completion, 6),
            "parties": {
                p: {
                    "npv": {k: _money(getattr(s, k)) for k in ("mean", "std", "p5", "p50", "p95")},
                    "p_loss": round(s.p_loss, 6),
                    "irr_p50": round(s.irr_p50, 6) if s.irr_p50 is not None else None,
                    "peak_exposure_p95": _money(s.peak_exposure_p95),
                }
                | (
                    {"mechanisms": {k: _money(v) for k, v in result.mechanisms[p].items()}}
                    if result.mechanisms.get(p)
                    else {}
                )
                for p, s in result.parties.items()
            },
        }
    planned = planned_case(deal, assumptions)
    return {
        "deal": deal.id,
        "structure": deal.structure.value,
        "planned": planned,
        "simulated": simulated,
    }
