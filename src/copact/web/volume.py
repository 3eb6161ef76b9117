"""The volume commitment on the web (issue 15 §2): the page ``/deals/{deal}/volume`` and its
JSON, ``GET /api/v1/deals/{deal}/volume``.

The page shows each contract year (the commitment, the confirmed quantity and amount, the
tier reached and its rebate, the units to the next tier and the rebate it would bring, the
forecast against the commitment, the true-up's documents), every recorded purchase with who
confirmed it, and the forms the user's role and party allow: record a month's purchases,
confirm those the other party recorded, record a forecast (the buyer), true up an ended year.
The forms post to the routes every command of ``copact.services.operations`` gets
(``POST /deals/{deal}/purchases``, ``…/purchases/{ref}/confirm``, ``…/forecasts``,
``…/volume-years/{year}/true-up``), which come back here.

Both routes ask the guard for ``deal.read``. A deal without a ``volume`` section has no
commitment: the page says so, the API answers 409.

Worked example (heat-sensor-housing): year 2026 with 31,200 housings confirmed shows
213,720.00, the 3% tier, a rebate of 6,411.60, and 4,800 housings to the 5% tier, which would
bring 12,330.00.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from copact.core.money import Money
from copact.core.volume import VolumeView
from copact.errors import RefusedCommand
from copact.web.deps import ApiUser, Ctx, PageUser, client_ip
from copact.web.pages import render_page
from copact.web.queries import view
from copact.web.schemas import ERRORS

__all__ = ["VolumeOut", "router", "volume_json"]

router = APIRouter()


class VolumeOut(BaseModel):
    """The volume commitment: quantities and amounts as decimal strings."""

    deal: str
    currency: str
    unit: str
    price: str | None
    commitment: str = Field(description="Units committed per contract period")
    per: str
    forecast: str | None = Field(description="How the buyer forecasts (volume.forecast)")
    shortfall: str
    years: list[dict[str, Any]] = Field(
        description="Per contract year: label, first, last, ended, commitment, quantity "
        "(confirmed), amount, pending_quantity, tier, rebate, next_at_least, next_rate, to_next, "
        "next_rebate, to_commitment, shortfall, rebate_note, shortfall_invoice, forecast, "
        "meets_commitment"
    )
    purchases: list[dict[str, Any]] = Field(
        description="Each recorded purchase: ref, period, quantity, amount, by, recorded_on, "
        "confirmed_by, confirmed_on"
    )
    latest_forecast: dict[str, Any] | None


def _text(value: Decimal | Money | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, Money):
        return str(value.quantize().amount)
    return str(value)


def volume_json(deal: str, currency: str, v: VolumeView) -> VolumeOut:
    """The JSON of a volume view."""
    years = [
        {
            "label": y.label,
            "first": y.first.isoformat(),
            "last": y.last.isoformat(),
            "ended": y.ended,
            "commitment": _text(y.commitment),
            "quantity": _text(y.quantity),
            "amount": _text(y.amount),
            "pending_quantity": _text(y.pending_quantity),
            "tier": y.tier,
            "rebate": _text(y.rebate),
            "next_at_least": _text(y.next_at_least),
            "next_rate": y.next_rate,
            "to_next": _text(y.to_next),
            "next_rebate": _text(y.next_rebate),
            "to_commitment": _text(y.to_commitment),
            "shortfall": _text(y.shortfall),
            "rebate_note": y.rebate_note,
            "shortfall_invoice": y.shortfall_invoice,
            "forecast": _text(y.forecast),
            "meets_commitment": y.meets_commitment,
        }
        for y in v.years
    ]
    purchases = [
        {
            "ref": p.recorded.ref,
            "period": p.recorded.period,
            "quantity": _text(p.recorded.quantity),
            "amount": _text(p.recorded.amount),
            "by": p.recorded.by,
            "recorded_on": p.recorded.day.isoformat(),
            "confirmed_by": p.confirmed_by,
            "confirmed_on": p.confirmed_on.isoformat() if p.confirmed_on else None,
        }
        for p in v.purchases
    ]
    f = v.forecast
    latest = (
        None
        if f is None
        else {
            "from": f.from_,
            "quantities": [str(q) for q in f.quantities],
            "by": f.by,
            "on": f.day.isoformat(),
        }
    )
    return VolumeOut(
        deal=deal,
        currency=currency,
        unit=v.unit,
        price=_text(v.price),
        commitment=str(v.commitment),
        per=v.per,
        forecast=v.forecast_every,
        shortfall=v.shortfall,
        years=years,
        purchases=purchases,
        latest_forecast=latest,
    )


@router.get("/api/v1/deals/{deal}/volume", response_model=VolumeOut, tags=["api"], responses=ERRORS)
def volume_api(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> VolumeOut:
    """The volume commitment: each contract year's confirmed quantity, tier, rebate and the
    progress to the next tier, every purchase recorded, and the latest forecast."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date()).volume
    if v is None:
        raise RefusedCommand(f"{d.id} has no volume commitment")
    return volume_json(d.id, d.currency, v)


@router.get("/deals/{deal}/volume", response_class=HTMLResponse, include_in_schema=False)
def volume_page(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    today = ctx.clock().date()
    v = view(ctx.workspace, d, today)
    person = d.person(who.person) if who.person else None
    parties = {p.id for p in (*d.buyers, *d.suppliers)}
    purchases = v.volume.purchases if v.volume else []
    recorders = {p.recorded.ref: d.person(p.recorded.by) for p in purchases}
    return render_page(
        ctx,
        request,
        "volume.html",
        who,
        deal=d,
        v=v,
        vol=v.volume,
        person=person,
        trading=person is not None and person.party in parties,
        buyer=person is not None and person.party in {p.id for p in d.buyers},
        recorded_by={ref: p.party if p else None for ref, p in recorders.items()},
        month=f"{today:%Y-%m}",
    )
