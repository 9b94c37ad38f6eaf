"""The SQLAdmin console mounted at /admin: authentication and the registered views."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from sqladmin import Admin, BaseView, ModelView
from starlette.applications import Starlette

from admin_app import invite_http
from admin_app.auth import ConsoleAuth
from admin_app.pages import account, calendar, invites
from admin_app.request_scope import ScopeLoader
from admin_app.request_session import RequestSessions
from admin_app.security import protect
from admin_app.settings import Settings
from admin_app.signin import ConsoleAdmin
from admin_app.views import audit, bands, delete_page, events, outbox, people, venues

ADMIN_BASE_URL = "/admin"


def all_views() -> list[type[ModelView] | type[BaseView]]:
    """Every view, in menu order."""
    return [
        *people.VIEWS,
        *bands.VIEWS,
        *venues.VIEWS,
        *invites.VIEWS,
        *events.VIEWS,
        *calendar.VIEWS,
        *audit.VIEWS,
        *outbox.VIEWS,
        *delete_page.VIEWS,
        *account.VIEWS,
    ]


def register_views(admin: Admin) -> None:
    """Add every view to ``admin``, as classes of its own."""
    for view in all_views():
        # SQLAdmin keeps the admin, its sessionmaker and templates on the view *class*
        # (``add_model_view`` assigns them): a second app in the same process (the tests
        # build several) would point the first app's views at its own database. A
        # subclass per app keeps every app's views its own.
        own = type(view.__name__, (view,), {"__module__": view.__module__, "__doc__": view.__doc__})
        admin.add_view(own)


def mount_console(app: Starlette, settings: Settings, sessions: RequestSessions) -> Admin:
    """Mount SQLAdmin on ``app`` and register every view, all on the app's ``sessions``."""
    admin = ConsoleAdmin(
        app,
        # SQLAdmin's views borrow the request's session like every other layer; the
        # factory answers the calls SQLAdmin makes of a sessionmaker (admin_app.request_session).
        session_maker=cast(Any, sessions),
        base_url=ADMIN_BASE_URL,
        title="Band Scheduling Admin",
        # SQLAdmin's documented favicon_url: without it every page asked for /favicon.ico (404).
        favicon_url="/console-statics/favicon.svg",
        templates_dir=str(Path(__file__).parent / "templates"),
        authentication_backend=ConsoleAuth(settings, sessions),
        # Loads each request's row scope once; the views decide from it (views/base.py).
        authorization_backend=ScopeLoader(),
    )
    register_views(admin)
    # The invite links' set-password page: public, but signs in with the console's cookie.
    invite_http.mount(app, sessions, admin.templates, admin.console_auth.middlewares)
    protect(app, console_prefix=ADMIN_BASE_URL, hsts=settings.is_production)
    return admin
