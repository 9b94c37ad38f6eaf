"""Refuse NUL characters in the address and in request bodies before any handler sees them.

No page, form, filter, search or look-up has a use for a NUL character, and PostgreSQL
refuses one in any text it stores or compares ("cannot contain NUL characters"): a day
note or a search holding one would otherwise end in a 500. One check at the edge covers
every route (SQLAdmin's forms, the shell pages, sign-in) instead of one per form.

A browser cannot type a NUL; one arrives pasted from elsewhere or from a tool, and the
form it came in stays in the browser (Back) to be corrected and sent again.
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NUL_IN_ADDRESS = "Request refused: the address contains a NUL character (%00)."
NUL_IN_FORM = (
    "Request refused: the form contains a NUL character (\\0), which cannot be stored. "
    "Go back, remove it and send the form again."
)
_URLENCODED = b"application/x-www-form-urlencoded"


class NulCharacterMiddleware:
    """Answer 400 when the path, the query string or the body carries a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _address_has_nul(scope):
            await PlainTextResponse(NUL_IN_ADDRESS, status_code=400)(scope, receive, send)
            return
        # The body is read whole here, as the form parser would read it anyway (the
        # console's forms are a few kilobytes), then handed on unchanged.
        body, last = await _read_body(receive)
        if _body_has_nul(scope, body):
            await PlainTextResponse(NUL_IN_FORM, status_code=400)(scope, receive, send)
            return
        await self.app(scope, _replay(body, last, receive), send)


def _address_has_nul(scope: Scope) -> bool:
    query = bytes(scope.get("query_string", b"")).lower()
    return b"%00" in query or b"\x00" in query or "\x00" in scope.get("path", "")


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body, and the message that ended it early (a disconnect), if one did."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _body_has_nul(scope: Scope, body: bytes) -> bool:
    if b"\x00" in body:
        return True
    headers = dict(scope.get("headers", []))
    # URL-encoded forms carry a NUL as %00 (a typed "%00" is sent as %2500).
    return headers.get(b"content-type", b"").startswith(_URLENCODED) and b"%00" in body


def _replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read already, then whatever comes next."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if last is not None:
        pending.append(last)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
