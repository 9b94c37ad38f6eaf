"""The client's address and scheme as the trusted routers saw them, never as the client says.

Behind Heroku's router a dyno's socket peer is the router, and the client's address is in
``X-Forwarded-For``. Each router *appends* the address it received the request from, so
only the right-most entries are trustworthy: everything to their left was written by the
client and can be anything. With ``TRUSTED_PROXY_HOPS=N`` (Heroku: 1) the client is the
N-th entry from the right. With fewer entries than that the request did not come through
the routers, and the socket peer stays the client; with N=0 the headers are ignored.

This middleware is the one place that reads those headers (uvicorn's own handling, which
trusts the left-most entry, is off): audit entries, the sign-in throttle's per-address
limit and the access log all see the address chosen here.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send


class TrustedProxyMiddleware:
    """Rewrite ``scope["client"]`` (and ``scheme``) from what the trusted routers appended."""

    def __init__(self, app: ASGIApp, hops: int) -> None:
        self.app = app
        self.hops = hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.hops > 0:
            _apply(scope, self.hops)
        await self.app(scope, receive, send)


def _header_values(scope: Scope, name: bytes) -> list[str]:
    """Every comma-separated value of header ``name``, over repeated headers, in order."""
    values: list[str] = []
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            values.extend(part.strip() for part in value.decode("latin-1").split(","))
    return values


def _apply(scope: Scope, hops: int) -> None:
    forwarded_for = _header_values(scope, b"x-forwarded-for")
    if len(forwarded_for) < hops:
        return  # not through the routers: the peer is the client
    client = forwarded_for[-hops]
    try:
        ipaddress.ip_address(client)
    except ValueError:
        return  # a router writes an address; anything else is not one of theirs
    # In place, as uvicorn's own proxy middleware does: its access log reads this scope.
    scope["client"] = (client, 0)
    proto = _header_values(scope, b"x-forwarded-proto")
    if proto and proto[-1].lower() in ("http", "https"):
        secure = proto[-1].lower() == "https"
        if scope["type"] == "websocket":
            scope["scheme"] = "wss" if secure else "ws"
        else:
            scope["scheme"] = "https" if secure else "http"
