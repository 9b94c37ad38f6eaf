"""A tiny HTTP/1.1 client for the benchmark: one kept-alive connection, one session cookie.

The standard library's ``http.client`` adds almost nothing to each request, so what the
benchmark times is the web process, not the client.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from admin_app.auth import SESSION_COOKIE


def _int_header(response: http.client.HTTPResponse, name: str) -> int | None:
    value = response.headers.get(name)
    return int(value) if value is not None else None


@dataclass(frozen=True)
class Reply:
    """One timed response."""

    status: int
    seconds: float
    statements: int | None
    transactions: int | None
    checkouts: int | None
    request_number: int | None
    body: bytes
    location: str | None


class Client:
    """Requests to one web process, signed in as at most one user."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.cookie: str | None = None
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def close(self) -> None:
        """Close the kept-alive connection."""
        self._connection.close()

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        *,
        log_sql: bool = False,
        keep_cookie: bool = True,
    ) -> Reply:
        """Send one request and time it up to the last byte of the body."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Unsafe requests need a same-origin Origin header (admin_app.security).
            headers["Origin"] = self.origin
        if self.cookie and keep_cookie:
            headers["Cookie"] = f"{SESSION_COOKIE}={self.cookie}"
        if log_sql:
            headers["X-SQL-Log"] = "1"
        try:
            response, payload, seconds = self._exchange(method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionError):
            # uvicorn closes a kept-alive connection idle for 5 s (while another user's
            # scenario ran): reconnect once. The warm-up requests absorb the new handshake.
            self._connection.close()
            response, payload, seconds = self._exchange(method, path, body, headers)
        if keep_cookie:
            self._remember_cookie(response.headers.get_all("Set-Cookie") or [])
        return Reply(
            status=response.status,
            seconds=seconds,
            statements=_int_header(response, "X-SQL-Statements"),
            transactions=_int_header(response, "X-SQL-Transactions"),
            checkouts=_int_header(response, "X-SQL-Checkouts"),
            request_number=_int_header(response, "X-SQL-Request"),
            body=payload,
            location=response.headers.get("Location"),
        )

    def _exchange(
        self, method: str, path: str, body: str | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes, float]:
        started = time.perf_counter()
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        payload = response.read()
        return response, payload, time.perf_counter() - started

    def _remember_cookie(self, cookies: list[str]) -> None:
        for cookie in cookies:
            name, _, rest = cookie.partition("=")
            if name.strip() == SESSION_COOKIE:
                self.cookie = rest.split(";", 1)[0]

    def sign_in(self, email: str, password: str) -> Reply:
        """POST the sign-in form; raises unless it lands signed in (302)."""
        reply = self.request("POST", "/admin/login", {"username": email, "password": password})
        if reply.status != 302 or not self.cookie:
            raise RuntimeError(f"sign-in as {email} failed: HTTP {reply.status}")
        return reply
