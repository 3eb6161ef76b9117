"""The HTML pages: server-rendered, no script needed. Each handler asks the guard, calls one
service or query, and renders; a form that changes something carries the session's CSRF token
and a fresh idempotency key (a double click records once), then redirects to the page with a
note of what was done."""

from __future__ import annotations

import inspect
import re
import secrets
import uuid
from dataclasses import replace
from datetime import date
from typing import Annotated, Any, get_origin
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from copact.core.settlement import TRIGGERS
from copact.documents.invoice import INVOICE_CSS, render_invoice_html
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.views import describe, money_text
from copact.services.workspace import Outcome
from copact.web.access import PERMISSIONS, NotFound
from copact.web.accounts import AccountError, Principal, Throttled
from copact.web.charts import money_svg, timeline_svg
from copact.web.context import Context
from copact.web.deps import (
    PASSWORD_PAGE,
    CsrfRefused,
    Ctx,
    FormUser,
    PageUser,
    client_ip,
    cookie_name,
    secure_request,
)
from copact.web.downloads import evidence_download, invoice_document, invoice_pdf
from copact.web.flash import drop_flash, pop_flash, set_flash
from copact.web.queries import exit_preview, send, suppliers, view
from copact.web.uploads import UploadRefused, check_content, receive_upload

__all__ = ["install_filters", "outcome_note", "redirect_back", "render_page", "router"]

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=2000)]
Key = Annotated[str, Form(min_length=1, max_length=100)]
_LOGIN_CSRF = "copact_login"
#: a browser that signed in to an account before: its own sign-in budget (``web.throttle``)
_DEVICE = "copact_device"


def path_segment(value: object) -> str:
    """``value`` as one URL path segment, every reserved character encoded (``/`` too, unlike
    Jinja's ``urlencode``): ``../payments/WIRE-BIG`` stays one segment, so a row's form can
    only post to that row's own record. (A value of dots only, which a browser resolves as
    ``..`` even encoded, is refused where the command's fields are read.)"""
    return quote(str(value), safe="")


def install_filters(templates: Jinja2Templates) -> None:
    templates.env.filters["money"] = money_text
    templates.env.filters["segment"] = path_segment
    templates.env.globals["can"] = lambda who, action: who.role in PERMISSIONS[action]
    templates.env.globals["new_key"] = lambda: uuid.uuid4().hex
    # the invoice and credit-note buttons: a role that issues them, on the supplier's side
    # (the rule :func:`copact.web.queries.send` holds every such command to)
    templates.env.globals["issues"] = lambda who, deal: (
        who.role in PERMISSIONS["invoices.issue"] and who.party in suppliers(deal)
    )


def render_page(
    ctx: Context, request: Request, name: str, who: Principal | None, **values: Any
) -> HTMLResponse:
    # the banner's note is the server's own (a signed cookie), never the URL's
    note, carried = pop_flash(request, who)
    response = ctx.templates.TemplateResponse(request, name, {"who": who, "msg": note, **values})
    if carried:
        drop_flash(response)  # shown once
    return response


def redirect_back(request: Request, who: Principal, path: str, message: str) -> RedirectResponse:
    """Back to ``path``, which shows ``message`` once (to ``who``'s session only)."""
    done = RedirectResponse(path, status_code=303)
    set_flash(done, who, message, secure=secure_request(request.app.state.ctx, request))
    return done


# -- signing in --


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/deals", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(ctx: Ctx, request: Request, next: str = "/deals") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render_page(ctx, request, "login.html", None, csrf=token, next=next, error=None)
    response.set_cookie(
        _LOGIN_CSRF,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_request(ctx, request),
        path="/login",
        max_age=3600,
    )
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    ctx: Ctx,
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/deals",
) -> Response:
    expected = request.cookies.get(_LOGIN_CSRF, "")
    if not expected or not secrets.compare_digest(expected, csrf):
        raise CsrfRefused("the sign-in form has expired; reload the page and sign in again")
    try:
        signed = ctx.accounts.sign_in(
            username.strip(),
            password,
            ip=client_ip(request),
            device=request.cookies.get(_DEVICE),
        )
    except Throttled as exc:
        response = render_page(
            ctx, request, "login.html", None, csrf=csrf, next=next, error=str(exc)
        )
        response.status_code = 429
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if signed is None:
        response = render_page(
            ctx,
            request,
            "login.html",
            None,
            csrf=csrf,
            next=next,
            error="That user name and password do not match.",
        )
        response.status_code = 401
        return response
    earlier = request.cookies.get(cookie_name(ctx, request))
    if earlier:  # the session this browser had ends: one browser, one session
        ctx.accounts.end_session(earlier)
    target = next if next.startswith("/") and not next.startswith("//") else "/deals"
    if signed.principal.must_change_password:  # an issued password: pick one's own first
        target = PASSWORD_PAGE
    done = RedirectResponse(target, status_code=303)
    _session_cookie(ctx, request, done, signed.session_id)
    done.delete_cookie(_LOGIN_CSRF, path="/login")
    if signed.device is not None:
        done.set_cookie(
            _DEVICE,
            signed.device,
            httponly=True,
            samesite="strict",
            secure=secure_request(ctx, request),
            path="/login",
            max_age=int(ctx.settings.login_device_max_age.total_seconds()),
        )
    return done


def _session_cookie(ctx: Context, request: Request, response: Response, session_id: str) -> None:
    response.set_cookie(
        cookie_name(ctx, request),
        session_id,
        httponly=True,
        samesite="lax",
        secure=secure_request(ctx, request),
        path="/",
    )


@router.post("/logout")
def logout(ctx: Ctx, request: Request, who: FormUser) -> RedirectResponse:
    ctx.accounts.sign_out(who)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        cookie_name(ctx, request), path="/", secure=secure_request(ctx, request), httponly=True
    )
    return response


# -- one's own password --


@router.get(PASSWORD_PAGE, response_class=HTMLResponse)
def password_page(ctx: Ctx, request: Request, who: PageUser) -> HTMLResponse:
    return render_page(ctx, request, "password.html", who, error=None)


@router.post(PASSWORD_PAGE, response_class=HTMLResponse)
def password_change(
    ctx: Ctx,
    request: Request,
    who: FormUser,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
    confirm: Annotated[str, Form(max_length=1000)],
) -> Response:
    try:
        signed = ctx.accounts.change_password(
            who, current=current, new=new, confirm=confirm, ip=client_ip(request)
        )
    except (AccountError, Throttled) as exc:
        response = render_page(ctx, request, "password.html", who, error=str(exc))
        response.status_code = 429 if isinstance(exc, Throttled) else 400
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    # every session of the user ended with the old password; this browser gets a new one
    done = redirect_back(request, signed.principal, "/deals", "Your password is changed.")
    _session_cookie(ctx, request, done, signed.session_id)
    return done


# -- deals --


@router.get("/deals", response_class=HTMLResponse)
def deals(ctx: Ctx, request: Request, who: PageUser) -> HTMLResponse:
    mine = set(ctx.guard.deal_ids(who))
    rows = []
    today = ctx.clock().date()
    for deal_id, title, version, count in ctx.workspace.deals():
        if deal_id in mine:
            d = ctx.workspace.deal(deal_id)
            v = view(ctx.workspace, d, today)
            rows.append({"deal": d, "title": title, "version": version, "events": count, "v": v})
    return render_page(ctx, request, "deals.html", who, rows=rows)


@router.get("/deals/{deal}", response_class=HTMLResponse)
def dashboard(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    if v.state.binding is None:  # whether a party signed an older version: its sign form again
        # the latest version's recorded SHA-256, the hash of the text `Sign` records (the store
        # checks the text against it on every read)
        v = replace(v, current_version=ctx.workspace.versions(d.id)[-1][1])
    return render_page(
        ctx,
        request,
        "dashboard.html",
        who,
        deal=d,
        v=v,
        timeline=Markup(timeline_svg(v)),
        money=Markup(money_svg(v)),
        changes=v.changes,
    )


@router.get("/deals/{deal}/milestones/{milestone}", response_class=HTMLResponse)
def milestone(ctx: Ctx, request: Request, who: PageUser, deal: str, milestone: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    row = next((m for m in v.milestones if m.id == milestone), None)
    if row is None:
        raise NotFound(f"{d.id} has no milestone {milestone!r}")
    events = ctx.workspace.events(d.id)
    history = [e for e in events if getattr(e, "milestone", None) == milestone]
    evidence = ctx.guard.evidence_list(who, d)
    person = d.person(who.person) if who.person else None
    return render_page(
        ctx,
        request,
        "milestone.html",
        who,
        deal=d,
        m=row,
        history=history,
        evidence=evidence,
        person=person,
        held=ctx.workspace.evidence_held(d.id),
        v=v,
    )


@router.post("/deals/{deal}/evidence")
async def upload(ctx: Ctx, request: Request, who: PageUser, deal: str) -> RedirectResponse:
    ip = client_ip(request)
    d = await run_in_threadpool(ctx.guard.deal, who, deal, "evidence.upload", ip=ip)
    by = ctx.guard.person(who, d)
    received = await receive_upload(request, limit=ctx.upload_limit)
    given = received.fields.get("csrf", "")
    if who.csrf is None or not secrets.compare_digest(who.csrf, given):
        received.file.close()
        raise CsrfRefused("this form has expired or did not come from copact; reload the page")
    back = received.fields.get("back", f"/deals/{d.id}")
    if not back.startswith(f"/deals/{d.id}"):
        back = f"/deals/{d.id}"

    def store() -> Any:
        kind = received.fields.get("kind", "")
        confidential = received.fields.get("confidential", "") in ("on", "true", "1")
        try:
            check_content(received.file, name=received.filename, kind=kind, settings=ctx.settings)
            return ctx.workspace.add_evidence(
                d.id,
                received.file,
                name=received.filename,
                kind=kind,
                by=by,
                confidential=confidential,
            )
        except RefusedCommand as exc:
            raise UploadRefused(str(exc)) from None
        finally:
            received.file.close()

    record = await run_in_threadpool(store)
    return redirect_back(request, who, back, f"{record.name} stored (sha256 {record.sha256[:12]}…)")


@router.get("/deals/{deal}/evidence/{sha256}")
def evidence_file(ctx: Ctx, request: Request, who: PageUser, deal: str, sha256: str) -> Response:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    record = ctx.guard.evidence(who, d, sha256, ip=client_ip(request))
    return evidence_download(ctx.workspace, record)


# -- invoices and payments --


@router.get("/deals/{deal}/invoices", response_class=HTMLResponse)
def invoices(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    payments = [e for e in ctx.workspace.events(d.id) if e.type == "payment"]
    return render_page(ctx, request, "invoices.html", who, deal=d, v=v, payments=payments)


@router.get("/assets/invoice.css")
def invoice_css() -> Response:
    return Response(INVOICE_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/deals/{deal}/invoices/{number}.pdf")
def invoice_file(ctx: Ctx, request: Request, who: PageUser, deal: str, number: str) -> Response:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    events = ctx.workspace.events(d.id)
    return invoice_pdf(view(ctx.workspace, d, ctx.clock().date()), number, list(events))


@router.get("/deals/{deal}/invoices/{number}", response_class=HTMLResponse)
def invoice_page(ctx: Ctx, request: Request, who: PageUser, deal: str, number: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    events = ctx.workspace.events(d.id)
    doc = invoice_document(view(ctx.workspace, d, ctx.clock().date()), number, list(events))
    body = Markup(render_invoice_html(doc, standalone=False))
    return render_page(ctx, request, "invoice.html", who, deal=d, doc=doc, body=body)


# -- change orders and gates --


@router.get("/deals/{deal}/changes", response_class=HTMLResponse)
def change_orders(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    versions = ctx.workspace.versions(d.id)
    return render_page(
        ctx,
        request,
        "changes.html",
        who,
        deal=d,
        rows=v.changes,
        versions=versions,
        v=v,
    )


@router.get("/deals/{deal}/gates", response_class=HTMLResponse)
def gates(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    decided = [e for e in ctx.workspace.events(d.id) if e.type == "gate"]
    return render_page(ctx, request, "gates.html", who, deal=d, v=v, decided=decided)


# -- exit, access log, journal --


@router.get("/deals/{deal}/exit", response_class=HTMLResponse)
def exit_page(
    ctx: Ctx,
    request: Request,
    who: PageUser,
    deal: str,
    trigger: str = "missed-milestone",
    on: date | None = None,
) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    today = ctx.clock().date()
    day = on or today
    preview = exit_preview(ctx.workspace, d, trigger=trigger, on=day, party=who.party)
    v = view(ctx.workspace, d, today)  # for the banner of a deal not binding yet
    return render_page(
        ctx, request, "exit.html", who, deal=d, preview=preview, triggers=TRIGGERS, on=day, v=v
    )


@router.get("/deals/{deal}/access-log", response_class=HTMLResponse)
def access_log(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "access-log.read", ip=client_ip(request))
    entries = ctx.guard.entries(who, d.id)
    return render_page(ctx, request, "access_log.html", who, deal=d, entries=entries)


@router.get("/deals/{deal}/access-log.csv")
def access_log_csv(ctx: Ctx, request: Request, who: PageUser, deal: str) -> PlainTextResponse:
    d = ctx.guard.deal(who, deal, "access-log.read", ip=client_ip(request))
    return PlainTextResponse(
        ctx.guard.to_csv(ctx.guard.entries(who, d.id)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="access-log-{d.id}.csv"'},
    )


@router.get("/deals/{deal}/journal", response_class=HTMLResponse)
def journal(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    result = ctx.workspace.verify(d.id, evidence=True, party=who.party)
    events = ctx.workspace.events(d.id)
    return render_page(
        ctx, request, "journal.html", who, deal=d, result=result, events=list(enumerate(events, 1))
    )


# -- every command of ``copact.services.operations`` with a route: its form posts here --

_BACK = {
    "milestones": "/deals/{deal}/milestones/{milestone}",
    "payments": "/deals/{deal}/invoices",
    "invoices": "/deals/{deal}/invoices",
    "service-periods": "/deals/{deal}/invoices",
    "gainshare-periods": "/deals/{deal}/gainshare",  # gainshare
    "gainshare-years": "/deals/{deal}/gainshare",
    "changes": "/deals/{deal}/changes",
    "gates": "/deals/{deal}/gates",
    "bonuses": "/deals/{deal}/incentives",
    "sales-reports": "/deals/{deal}/incentives",
    "revenue-periods": "/deals/{deal}/incentives",
    "costs": "/deals/{deal}/costs",  # cost-plus
    "cost-periods": "/deals/{deal}/costs",
    "purchases": "/deals/{deal}/volume",  # volume commitment
    "forecasts": "/deals/{deal}/volume",
    "volume-years": "/deals/{deal}/volume",
    "conversions": "/deals/{deal}/support",  # convertible support
}
"""The page a command's form is on, by the first part of its route (else the dashboard)."""


def _form_fields(command: type[ops.Command], form: FormData) -> dict[str, Any]:
    """The command's body fields from a form: text stripped, empty ones left out (their
    default), a sequence from repeated fields or the lines of one text area."""
    fields: dict[str, Any] = {}
    for name, info in command.body().model_fields.items():
        given = [v.strip() for v in form.getlist(info.alias or name) if isinstance(v, str)]
        if get_origin(info.annotation) in (tuple, list):
            items = [line.strip() for v in given for line in v.splitlines() if line.strip()]
            if items:
                fields[name] = items
        elif given and given[0]:
            fields[name] = given[0]
    return fields


def outcome_note(outcome: Outcome) -> str:
    note = "; ".join(describe(e) for e in outcome.events)
    if outcome.version:
        note += f"; the deal is now at version {outcome.version}"
    return note + (" (sent before: nothing new recorded)" if outcome.replayed else "")


def _page_route(command: type[ops.Command]) -> None:
    """``POST /deals/{deal}/<command.api>`` from the command's form, back to its page."""
    names = command.path()
    first = (command.api or "").split("/")[0]

    async def endpoint(request: Request, ctx: Context, who: Principal, deal: str, **path: str):  # type: ignore[no-untyped-def]
        form = await request.form()  # read (and checked for its CSRF token) by FormUser
        key = form.get("key")
        if not isinstance(key, str) or not 1 <= len(key) <= 100:
            raise RefusedCommand("this form has no key; reload the page")
        fields = {**path, **_form_fields(command, form)}
        ip = client_ip(request)
        outcome = await run_in_threadpool(send, ctx, who, command, deal, key, fields, ip=ip)
        back = _BACK.get(first, "/deals/{deal}").format(deal=outcome.deal, **path)
        return redirect_back(request, who, back, outcome_note(outcome))

    P = inspect.Parameter
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            P("request", P.KEYWORD_ONLY, annotation=Request),
            P("ctx", P.KEYWORD_ONLY, annotation=Ctx),
            P("who", P.KEYWORD_ONLY, annotation=FormUser),
            P("deal", P.KEYWORD_ONLY, annotation=str),
            *(P(name, P.KEYWORD_ONLY, annotation=str) for name in names),
        ],
        return_annotation=RedirectResponse,
    )
    endpoint.__name__ = "page_" + re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__).lower()
    router.post(f"/deals/{{deal}}/{command.api}", response_class=RedirectResponse)(endpoint)


for _command in ops.COMMANDS:
    if _command.api is not None:
        _page_route(_command)
