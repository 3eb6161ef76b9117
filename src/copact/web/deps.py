"""``Annotated`` dependencies, so a route reads like prose: ``def accept(who: Actor, …)``.

- :data:`Ctx`: the app's composition root;
- :data:`ApiUser`: the user of a JSON request (API token or session cookie), else 401;
- :data:`Actor`: an :data:`ApiUser` whose unsafe request carries the session's CSRF token in
  ``X-CSRF-Token`` (token requests need none: a browser never sends them on its own);
- :data:`PageUser` / :data:`FormUser`: the same for pages, where a missing session redirects
  to the sign-in page and a form carries the token in its ``csrf`` field;
- :data:`IdempotencyKey`: the ``Idempotency-Key`` header every state-changing request needs.

A session whose password was issued (``must_change_password``) gets past :data:`PageUser` only
on the change-password page and sign-out (elsewhere a page redirects there), and past
:data:`ApiUser` not at all (403); API tokens are not affected.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from copact.errors import CopactError
from copact.web.accounts import Principal
from copact.web.context import Context

__all__ = [
    "PASSWORD_PAGE",
    "Actor",
    "ApiUser",
    "Ctx",
    "FormUser",
    "IdempotencyKey",
    "PageUser",
    "PasswordChangeRequired",
    "SignInRequired",
    "Unauthenticated",
    "client_ip",
    "cookie_name",
    "secure_request",
]


class Unauthenticated(CopactError):
    """No valid session or token (HTTP 401)."""


class SignInRequired(CopactError):
    """A page asked for without a session: go to the sign-in page."""


class CsrfRefused(CopactError):
    """A form or cookie request without the session's CSRF token (HTTP 403)."""


class PasswordChangeRequired(CopactError):
    """A session with an issued password asked for something other than changing it (a page
    redirects to the change-password page; the API answers 403)."""


#: where a user with an issued password picks their own
PASSWORD_PAGE = "/account/password"
#: the only pages such a session may open (static assets need no session)
_WHILE_ONE_TIME = frozenset({PASSWORD_PAGE, "/logout"})


async def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


Ctx = Annotated[Context, Depends(get_context)]

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer cpt_…`")


def secure_request(ctx: Context, request: Request) -> bool:
    if ctx.settings.secure_cookies is not None:
        return ctx.settings.secure_cookies
    return request.url.scheme == "https"


def cookie_name(ctx: Context, request: Request) -> str:
    return "__Host-copact" if secure_request(ctx, request) else "copact"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


async def _from_request(ctx: Context, request: Request, token: str | None) -> Principal | None:
    """The user of a token or session cookie. Dependencies are async so a request makes one
    trip to the thread pool (its handler), not one per dependency; the lookups that touch
    the database go to the pool themselves (a remembered API token does not)."""
    if token is not None:
        known = ctx.accounts.remembered(token)
        return known or await run_in_threadpool(ctx.accounts.token, token)
    cookie = request.cookies.get(cookie_name(ctx, request))
    return await run_in_threadpool(ctx.accounts.session, cookie) if cookie else None


async def api_user(
    ctx: Ctx,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    who = await _from_request(ctx, request, credentials.credentials if credentials else None)
    if who is None:
        raise Unauthenticated("sign in, or send an API token: Authorization: Bearer cpt_…")
    request.state.principal = who
    if who.must_change_password and not who.via_token:
        raise PasswordChangeRequired(
            f"your password was issued to you: change it first at {PASSWORD_PAGE}"
        )
    return who


ApiUser = Annotated[Principal, Depends(api_user)]


def _csrf_ok(who: Principal, given: str | None) -> bool:
    if who.via_token:
        return True
    return bool(given) and who.csrf is not None and secrets.compare_digest(who.csrf, given or "")


async def api_actor(
    who: ApiUser,
    x_csrf_token: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    if not _csrf_ok(who, x_csrf_token):
        raise CsrfRefused("a request from a browser session needs its X-CSRF-Token header")
    return who


Actor = Annotated[Principal, Depends(api_actor)]


async def page_user(ctx: Ctx, request: Request) -> Principal:
    who = await _from_request(ctx, request, None)
    if who is None:
        raise SignInRequired(str(request.url.path))
    request.state.principal = who
    if who.must_change_password and request.url.path not in _WHILE_ONE_TIME:
        raise PasswordChangeRequired(
            f"your password was issued to you: change it first at {PASSWORD_PAGE}"
        )
    return who


PageUser = Annotated[Principal, Depends(page_user)]


async def form_user(who: PageUser, request: Request) -> Principal:
    form = await request.form()
    given = form.get("csrf")
    if not _csrf_ok(who, given if isinstance(given, str) else None):
        raise CsrfRefused("this form has expired or did not come from copact; reload the page")
    return who


FormUser = Annotated[Principal, Depends(form_user)]

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        description="A key of your choosing, new for each new request: a retry with the same "
        "key and body returns the first response; the same key with another body is refused.",
    ),
]
