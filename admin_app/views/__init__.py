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
    """Add every view to ``admin``."""
    for view in all_views():
        admin.add_view(view)
