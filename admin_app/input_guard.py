"""Refuse NUL characters in the address before any handler sees them.

No page, filter, search or look-up has a use for a NUL character, and PostgreSQL refuses
one in any text comparison ("cannot contain NUL characters"), which would otherwise end a
list search or a picker look-up in a 500. One check at the edge covers every route.
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

NUL_IN_ADDRESS = "Request refused: the address contains a NUL character (%00)."


class NulInAddressMiddleware:
    """Answer 400 when the path or query string carries a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            await PlainTextResponse(NUL_IN_ADDRESS, status_code=400)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    query = bytes(scope.get("query_string", b"")).lower()
    return b"%00" in query or b"\x00" in query or "\x00" in scope.get("path", "")
