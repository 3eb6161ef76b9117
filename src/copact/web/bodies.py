"""Bounds on a request's body, kept before any route reads it.

A JSON or form body is at most ``WebSettings.body_limit`` bytes (1 MiB by default; a change
order's patch or a payment takes a few hundred), else 413. Evidence and data files go as
multipart uploads, which keep their own limit (``WebSettings.upload_limit``, streamed and cut
off by the upload routes); here only a backstop a little above it, so that a JSON route never
buffers a huge body sent as multipart. A JSON body nesting deeper than :data:`MAX_DEPTH` is
refused (400) before it is parsed: a deal file nests at most 64 levels, so a deeper
change-order patch can never make a deal, and the code that merges and writes out a patch
recurses.

The refusal is raised from the body's ``receive``, where the route reads it, so the app's
error handler answers it: JSON ``{"detail": …}`` on the API, the error page on a page.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_DEPTH", "BodyLimit", "nesting"]

#: nesting of arrays and objects a JSON body may have (the deal file's own bound is 64)
MAX_DEPTH = 100
#: the multipart envelope around an upload's files, above the upload routes' own slack
_UPLOAD_SLACK = 256 * 1024
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings aside)."""
    deepest = depth = 0
    for byte in _STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return not kind or kind == "application/json" or kind.endswith("+json")


class BodyLimit:
    """The ASGI middleware: bounds each request's body as it is received (module docstring)."""

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "")
        upload = content_type.lower().startswith("multipart/")
        limit = self.upload_limit + _UPLOAD_SLACK if upload else self.limit
        declared = headers.get("content-length", "")
        seen = 0
        # a JSON body is read whole (at most ``limit``: the route would hold it all anyway) and
        # checked once; any other body is counted as it comes
        checked = upload or not _is_json(content_type)

        def too_large() -> HTTPException:
            if upload:
                what = f"an upload is at most {self.upload_limit:,} bytes"
            else:
                what = (
                    f"a JSON or form body is at most {limit:,} bytes; "
                    "send files as multipart uploads"
                )
            return HTTPException(413, f"the request body is too large: {what}")

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large()
            return message

        async def bounded() -> Message:
            nonlocal checked
            if declared.isdigit() and int(declared) > limit:
                raise too_large()
            if checked:
                return await counted()
            checked = True
            parts = []
            while True:
                message = await counted()
                if message["type"] != "http.request":
                    return message
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(parts)
            if nesting(body) > MAX_DEPTH:
                raise HTTPException(
                    400, f"the JSON body nests deeper than {MAX_DEPTH} levels of arrays and objects"
                )
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, bounded, send)
