"""Gainshare from the web (DESIGN §6.5).

- ``GET /deals/{deal}/gainshare``: the months settled against the locked baseline (predicted,
  actual, savings S, what each month bills, the contract year's share lines so far against the
  cap) and the contract years (ΣS, the year's capped share, the true-up it makes), with a button
  to invoice a month and one to true up an ended year. The buttons post to the routes the
  commands derive (``/deals/{deal}/gainshare-periods/{period}/invoice``,
  ``/deals/{deal}/gainshare-years/{year}/true-up``), which come back here. It asks the guard
  for ``deal.read``; the read side is :func:`copact.services.gainshare_periods.gainshare_view`.
- ``GET /api/v1/deals/{deal}/gainshare``: the same as JSON (amounts and quantities as decimal
  strings).
- ``POST /api/v1/deals/{deal}/gainshare-periods``: a month recorded from uploaded files, what
  ``copact baseline --record`` does, as the token's person: multipart ``data`` (the baseline's
  CSV, whose fit must have the hash the deal locks), ``reporting`` (the month's CSV) and
  ``period`` (``YYYY-MM``), with an ``Idempotency-Key``. 201 with the ``savings-settled``
  event; a month already settled is a 409; a malformed row a 422 naming its file and line. It
  asks for ``gainshare.settle``. The page's upload form posts the same files to
  ``POST /deals/{deal}/gainshare-periods`` and comes back to the page.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException, MultiPartParser

from copact.core.deal import Deal
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.gainshare_periods import (
    GainshareView,
    MonthResult,
    SavingsRequest,
    gainshare_view,
    record_month,
)
from copact.services.inputs import BadOption, InputFile, MalformedInput
from copact.services.uow import Outcome
from copact.web.accounts import Principal
from copact.web.context import Context
from copact.web.deps import Actor, ApiUser, CsrfRefused, Ctx, IdempotencyKey, PageUser, client_ip
from copact.web.flash import drop_flash, pop_flash
from copact.web.pages import outcome_note, redirect_back
from copact.web.queries import outcome_json, scoped_key
from copact.web.queries import view as deal_view
from copact.web.schemas import ERRORS, OutcomeOut
from copact.web.uploads import BadUpload, TooLarge

__all__ = ["router"]

router = APIRouter()

SETTLE = ops.SettleSavings.action
_FILES = ("data", "reporting")
_SLACK = 64 * 1024  # the multipart envelope around the files


class SettledOut(OutcomeOut):
    """The month recorded (its ``savings-settled`` event) and the hash of its inputs."""

    inputs: str


_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["data", "reporting", "period"],
                    "properties": {
                        "data": {
                            "type": "string",
                            "format": "binary",
                            "description": "The baseline's CSV (the locked fit's data)",
                        },
                        "reporting": {
                            "type": "string",
                            "format": "binary",
                            "description": "The month's CSV, same columns; observed is the "
                            "actual use",
                        },
                        "period": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                    },
                }
            }
        },
    }
}


async def _limited(chunks: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > limit + _SLACK:
            raise TooLarge(f"the upload is larger than the limit of {limit:,} bytes")
        yield chunk


async def _receive(request: Request, *, limit: int) -> tuple[dict[str, InputFile], dict[str, str]]:
    """The two data files and the fields (``period``; a form's ``csrf`` and ``key``) of a
    multipart body, cut off at ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + _SLACK:
        raise TooLarge(f"the upload is larger than the limit of {limit:,} bytes")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadUpload("send the files as multipart/form-data: data, reporting and period")
    parser = MultiPartParser(
        request.headers,
        _limited(request.stream(), limit),
        max_files=len(_FILES),
        max_fields=8,
        max_part_size=64 * 1024,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadUpload(f"the upload could not be read: {exc.message}") from None
    files: dict[str, InputFile] = {}
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(name, value.strip())
            continue
        content = await value.read()  # a baseline CSV is small: read whole, under the limit
        await value.close()
        if name in _FILES and content:
            files.setdefault(name, InputFile(value.filename or f"{name}.csv", content))
    period = fields.get("period", "")
    missing = [name for name in _FILES if name not in files] + ([] if period else ["period"])
    if missing:
        raise BadUpload(
            "a month is recorded from data (the baseline's CSV), reporting (the month's CSV) "
            f"and period (YYYY-MM); missing: {', '.join(missing)}"
        )
    return files, fields


def _record(
    ctx: Context, who: Principal, deal: Deal, files: dict[str, InputFile], period: str, key: str
) -> tuple[MonthResult, Outcome]:
    person = ctx.guard.person(who, deal)
    request = SavingsRequest(data=files["data"], reporting=files["reporting"], period=period)
    return record_month(
        ctx.workspace, deal.id, request, by=person, clock=ctx.clock, key=scoped_key(who, key)
    )


@router.post(
    "/api/v1/deals/{deal}/gainshare-periods",
    tags=["api"],
    response_model=SettledOut,
    responses=ERRORS,
    openapi_extra=_REQUEST_BODY,
    status_code=201,
)
async def record_api(
    ctx: Ctx, who: Actor, request: Request, response: Response, key: IdempotencyKey, deal: str
) -> Any:
    """Record a gainshare month from uploaded files as the token's person, as ``copact
    baseline --record`` does: the baseline refitted on ``data`` (its hash must be the one the
    deal locks), ``period`` predicted from ``reporting``, predicted, actual, S and the files kept
    as evidence. A month is settled once (409). Then ``POST .../gainshare-periods/{period}/
    invoice`` bills it."""
    ip = client_ip(request)
    d = await run_in_threadpool(ctx.guard.deal, who, deal, SETTLE, ip=ip)
    files, fields = await _receive(request, limit=ctx.upload_limit)
    period = fields["period"]
    try:
        month, outcome = await run_in_threadpool(_record, ctx, who, d, files, period, key)
    except BadOption as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    except MalformedInput as exc:
        problems = [f"{p.path}:{p.line}:{p.column}: {p.code} {p.message}" for p in exc.problems]
        return JSONResponse({"detail": exc.summary, "problems": problems}, status_code=422)
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {**outcome_json(outcome), "inputs": month.inputs_hash}


def _json(view: GainshareView) -> dict[str, Any]:
    t = view.terms
    return {
        "deal": view.deal,
        "terms": {
            "from": t.start.isoformat(),
            "base_fee": str(t.base_fee.quantize().amount),
            "price": str(t.price),
            "share": str(t.share),
            "cap": str(t.cap.quantize().amount) if t.cap is not None else None,
        },
        "months": [
            {
                "period": m.period,
                "year": m.year,
                "predicted": str(m.predicted),
                "actual": str(m.actual),
                "savings": str(m.savings),
                "settled_on": m.settled_on.isoformat(),
                "by": m.by,
                "invoice": m.invoice,
                "billed": str(m.billed.quantize().amount),
                "share": str(m.share.quantize().amount),
                "year_to_date": str(m.year_to_date.quantize().amount),
            }
            for m in view.months
        ],
        "years": [
            {
                "year": y.year,
                "months_settled": y.months_settled,
                "savings": str(y.savings),
                "year_share": str(y.year_share.quantize().amount),
                "billed": str(y.billed.quantize().amount),
                "true_up": str(y.due.quantize().amount),
                "document": y.true_up,
                "ended": y.ended,
            }
            for y in view.years
        ],
    }


@router.get("/api/v1/deals/{deal}/gainshare", tags=["api"], responses=ERRORS)
def gainshare_api(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> dict[str, Any]:
    """The deal's gainshare months (predicted, actual, savings, the invoice and its share,
    the year's share lines so far) and contract years (ΣS, the year's capped share, what was
    billed, the true-up and its document), as the gainshare page shows them."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    view = gainshare_view(d, list(ctx.workspace.events(d.id)), today=ctx.clock().date())
    return _json(view)


def _page(
    ctx: Context, request: Request, who: Principal, deal: Deal, *, status: int = 200, **given: Any
) -> HTMLResponse:
    today = ctx.clock().date()
    view, error = None, None
    try:
        view = gainshare_view(deal, list(ctx.workspace.events(deal.id)), today=today)
    except RefusedCommand as exc:
        error = str(exc)  # no gainshare with a start and a price
    # the deal's own view: its forms only while it binds and runs (``operable``), and the
    # banner of a deal not binding yet
    v = deal_view(ctx.workspace, deal, today)
    note, carried = pop_flash(request, who)
    values: dict[str, Any] = {"who": who, "msg": note, "deal": deal, "g": view, "error": error}
    values["v"] = v
    values.update({"problems": [], "error_upload": None, **given})
    response = ctx.templates.TemplateResponse(request, "gainshare.html", values, status_code=status)
    if carried:
        drop_flash(response)  # shown once
    return response


@router.get("/deals/{deal}/gainshare", response_class=HTMLResponse, include_in_schema=False)
def gainshare_page(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    return _page(ctx, request, who, d)


@router.post(
    "/deals/{deal}/gainshare-periods", response_class=HTMLResponse, include_in_schema=False
)
async def record_form(ctx: Ctx, request: Request, who: PageUser, deal: str) -> Response:
    """The page's upload form: record a month as the signed-in person, then back to the page
    (which says what was recorded); a file that cannot be read shows its problems there."""
    ip = client_ip(request)
    d = await run_in_threadpool(ctx.guard.deal, who, deal, SETTLE, ip=ip)
    try:
        files, fields = await _receive(request, limit=ctx.upload_limit)
    except BadUpload as exc:
        return _page(ctx, request, who, d, status=400, error_upload=str(exc))
    if who.csrf is None or not secrets.compare_digest(who.csrf, fields.get("csrf", "")):
        raise CsrfRefused("this form has expired or did not come from copact; reload the page")
    key = fields.get("key") or secrets.token_hex(16)
    try:
        _, outcome = await run_in_threadpool(_record, ctx, who, d, files, fields["period"], key)
    except (BadOption, MalformedInput) as exc:
        problems = list(exc.problems) if isinstance(exc, MalformedInput) else []
        error = exc.summary if isinstance(exc, MalformedInput) else str(exc)
        return _page(ctx, request, who, d, status=422, error_upload=error, problems=problems)
    return redirect_back(request, who, f"/deals/{d.id}/gainshare", outcome_note(outcome))
