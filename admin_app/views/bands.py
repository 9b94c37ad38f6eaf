"""Console views for the bands area: bands, their members and the days they can play."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from markupsafe import Markup
from sqladmin import BaseView, ModelView
from sqladmin.fields import SelectField
from sqladmin.filters import StaticValuesFilter
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption
from starlette.requests import Request

from admin_app import sqladmin_internals as internals
from admin_app.views._filters import DateBoundFilter
from admin_app.views._related import EagerAjaxLoader, Link, NameFilter, details_link
from admin_app.views.base import ConsoleModelView
from models import (
    AVAILABILITY_STATUSES,
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    EventApplication,
    User,
)

STATUS_CHOICES = [(value, value.capitalize()) for value in AVAILABILITY_STATUSES]
_AVAILABILITY_LABELS: dict[Any, str] = {"date": "Date", "status": "Status", "note": "Note"}
# Pickers search as the user types and show the first matches, never a whole table.
_BAND_PICKER = {"fields": ("name", "city"), "order_by": "name"}
_USER_PICKER = {"fields": ("full_name", "email"), "order_by": "full_name"}


def _band_link(row: Any, _attr: str, request: Request) -> Markup:
    band = row.band_member.band if isinstance(row, BandMemberAvailability) else row.band
    return details_link(request, band, band.name)


def _user_link(row: Any, _attr: str, request: Request) -> Markup:
    user = row.band_member.user if isinstance(row, BandMemberAvailability) else row.user
    return details_link(request, user, user.full_name)


def _band_filter(link: Link) -> NameFilter:
    return NameFilter(Band.name, title="Band", parameter_name="band", link=link)


def _date_filters(column: Any) -> list[DateBoundFilter]:
    return [
        DateBoundFilter(column, "from", "Date from"),
        DateBoundFilter(column, "to", "Date to"),
    ]


class BandView(ConsoleModelView, model=Band):
    """Bands: who plays in them, when they can play, where they applied."""

    name = "Band"
    name_plural = "Bands"
    icon = "fa-solid fa-guitar"
    category = "Bands"
    category_icon = "fa-solid fa-music"

    column_list = [Band.name, Band.genre, Band.city, "member_count"]
    column_labels = {
        Band.id: "ID",
        Band.name: "Name",
        Band.genre: "Genre",
        Band.city: "City",
        Band.description: "Description",
        Band.created_at: "Created",
        Band.updated_at: "Updated",
        Band.members: "Members",
        Band.availability: "Availability from today",
        Band.applications: "Applications",
        "member_count": "Members",
    }
    # Counted from the member ids the list query loads: no statement per row.
    column_formatters = {"member_count": lambda band, _attr: len(band.members)}
    column_searchable_list = [Band.name, Band.genre, Band.city]
    column_sortable_list = [Band.name, Band.genre, Band.city, Band.created_at]
    # The id breaks ties so paging never shows a row twice or skips one.
    column_default_sort = [("name", False), ("id", False)]
    column_filters = [
        NameFilter(Band.genre, title="Genre", parameter_name="genre"),
        NameFilter(Band.city, title="City", parameter_name="city"),
    ]
    column_details_list = [
        Band.name,
        Band.genre,
        Band.city,
        Band.description,
        Band.created_at,
        Band.updated_at,
        Band.members,
        Band.availability,
        Band.applications,
    ]
    # Lists of plain text, one per related row: the details template links each one to
    # its own page (applications to "event-application") and escapes the text.
    column_formatters_detail = {
        Band.members: lambda band, _attr: [
            f"{m.user.full_name} ({m.instrument})" if m.instrument else m.user.full_name
            for m in band.members
        ],
        Band.applications: lambda band, _attr: [
            f"{application.event.title} ({application.status})" for application in band.applications
        ],
    }
    column_export_list = [Band.id, Band.name, Band.genre, Band.city, "member_count"]
    # One-to-many collections stay out: saving the form without them would detach (null
    # the foreign key of) every member, availability day and application.
    form_columns = [Band.name, Band.genre, Band.city, Band.description]

    def list_options(self, request: Request) -> Sequence[LoaderOption]:
        """Member ids, for the member count."""
        return [selectinload(Band.members).load_only(BandMember.id)]

    def details_options(self, request: Request) -> Sequence[LoaderOption]:
        """Member names, availability from today on, and the events applied for."""
        today = date.today()  # noqa: DTZ011 - a calendar date; the server's day will do
        return [
            selectinload(Band.members).joinedload(BandMember.user),
            selectinload(Band.availability.and_(BandAvailability.date >= today)),
            selectinload(Band.applications).joinedload(EventApplication.event),
        ]


class BandMemberView(ConsoleModelView, model=BandMember):
    """Who plays in which band, and on what."""

    name = "Band member"
    name_plural = "Band members"
    icon = "fa-solid fa-user-group"
    category = "Bands"

    column_list = ["user.full_name", "band.name", BandMember.instrument]
    column_labels = {
        "user.full_name": "Member",
        "user.email": "Email",
        "band.name": "Band",
        BandMember.user: "Member",
        BandMember.band: "Band",
        BandMember.instrument: "Instrument",
        BandMember.availability: "Availability",
    }
    column_formatters = {"user.full_name": _user_link, "band.name": _band_link}
    column_searchable_list = ["user.full_name", "user.email", "band.name", BandMember.instrument]
    column_sortable_list = ["user.full_name", "band.name", BandMember.instrument]
    column_default_sort = [("band.name", False), ("user.full_name", False), ("id", False)]
    column_filters = [
        _band_filter(lambda ids: BandMember.band_id.in_(ids)),
        NameFilter(BandMember.instrument, title="Instrument", parameter_name="instrument"),
    ]
    column_details_list = [
        BandMember.user,
        BandMember.band,
        BandMember.instrument,
        BandMember.availability,
    ]
    column_export_list = ["band.name", "user.full_name", "user.email", "instrument"]
    form_columns = [BandMember.band, BandMember.user, BandMember.instrument]
    form_ajax_refs = {"band": _BAND_PICKER, "user": _USER_PICKER}

    def list_options(self, request: Request) -> Sequence[LoaderOption]:
        """The user and band of each member, in the same statement."""
        # Inner joins: both foreign keys are NOT NULL.
        return [
            joinedload(BandMember.user, innerjoin=True),
            joinedload(BandMember.band, innerjoin=True),
        ]


class BandAvailabilityView(ConsoleModelView, model=BandAvailability):
    """Days a band as a whole can or cannot play."""

    name = "Band availability"
    name_plural = "Band availability"
    icon = "fa-solid fa-calendar-check"
    category = "Bands"

    column_list = ["band.name", BandAvailability.date, BandAvailability.status, "note"]
    column_labels = {"band.name": "Band", BandAvailability.band: "Band", **_AVAILABILITY_LABELS}
    column_formatters = {"band.name": _band_link}
    column_searchable_list = ["band.name", BandAvailability.note]
    column_sortable_list = ["band.name", BandAvailability.date, BandAvailability.status]
    column_default_sort = [("date", True), ("band.name", False), ("id", False)]
    column_filters = [
        _band_filter(lambda ids: BandAvailability.band_id.in_(ids)),
        StaticValuesFilter(BandAvailability.status, STATUS_CHOICES, title="Status"),
        *_date_filters(BandAvailability.date),
    ]
    column_details_list = [
        BandAvailability.band,
        BandAvailability.date,
        BandAvailability.status,
        BandAvailability.note,
    ]
    column_export_list = ["band.name", "date", "status", "note"]
    form_columns = [
        BandAvailability.band,
        BandAvailability.date,
        BandAvailability.status,
        BandAvailability.note,
    ]
    # The status is one of a fixed list (a CHECK constraint): a select, not free text.
    form_overrides = {"status": SelectField}
    form_args = {"status": {"choices": STATUS_CHOICES}}
    form_ajax_refs = {"band": _BAND_PICKER}

    def list_options(self, request: Request) -> Sequence[LoaderOption]:
        """Each day's band, in the same statement."""
        return [joinedload(BandAvailability.band, innerjoin=True)]


# A member is found by their name, their band's name or their instrument.
_MEMBER_SEARCH = (
    select(User.full_name).where(User.id == BandMember.user_id).scalar_subquery(),
    select(Band.name).where(Band.id == BandMember.band_id).scalar_subquery(),
    BandMember.instrument,
)


def _with_member_names(member: Any) -> list[LoaderOption]:
    """``str(BandMember)`` reads the user's and the band's names: load them too."""
    return [
        member.joinedload(BandMember.user, innerjoin=True),
        member.joinedload(BandMember.band, innerjoin=True),
    ]


class BandMemberAvailabilityView(ConsoleModelView, model=BandMemberAvailability):
    """Days one member can or cannot play."""

    name = "Member availability"
    name_plural = "Member availability"
    icon = "fa-solid fa-calendar-day"
    category = "Bands"

    column_list = [
        "band_member.user.full_name",
        "band_member.band.name",
        BandMemberAvailability.date,
        BandMemberAvailability.status,
        "note",
    ]
    column_labels = {
        "band_member.user.full_name": "Member",
        "band_member.band.name": "Band",
        BandMemberAvailability.band_member: "Member",
        **_AVAILABILITY_LABELS,
    }
    column_formatters = {
        "band_member.user.full_name": _user_link,
        "band_member.band.name": _band_link,
    }
    column_searchable_list = [
        "band_member.user.full_name",
        "band_member.band.name",
        BandMemberAvailability.note,
    ]
    column_sortable_list = [
        "band_member.user.full_name",
        "band_member.band.name",
        BandMemberAvailability.date,
        BandMemberAvailability.status,
    ]
    column_default_sort = [("date", True), ("id", False)]
    column_filters = [
        _band_filter(
            lambda ids: BandMemberAvailability.band_member_id.in_(
                select(BandMember.id).where(BandMember.band_id.in_(ids))
            )
        ),
        NameFilter(
            User.full_name,
            title="Member",
            parameter_name="member",
            link=lambda ids: BandMemberAvailability.band_member_id.in_(
                select(BandMember.id).where(BandMember.user_id.in_(ids))
            ),
        ),
        StaticValuesFilter(BandMemberAvailability.status, STATUS_CHOICES, title="Status"),
        *_date_filters(BandMemberAvailability.date),
    ]
    column_details_list = [
        BandMemberAvailability.band_member,
        BandMemberAvailability.date,
        BandMemberAvailability.status,
        BandMemberAvailability.note,
    ]
    column_export_list = [
        "band_member.band.name",
        "band_member.user.full_name",
        "date",
        "status",
        "note",
    ]
    form_columns = [
        BandMemberAvailability.band_member,
        BandMemberAvailability.date,
        BandMemberAvailability.status,
        BandMemberAvailability.note,
    ]
    form_overrides = {"status": SelectField}
    form_args = {"status": {"choices": STATUS_CHOICES}}
    form_ajax_refs = {"band_member": {"fields": _MEMBER_SEARCH}}

    def __init__(self) -> None:
        super().__init__()
        # Replaces the stock picker SQLAdmin built from form_ajax_refs (same search).
        internals.replace_picker(
            self,
            "band_member",
            EagerAjaxLoader(
                "band_member",
                self,
                [joinedload(BandMember.user), joinedload(BandMember.band)],
                fields=_MEMBER_SEARCH,
            ),
        )

    def list_options(self, request: Request) -> Sequence[LoaderOption]:
        """The member's name and band, in the same statement."""
        return _with_member_names(joinedload(BandMemberAvailability.band_member, innerjoin=True))

    def details_options(self, request: Request) -> Sequence[LoaderOption]:
        """The member's name and band, for the member link's text."""
        return _with_member_names(selectinload(BandMemberAvailability.band_member))


VIEWS: list[type[ModelView] | type[BaseView]] = [
    BandView,
    BandMemberView,
    BandAvailabilityView,
    BandMemberAvailabilityView,
]
