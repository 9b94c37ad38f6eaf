"""The application factory: one engine, the SQLAdmin console, health, and the start-up guard."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from admin_app import access_log, errors, feeds_http, instrumentation, outbox, passwords
from admin_app.console import ADMIN_BASE_URL, mount_console
from admin_app.db import build_engine, build_sessionmaker
from admin_app.input_guard import NulCharacterMiddleware
from admin_app.proxy import TrustedProxyMiddleware
from admin_app.request_session import RequestSessionMiddleware, RequestSessions
from admin_app.schema_guard import SchemaState, check_schema
from admin_app.settings import Settings, load_settings

STATICS = Path(__file__).parent / "statics"
logger = logging.getLogger("admin_app")


class SchemaBehindError(RuntimeError):
    """The database lacks migrations this code needs; the release phase did not run."""


async def home(request: Request) -> Response:
    """The console lives under /admin."""
    return RedirectResponse(ADMIN_BASE_URL + "/", status_code=302)


async def healthz(request: Request) -> Response:
    """200 when the database answers and is at head; 503 with the reason otherwise."""
    try:
        status = await run_in_threadpool(check_schema, request.app.state.engine)
    except SQLAlchemyError as exc:
        logger.warning("health check: database unreachable: %s", type(exc).__name__)
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "reason": "database unreachable"},
            status_code=503,
        )
    body: dict[str, object] = {
        "status": "ok" if status.state is SchemaState.AT_HEAD else status.state.value,
        "database": "reachable",
        "current": list(status.current),
        "head": list(status.heads),
    }
    if status.state is not SchemaState.AT_HEAD:
        body["reason"] = status.message
        return JSONResponse(body, status_code=503)
    # How far behind the notification worker is: a growing age means no worker runs, or
    # the mail server refuses (docs/operations.md says what to do). Reported, not a failure.
    try:
        age = await run_in_threadpool(_outbox_oldest_due_age, request.app.state.sessions)
    except SQLAlchemyError as exc:
        logger.warning("health check: outbox unreadable: %s", type(exc).__name__)
        return JSONResponse({**body, "status": "unavailable"}, status_code=503)
    body["outbox_oldest_due_seconds"] = round(age, 1)
    return JSONResponse(body)


def _outbox_oldest_due_age(sessions: RequestSessions) -> float:
    with sessions() as session:
        return outbox.oldest_due_age(session)


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the ASGI app for ``settings`` (read from the environment when omitted)."""
    settings = settings or load_settings()
    passwords.use_profile(settings.password_hashing)
    engine = build_engine(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        status = await run_in_threadpool(check_schema, engine)
        if status.state is SchemaState.BEHIND:
            logger.error("refusing to start: %s", status.message)
            raise SchemaBehindError(status.message)
        if status.state is SchemaState.AHEAD:
            logger.warning("%s", status.message)
        yield
        engine.dispose()

    app = Starlette(
        debug=False,  # tracebacks never reach a browser, in any environment
        routes=[
            Route("/", home),
            Route("/healthz", healthz),
            # The console's own scripts (SQLAdmin serves its own under /admin/statics).
            Mount("/console-statics", StaticFiles(directory=STATICS), name="console-statics"),
            *feeds_http.ROUTES,
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    # The app's one session factory: every layer borrows the request's one session.
    sessions = RequestSessions(build_sessionmaker(engine, public_base_url=settings.public_base_url))
    app.state.sessions = sessions
    admin = mount_console(app, settings, sessions)
    app.state.console_admin = admin
    # A database outage answers 503 "try again" on every page, console and shell alike.
    errors.install(app, admin)
    # Benchmark-only statement counting; a no-op unless BENCH_SQL_STATS=1.
    instrumentation.install(app, engine)
    # One database session per request, closed once the response is done.
    app.add_middleware(RequestSessionMiddleware, sessions=sessions)
    app.add_middleware(NulCharacterMiddleware)
    # Added last, so outermost: everything inside sees the client the routers saw.
    app.add_middleware(TrustedProxyMiddleware, hops=settings.trusted_proxy_hops)
    access_log.install()
    return app
