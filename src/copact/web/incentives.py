"""The page of a deal's innovation bonuses and revenue share: each bonus with its claim,
review and invoice; each reported period with its sales, audit, share and documents; the
forms of the commands that move them (their POST routes are derived from
``copact.services.operations`` in ``copact.web.pages``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from copact.core.revenue import REPORT_DAYS, reporting_party
from copact.errors import RefusedCommand
from copact.web.deps import Ctx, PageUser, client_ip
from copact.web.pages import render_page
from copact.web.queries import view

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/deals/{deal}/incentives", response_class=HTMLResponse)
def incentives(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    try:
        reporter = reporting_party(d) if d.revenue_share is not None else None
    except RefusedCommand:
        reporter = None
    return render_page(
        ctx,
        request,
        "incentives.html",
        who,
        deal=d,
        v=v,
        reporter=reporter,
        report_days=REPORT_DAYS,
        evidence=ctx.guard.evidence_list(who, d),
    )
