"""Cross-site protection and security headers, as pure ASGI middleware around the whole app.

SQLAdmin's forms carry no CSRF token, and its jQuery DELETE sends none either, so instead
of tokens the app checks where each state-changing request comes from. Browsers send an
``Origin`` header on every POST, PUT, PATCH and DELETE (cross-site ones included), so:

* an unsafe method whose ``Origin`` (or, when absent, ``Referer``) is not this site gets
  403; a request with neither header gets 403 too. Non-browser clients, Starlette's
  TestClient included, must therefore send ``Origin: http://testserver`` (or the site's
  own origin) on every POST/PUT/PATCH/DELETE.
* SQLAdmin's ``@action`` URLs are GETs that change data, so a GET to
  ``/admin/<view>/action/<name>`` is refused unless the browser says it came from this
  site (``Sec-Fetch-Site: same-origin``, or else a same-origin ``Referer``). New
  state-changing endpoints should be POST routes, not ``@action``.

"This site" is the request's own scheme and Host, after uvicorn's ``--proxy-headers`` has
applied the router's ``X-Forwarded-Proto``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
CROSS_SITE_REFUSED = (
    "Cross-site request refused: this request did not come from a page of this site."
)
MISSING_ORIGIN_REFUSED = (
    "Request refused: it carries neither an Origin nor a Referer header, "
    "so it cannot be shown to come from this site."
)
HSTS = "max-age=31536000"


def _origin_of(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an absolute URL, default ports filled in; None if not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def site_origin(scope: Scope) -> tuple[str, str, int] | None:
    """This request's own origin: its scheme plus the Host it was sent to."""
    host = Headers(scope=scope).get("host", "")
    return _origin_of(f"{scope.get('scheme', 'http')}://{host}") if host else None


def is_same_origin(scope: Scope, url: str) -> bool:
    """True when ``url`` (an Origin or Referer value) belongs to this site."""
    own = site_origin(scope)
    return own is not None and _origin_of(url) == own


class OriginCheckMiddleware:
    """Refuse state-changing requests that another site could have made a browser send."""

    def __init__(self, app: ASGIApp, *, action_path: str = r"^/admin/[^/]+/action/") -> None:
        self.app = app
        self._action_path = re.compile(action_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                await PlainTextResponse(refusal, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> str | None:
        headers = Headers(scope=scope)
        method = scope["method"].upper()
        if method not in SAFE_METHODS:
            claimed = headers.get("origin") or headers.get("referer")
            if not claimed:
                return MISSING_ORIGIN_REFUSED
            return None if is_same_origin(scope, claimed) else CROSS_SITE_REFUSED
        if self._action_path.match(scope["path"]):
            fetch_site = headers.get("sec-fetch-site")
            if fetch_site is not None:
                # The browser's own word wins: "same-site" (a sibling subdomain), "cross-site"
                # and "none" (a typed or bookmarked URL) are all refused.
                return None if fetch_site == "same-origin" else CROSS_SITE_REFUSED
            referer = headers.get("referer")
            return None if referer and is_same_origin(scope, referer) else CROSS_SITE_REFUSED
        return None


class SecurityHeadersMiddleware:
    """Anti-framing, no-sniff and referrer headers on every response; no caching of pages
    under ``private_prefix`` (its static files excepted)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        private_prefix: str = "/admin",
        statics_prefix: str = "/admin/statics/",
        hsts: bool = False,
    ) -> None:
        self.app = app
        self._private_prefix = private_prefix
        self._statics_prefix = statics_prefix
        self._hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        private = (
            path == self._private_prefix or path.startswith(self._private_prefix + "/")
        ) and not path.startswith(self._statics_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
                if private:
                    # Console pages show other people's data: never keep them in a browser
                    # or proxy cache, where the back button or a shared machine finds them.
                    headers["Cache-Control"] = "no-store"
                if self._hsts:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def protect(app: Starlette, *, console_prefix: str, hsts: bool) -> None:
    """Wrap the whole ``app`` (console and shell pages alike) in both middlewares."""
    # add_middleware puts the newest outermost: the headers then also reach the 403s.
    app.add_middleware(
        OriginCheckMiddleware, action_path=rf"^{re.escape(console_prefix)}/[^/]+/action/"
    )
    app.add_middleware(
        SecurityHeadersMiddleware,
        private_prefix=console_prefix,
        statics_prefix=f"{console_prefix}/statics/",
        hsts=hsts,
    )
