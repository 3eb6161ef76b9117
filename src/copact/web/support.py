"""Convertible support on the web (issue 15 §3): the page ``/deals/{deal}/support`` and its
JSON, ``GET /api/v1/deals/{deal}/support``.

The page shows the support (its amount, the formula and the windows), what the buyer paid of
it, what converted into credits and what stays support, the credits the later invoices took
and what is left, what an exit would count as unused, and every conversion request with where
it stands. The forms the user's party and role allow: the buyer pays the support (a payment
``for: convertible``, confirmed by the supplier on the invoices page) and asks to convert part
of it inside a window; the supplier approves a pending request, and once the last window is
over pays the unconverted support back. They post to the routes every command of
``copact.services.operations`` gets (``POST /deals/{deal}/payments``, ``…/conversions``,
``…/conversions/{conversion}/approve``).

Both routes ask the guard for ``deal.read``. A deal without a ``convertible`` section has no
support: the page says so, the API answers 409.

Worked example (the convertible-support starter, EUR, no VAT): 100,000.00 paid, 60,000.00
converted at 1.15 → 69,000.00 credits; a 50,000.00 invoice takes 50,000.00 of them, 19,000.00
are left, worth 16,521.74 of support: an exit would count 40,000.00 + 16,521.74 = 56,521.74
unused.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from copact.core.convertible import FOR
from copact.errors import RefusedCommand
from copact.services.views_json import support_json
from copact.web.deps import ApiUser, Ctx, PageUser, client_ip
from copact.web.pages import render_page
from copact.web.queries import view
from copact.web.schemas import ERRORS

__all__ = ["SupportOut", "router"]

router = APIRouter()


class SupportOut(BaseModel):
    """The convertible support on the day: amounts as decimal strings; ``paid − returned =
    converted + unconverted``, ``credits_issued = credits_consumed + credits_left``, ``unused
    = unconverted + left_value`` (what an exit counts as unused)."""

    deal: str
    currency: str
    amount: str
    converts_to: str
    formula: str | None
    ratio: str | None = Field(description="Credits per 1.00 of support, from the formula")
    paid: str
    to_pay: str = Field(description="What the buyer may still pay of the support")
    returned: str = Field(description="Paid back by the supplier")
    converted: str
    unconverted: str
    waiting: str = Field(description="Asked to convert at an open window, not yet approved")
    credits_issued: str
    credits_consumed: str
    credits_left: str
    left_value: str = Field(description="The credits left at the support they were bought with")
    unused: str
    refundable: str = Field(description="Owed back now: unconverted, once the windows are over")
    window: str | None = Field(description="The window open on the day (its date)")
    next_window: str | None
    windows: list[str]
    windows_over: bool
    conversions: list[dict[str, Any]] = Field(
        description="Each request: conversion, window, amount, by, requested_on, status "
        "(pending, approved, lapsed), approved_by, approved_on, credits"
    )


@router.get(
    "/api/v1/deals/{deal}/support", response_model=SupportOut, tags=["api"], responses=ERRORS
)
def support_api(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> SupportOut:
    """The convertible support: paid, converted, credits consumed and left, the windows and
    every conversion request."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    if v.support is None:
        raise RefusedCommand(f"{d.id} has no convertible support")
    return SupportOut(deal=d.id, currency=d.currency, **support_json(v.support, v.today))


@router.get("/deals/{deal}/support", response_class=HTMLResponse, include_in_schema=False)
def support_page(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    person = d.person(who.person) if who.person else None
    return render_page(
        ctx,
        request,
        "support.html",
        who,
        deal=d,
        v=v,
        s=v.support,
        person=person,
        buyer=person is not None and person.party in {p.id for p in d.buyers},
        supplier=person is not None and person.party in {p.id for p in d.suppliers},
        paying_for=FOR,
    )
