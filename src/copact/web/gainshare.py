"""The gainshare page (DESIGN §6.5): ``GET /deals/{deal}/gainshare`` lists the months settled
against the locked baseline (predicted, actual, savings S, what each month bills, the contract
year's share lines so far against the cap) and the contract years (ΣS, the year's capped
share, the true-up it makes), with a button to invoice a month and one to true up an ended
year. The buttons post to the routes the commands derive
(``/deals/{deal}/gainshare-periods/{period}/invoice``,
``/deals/{deal}/gainshare-years/{year}/true-up``), which come back here.

Reading it asks the guard for ``deal.read``; the read side is
:func:`copact.services.gainshare_periods.gainshare_view`, one fold of the journal. Months are
recorded by ``copact baseline --record`` (the data files kept as evidence).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from copact.errors import RefusedCommand
from copact.services.gainshare_periods import gainshare_view
from copact.web.deps import Ctx, PageUser, client_ip
from copact.web.flash import drop_flash, pop_flash

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/deals/{deal}/gainshare", response_class=HTMLResponse)
def gainshare_page(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    today = ctx.clock().date()
    view, error = None, None
    try:
        view = gainshare_view(d, list(ctx.workspace.events(d.id)), today=today)
    except RefusedCommand as exc:
        error = str(exc)  # no gainshare with a start and a price
    note, carried = pop_flash(request, who)
    values = {"who": who, "msg": note, "deal": d, "g": view, "error": error, "today": today}
    response = ctx.templates.TemplateResponse(request, "gainshare.html", values)
    if carried:
        drop_flash(response)  # shown once
    return response
