"""The SQLAdmin console mounted at /admin: authentication and the registered views."""

from __future__ import annotations

from pathlib import Path

from sqladmin import Admin
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from starlette.applications import Starlette

from admin_app.auth import ConsoleAuth
from admin_app.db import build_sessionmaker
from admin_app.security import protect
from admin_app.settings import Settings
from admin_app.signin import ConsoleAdmin
from admin_app.views import register_views
from admin_app.views._scoping import ScopeLoader

ADMIN_BASE_URL = "/admin"


def mount_console(app: Starlette, settings: Settings, engine: Engine) -> Admin:
    """Mount SQLAdmin on ``app`` and register every view."""
    # SQLAdmin reconfigures the sessionmaker it is given (autoflush off), so it gets its
    # own, bound to the same engine and pool as the rest of the app.
    admin_sessions: sessionmaker = build_sessionmaker(engine)  # type: ignore[type-arg]
    admin = ConsoleAdmin(
        app,
        session_maker=admin_sessions,
        base_url=ADMIN_BASE_URL,
        title="Band Scheduling Admin",
        templates_dir=str(Path(__file__).parent / "templates"),
        authentication_backend=ConsoleAuth(settings, build_sessionmaker(engine)),
        # Loads each request's row scope once; the views decide from it (views/base.py).
        authorization_backend=ScopeLoader(build_sessionmaker(engine)),
    )
    register_views(admin)
    protect(app, console_prefix=ADMIN_BASE_URL, hsts=settings.is_production)
    return admin
