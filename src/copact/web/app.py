"""The app factory: ``create_app(settings)`` → a FastAPI app on one workspace.

Errors become clear answers, never tracebacks: a refused command is 409 with its reason, an
unknown or invisible object 404, a role that may not act 403, an oversized upload 413, a
throttled sign-in 429 with ``Retry-After``; anything unexpected is a 500 that says only that
(the details go to the server log). Pages get the same as an HTML page, the API as JSON
``{"detail": …}``.

The client's address (the throttle's and the access log's) is the connection's peer;
``X-Forwarded-For`` and ``X-Forwarded-Proto`` count only from ``settings.trusted_proxies``
(none by default), read right to left up to the first address that is not a trusted proxy.
With ``settings.trusted_hosts`` a request for any other ``Host`` is answered 400.

Refusals decided before any deal is looked at (no session or token, a bad CSRF token, an issued
password not yet changed) go to the access log like the guard's own: who (the session's user,
or nobody: *anonymous*), the method and path, when, and from where. The sign-in page and static
files are left out, so the log is not a way to make the server write for every stray request
to them; everything else costs one plain insert per refused request, no more.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from copact import __version__
from copact.errors import CopactError, RefusedCommand
from copact.services.access_log import AccessLog
from copact.services.uow import system_clock
from copact.services.workspace import IdempotencyConflict, Workspace, WorkspaceError
from copact.web import api, costs, downloads, gainshare, incentives, metering, pages
from copact.web import selection as supplier_selection
from copact.web import support as convertible_support  # convertible support
from copact.web import volume as volume_commitment  # volume commitment
from copact.web.access import Forbidden, Guard, NotFound
from copact.web.accounts import Accounts, Throttled
from copact.web.bodies import BodyLimit
from copact.web.context import TEMPLATES, Context
from copact.web.deps import (
    PASSWORD_PAGE,
    CsrfRefused,
    PasswordChangeRequired,
    SignInRequired,
    Unauthenticated,
    client_ip,
)
from copact.web.settings import WebSettings
from copact.web.uploads import BadUpload, TooLarge, UploadRefused

__all__ = ["create_app"]

log = logging.getLogger("copact.web")

_STATUS: list[tuple[type[Exception], int]] = [
    (Unauthenticated, 401),
    (CsrfRefused, 403),
    (PasswordChangeRequired, 403),
    (Forbidden, 403),
    (NotFound, 404),
    (WorkspaceError, 404),
    (TooLarge, 413),
    (UploadRefused, 422),
    (IdempotencyConflict, 422),
    (BadUpload, 400),
    (Throttled, 429),
    (RefusedCommand, 409),
    (CopactError, 400),
]

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class SecurityHeaders:
    """Headers every answer carries (a plain ASGI middleware: no per-request task)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in (
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", _CSP.encode()),
                    (b"cache-control", b"no-store"),
                ):
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestScope:
    """Each HTTP request is one scope of the workspace: a deal's text is read (and parsed) once
    per version in it, however many reads the request makes."""

    def __init__(self, app: ASGIApp, workspace: Workspace) -> None:
        self.app = app
        self.workspace = workspace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.workspace.request():
            await self.app(scope, receive, send)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def create_app(
    settings: WebSettings,
    *,
    workspace: Workspace | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The web app on ``settings.workspace`` (opened, and migrated, here unless given)."""
    now = clock or system_clock
    ws = workspace or Workspace.open(settings.workspace, clock=now)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["version"] = __version__
    pages.install_filters(templates)
    ctx = Context(
        settings=settings,
        workspace=ws,
        accounts=Accounts(ws.engine, settings.accounts, now),
        guard=Guard(ws, AccessLog(ws.engine, now)),
        templates=templates,
        clock=now,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="copact",
        version=__version__,
        description="The JSON API of a copact workspace: deals, milestones, evidence, "
        "invoices, change orders, exit previews and the access log. Authenticate with an API "
        "token (`Authorization: Bearer cpt_…`).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.ctx = ctx
    app.add_middleware(RequestScope, workspace=ws)
    app.add_middleware(BodyLimit, limit=settings.body_limit, upload_limit=ctx.upload_limit)
    app.add_middleware(SecurityHeaders)
    if settings.trusted_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.trusted_hosts))
    # outermost: the client's address and scheme are the peer's unless a configured proxy
    # says otherwise (uvicorn's own handling is off in ``copact serve``: it trusts loopback)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    app.mount(
        "/static",
        StaticFiles(directory=str(Path(__file__).resolve().parent / "static")),
        name="static",
    )
    app.include_router(api.router)
    app.include_router(downloads.router)
    app.include_router(pages.router)
    app.include_router(metering.router)
    app.include_router(incentives.router)  # innovation bonuses and revenue share
    app.include_router(gainshare.router)  # gainshare
    app.include_router(costs.router)  # cost-plus
    app.include_router(volume_commitment.router)  # volume commitment
    app.include_router(convertible_support.router)  # convertible support
    app.include_router(supplier_selection.router)  # supplier selection

    async def refused(request: Request, action: str, detail: str) -> None:
        """Write a refusal the guard never saw to the access log."""
        path = request.url.path
        if path.startswith(_UNLOGGED):
            return
        who = _who(request)
        deal = request.path_params.get("deal")
        try:
            await run_in_threadpool(
                ctx.guard.log,
                who,
                action=action,
                obj=f"{request.method} {path}",
                outcome="refused",
                ip=client_ip(request),
                deal=deal[:64] if isinstance(deal, str) else None,
                # the user's own party; a stranger knocking at a deal concerns both its parties
                concerns=who.party if who else ("*" if deal else None),
                detail=detail,
            )
        except Exception:  # the refusal is answered even when the log cannot be written
            log.exception("could not log a refused %s %s", request.method, path)

    def error(request: Request, status: int, message: str, **headers: str) -> Response:
        if _wants_html(request):
            return templates.TemplateResponse(
                request,
                "error.html",
                {
                    "status": status,
                    "message": message,
                    "who": _who(request),
                    "back": _back(request),
                },
                status_code=status,
                headers=headers or None,
            )
        return JSONResponse({"detail": message}, status_code=status, headers=headers or None)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        await refused(request, "sign-in.required", "no session")
        return RedirectResponse("/login?next=" + _safe_next(str(exc)), status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _password(request: Request, exc: PasswordChangeRequired) -> Response:
        await refused(request, "password.change-first", "an issued password not yet changed")
        if _wants_html(request):
            return RedirectResponse(PASSWORD_PAGE, status_code=303)
        return error(request, 403, str(exc))

    @app.exception_handler(CopactError)
    async def _refused(request: Request, exc: CopactError) -> Response:
        status = next(code for kind, code in _STATUS if isinstance(exc, kind))
        if isinstance(exc, Unauthenticated):
            await refused(request, "sign-in.required", "no valid session or API token")
        elif isinstance(exc, CsrfRefused):
            await refused(request, "csrf", "no valid CSRF token")
        headers: dict[str, str] = {}
        if isinstance(exc, Throttled):
            headers["Retry-After"] = str(exc.retry_after)
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return error(request, status, str(exc), **headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_html(request):
            first = exc.errors()[0] if exc.errors() else {}
            where = ".".join(str(p) for p in first.get("loc", ()))
            return error(request, 422, f"{where}: {first.get('msg', 'invalid input')}")
        return JSONResponse({"detail": _plain(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error(request, exc.status_code, str(exc.detail), **(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(
            request,
            500,
            "copact could not complete this request (an internal error, logged on the server); "
            "nothing was recorded twice: retry with the same Idempotency-Key",
        )

    return app


#: refusals on these paths are not logged: the sign-in form (its own throttle guards it) and
#: static files
_UNLOGGED = ("/login", "/static/", "/assets/")


def _who(request: Request) -> Any:
    return getattr(request.state, "principal", None)


def _back(request: Request) -> str | None:
    """Where an error page's "Go back" leads (a plain link: the CSP allows no script): the
    page the request came from when it is one of ours, else the deal's dashboard, else none
    (the page offers "Your deals" anyway)."""
    came = urlsplit(request.headers.get("referer", ""))
    # a path a browser could read as another site's (``//x``, ``/\\x``) is not ours
    local = came.path.startswith("/") and not came.path.startswith("//") and "\\" not in came.path
    if came.netloc == request.url.netloc and came.scheme in ("http", "https") and local:
        return came.path + (f"?{came.query}" if came.query else "")
    deal = request.path_params.get("deal")
    if isinstance(deal, str) and request.url.path != f"/deals/{deal}":
        return "/deals/" + quote(deal, safe="")
    return None


def _safe_next(path: str) -> str:
    """Only a local path may be a redirect target."""
    if not path.startswith("/") or path.startswith("//"):
        return "/deals"
    return quote(path, safe="/")


def _plain(errors: Any) -> list[dict[str, Any]]:
    """Validation errors without the raw input (which may be a password)."""
    return [
        {
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]
