"""Metering a period from the web (DESIGN §6): ``POST /api/v1/deals/{deal}/meter`` answers the
period's settlement as JSON, the figures ``copact meter --format json`` prints for the same
files, and the page ``/deals/{deal}/meter`` has an upload form that shows it per site.

Both ask the guard for ``deal.read``, then call :func:`copact.services.metering.meter_period`
on the deal of the workspace, so the maintenance windows its journal records count as with
``copact meter --workspace``. Nothing is recorded: this is a preview of a settlement.

The body is multipart, limited like an evidence upload (the whole body, every file in it):
``telemetry`` (a file, or several: CSV or Parquet, ``site,ts,signal,value``), ``windows``,
``tickets`` and ``deliveries`` (CSV, ``site,id,due,delivered``) and ``period`` (``YYYY-MM``, or
``YYYY-Qn`` for an SLA that settles per quarter). Each file is optional unless a metric of the
deal's SLA is computed from it: without the telemetry or the deliveries a metric needs the
answer is 422 and names them (``needs``), and nothing is settled. File names are labels of the
problems only (``march.csv:3:2: M102 …``), never paths. A malformed row is 422 with every
problem and its file and line; a deal without an ``sla`` is 409.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from copact.core.deal import Deal
from copact.core.diagnostic import Diagnostic
from copact.metering.meter import MEASURE_INPUTS, MeterReport
from copact.metering.results import MetricResult
from copact.services import operations as ops
from copact.services.inputs import BadOption, InputFile, MalformedInput
from copact.services.metering import InputNeeded, MeterRequest, MeterResult, meter_period
from copact.services.service_periods import record_period
from copact.services.uow import Outcome
from copact.web.accounts import Principal
from copact.web.context import Context
from copact.web.deps import Actor, CsrfRefused, Ctx, IdempotencyKey, PageUser, client_ip
from copact.web.pages import outcome_note, redirect_back
from copact.web.queries import outcome_json, scoped_key
from copact.web.queries import view as deal_view
from copact.web.schemas import ERRORS, OutcomeOut
from copact.web.uploads import BadUpload, TooLarge

__all__ = ["MeterOut", "ProblemOut", "router"]

router = APIRouter()

FILE_FIELDS = ("telemetry", "windows", "tickets", "deliveries")
MAX_TELEMETRY_FILES = 8
_SLACK = 64 * 1024  # the multipart envelope around the files


SETTLE = ops.SettleServicePeriod.action


class ProblemOut(BaseModel):
    code: str
    severity: str
    message: str
    hint: str
    path: str
    line: int
    column: int


class MeterOut(BaseModel):
    """DESIGN §11 ``meter`` (``deal``, ``period``, ``sites``), with the hash of all the
    inputs and the warnings they gave (unknown signals, repeated samples)."""

    deal: str
    period: str
    sites: list[dict[str, Any]] = Field(
        description="Per site: metrics (value, numerator, denominator, unknown_s, coverage, "
        "inputs, credit_rate, bonus_rate, …), settlement (fee, credits, bonuses, amount as "
        "decimal strings; flags) and duplicates"
    )
    inputs: str = Field(description="SHA-256 of the inputs' digests, the journal's windows too")
    warnings: list[ProblemOut]


class RecordedOut(OutcomeOut):
    """The settlement recorded (its ``service-settled`` event), with the inputs' hash and the
    warnings metering gave."""

    inputs: str
    warnings: list[ProblemOut]


_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["period"],
                    "properties": {
                        "telemetry": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "maxItems": MAX_TELEMETRY_FILES,
                            "description": "CSV or Parquet, site,ts,signal,value; needed when "
                            "a metric of the SLA comes from telemetry",
                        },
                        "windows": {"type": "string", "format": "binary"},
                        "tickets": {"type": "string", "format": "binary"},
                        "deliveries": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV site,id,due,delivered (dates or instants with "
                            "their offset); needed for on-time-delivery",
                        },
                        "period": {"type": "string", "pattern": "^[0-9]{4}-([0-9]{2}|Q[1-4])$"},
                    },
                }
            }
        },
    }
}


# -- the upload --


@dataclass
class _Received:
    files: dict[str, list[InputFile]] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    handles: list[UploadFile] = field(default_factory=list)

    def one(self, name: str) -> InputFile | None:
        given = self.files.get(name, [])
        return given[0] if given else None

    def close(self) -> None:
        for handle in self.handles:
            handle.file.close()


async def _limited(chunks: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > limit + _SLACK:
            raise TooLarge(f"the upload is larger than the limit of {limit:,} bytes")
        yield chunk


async def _receive(request: Request, *, limit: int) -> _Received:
    """The files and fields of a multipart body, cut off at ``limit`` bytes before it is all
    read (as :func:`copact.web.uploads.receive_upload`, for several named files)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + _SLACK:
        raise TooLarge(f"the upload is larger than the limit of {limit:,} bytes")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadUpload(
            "send the files as multipart/form-data: telemetry, windows, tickets, deliveries"
        )
    parser = MultiPartParser(
        request.headers,
        _limited(request.stream(), limit),
        max_files=MAX_TELEMETRY_FILES + len(FILE_FIELDS) - 1,
        max_fields=8,
        max_part_size=64 * 1024,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadUpload(f"the upload could not be read: {exc.message}") from None
    received = _Received()
    for name, value in form.multi_items():
        if isinstance(value, str):
            received.fields.setdefault(name, value)
            continue
        received.handles.append(value)
        if name not in FILE_FIELDS:
            continue
        if not value.filename and not value.size:
            continue  # a file input left empty in a browser form
        received.files.setdefault(name, []).append(
            InputFile(value.filename or f"{name}.csv", value.file)
        )
    if len(received.files.get("telemetry", ())) > MAX_TELEMETRY_FILES:
        received.close()
        raise BadUpload(f"at most {MAX_TELEMETRY_FILES} telemetry files a request")
    return received


def _request(received: _Received) -> MeterRequest:
    return MeterRequest(
        telemetry=tuple(received.files.get("telemetry", ())),
        period=received.fields.get("period", "").strip(),
        windows=received.one("windows"),
        tickets=received.one("tickets"),
        deliveries=received.one("deliveries"),
    )


def _meter(ctx: Context, deal: Deal, received: _Received) -> MeterResult:
    try:
        return meter_period(deal, _request(received), workspace=ctx.workspace)
    finally:
        received.close()


def _record(
    ctx: Context, who: Principal, deal: Deal, received: _Received, key: str
) -> tuple[MeterResult, Outcome]:
    """Meter the period and record its settlement as the signed-in person (the input files
    kept as its evidence), under the guard of :class:`~copact.services.operations.
    SettleServicePeriod`: what ``copact meter --record`` does."""
    person = ctx.guard.person(who, deal)
    try:
        return record_period(
            ctx.workspace,
            deal.id,
            _request(received),
            by=person,
            clock=ctx.clock,
            key=scoped_key(who, key),
        )
    finally:
        received.close()


def _problem(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "hint": d.hint,
        "path": d.path,
        "line": d.line,
        "column": d.column,
    }


def _ordered(problems: tuple[Diagnostic, ...]) -> list[Diagnostic]:
    """Errors first, then by file, line and column (as ``copact meter`` prints them)."""
    return sorted(problems, key=lambda d: (d.severity.rank, d.sort_key))


def _refused(exc: BadOption | MalformedInput) -> JSONResponse:
    body: dict[str, Any] = {"detail": str(exc)}
    if isinstance(exc, InputNeeded):
        body["needs"] = [
            {"metric": metric, "measure": measure, "input": role}
            for metric, measure, role in exc.needs
        ]
    if isinstance(exc, MalformedInput):
        body["problems"] = [_problem(d) for d in _ordered(exc.problems)]
    return JSONResponse(body, status_code=422)


# -- the API --


@router.post(
    "/api/v1/deals/{deal}/meter",
    tags=["api"],
    response_model=MeterOut,
    responses=ERRORS,
    openapi_extra=_REQUEST_BODY,
)
async def meter_api(ctx: Ctx, who: Actor, request: Request, deal: str) -> Any:
    """Meter a period of the deal's SLA from uploaded files (multipart: ``telemetry``, one
    file or several, CSV or Parquet; ``windows``, ``tickets`` and ``deliveries`` CSV; ``period``
    YYYY-MM or YYYY-Qn). The answer is what ``copact meter --format json`` prints, with the
    inputs' hash and warnings; nothing is recorded. The telemetry or deliveries a metric of the
    SLA needs and that were not given are a 422 naming each (``needs``: metric, measure,
    input); a malformed row is 422 with its file and line (``problems``)."""
    ip = client_ip(request)
    d = await run_in_threadpool(ctx.guard.deal, who, deal, "deal.read", ip=ip)
    received = await _receive(request, limit=ctx.upload_limit)
    try:
        result = await run_in_threadpool(_meter, ctx, d, received)
    except (BadOption, MalformedInput) as exc:
        return _refused(exc)
    return {
        **result.to_json(),
        "inputs": result.inputs_hash,
        "warnings": [_problem(w) for w in result.warnings],
    }


@router.post(
    "/api/v1/deals/{deal}/service-periods",
    tags=["api"],
    response_model=RecordedOut,
    responses=ERRORS,
    openapi_extra=_REQUEST_BODY,
    status_code=201,
)
async def record_api(
    ctx: Ctx, who: Actor, request: Request, response: Response, key: IdempotencyKey, deal: str
) -> Any:
    """Meter a period of the deal's SLA from uploaded files (as ``POST .../meter``) and record
    its settlement in the journal as the token's person: per site the fee, credits, bonuses
    and amount, the flags, the inputs' hash, and the files kept as its evidence. A period is
    settled once: the same files again are a 409 saying so, other files a 409 naming the
    first settlement. Then ``POST .../service-periods/{period}/invoice`` bills it."""
    ip = client_ip(request)
    d = await run_in_threadpool(ctx.guard.deal, who, deal, SETTLE, ip=ip)
    received = await _receive(request, limit=ctx.upload_limit)
    try:
        result, outcome = await run_in_threadpool(_record, ctx, who, d, received, key)
    except (BadOption, MalformedInput) as exc:
        return _refused(exc)
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {
        **outcome_json(outcome),
        "inputs": result.inputs_hash,
        "warnings": [_problem(w) for w in result.warnings],
    }


# -- the page --


def _last_period(today: date, quarterly: bool) -> str:
    """The period before ``today``'s: what one usually meters."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    if quarterly:
        quarter = (today.month - 1) // 3
        year, quarter = (today.year, quarter) if quarter else (today.year - 1, 4)
        return f"{year}-Q{quarter}"
    return f"{year}-{month:02d}"


def _value(r: MetricResult) -> str:
    if r.value is None:
        return "n/a"
    if r.unit == "ratio":
        return f"{float(r.value):.4%}"
    if r.unit == "s":
        return f"{float(r.value) / 60:,.1f} min ({r.stat or 'mean'})"
    return f"{float(r.value):,.2f} {r.unit}"


@dataclass(frozen=True)
class _MetricRow:
    id: str
    measure: str
    value: str
    coverage: str
    unknown: str
    credit: str
    bonus: str


def _sites(report: MeterReport) -> list[dict[str, Any]]:
    """Each site's figures as the page shows them (rendering is the edge's)."""
    sites = []
    for site in report.sites:
        terms = {t.metric: t for t in site.settlement.terms}
        rows = []
        for metric_id, r in site.metrics.items():
            t = terms.get(metric_id)
            rows.append(
                _MetricRow(
                    metric_id,
                    r.measure,
                    _value(r),
                    "" if r.coverage is None else f"{float(r.coverage):.2%}",
                    f"{float(r.unknown_s) / 60:,.0f} min" if r.unknown_s else "",
                    f"{t.credit:.0%}" if t and t.credit else "",
                    f"{t.bonus:.0%}" if t and t.bonus else "",
                )
            )
        repeated = site.duplicates
        sites.append(
            {
                "site": site.site,
                "timezone": site.period.timezone,
                "hours": f"{float(Fraction(site.period.ms, 3_600_000)):g}",
                "metrics": rows,
                "settlement": site.settlement,
                "repeated": repeated.identical if repeated is not None else 0,
                "deliveries": [
                    f"{metric_id}: {r.details['on_time']} of {r.details['due']} deliveries due "
                    f"on time ({r.details['late']} late, {r.details['open']} open at the "
                    "period's end)"
                    for metric_id, r in site.metrics.items()
                    if r.measure == "on-time-delivery" and r.details.get("due")
                ],
            }
        )
    return sites


def _page(
    ctx: Context, request: Request, who: Any, deal: Deal, *, status: int = 200, **values: Any
) -> HTMLResponse:
    sla = deal.sla
    today = ctx.clock().date()
    quarterly = sla is not None and sla.period == "quarter"
    context = {
        "who": who,
        "msg": None,
        "deal": deal,
        # metering previews on any deal; recording the period needs it binding and running
        "v": deal_view(ctx.workspace, deal, today),
        "meterable": sla is not None and bool(sla.sites),
        "needs": {MEASURE_INPUTS.get(m.measure, "") for m in sla.metrics} if sla else set(),
        "period": _last_period(today, quarterly),
        "result": None,
        "sites": [],
        "error": None,
        "problems": [],
        **values,
    }
    return ctx.templates.TemplateResponse(request, "meter.html", context, status_code=status)


@router.get("/deals/{deal}/meter", response_class=HTMLResponse, include_in_schema=False)
def meter_page(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    return _page(ctx, request, who, d)


@router.post("/deals/{deal}/meter", response_class=HTMLResponse, include_in_schema=False)
async def meter_form(ctx: Ctx, request: Request, who: PageUser, deal: str) -> Response:
    ip = client_ip(request)
    d = await run_in_threadpool(ctx.guard.deal, who, deal, "deal.read", ip=ip)
    received = await _receive(request, limit=ctx.upload_limit)
    given = received.fields.get("csrf", "")
    if who.csrf is None or not secrets.compare_digest(who.csrf, given):
        received.close()
        raise CsrfRefused("this form has expired or did not come from copact; reload the page")
    period = received.fields.get("period", "").strip()
    record = received.fields.get("record") == "yes"
    try:
        if record:
            ctx.guard.require_role(who, SETTLE, deal=d.id, ip=ip)
            key = received.fields.get("key") or secrets.token_hex(16)
            result, outcome = await run_in_threadpool(_record, ctx, who, d, received, key)
            return redirect_back(request, who, f"/deals/{d.id}/invoices", outcome_note(outcome))
        result = await run_in_threadpool(_meter, ctx, d, received)
    except (BadOption, MalformedInput) as exc:
        problems = _ordered(exc.problems) if isinstance(exc, MalformedInput) else []
        error = exc.summary if isinstance(exc, MalformedInput) else str(exc)
        return _page(
            ctx, request, who, d, status=422, period=period, error=error, problems=problems
        )
    return _page(ctx, request, who, d, period=period, result=result, sites=_sites(result.report))
