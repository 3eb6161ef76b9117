"""The HTML pages: server-rendered, no script needed. Each handler asks the guard, calls one
service or query, and renders; a form that changes something carries the session's CSRF token
and a fresh idempotency key (a double click records once), then redirects to the page with a
note of what was done."""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from copact.core.settlement import TRIGGERS
from copact.documents.invoice import INVOICE_CSS, render_invoice_html
from copact.errors import RefusedCommand
from copact.services import operations as ops
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
from copact.web.queries import changes, exit_preview, run, scoped_key, view
from copact.web.uploads import UploadRefused, check_content, receive_upload
from copact.web.views import money_text

__all__ = ["install_filters", "router"]

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=2000)]
Key = Annotated[str, Form(min_length=1, max_length=100)]
_LOGIN_CSRF = "copact_login"
#: a browser that signed in to an account before: its own sign-in budget (``web.throttle``)
_DEVICE = "copact_device"


def install_filters(templates: Jinja2Templates) -> None:
    templates.env.filters["money"] = money_text
    templates.env.globals["can"] = lambda who, action: who.role in PERMISSIONS[action]
    templates.env.globals["new_key"] = lambda: uuid.uuid4().hex


def _render(
    ctx: Context, request: Request, name: str, who: Principal | None, **values: Any
) -> HTMLResponse:
    # the banner's note is the server's own (a signed cookie), never the URL's
    note, carried = pop_flash(request, who)
    response = ctx.templates.TemplateResponse(request, name, {"who": who, "msg": note, **values})
    if carried:
        drop_flash(response)  # shown once
    return response


def _back(request: Request, who: Principal, path: str, message: str) -> RedirectResponse:
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
    response = _render(ctx, request, "login.html", None, csrf=token, next=next, error=None)
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
        response = _render(ctx, request, "login.html", None, csrf=csrf, next=next, error=str(exc))
        response.status_code = 429
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if signed is None:
        response = _render(
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
    return _render(ctx, request, "password.html", who, error=None)


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
        response = _render(ctx, request, "password.html", who, error=str(exc))
        response.status_code = 429 if isinstance(exc, Throttled) else 400
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    # every session of the user ended with the old password; this browser gets a new one
    done = _back(request, signed.principal, "/deals", "Your password is changed.")
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
    return _render(ctx, request, "deals.html", who, rows=rows)


@router.get("/deals/{deal}", response_class=HTMLResponse)
def dashboard(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    return _render(
        ctx,
        request,
        "dashboard.html",
        who,
        deal=d,
        v=v,
        timeline=Markup(timeline_svg(v)),
        money=Markup(money_svg(v)),
        changes=changes(d, v.state),
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
    return _render(
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
        ended=v.state.ended,
    )


@router.post("/deals/{deal}/milestones/{milestone}/submit")
def submit(
    ctx: Ctx,
    request: Request,
    who: FormUser,
    deal: str,
    milestone: str,
    key: Key,
    evidence: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "milestone.submit", ip=client_ip(request))
    for sha in evidence:
        ctx.guard.evidence(who, d, sha, ip=client_ip(request))
    command = ops.Submit(
        d.id, milestone, ctx.guard.person(who, d), tuple(evidence), scoped_key(who, key)
    )
    run(ctx.workspace, ops.submit, command, clock=ctx.clock)
    return _back(
        request, who, f"/deals/{d.id}/milestones/{milestone}", f"{milestone} submitted for review"
    )


@router.post("/deals/{deal}/milestones/{milestone}/accept")
def accept(
    ctx: Ctx, request: Request, who: FormUser, deal: str, milestone: str, key: Key
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "milestone.review", ip=client_ip(request))
    command = ops.Accept(d.id, milestone, ctx.guard.person(who, d), scoped_key(who, key))
    outcome = run(ctx.workspace, ops.accept, command, clock=ctx.clock)
    numbers = [e.number for e in outcome.events if e.type == "invoice"]
    note = f"{milestone} accepted" + (f"; invoice {numbers[0]} issued" if numbers else "")
    return _back(request, who, f"/deals/{d.id}/milestones/{milestone}", note)


@router.post("/deals/{deal}/milestones/{milestone}/reject")
def reject(
    ctx: Ctx,
    request: Request,
    who: FormUser,
    deal: str,
    milestone: str,
    key: Key,
    reasons: Text,
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "milestone.review", ip=client_ip(request))
    lines = tuple(line.strip() for line in reasons.splitlines() if line.strip())
    command = ops.Reject(d.id, milestone, ctx.guard.person(who, d), lines, scoped_key(who, key))
    run(ctx.workspace, ops.reject, command, clock=ctx.clock)
    return _back(request, who, f"/deals/{d.id}/milestones/{milestone}", f"{milestone} rejected")


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
    return _back(request, who, back, f"{record.name} stored (sha256 {record.sha256[:12]}…)")


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
    return _render(
        ctx, request, "invoices.html", who, deal=d, v=v, rows=v.invoices(), payments=payments
    )


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
    return _render(ctx, request, "invoice.html", who, deal=d, doc=doc, body=body)


@router.post("/deals/{deal}/invoices")
def invoices_issue(
    ctx: Ctx, request: Request, who: FormUser, deal: str, key: Key
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "invoices.issue", ip=client_ip(request))
    command = ops.IssueInvoices(d.id, scoped_key(who, key))
    outcome = run(ctx.workspace, ops.issue_invoices, command, clock=ctx.clock)
    return _back(
        request, who, f"/deals/{d.id}/invoices", f"{len(outcome.events)} invoice(s) issued"
    )


@router.post("/deals/{deal}/payments")
def payment(
    ctx: Ctx,
    request: Request,
    who: FormUser,
    deal: str,
    key: Key,
    payer: Annotated[str, Form(max_length=64)],
    payee: Annotated[str, Form(max_length=64)],
    amount: Annotated[str, Form(max_length=30)],
    ref: Annotated[str, Form(min_length=1, max_length=100)],
    for_: Annotated[str, Form(alias="for", max_length=100)] = "",
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "payment.record", ip=client_ip(request))
    ctx.guard.side(
        who,
        d,
        {payer},
        action="payment.record",
        ip=client_ip(request),
        why="you record payments your party made; the payee confirms them",
    )
    command = ops.RecordPayment(
        d.id,
        payer,
        payee,
        _decimal(amount),
        ref.strip(),
        for_ or None,
        scoped_key(who, key),
        ctx.guard.person(who, d),
    )
    run(ctx.workspace, ops.record_payment, command, clock=ctx.clock)
    return _back(request, who, f"/deals/{d.id}/invoices", f"payment {ref} recorded")


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise RefusedCommand(f"{text!r} is not an amount; write it like 12000.00") from None
    if not value.is_finite():
        raise RefusedCommand(f"{text!r} is not an amount")
    return value


# -- change orders and gates --


@router.get("/deals/{deal}/changes", response_class=HTMLResponse)
def change_orders(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    versions = ctx.workspace.versions(d.id)
    return _render(
        ctx,
        request,
        "changes.html",
        who,
        deal=d,
        rows=changes(d, v.state),
        versions=versions,
        ended=v.state.ended,
    )


@router.post("/deals/{deal}/changes")
def change_propose(
    ctx: Ctx,
    request: Request,
    who: FormUser,
    deal: str,
    key: Key,
    change: Annotated[str, Form(max_length=64)],
    amount: Annotated[str, Form(max_length=30)] = "",
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "change.propose", ip=client_ip(request))
    command = ops.ProposeChange(
        d.id,
        change.strip(),
        ctx.guard.person(who, d),
        _decimal(amount) if amount.strip() else None,
        None,
        scoped_key(who, key),
    )
    run(ctx.workspace, ops.propose_change_order, command, clock=ctx.clock)
    return _back(request, who, f"/deals/{d.id}/changes", f"change {change} proposed")


@router.post("/deals/{deal}/changes/{change}/{decision}")
def change_decide(
    ctx: Ctx, request: Request, who: FormUser, deal: str, change: str, decision: str, key: Key
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "change.decide", ip=client_ip(request))
    by = ctx.guard.person(who, d)
    if decision == "approve":
        approve = ops.ApproveChange(d.id, change, by, scoped_key(who, key))
        outcome = run(ctx.workspace, ops.approve_change_order, approve, clock=ctx.clock)
        note = f"change {change} approved" + (
            f"; the deal is now at version {outcome.version}" if outcome.version else ""
        )
    elif decision == "reject":
        refuse = ops.RejectChange(d.id, change, by, scoped_key(who, key))
        run(ctx.workspace, ops.reject_change_order, refuse, clock=ctx.clock)
        note = f"change {change} rejected"
    else:
        raise NotFound("a change order is approved or rejected")
    return _back(request, who, f"/deals/{d.id}/changes", note)


@router.get("/deals/{deal}/gates", response_class=HTMLResponse)
def gates(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    v = view(ctx.workspace, d, ctx.clock().date())
    decided = [e for e in ctx.workspace.events(d.id) if e.type == "gate"]
    return _render(ctx, request, "gates.html", who, deal=d, v=v, decided=decided)


@router.post("/deals/{deal}/gates/{phase}")
def gate(
    ctx: Ctx,
    request: Request,
    who: FormUser,
    deal: str,
    phase: str,
    key: Key,
    decision: Annotated[str, Form(max_length=10)],
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "gate.decide", ip=client_ip(request))
    me = ctx.guard.person(who, d)
    command = ops.DecideGate(d.id, phase, decision, me, scoped_key(who, key))
    run(ctx.workspace, ops.decide_gate, command, clock=ctx.clock)
    return _back(request, who, f"/deals/{d.id}/gates", f"your decision on {phase}: {decision}")


@router.post("/deals/{deal}/payments/{ref:path}/confirm")
def payment_confirm(
    ctx: Ctx, request: Request, who: FormUser, deal: str, ref: str, key: Key
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "payment.confirm", ip=client_ip(request))
    command = ops.ConfirmPayment(d.id, ref, ctx.guard.person(who, d), scoped_key(who, key))
    run(ctx.workspace, ops.confirm_payment, command, clock=ctx.clock)
    return _back(request, who, f"/deals/{d.id}/invoices", f"payment {ref} confirmed")


# -- decisions and risks --


@router.post("/deals/{deal}/decisions")
def decision(
    ctx: Ctx,
    request: Request,
    who: FormUser,
    deal: str,
    key: Key,
    decision: Annotated[str, Form(min_length=3, max_length=2000)],
    topic: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "decision.log", ip=client_ip(request))
    by = (ctx.guard.person(who, d),)
    command = ops.LogDecision(
        d.id, decision.strip(), by, topic.strip() or None, scoped_key(who, key)
    )
    run(ctx.workspace, ops.log_decision, command, clock=ctx.clock)
    return _back(request, who, f"/deals/{d.id}", "decision logged")


@router.post("/deals/{deal}/risks")
def risk(
    ctx: Ctx,
    request: Request,
    who: FormUser,
    deal: str,
    key: Key,
    risk: Annotated[str, Form(max_length=64)],
    description: Annotated[str, Form(max_length=2000)] = "",
    likelihood: Annotated[str, Form(max_length=10)] = "",
    impact: Annotated[str, Form(max_length=10)] = "",
    mitigation: Annotated[str, Form(max_length=2000)] = "",
    status: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    d = ctx.guard.deal(who, deal, "risk.update", ip=client_ip(request))
    command = ops.UpdateRisk(
        d.id,
        risk.strip(),
        ctx.guard.person(who, d),
        description.strip() or None,
        likelihood or None,
        impact or None,
        None,
        mitigation.strip() or None,
        status or None,
        scoped_key(who, key),
    )
    run(ctx.workspace, ops.update_risk, command, clock=ctx.clock)
    return _back(request, who, f"/deals/{d.id}", f"risk {risk} recorded")


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
    day = on or ctx.clock().date()
    preview = exit_preview(ctx.workspace, d, trigger=trigger, on=day, party=who.party)
    return _render(
        ctx, request, "exit.html", who, deal=d, preview=preview, triggers=TRIGGERS, on=day
    )


@router.get("/deals/{deal}/access-log", response_class=HTMLResponse)
def access_log(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "access-log.read", ip=client_ip(request))
    entries = ctx.guard.entries(who, d.id)
    return _render(ctx, request, "access_log.html", who, deal=d, entries=entries)


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
    return _render(
        ctx, request, "journal.html", who, deal=d, result=result, events=list(enumerate(events, 1))
    )
