"""The note a page shows after a form did something ("payment WIRE-7 recorded"): made by the
server, never read from the URL, so nobody can send a link that shows "Payment approved".

The note travels from the redirect to the next page in a cookie signed (HMAC-SHA256) with the
session's CSRF token, a secret the server keeps per session: a note cannot be forged, nor
carried into another session. The page that shows it deletes the cookie, so a note shows once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from fastapi import Request, Response

from copact.web.accounts import Principal

__all__ = ["FLASH_COOKIE", "drop_flash", "pop_flash", "set_flash"]

FLASH_COOKIE = "copact_flash"
_MAX = 500  # characters of a note


def _sign(key: str, text: bytes) -> str:
    return hmac.new(key.encode("utf-8"), b"flash:" + text, hashlib.sha256).hexdigest()


def set_flash(response: Response, who: Principal, message: str, *, secure: bool) -> None:
    """Have the next page ``who`` opens show ``message`` once."""
    if who.csrf is None:
        return
    text = message[:_MAX].encode("utf-8")
    value = base64.urlsafe_b64encode(text).decode("ascii") + "." + _sign(who.csrf, text)
    response.set_cookie(
        FLASH_COOKIE, value, httponly=True, samesite="lax", secure=secure, path="/", max_age=300
    )


def pop_flash(request: Request, who: Principal | None) -> tuple[str | None, bool]:
    """(the note made for ``who``'s session, whether the request carried a note at all): the
    page then deletes the cookie (:func:`drop_flash`), so a note shows once, and a note that is
    not theirs is dropped unread."""
    value = request.cookies.get(FLASH_COOKIE)
    if value is None:
        return None, False
    if who is None or who.csrf is None or "." not in value:
        return None, True
    encoded, signature = value.rsplit(".", 1)
    try:
        text = base64.urlsafe_b64decode(encoded.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None, True
    if not hmac.compare_digest(_sign(who.csrf, text), signature):
        return None, True
    return text.decode("utf-8", errors="replace"), True


def drop_flash(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/")
