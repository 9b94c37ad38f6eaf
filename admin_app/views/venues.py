"""Console views for the venues area: venues, their staff, weekly hours and open/closed days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup
from sqladmin import BaseView, ModelView
from sqladmin.fields import AjaxSelectField
from sqladmin.filters import AllUniqueStringValuesFilter, ForeignKeyFilter, StaticValuesFilter
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption
from starlette.requests import Request
from wtforms import Form, IntegerField, SelectField, StringField, ValidationError
from wtforms.validators import InputRequired

from admin_app import invites, scoping
from admin_app.localtime import format_local, is_known_zone, zone_names
from admin_app.request_scope import current_scope
from admin_app.views._errors import ConsoleFormError
from admin_app.views._filters import DateBoundFilter
from admin_app.views._related import details_link
from admin_app.views.base import ConsoleModelView
from models import (
    STAFF_ROLES,
    VENUE_DAY_STATUSES,
    WEEKDAYS,
    Event,
    StaffInvite,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)

CATEGORY = "Venues"
VENUE_PICKER = {"fields": ("name", "city"), "order_by": "name", "limit": 20}
USER_PICKER = {"fields": ("full_name", "email"), "order_by": "email", "limit": 20}
UPCOMING_SHOWN = 50
USER_EMAIL = "user_email"


class TimeZoneField(SelectField):  # type: ignore[misc]
    """A select of every IANA zone; anything else is refused with a plain message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["choices"] = [("", "Choose a time zone…"), *((name, name) for name in zone_names())]
        kwargs.setdefault("description", "Every time of this venue is shown in this zone.")
        super().__init__(*args, **kwargs)

    def pre_validate(self, form: Any) -> None:
        """Known IANA names only."""
        if self.data and not is_known_zone(self.data):
            raise ValidationError(
                f"Unknown time zone {self.data!r}: choose one from the list, e.g. Europe/Berlin."
            )


class PositiveIntegerField(IntegerField):  # type: ignore[misc]
    """A whole number greater than zero (a capacity)."""

    def pre_validate(self, form: Any) -> None:
        """Zero and negative numbers are refused."""
        if self.data is not None and self.data <= 0:
            raise ValidationError("The capacity must be greater than zero.")


def staff_links(venue: Venue, _name: str, request: Request) -> Markup:
    """The venue's people, each linking to their user page and marked when their account
    is not simply active; for its managers, each open invite with its expiry (venue time)
    and a button to withdraw it, and a link to invite someone."""
    scope = current_scope(request)
    manages = scope is not None and scoping.may_invite(scope, venue.id)
    # details_options loads only invites neither used nor withdrawn.
    open_invites = {invite.user_id: invite for invite in venue.invites} if manages else {}
    now = datetime.now(UTC)
    items = []
    for staff in sorted(venue.staff, key=lambda staff: staff.user.full_name):
        # Linked only for who may open a user's page (staff may not).
        line = details_link(request, staff.user, staff.user.full_name)
        line += Markup(" ({})").format(staff.role)
        standing = invites.standing(staff.user)
        if standing:
            line += Markup(
                ' <span class="badge bg-yellow-lt" data-testid="standing">{}</span>'
            ).format(standing)
        invite = open_invites.get(staff.user_id)
        if invite is not None:
            line += _invite_note(invite, venue, request, now)
        items.append(line)
    if manages:
        url = request.url_for("admin:view-invites").include_query_params(venue=venue.id)
        items.append(
            Markup(
                '<a class="btn btn-sm mt-2" href="{}" data-testid="invite-someone">{}</a>'
            ).format(url, "Invite someone to this venue")
        )
    return Markup("<br>").join(items)


def _invite_note(invite: StaffInvite, venue: Venue, request: Request, now: datetime) -> Markup:
    """ " — link expires …" (or "expired") and a withdraw button, for a venue's manager."""
    when = format_local(invite.expires_at, venue.timezone)
    text = f"link expired {when}" if invite.expires_at <= now else f"link expires {when}"
    action = request.url_for("admin:view-invite-revoke", invite_id=str(invite.id))
    return Markup(
        ' <span class="text-secondary small">— {}</span>'
        ' <form method="post" action="{}" class="d-inline">'
        '<input type="hidden" name="return_to" value="venue">'
        '<button type="submit" class="btn btn-sm btn-outline-danger py-0">Withdraw invite</button>'
        "</form>"
    ).format(text, action)


def role_and_standing(staff: VenueStaff, _name: str) -> str:
    """The role, and how the person's account stands when it is not simply active."""
    standing = invites.standing(staff.user)
    return f"{staff.role} ({standing})" if standing else staff.role


def hours_text(hours: VenueOperatingHours) -> str:
    """``"Friday 20:00-02:00 (past midnight)"``."""
    text = f"{WEEKDAYS[hours.weekday]} {hours.opens_at:%H:%M}-{hours.closes_at:%H:%M}"
    return text + (" (past midnight)" if hours.past_midnight else "")


def upcoming_links(venue: Venue, _name: str, request: Request) -> Markup:
    """The venue's next events on its own clock, each linking to the event."""
    events = sorted(venue.events, key=lambda event: event.starts_at)[:UPCOMING_SHOWN]
    items = [
        details_link(request, event, event.title)
        + Markup(" — {} ({})").format(
            format_local(event.starts_at, venue.timezone),
            event.status,
        )
        for event in events
    ]
    return Markup("<br>").join(items) or Markup("None scheduled")


class VenueAdmin(ConsoleModelView, model=Venue):
    """Venues: where events happen, each on its own time zone."""

    name, name_plural, category, icon = "Venue", "Venues", CATEGORY, "fa-solid fa-building"
    # The menu takes a category's icon from its first view (without one "Venues" stood
    # unmarked and out of line under "Bands").
    category_icon = "fa-solid fa-building"
    column_list = [Venue.name, Venue.city, Venue.timezone, Venue.capacity]
    name_column = "name"
    column_searchable_list = [Venue.name, Venue.city]
    column_sortable_list = [Venue.name, Venue.city, Venue.timezone, Venue.capacity]
    column_default_sort = [("name", False)]
    column_filters = [AllUniqueStringValuesFilter(Venue.city, title="City")]
    column_labels = {
        "timezone": "Time zone",
        "staff_people": "Staff",
        "operating_hours": "Operating hours",
        "upcoming_events": "Upcoming events",
    }
    column_details_list = [
        "name",
        "city",
        "address",
        "timezone",
        "capacity",
        "staff_people",
        "operating_hours",
        "upcoming_events",
    ]
    column_formatters_detail = {
        "staff_people": staff_links,
        "operating_hours": lambda venue, _name: [hours_text(h) for h in venue.operating_hours],
        "upcoming_events": upcoming_links,
    }
    # Staff, hours, availability and events have their own pages: a parent form that
    # carried them would rewrite (and orphan) the children on every save.
    form_columns = [Venue.name, Venue.city, Venue.address, Venue.timezone, Venue.capacity]
    form_overrides = {"timezone": TimeZoneField, "capacity": PositiveIntegerField}

    def details_options(self, request: Request) -> Sequence[LoaderOption]:
        """Staff with their users, the hours, and only the events still to come."""
        now = datetime.now(UTC)
        return (
            selectinload(Venue.staff).joinedload(VenueStaff.user),
            selectinload(
                Venue.invites.and_(
                    StaffInvite.accepted_at.is_(None), StaffInvite.revoked_at.is_(None)
                )
            ),
            selectinload(Venue.operating_hours),
            selectinload(Venue.events.and_(Event.starts_at >= now)),
        )


class VenueStaffAdmin(ConsoleModelView, model=VenueStaff):
    """Who works at which venue, and as what."""

    name, name_plural, category, icon = (
        "Venue staff",
        "Venue staff",
        CATEGORY,
        "fa-solid fa-id-badge",
    )
    column_list = ["venue", "user", "role"]
    # Not SQLAdmin's every column: "Venue id 1" and "User id 2" beside the names.
    column_details_list = column_list
    column_searchable_list = ["venue.name", "user.full_name", "user.email"]
    column_sortable_list = [VenueStaff.role]
    column_filters = [
        ForeignKeyFilter(VenueStaff.venue_id, Venue.name, foreign_model=Venue, title="Venue"),
        StaticValuesFilter(VenueStaff.role, [(role, role) for role in STAFF_ROLES], title="Role"),
    ]
    column_labels = {"user": "Person"}
    # "staff (invited, not yet active)": invited people and deactivated ones stand out.
    column_formatters = {"role": role_and_standing}
    column_formatters_detail = column_formatters
    form_columns = ["venue", "user", "role"]
    form_ajax_refs = {"venue": VENUE_PICKER, "user": USER_PICKER}
    form_overrides = {"role": SelectField}
    # A new person is staff unless the manager says otherwise (least privilege).
    form_args = {
        "role": {
            "choices": [(role, role) for role in STAFF_ROLES],
            "default": "staff",
            "render_kw": {"class": "form-select"},
        }
    }
    # Creating also takes a person by exact email (see scoping.staff_user_by_email).
    form_create_rules = ["venue", "user", USER_EMAIL, "role"]
    form_edit_rules = ["venue", "user", "role"]

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """The create form also has "User email", with the person picker optional."""
        form = await super().scaffold_form(rules)
        if not rules or USER_EMAIL not in rules:
            return form
        picker = form.user
        # Optional here: the email below may name the person instead (check_save).
        checks = picker.kwargs.get("validators", ())
        optional = [check for check in checks if not isinstance(check, InputRequired)]
        user = AjaxSelectField(
            *picker.args, **{**picker.kwargs, "allow_blank": True, "validators": optional}
        )
        email = StringField(
            "User email",
            description="Not in the list? Type the person's whole email address instead.",
        )
        # Shown right below the picker (WTForms orders fields by creation).
        user.creation_counter = picker.creation_counter
        email.creation_counter = picker.creation_counter + 0.5
        return type(form.__name__, (form,), {"user": user, USER_EMAIL: email})

    def check_save(
        self, session: Session, obj: Any, request: Request, data: dict[str, Any], is_created: bool
    ) -> None:
        """A typed email names the person (an active account, exact address) instead."""
        email = str(data.pop(USER_EMAIL, None) or "").strip()
        by_email = is_created and bool(email)
        # Who may add staff at which venue first; a person named by email is checked below.
        super().check_save(
            session, obj, request, {**data, "user": None} if by_email else data, is_created
        )
        if not by_email:
            if is_created and not data.get("user"):
                raise ConsoleFormError("Choose a person, or type their email address.", "user")
            return
        scope = current_scope(request)
        if scope is None:  # check_save above refuses a signed-out request already
            raise ConsoleFormError(scoping.NO_SUCH_USER, USER_EMAIL)
        try:
            data["user"] = str(scoping.staff_user_by_email(session, scope, email))
        except scoping.ScopeError as error:
            raise ConsoleFormError(str(error), USER_EMAIL) from None


def _weekday_name(row: VenueOperatingHours, _name: str) -> str:
    return WEEKDAYS[row.weekday]


class VenueOperatingHoursAdmin(ConsoleModelView, model=VenueOperatingHours):
    """A venue's usual hours per weekday; closing at or before opening runs past midnight."""

    name, name_plural, category, icon = (
        "Operating hours",
        "Operating hours",
        CATEGORY,
        "fa-solid fa-clock",
    )
    column_list = ["venue", "weekday", "opens_at", "closes_at", "past_midnight"]
    column_sortable_list = [VenueOperatingHours.weekday, VenueOperatingHours.opens_at]
    column_default_sort = [("venue_id", False), ("weekday", False)]
    column_searchable_list = ["venue.name"]
    column_filters = [
        ForeignKeyFilter(
            VenueOperatingHours.venue_id, Venue.name, foreign_model=Venue, title="Venue"
        )
    ]
    column_labels = {
        "opens_at": "Opens",
        "closes_at": "Closes",
        "past_midnight": "Past midnight",
    }
    column_formatters = {
        "weekday": _weekday_name,
        "past_midnight": lambda row, _name: "past midnight" if row.past_midnight else "",
    }
    column_formatters_detail = column_formatters
    column_details_list = ["venue", "weekday", "opens_at", "closes_at", "past_midnight"]
    form_columns = ["venue", "weekday", "opens_at", "closes_at"]
    form_ajax_refs = {"venue": VENUE_PICKER}
    form_overrides = {"weekday": SelectField}
    form_args = {
        "weekday": {"choices": list(enumerate(WEEKDAYS)), "coerce": int},
        "closes_at": {"description": "At or before the opening time means past midnight."},
    }


class VenueAvailabilityAdmin(ConsoleModelView, model=VenueAvailability):
    """The venue's own mark on a date: open, closed or held."""

    name, name_plural, category, icon = (
        "Venue day",
        "Venue days",
        CATEGORY,
        "fa-solid fa-calendar-day",
    )
    column_list = ["venue", "date", "status", "note"]
    column_details_list = column_list  # without the raw ids
    column_sortable_list = [VenueAvailability.date, VenueAvailability.status]
    column_default_sort = [("date", True)]
    column_searchable_list = ["venue.name", VenueAvailability.note]
    column_filters = [
        ForeignKeyFilter(
            VenueAvailability.venue_id, Venue.name, foreign_model=Venue, title="Venue"
        ),
        StaticValuesFilter(
            VenueAvailability.status, [(s, s) for s in VENUE_DAY_STATUSES], title="Status"
        ),
        DateBoundFilter(VenueAvailability.date, "from", "From date"),
        DateBoundFilter(VenueAvailability.date, "to", "To date"),
    ]
    form_columns = ["venue", "date", "status", "note"]
    form_ajax_refs = {"venue": VENUE_PICKER}
    form_overrides = {"status": SelectField}
    form_args = {"status": {"choices": [(s, s) for s in VENUE_DAY_STATUSES]}}


VIEWS: list[type[ModelView] | type[BaseView]] = [
    VenueAdmin,
    VenueStaffAdmin,
    VenueOperatingHoursAdmin,
    VenueAvailabilityAdmin,
]
