"""The JSON API under /api/v1: each route parses, asks the guard, calls one service, answers.

Every request that moves money or state takes an ``Idempotency-Key`` header; a replay returns
the first response (with ``Idempotent-Replayed: true``), the same key with another body is
refused with 422. A request the deal's state refuses is a 409 with the reason.
"""

from __future__ import annotations

import inspect
import re
from datetime import date
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.evidence import EvidenceRecord
from copact.services.views import MilestoneRow, money_text, utc
from copact.services.views_json import (
    changes_json,
    deal_json,
    exit_preview_json,
    invoice_json,
)
from copact.web import schemas as s
from copact.web.access import NotFound
from copact.web.accounts import Principal
from copact.web.context import Context
from copact.web.deps import Actor, ApiUser, Ctx, IdempotencyKey, client_ip
from copact.web.downloads import evidence_download, invoice_pdf
from copact.web.queries import exit_preview, outcome_json, send, view
from copact.web.uploads import Upload, UploadRefused, check_content, receive_upload

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["api"], responses=s.ERRORS)

Trigger = Literal["missed-milestone", "convenience", "change-of-control", "insolvency"]


@router.get("/me", response_model=s.MeOut)
def me(who: ApiUser) -> s.MeOut:
    """Who you are signed in as: your party and role."""
    return s.MeOut(
        username=who.username, name=who.name, party=who.party, role=who.role, person=who.person
    )


@router.get("/deals", response_model=list[s.DealOut])
def deals(ctx: Ctx, who: ApiUser) -> list[s.DealOut]:
    """The deals your party is in, each running, ending (an exit in its notice period) or
    ended."""
    mine = set(ctx.guard.deal_ids(who))
    out = []
    today = ctx.clock().date()
    for deal_id, title, version, count in ctx.workspace.deals():
        if deal_id in mine:
            deal = ctx.workspace.deal(deal_id)
            v = view(ctx.workspace, deal, today)
            out.append(
                s.DealOut(
                    id=deal_id,
                    title=title,
                    version=version,
                    events=count,
                    currency=deal.currency,
                    parties=[s.PartyOut(id=p.id, name=p.name, role=p.role) for p in deal.parties],
                    status=v.status,
                    exit_effective=v.exit.effective if v.exit is not None else None,
                )
            )
    return out


@router.get("/deals/{deal}")
def deal_state(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> s.StateJson:
    """The deal's state today: milestones, invoices, balances, money per party, deviations,
    risks and decisions; payments waiting for the payee's confirmation; its status and the
    recorded exit with its settlement (``null`` while the deal runs). The shape is
    ``copact state --format json``'s (DESIGN §11) and more, rendered once, in
    ``services.views_json``, for both."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    return deal_json(view(ctx.workspace, d, ctx.clock().date()))


@router.get("/deals/{deal}/versions", response_model=list[s.VersionOut])
def versions(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> list[s.VersionOut]:
    """Every version of the deal file (the first, then one per approved change order)."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    return [
        s.VersionOut(version=v, sha256=h, created=utc(c))
        for v, h, _, c in ctx.workspace.versions(d.id)
    ]


@router.get("/deals/{deal}/versions/{version}", response_class=PlainTextResponse)
def version_text(ctx: Ctx, who: ApiUser, request: Request, deal: str, version: int) -> str:
    """The YAML text of one version."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    for v, _, text, _ in ctx.workspace.versions(d.id):
        if v == version:
            return text
    raise NotFound(f"{d.id} has no version {version}")


@router.get("/deals/{deal}/milestones", response_model=list[s.MilestoneOut])
def milestones(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> list[s.MilestoneOut]:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    not_held = ctx.workspace.evidence_not_held(d.id)
    return [_milestone(m, not_held) for m in view(ctx.workspace, d, ctx.clock().date()).milestones]


def _milestone(m: MilestoneRow, not_held: dict[str, list[str]]) -> s.MilestoneOut:
    return s.MilestoneOut.model_validate(
        {
            **m.__dict__,
            "amount": money_text(m.amount),
            "invoice_amount": money_text(m.invoice_amount),
            "evidence_not_held": not_held.get(m.id, []),
        }
    )


@router.get("/deals/{deal}/milestones/{milestone}", response_model=s.MilestoneOut)
def milestone(
    ctx: Ctx, who: ApiUser, request: Request, deal: str, milestone: str
) -> s.MilestoneOut:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    for m in view(ctx.workspace, d, ctx.clock().date()).milestones:
        if m.id == milestone:
            return _milestone(m, ctx.workspace.evidence_not_held(d.id))
    raise NotFound(f"{d.id} has no milestone {milestone!r}")


@router.get("/deals/{deal}/evidence", response_model=list[s.EvidenceOut])
def evidence_list(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> list[s.EvidenceOut]:
    """The evidence files you may see: shared ones and your own party's confidential ones."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    return [s.EvidenceOut.model_validate(r) for r in ctx.guard.evidence_list(who, d)]


@router.post(
    "/deals/{deal}/evidence",
    response_model=s.EvidenceOut,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "kind"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "kind": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
                            "confidential": {"type": "string", "enum": ["true", "false"]},
                        },
                    }
                }
            },
        }
    },
)
async def evidence_upload(ctx: Ctx, who: Actor, request: Request, deal: str) -> s.EvidenceOut:
    """Upload an evidence file (multipart: ``file``, ``kind``, ``confidential``). It streams
    to disk with a size limit, its kind is checked against its content, and it is stored by
    its SHA-256; the file name is kept as metadata only."""
    ip = client_ip(request)
    d = await run_in_threadpool(ctx.guard.deal, who, deal, "evidence.upload", ip=ip)
    by = ctx.guard.person(who, d)
    upload = await receive_upload(request, limit=ctx.upload_limit)
    record = await run_in_threadpool(store_upload, ctx, d.id, upload, by)
    return s.EvidenceOut.model_validate(record)


def store_upload(ctx: Context, deal: str, upload: Upload, by: str) -> EvidenceRecord:
    kind = upload.fields.get("kind", "")
    confidential = upload.fields.get("confidential", "false").lower() in ("true", "on", "1")
    try:
        check_content(upload.file, name=upload.filename, kind=kind, settings=ctx.settings)
        return ctx.workspace.add_evidence(
            deal, upload.file, name=upload.filename, kind=kind, by=by, confidential=confidential
        )
    except RefusedCommand as exc:
        raise UploadRefused(str(exc)) from None
    finally:
        upload.file.close()


@router.get(
    "/deals/{deal}/evidence/{sha256}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def evidence_file(
    ctx: Ctx, who: ApiUser, request: Request, deal: str, sha256: str
) -> StreamingResponse:
    """Download an evidence file (as an attachment; its type is never sniffed)."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    record = ctx.guard.evidence(who, d, sha256, ip=client_ip(request))
    return evidence_download(ctx.workspace, record)


@router.get("/deals/{deal}/changes", response_model=list[s.ChangeOut])
def change_list(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> list[s.ChangeOut]:
    """Change orders with each side's approvals and who is still missing."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    rows = changes_json(view(ctx.workspace, d, ctx.clock().date()).changes)
    return [s.ChangeOut.model_validate(row) for row in rows]


@router.get("/deals/{deal}/invoices", response_model=list[s.InvoiceOut])
def invoice_list(ctx: Ctx, who: ApiUser, request: Request, deal: str) -> list[s.InvoiceOut]:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    invoices = view(ctx.workspace, d, ctx.clock().date()).documents  # the advance's first
    return [s.InvoiceOut.model_validate(invoice_json(i)) for i in invoices]


@router.get(
    "/deals/{deal}/invoices/{number}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def invoice_document(ctx: Ctx, who: ApiUser, request: Request, deal: str, number: str) -> Response:
    """The invoice as a PDF."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    events = ctx.workspace.events(d.id)
    return invoice_pdf(view(ctx.workspace, d, ctx.clock().date()), number, list(events))


@router.get("/deals/{deal}/exit-preview", response_model=s.ExitPreviewOut)
def exit_preview_route(
    ctx: Ctx,
    who: ApiUser,
    request: Request,
    deal: str,
    trigger: Trigger,
    on: date | None = None,
) -> s.ExitPreviewOut:
    """What an exit by this trigger on this date would settle (nothing is recorded)."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    preview = exit_preview(
        ctx.workspace, d, trigger=trigger, on=on or ctx.clock().date(), party=who.party
    )
    return s.ExitPreviewOut.model_validate(exit_preview_json(preview))


@router.get("/deals/{deal}/journal/verify", response_model=s.VerificationOut)
def journal_verify(
    ctx: Ctx, who: ApiUser, request: Request, deal: str, evidence: bool = True
) -> s.VerificationOut:
    """Recompute the journal's hash chain (names the first event that does not match),
    re-hash every deal version and, unless ``evidence=false``, every evidence file: each one
    missing, altered or not held is listed (another party's confidential files are counted in
    ``reason``, not named)."""
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    result = ctx.workspace.verify(d.id, evidence=evidence, party=who.party)
    return s.VerificationOut.model_validate(result)


@router.get("/deals/{deal}/access-log", response_model=list[s.AccessEntryOut])
def access_log(
    ctx: Ctx,
    who: ApiUser,
    request: Request,
    deal: str,
    format: Literal["json", "csv"] = "json",
) -> list[s.AccessEntryOut] | PlainTextResponse:
    """Reads of confidential items and refused accesses (owners and auditors); ``format=csv``
    for a spreadsheet."""
    d = ctx.guard.deal(who, deal, "access-log.read", ip=client_ip(request))
    entries = ctx.guard.entries(who, d.id)
    if format == "csv":
        return PlainTextResponse(
            ctx.guard.to_csv(entries),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="access-log-{d.id}.csv"'},
        )
    return [
        s.AccessEntryOut(
            at=utc(e.at),
            user=e.username,
            party=e.party,
            deal=e.deal,
            action=e.action,
            object=e.object,
            outcome=e.outcome,
            ip=e.ip,
            detail=e.detail,
        )
        for e in entries
    ]


# -- every command of ``copact.services.operations`` with an ``api`` route, made from it --


def _command_route(command: type[ops.Command]) -> None:
    """``POST /deals/{deal}/<command.api>`` with the command's body (:meth:`Command.body`)."""
    body_model = command.body()
    names = command.path()

    def endpoint(
        ctx: Context,
        who: Principal,
        request: Request,
        response: Response,
        key: str,
        deal: str,
        body: BaseModel | None = None,
        **path: str,
    ) -> s.OutcomeOut:
        fields = {**path, **(body.model_dump() if body is not None else {})}
        outcome = send(ctx, who, command, deal, key, fields, ip=client_ip(request))
        if outcome.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return s.OutcomeOut.model_validate(outcome_json(outcome))

    P = inspect.Parameter
    params = [
        P("ctx", P.KEYWORD_ONLY, annotation=Ctx),
        P("who", P.KEYWORD_ONLY, annotation=Actor),
        P("request", P.KEYWORD_ONLY, annotation=Request),
        P("response", P.KEYWORD_ONLY, annotation=Response),
        P("key", P.KEYWORD_ONLY, annotation=IdempotencyKey),
        P("deal", P.KEYWORD_ONLY, annotation=str),
        *(P(name, P.KEYWORD_ONLY, annotation=str) for name in names),
    ]
    if body_model.model_fields:
        params.append(P("body", P.KEYWORD_ONLY, annotation=body_model))
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__doc__ = command.__doc__
    endpoint.__name__ = re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__).lower()
    router.post(f"/deals/{{deal}}/{command.api}", response_model=s.OutcomeOut)(endpoint)


for _command in ops.COMMANDS:
    if _command.api is not None:
        _command_route(_command)
