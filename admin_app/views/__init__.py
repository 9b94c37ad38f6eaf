"""SQLAdmin views, one module per area of the menu."""

from __future__ import annotations

from sqladmin import Admin, BaseView, ModelView

from admin_app.pages import account, calendar
from admin_app.views import audit, bands, events, people, venues


def all_views() -> list[type[ModelView] | type[BaseView]]:
    """Every view, in menu order."""
    return [
        *people.VIEWS,
        *bands.VIEWS,
        *venues.VIEWS,
        *events.VIEWS,
        *calendar.VIEWS,
        *audit.VIEWS,
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
