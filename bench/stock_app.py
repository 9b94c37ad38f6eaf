"""Stock SQLAdmin over the same tables: the benchmark's baseline (``bench.run --baseline``).

Plain ``sqladmin.ModelView`` subclasses with default settings and no authentication,
configured only with the console's list options for the same model (``column_list``,
search, sort, default sort, page size) so both apps build the same page: plain column
names, no formatters, no scoping. Names the console lists but that are not model
attributes (computed columns such as ``accepted_bands``) are left out, since stock
SQLAdmin cannot show them.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_s python -m bench.stock_app --port 8001

serves it with uvicorn and the flags ``python -m admin_app serve`` uses. The engine is
the console's (``admin_app.db.build_engine``: same pool and pre-ping), and the benchmark's
statement and transaction counting (``BENCH_SQL_STATS=1``) is installed the same way.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, ClassVar

from sqladmin import Admin, ModelView
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from admin_app import instrumentation
from admin_app.db import build_engine
from admin_app.settings import load_settings
from models import Band, Event, EventApplication, User, Venue

PAGE_SIZE = 25  # admin_app.views.base.DEFAULT_PAGE_SIZE


class EventView(ModelView, model=Event):
    """admin_app.views.events.EventAdmin's list, stock."""

    column_list = ["title", "venue", "starts_at", "status"]
    column_searchable_list = [Event.title]
    column_sortable_list = [Event.title, Event.starts_at, Event.status]
    column_default_sort: ClassVar[Any] = [("starts_at", True), ("id", True)]
    page_size = PAGE_SIZE


class EventApplicationView(ModelView, model=EventApplication):
    """admin_app.views.events.EventApplicationAdmin's list, stock."""

    column_list = ["band", "event", "status", "decided_by", "decided_at"]
    column_searchable_list = ["band.name", "event.title"]
    column_sortable_list = [EventApplication.status, EventApplication.created_at]
    column_default_sort: ClassVar[Any] = [("created_at", True), ("id", True)]
    page_size = PAGE_SIZE


class UserView(ModelView, model=User):
    """admin_app.views.people.UserView's list, stock."""

    column_list = [User.email, User.full_name, User.is_active, User.is_superuser]
    column_searchable_list = [User.email, User.full_name]
    column_sortable_list = [
        User.email,
        User.full_name,
        User.is_active,
        User.is_superuser,
        User.created_at,
    ]
    column_default_sort: ClassVar[Any] = [("full_name", False), ("id", False)]
    page_size = PAGE_SIZE


class VenueView(ModelView, model=Venue):
    """admin_app.views.venues.VenueAdmin's list, stock."""

    column_list = [Venue.name, Venue.city, Venue.timezone, Venue.capacity]
    column_searchable_list = [Venue.name, Venue.city]
    column_sortable_list = [Venue.name, Venue.city, Venue.timezone, Venue.capacity]
    column_default_sort: ClassVar[Any] = [("name", False)]
    page_size = PAGE_SIZE


class BandView(ModelView, model=Band):
    """admin_app.views.bands.BandView's list, stock."""

    column_list = [Band.name, Band.genre, Band.city]
    column_searchable_list = [Band.name, Band.genre, Band.city]
    column_sortable_list = [Band.name, Band.genre, Band.city, Band.created_at]
    column_default_sort: ClassVar[Any] = [("name", False), ("id", False)]
    page_size = PAGE_SIZE


VIEWS = (EventView, EventApplicationView, UserView, VenueView, BandView)


async def healthz(request: Request) -> Response:
    """200 once the process serves requests (the harness waits for it)."""
    return PlainTextResponse("ok")


def create_app() -> Starlette:
    """Stock SQLAdmin at /admin over ``DATABASE_URL`` (read with the console's settings)."""
    engine = build_engine(load_settings())
    app = Starlette(routes=[Route("/healthz", healthz)])
    admin = Admin(app, engine, title="Stock SQLAdmin")
    for view in VIEWS:
        admin.add_view(view)
    instrumentation.install(app, engine)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Serve :func:`create_app` with uvicorn as ``python -m admin_app serve`` serves the console."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.stock_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    uvicorn.run(
        "bench.stock_app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=None,  # WEB_CONCURRENCY, as for the console
        proxy_headers=False,
        access_log=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
