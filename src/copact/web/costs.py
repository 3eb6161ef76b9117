"""Cost-plus reimbursement on the web (issue 15 §1): the page ``/deals/{deal}/costs`` and its
JSON, ``GET /api/v1/deals/{deal}/costs``.

The page shows the budget (the cap, what is approved, awaiting review and billed, each with
its markup, and what remains), each month's costs with their receipts and where they stand,
and the forms a user's role and party allow: record a cost with evidence files already
uploaded (ticked by SHA-256, as a milestone's submission does; the upload form is on the
page), approve or reject a cost, invoice a month. The forms post to the routes every command
of ``copact.services.operations`` gets (``POST /deals/{deal}/costs``, ``…/costs/{cost}/review``,
``…/cost-periods/{period}/invoice``), which come back here.

Both routes ask the guard for ``deal.read``. A deal without a ``cost-plus`` section has no
budget: the page says so, the API answers 409.

Worked example (cap 100,000.00, markup 10%): March's 40,000.00 and 25,000.00 approved and
invoiced (71,500.00 with the markup) leave 28,500.00 of the cap.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from copact.errors import RefusedCommand
from copact.web.deps import ApiUser, Ctx, PageUser, client_ip
from copact.web.pages import render_page
from copact.web.queries import view
from copact.web.schemas import ERRORS

__all__ = ["CostsOut", "router"]

router = APIRouter()


class CostsOut(BaseModel):
    """The cost-plus budget: amounts as decimal strings; ``remaining = cap − committed``
    (``null`` without a cap), ``committed = approved + pending``, each with its markup."""

    deal: str
    currency: str
    cap: str | None
    markup: str
    overruns: str
    evidence: list[str] = Field(description="The evidence kinds every cost must carry")
    approved: str
    pending: str
    billed: str
    committed: str
    remaining: str | None
    unbilled: str = Field(description="Approved, with markup, not yet invoiced")
    periods: list[dict[str, Any]] = Field(
        description="Per month: approved, pending, billed, to_bill, invoices and its costs (id, "
        "amount, description, status, by, recorded_on, reviewed_by, reviewed_on, reasons, "
        "invoice, overrun, evidence)"
    )


@router.get("/api/v1/deals/{deal}/costs", response_model=CostsOut, tags=["api"], responses=ERRORS)
def costs_api(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> CostsOut:
    """The cost-plus budget and every month's costs, where each stands."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    budget = view(ctx.workspace, d, ctx.clock().date()).costs
    if budget is None:
        raise RefusedCommand(f"{d.id} has no cost-plus section: there is no cost budget")
    return CostsOut(deal=d.id, currency=d.currency, **budget.as_json())


@router.get("/deals/{deal}/costs", response_class=HTMLResponse, include_in_schema=False)
def costs_page(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    today = ctx.clock().date()
    v = view(ctx.workspace, d, today)
    person = d.person(who.person) if who.person else None
    return render_page(
        ctx,
        request,
        "costs.html",
        who,
        deal=d,
        v=v,
        budget=v.costs,
        evidence=ctx.guard.evidence_list(who, d),
        person=person,
        supplier=person is not None and person.party in {p.id for p in d.suppliers},
        buyer=person is not None and person.party in {p.id for p in d.buyers},
        month=f"{today:%Y-%m}",
    )
