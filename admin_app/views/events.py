"""Console views for bookings: events at venues and the applications bands make to play them.

Event times are stored in UTC and entered, shown and filtered on the venue's own clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqladmin import BaseView, ModelView
from sqladmin.filters import StaticValuesFilter
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption
from starlette.requests import Request
from wtforms import BooleanField, DateTimeLocalField, Form, SelectField

from admin_app import booking, ladder, notifications
from admin_app import sqladmin_internals as internals
from admin_app.audit import snapshot
from admin_app.holds import is_expired
from admin_app.localtime import (
    INPUT_FORMAT,
    REPEATED_HOUR_RULE,
    LocalTimeError,
    format_local,
    format_local_range,
    iso_local,
    night_of,
    to_local,
    to_utc_keeping,
)
from admin_app.request_scope import current_scope, request_actor
from admin_app.rules import clash_message_for
from admin_app.scoping import Scope
from admin_app.views import _edited_row
from admin_app.views._edited_row import RowChoicesField
from admin_app.views._errors import ConsoleFormError
from admin_app.views._filters import Bound, ChoiceFilter, LocalDateBoundFilter, venue_zones
from admin_app.views._related import NameFilter
from admin_app.views._saving import GONE
from admin_app.views.base import ConsoleModelView
from admin_app.views.booking_actions import (
    ACCEPT,
    CANCEL,
    CONFIRM,
    REJECT,
    ApplicationDecisions,
    BookingDecisionsView,
    EventDecisions,
)
from admin_app.views.bulk_decisions import BulkApplicationDecisions, BulkDecisionsView
from admin_app.views.event_applications import EventApplicationsSection
from admin_app.views.hold_release import HoldReleaseView, ReleaseOffer
from models import APPLICATION_STATUSES, EVENT_STATUSES, Band, Event, EventApplication, Venue
from models.events import EVENT_NO_OVERLAP_CONSTRAINT

CATEGORY = "Bookings"
LOCAL_TIME_NOTE = "Local time of the venue, in the venue's time zone."

# Statuses are decisions made by admin_app.booking, through the buttons on the details
# pages (admin_app.views.booking_actions). The forms only set what is not a decision: a
# new event's starting status, and moving an event between draft and hold.
NEW_EVENT_STATUSES = ("draft", "hold", "confirmed")
DECIDED_EVENT_STATUSES = frozenset({"confirmed", "cancelled"})
BUTTONS = f'the "{CONFIRM.label}" / "{CANCEL.label}" buttons on the event\'s page'
EVENT_STATUS_HELP = (
    "A draft can become a hold (with a hold rank) and back, here. Confirming and cancelling "
    f"are done with {BUTTONS}: they check the venue and the bands accepted for it."
)
NEW_EVENT_STATUS_HELP = (
    "Draft, hold (with a hold rank) or confirmed (refused if the venue already has a confirmed "
    f"event at that time). Later, confirm or cancel it with {BUTTONS}."
)
APPLICATION_DECISION_HELP = (
    "A new application is pending. It is accepted or rejected with the "
    f'"{ACCEPT.label}" / "{REJECT.label}" buttons on the application\'s page, not in this '
    "form; once decided it stays with its event and band."
)
APPLICATION_DECISION_FIELDS = ("status", "decided_at", "decided_by", "decided_by_id")
# A confirmed show on a day marked closed or outside the opening hours is saved only with
# this box ticked (booking.check_calendar); the audit entry records the override.
CONFIRM_ANYWAY_FIELD = "confirm_anyway"
CONFIRM_ANYWAY_HELP = (
    "The venue marked this day closed, or the show is outside its opening hours. Tick to "
    "save it all the same (recorded in the audit log)."
)
SCHEDULE_FIELDS = ("status", "starts_at", "ends_at", "venue_id")
TICK_CONFIRM_ANYWAY = 'Tick "Confirm anyway" and save again to keep it all the same.'


def status_text(event: Event, _name: str = "status") -> str:
    """``"hold 1"`` for a first hold (``"hold 2, expired"`` past its expiry); the plain
    status otherwise."""
    if event.status != "hold":
        return event.status
    return f"hold {event.hold_rank}" + (", expired" if is_expired(event) else "")


def hold_expiry_text(event: Event, _name: str = "hold_expires_at") -> str:
    """When a hold lapses, on the venue's clock (empty when it does not)."""
    if event.hold_expires_at is None:
        return ""
    text = format_local(event.hold_expires_at, event.venue.timezone)
    return text + (" (expired)" if is_expired(event) else "")


def local_start(event: Event, _name: str = "starts_at") -> str:
    """The start on the venue's clock, labelled with its zone."""
    return format_local(event.starts_at, event.venue.timezone)


def accepted_bands(event: Event, _name: str = "accepted_bands") -> str:
    """Names of the accepted bands (the list loads only accepted applications)."""
    return ", ".join(sorted(a.band.name for a in event.applications if a.status == "accepted"))


def _changed(obj: Any, key: str) -> bool:
    """Did the form change ``obj``'s attribute ``key`` (compared with the stored row)?"""
    return bool(inspect(obj).attrs[key].history.has_changes())


def _stored(obj: Any, key: str) -> Any:
    """``obj``'s attribute ``key`` as stored, before the form changed it."""
    history = inspect(obj).attrs[key].history
    if history.deleted:
        return history.deleted[0]
    return None if history.added else getattr(obj, key)


def status_change_refusal(stored: str, wanted: str) -> str | None:
    """Why the event form may not move an event from ``stored`` to ``wanted``, or None."""
    if wanted not in EVENT_STATUSES:
        return "Not a valid status: pick one from the list."
    if stored == wanted or not {stored, wanted} & DECIDED_EVENT_STATUSES:
        return None
    if stored == "cancelled":
        return "A cancelled event stays cancelled: create a new event instead."
    if wanted == "confirmed":
        return (
            f'To confirm this event, leave its status as it is and use the "{CONFIRM.label}" '
            "button on its page: it checks the venue and the bands accepted for it."
        )
    if wanted == "cancelled":
        return (
            f'To cancel this event, leave its status as it is and use the "{CANCEL.label}" '
            "button on its page."
        )
    return (
        "A confirmed event stays confirmed: to call it off, use the "
        f'"{CANCEL.label}" button on its page.'
    )


def edit_statuses(event: Event | None) -> list[str]:
    """The statuses the edit form offers ``event``: its own and every one
    :func:`status_change_refusal` lets it move to (for no event: a new event's)."""
    if event is None:
        return list(NEW_EVENT_STATUSES)
    return [s for s in EVENT_STATUSES if status_change_refusal(event.status, s) is None]


def _in_zone(zone_name: str) -> Any:
    return Event.venue.has(Venue.timezone == zone_name)


BOUNDS: tuple[tuple[Bound, str], ...] = (
    ("from", "From date (venue time)"),
    ("to", "To date (venue time)"),
)


def _event_date_filters(wrap: Any = None) -> list[LocalDateBoundFilter]:
    return [
        LocalDateBoundFilter(
            Event.starts_at, bound, title, zones=venue_zones, in_zone=_in_zone, wrap=wrap
        )
        for bound, title in BOUNDS
    ]


# The first venues by name as links, capped: at 5,000 venues the full list was most of
# the events page's time and size (860 KB). Any other venue: the "Venue name" text box.
VENUE_FILTER_CHOICES = select(Venue.id, Venue.name).order_by(Venue.name).limit(50)


class EventAdmin(
    ReleaseOffer, EventDecisions, EventApplicationsSection, ConsoleModelView, model=Event
):
    """Shows at venues, entered and listed on the venue's clock."""

    name, name_plural, category, icon = "Event", "Events", CATEGORY, "fa-solid fa-music"
    category_icon = "fa-solid fa-calendar-check"  # the menu's mark for "Bookings"
    column_list = ["title", "venue", "starts_at", "status", "accepted_bands"]
    name_column = "title"
    column_labels = {
        "starts_at": "Starts (venue time)",
        "ends_at": "Ends (venue time)",
        "hold_rank": "Hold rank",
        "accepted_bands": "Accepted bands",
        "local_times": "When (venue time)",
        "id": "Id",
        "starts_at_iso": "Starts (ISO 8601, venue time)",
        "ends_at_iso": "Ends (ISO 8601, venue time)",
        "timezone": "Time zone",
        "hold_expires_at": "Hold expires (venue time)",
    }
    column_formatters = {
        "venue": lambda event, _name: event.venue.name,
        "starts_at": local_start,
        "status": status_text,
        "accepted_bands": accepted_bands,
    }
    column_searchable_list = [Event.title]
    column_sortable_list = [Event.title, Event.starts_at, Event.status]
    column_default_sort = [("starts_at", True), ("id", True)]
    column_filters = [
        StaticValuesFilter(Event.status, [(s, s) for s in EVENT_STATUSES], title="Status"),
        ChoiceFilter(
            "Venue",
            "venue",
            choices=VENUE_FILTER_CHOICES,
            condition=lambda value: Event.venue_id == int(value),
        ),
        NameFilter(
            Venue.name,
            title="Venue name",
            parameter_name="venue_name",
            link=lambda ids: Event.venue_id.in_(ids),
        ),
        *_event_date_filters(),
    ]
    # The applications are listed below the table, with their buttons (event_applications).
    # The export: what the list shows, plus the id, the end, and the times as sortable
    # ISO 8601 text on the venue's clock beside the readable one, with the zone named.
    column_export_list = [
        "id", "title", "venue", "starts_at", "starts_at_iso", "ends_at_iso", "timezone",
        "status", "accepted_bands",
    ]  # fmt: skip
    column_details_list = [
        "title",
        "venue",
        "local_times",
        "status",
        "hold_expires_at",
        "description",
    ]
    column_formatters_detail = {
        "venue": lambda event, _name: event.venue.name,
        "local_times": lambda e, _name: format_local_range(
            e.starts_at, e.ends_at, e.venue.timezone
        ),
        "status": status_text,
        "hold_expires_at": hold_expiry_text,
    }
    form_columns = [
        "venue",
        "title",
        "description",
        "starts_at",
        "ends_at",
        "status",
        "hold_rank",
        "hold_expires_at",
    ]
    # The same fields in both (and the "confirm anyway" box, not a column); distinct lists,
    # so scaffold_form can tell the forms apart.
    form_create_rules = [*(str(name) for name in form_columns), CONFIRM_ANYWAY_FIELD]
    form_edit_rules = [*(str(name) for name in form_columns), CONFIRM_ANYWAY_FIELD]
    form_ajax_refs = {"venue": {"fields": ("name", "city"), "order_by": "name", "limit": 20}}
    form_overrides = {
        "starts_at": DateTimeLocalField,
        "ends_at": DateTimeLocalField,
        "hold_expires_at": DateTimeLocalField,
        "status": RowChoicesField,
    }
    form_args = {
        "starts_at": {
            "label": "Starts (venue time)",
            "format": [INPUT_FORMAT, INPUT_FORMAT + ":%S"],
            "description": f"{LOCAL_TIME_NOTE} {REPEATED_HOUR_RULE}",
        },
        "ends_at": {
            "label": "Ends (venue time)",
            "format": [INPUT_FORMAT, INPUT_FORMAT + ":%S"],
            "description": LOCAL_TIME_NOTE + " A show past midnight ends on the next date.",
        },
        # Only the event's own status and those it may move to here (a confirmed or
        # cancelled event: its own alone); before_save refuses any other that is posted.
        # An overridden select gets no class from SQLAdmin: tabler's form-select styles it.
        "status": {
            "offered": edit_statuses,
            "description": EVENT_STATUS_HELP,
            "render_kw": {"class": "form-select"},
        },
        "hold_rank": {
            "description": "For a hold: leave empty for the next free rank that night, or pick "
            "one no other hold of that night has (1 for the first hold, 2 for the next…)."
        },
        "hold_expires_at": {
            "label": "Hold expires (venue time)",
            "format": [INPUT_FORMAT, INPUT_FORMAT + ":%S"],
            "description": f"For a hold only: when it lapses if not confirmed. {LOCAL_TIME_NOTE}",
        },
    }
    constraint_messages = {EVENT_NO_OVERLAP_CONSTRAINT: ("starts_at", clash_message_for)}

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """The edit form as configured; the create form offers only a new event's statuses.
        Both end with the "confirm anyway" box."""
        scaffolded_fields = await super().scaffold_form(rules)
        # Made after the scaffolded fields, so that it comes after them (WTForms orders
        # fields by creation); console.css shows it only once a save asked for it.
        anyway = BooleanField("Confirm anyway", description=CONFIRM_ANYWAY_HELP)
        form: Any = type("EventForm", (scaffolded_fields,), {CONFIRM_ANYWAY_FIELD: anyway})
        if rules is internals.form_create_rules(self):
            status = SelectField(
                "Status",
                choices=[(s, s) for s in NEW_EVENT_STATUSES],
                description=NEW_EVENT_STATUS_HELP,
                render_kw={"class": "form-select"},
            )
            status.creation_counter = form.status.creation_counter  # keep its place
            form.status = status
        scaffolded: type[Form] = form
        return scaffolded

    def deletion_refusal(self, obj: Any) -> str | None:
        """A confirmed show is cancelled before it is deleted (booking.deletion_refusal)."""
        return booking.deletion_refusal(obj)

    async def export_cell(self, row: Any, name: str, request: Request | None) -> Any:
        """The export's extra columns: sortable times and the zone they are in."""
        extra = _export_times(row.starts_at, row.ends_at, row.venue.timezone)
        return extra[name] if name in extra else await super().export_cell(row, name, request)

    def after_flush(
        self, session: Session, obj: Any, before: dict[str, Any], is_created: bool
    ) -> None:
        """A confirmed show given new times: its bands and the venue's staff are told."""
        moved = any(before.get(key) != snapshot(obj)[key] for key in ("starts_at", "ends_at"))
        if is_created or obj.status != "confirmed" or not moved:
            return
        previously = format_local_range(
            datetime.fromisoformat(before["starts_at"]),
            datetime.fromisoformat(before["ends_at"]),
            obj.venue.timezone,
        )
        notifications.event_moved(session, obj, previously)

    def list_options(self, request: Request) -> Sequence[LoaderOption]:
        """Only the accepted applications, with their bands, for the "accepted bands" column."""
        accepted = Event.applications.and_(EventApplication.status == "accepted")
        return (selectinload(accepted).joinedload(EventApplication.band),)

    def details_options(self, request: Request) -> Sequence[LoaderOption]:
        """Every application with its band and who decided it (SQLAdmin loads the venue).

        Each application's event too (this event, joined again): the page decides which
        buttons to show from it after the session is gone, and a selectinload of
        ``Event.applications`` leaves their ``event`` unloaded.
        """
        applications = selectinload(Event.applications)
        return (
            applications.joinedload(EventApplication.event),
            applications.joinedload(EventApplication.band),
            applications.joinedload(EventApplication.decided_by),
        )

    async def get_object_for_edit(self, request: Request) -> Any:
        """The event, remembered for its form's status choices (see views/_edited_row)."""
        return _edited_row.remember(await super().get_object_for_edit(request))

    def form_edit_query(self, request: Request) -> Any:
        """The event with its venue: the form shows times on the venue's clock."""
        return super().form_edit_query(request).options(joinedload(Event.venue))

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        """Stored UTC instants shown back as the venue's wall-clock time."""
        data: dict[str, Any] = await super().get_form_data_for_edit(obj)
        for key in ("starts_at", "ends_at"):
            data[key] = to_local(getattr(obj, key), obj.venue.timezone)
        if obj.hold_expires_at is not None:
            data["hold_expires_at"] = to_local(obj.hold_expires_at, obj.venue.timezone)
        return data

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Take the "confirm anyway" box out of the column values, for before_save."""
        await super().on_model_change(data, model, is_created, request)
        request.state.confirm_anyway = bool(data.pop(CONFIRM_ANYWAY_FIELD, False))

    def audit_override(self, request: Request) -> list[str]:
        """The reasons a confirmed save was made over (by "confirm anyway"), for the audit."""
        return list(getattr(request.state, "overridden", []))

    def before_save(self, session: Session, obj: Any, request: Request, is_created: bool) -> None:
        """Venue-local times to UTC; then the status change, times, hold rank and clashes.

        Confirming and cancelling are decisions (admin_app.booking, via the buttons): a new
        event may start confirmed, but an edit only moves between draft and hold. New times
        for a confirmed event are checked against the venue and its accepted bands.
        """
        if is_created and obj.status not in NEW_EVENT_STATUSES:
            raise ConsoleFormError("A new event is a draft, a hold or confirmed.", "status")
        refusal = None if is_created else status_change_refusal(_stored(obj, "status"), obj.status)
        if refusal is not None:
            raise ConsoleFormError(refusal, "status")
        venue = session.get(Venue, obj.venue_id)
        if venue is None:
            raise ConsoleFormError("The selected venue no longer exists.", "venue")
        for key in ("starts_at", "ends_at", "hold_expires_at"):
            value = getattr(obj, key)
            if value is not None and value.tzinfo is None:
                # A time left as the form showed it keeps its stored instant, even the
                # second of a repeated hour; any other is read by REPEATED_HOUR_RULE.
                stored = None if is_created else _stored(obj, key)
                try:
                    setattr(obj, key, to_utc_keeping(value, venue.timezone, stored))
                except LocalTimeError as exc:
                    raise ConsoleFormError(str(exc), key) from None
        if obj.ends_at <= obj.starts_at:
            raise ConsoleFormError("The event must end after it starts.", "ends_at")
        if obj.status == "hold":
            # Under the venue lock, so two holds saved at once never share a rank.
            booking.lock_venue(session, obj.venue_id)
            try:
                ladder.place_on_ladder(session, obj, venue.timezone)
            except ladder.RankRefused as error:
                raise ConsoleFormError(str(error), "hold_rank") from None
        else:
            # A rank and an expiry mean something only for a hold.
            obj.hold_rank = obj.hold_expires_at = None
        if not is_created:
            _promote_the_ladder_it_left(session, obj, request)
        if obj.status == "confirmed":
            # Locks first, so a concurrent confirmation is waited for and then named here.
            booking.lock_venue_schedule(session, obj)
            try:
                # The check confirm_event makes: the venue's other shows, then the bands
                # (a confirmed event's bands, when its times move).
                refusal = "Cannot move this confirmed event: "
                booking.check_confirmed(session, obj, _actor(request), refusal=refusal)
            except booking.BookingError as error:
                raise ConsoleFormError(str(error), "starts_at") from None
            if is_created or any(_changed(obj, key) for key in SCHEDULE_FIELDS):
                # Only when it becomes confirmed or moves: a confirmed show's earlier
                # override is not asked again for an edit of its description.
                self._check_calendar(session, obj, request)

    def _check_calendar(self, session: Session, obj: Event, request: Request) -> None:
        anyway = bool(getattr(request.state, "confirm_anyway", False))
        try:
            request.state.overridden = booking.check_calendar(
                session, obj, override=anyway, refusal="Cannot save this confirmed event: "
            )
        except booking.NeedsOverride as error:
            message = str(error).replace(booking.CONFIRM_ANYWAY, TICK_CONFIRM_ANYWAY)
            raise ConsoleFormError(message, CONFIRM_ANYWAY_FIELD) from None


def _promote_the_ladder_it_left(session: Session, obj: Event, request: Request) -> None:
    """A hold saved as a draft, or moved to another night or venue, leaves its night's
    ladder: the holds below it move up, as when a hold is cancelled."""
    rank, venue_id = _stored(obj, "hold_rank"), _stored(obj, "venue_id")
    if _stored(obj, "status") != "hold" or rank is None:
        return
    old_venue = session.get(Venue, venue_id)
    if old_venue is None:
        return
    night = night_of(_stored(obj, "starts_at"), old_venue.timezone)
    stays = (
        obj.status == "hold"
        and obj.venue_id == venue_id
        and night_of(obj.starts_at, old_venue.timezone) == night
    )
    if stays:
        return
    booking.lock_venue(session, venue_id)
    actor = request_actor(request)
    ladder.promote_below(
        session, venue_id, old_venue.timezone, night, [rank], actor, exclude_id=obj.id
    )


def _actor(request: Request) -> Scope:
    """The signed-in user's scope; :meth:`ConsoleModelView.check_save` ran first."""
    scope = current_scope(request)
    if scope is None:
        raise ConsoleFormError(GONE)
    return scope


def application_venue(application: EventApplication, _name: str = "venue") -> str:
    """The name of the venue the application's event is at."""
    return application.event.venue.name


def application_date(application: EventApplication, _name: str = "event_date") -> str:
    """The event's start on the venue's clock."""
    return local_start(application.event)


def decided_at_text(application: EventApplication, _name: str = "decided_at") -> str:
    """When it was decided, on the venue's clock."""
    return format_local(application.decided_at, application.event.venue.timezone)


def _export_times(
    starts_at: datetime | None, ends_at: datetime | None, zone_name: str
) -> dict[str, str]:
    return {
        "starts_at_iso": iso_local(starts_at, zone_name),
        "ends_at_iso": iso_local(ends_at, zone_name),
        "timezone": zone_name,
    }


class EventApplicationAdmin(
    ApplicationDecisions, BulkApplicationDecisions, ConsoleModelView, model=EventApplication
):
    """Bands asking to play events."""

    name, name_plural, category, icon = (
        "Application",
        "Applications",
        CATEGORY,
        "fa-solid fa-envelope-open-text",
    )
    column_list = [
        "band",
        "event",
        "venue_name",
        "event_date",
        "status",
        "decided_by",
        "decided_at",
    ]
    column_labels = {
        "venue_name": "Venue",
        "event_date": "Event date (venue time)",
        "decided_by": "Decided by",
        "decided_at": "Decided at (venue time)",
        "id": "Id",
        "starts_at_iso": "Event starts (ISO 8601, venue time)",
        "ends_at_iso": "Event ends (ISO 8601, venue time)",
        "decided_at_iso": "Decided at (ISO 8601, venue time)",
        "timezone": "Time zone",
    }
    # The export: the list's columns plus the id and sortable ISO 8601 times (venue clock).
    column_export_list = [
        "id", "band", "event", "venue_name", "event_date", "starts_at_iso", "ends_at_iso",
        "timezone", "status", "decided_by", "decided_at", "decided_at_iso",
    ]  # fmt: skip
    column_formatters = {
        "band": lambda application, _name: application.band.name,
        "event": lambda application, _name: application.event.title,
        "venue_name": application_venue,
        "event_date": application_date,
        "decided_at": decided_at_text,
    }
    column_formatters_detail = column_formatters
    column_details_list = [
        "band",
        "event",
        "venue_name",
        "event_date",
        "status",
        "message",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    column_searchable_list = ["band.name", "event.title"]
    column_sortable_list = [EventApplication.status, EventApplication.created_at]
    column_default_sort = [("created_at", True), ("id", True)]
    column_filters = [
        StaticValuesFilter(
            EventApplication.status, [(s, s) for s in APPLICATION_STATUSES], title="Status"
        ),
        ChoiceFilter(
            "Venue",
            "venue",
            choices=VENUE_FILTER_CHOICES,
            condition=lambda value: EventApplication.event.has(Event.venue_id == int(value)),
        ),
        NameFilter(
            Venue.name,
            title="Venue name",
            parameter_name="venue_name",
            link=lambda ids: EventApplication.event.has(Event.venue_id.in_(ids)),
        ),
        ChoiceFilter(
            "Band",
            "band",
            # Only bands that applied somewhere, not the whole bands table.
            choices=select(Band.id, Band.name)
            .where(Band.applications.any())
            .order_by(Band.name)
            .limit(50),
            condition=lambda value: EventApplication.band_id == int(value),
        ),
        *_event_date_filters(wrap=EventApplication.event.has),
    ]
    # No status or decision fields: decisions are the buttons' (admin_app.booking).
    form_columns = ["event", "band", "message"]
    form_ajax_refs = {
        "event": {"fields": ("title",), "order_by": "starts_at", "limit": 20},
        "band": {"fields": ("name",), "order_by": "name", "limit": 20},
    }
    form_args = {"event": {"description": APPLICATION_DECISION_HELP}}

    def list_options(self, request: Request) -> Sequence[LoaderOption]:
        """Each row shows its event's venue."""
        return (selectinload(EventApplication.event).joinedload(Event.venue),)

    def details_options(self, request: Request) -> Sequence[LoaderOption]:
        """The details page shows the same as a list row."""
        return self.list_options(request)

    async def export_cell(self, row: Any, name: str, request: Request | None) -> Any:
        """The export's extra columns: sortable times and the zone they are in."""
        zone_name = row.event.venue.timezone
        extra = _export_times(row.event.starts_at, row.event.ends_at, zone_name)
        extra["decided_at_iso"] = iso_local(row.decided_at, zone_name)
        return extra[name] if name in extra else await super().export_cell(row, name, request)

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Refuse a submitted decision (a crafted or out-of-date form): the buttons decide.

        ``model`` is still the stored row. A submitted status equal to it (a new
        application's "pending") changes nothing and is let through.
        """
        await super().on_model_change(data, model, is_created, request)
        submitted = await request.form()
        current = {"status": "pending" if is_created else model.status}
        for key in APPLICATION_DECISION_FIELDS:
            value = str(submitted.get(key) or "")
            if value and value != current.get(key):
                raise ConsoleFormError(f"Not changed here. {APPLICATION_DECISION_HELP}")

    def before_save(self, session: Session, obj: Any, request: Request, is_created: bool) -> None:
        """A new application is pending; an edit never touches the decision, nor moves a
        decided application to another event or band (that would dodge the band rule)."""
        if is_created:
            obj.status, obj.decided_at, obj.decided_by_id = "pending", None, None
            return
        if any(_changed(obj, key) for key in ("status", "decided_at", "decided_by_id")):
            raise ConsoleFormError(f"Not changed here. {APPLICATION_DECISION_HELP}")
        if obj.status != "pending" and (_changed(obj, "event_id") or _changed(obj, "band_id")):
            raise ConsoleFormError(
                f"This application was already {obj.status}: it stays with its event and band. "
                "Apply again for the other one instead.",
                "event" if _changed(obj, "event_id") else "band",
            )


VIEWS: list[type[ModelView] | type[BaseView]] = [
    EventAdmin,
    EventApplicationAdmin,
    BookingDecisionsView,
    HoldReleaseView,
    BulkDecisionsView,
]
