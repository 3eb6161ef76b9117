"""The planned case of one or several deals: NPV, IRR, peak exposure, payback per party, and
the JSON shape of ``copact simulate`` (DESIGN §11)."""

from __future__ import annotations

from typing import Any

from copact.core.deal import Deal
from copact.finance.flows import Flow, planned_flows
from copact.finance.montecarlo import SimulationResult
from copact.finance.returns import payback, peak_exposure, xirr, xnpv

__all__ = ["planned_case", "simulation_json"]


def _dated(flows: list[Flow]) -> list[tuple[Any, float]]:
    return [(f.date, float(f.amount.amount)) for f in flows]


def _money(value: float) -> str:
    return f"{value:.2f}"


def planned_case(deal: Deal) -> dict[str, Any]:
    rate = (
        float(deal.business_case.discount_rate.fraction)
        if deal.business_case and deal.business_case.discount_rate
        else 0.0
    )
    parties: dict[str, Any] = {}
    for party, flows in planned_flows(deal).items():
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
                }
                for f in flows
            ],
        }
    return {"parties": parties}


def simulation_json(deal: Deal, result: SimulationResult | None) -> dict[str, Any]:
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
                for p, s in result.parties.items()
            },
        }
    return {"deal": deal.id, "planned": planned_case(deal), "simulated": simulated}
