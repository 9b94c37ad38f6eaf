"""What people are told about decisions, queued in the outbox in the decision's transaction.

One function per cause, called by the rule that takes the decision (:mod:`admin_app.booking`
and friends), after it has flushed: the message commits or rolls back with the decision.
Messages are plain and short, give times on the venue's clock with the zone named, and
link to the console when ``PUBLIC_BASE_URL`` is set. Who hears:

- a band's active members, about its applications and the shows it is booked for;
- the venue's active staff, about the venue's own shows and holds;
- an invited person, about their invitation (essential: sent even to people who turned
  notifications off; everything else respects that choice).

Each message's idempotency key names its cause and the row's version, so a decision
queues its message once, and a later decision about the same row queues a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app import outbox
from admin_app.db import PUBLIC_BASE_URL_KEY
from admin_app.localtime import format_local_range, night_of
from models import BandMember, Event, EventApplication, User, VenueStaff

SIGNATURE = "Sent by Band Scheduling Admin."


@dataclass(frozen=True)
class Note:
    """A message before it is addressed: subject, paragraphs, an optional console path."""

    subject: str
    paragraphs: Sequence[str]
    path: str | None = None

    def text(self, base_url: str | None) -> str:
        """The plain-text body."""
        parts = list(self.paragraphs)
        if self.path and base_url:
            parts.append(f"Open it in the console: {base_url}{self.path}")
        return "\n\n".join([*parts, SIGNATURE]) + "\n"

    def html(self, base_url: str | None) -> str:
        """The HTML body: the same paragraphs, escaped, and the link as a link."""
        parts = [
            Markup("<p>{}</p>").format(Markup("<br>").join(paragraph.split("\n")))
            for paragraph in self.paragraphs
        ]
        if self.path and base_url:
            url = f"{base_url}{self.path}"
            parts.append(Markup('<p><a href="{}">Open it in the console</a></p>').format(url))
        parts.append(Markup("<p>{}</p>").format(SIGNATURE))
        return str(Markup("\n").join(parts))


def _queue(
    session: Session,
    key: str,
    kind: str,
    recipients: Iterable[str],
    note: Note,
    *,
    attachments: Sequence[outbox.Attachment] = (),
    essential: bool = False,
) -> None:
    base_url = session.info.get(PUBLIC_BASE_URL_KEY)
    outbox.enqueue(
        session,
        key=key,
        kind=kind,
        recipients=recipients,
        subject=note.subject,
        text=note.text(base_url),
        html=note.html(base_url),
        attachments=attachments,
        essential=essential,
    )


def band_members(session: Session, band_ids: Iterable[int]) -> list[str]:
    """Emails of the active members of these bands who take notifications."""
    ids = sorted(set(band_ids))
    if not ids:
        return []
    stmt = (
        select(User.email)
        .join(BandMember, BandMember.user_id == User.id)
        .where(BandMember.band_id.in_(ids), User.is_active, User.wants_notifications)
        .order_by(User.email)
        .distinct()
    )
    return list(session.scalars(stmt))


def venue_staff(session: Session, venue_id: int) -> list[str]:
    """Emails of the venue's active staff who take notifications."""
    stmt = (
        select(User.email)
        .join(VenueStaff, VenueStaff.user_id == User.id)
        .where(VenueStaff.venue_id == venue_id, User.is_active, User.wants_notifications)
        .order_by(User.email)
    )
    return list(session.scalars(stmt))


def _booked_bands(session: Session, event: Event) -> list[int]:
    return list(
        session.scalars(
            select(EventApplication.band_id).where(
                EventApplication.event_id == event.id, EventApplication.status == "accepted"
            )
        )
    )


def _when(event: Event) -> str:
    return format_local_range(event.starts_at, event.ends_at, event.venue.timezone)


def _headline(event: Event) -> str:
    """'"Late Show" at Lantern Hall, Sat 05 Dec 2026' — the show's night, for subjects."""
    night = night_of(event.starts_at, event.venue.timezone)
    return f'"{event.title}" at {event.venue.name}, {night:%a %d %b %Y}'


def _where(event: Event) -> str:
    venue = event.venue
    return ", ".join(part for part in (venue.name, venue.address, venue.city) if part)


def _event_path(event: Event) -> str:
    return f"/admin/event/details/{event.id}"


def _show_ics(session: Session, event: Event) -> outbox.Attachment:
    # Imported here: the feeds import the booking rules, which call this module.
    from admin_app.calendars.feeds import event_ics

    content = event_ics(session, event)
    return outbox.Attachment("show.ics", "text/calendar; method=PUBLISH", content)


def application_decided(session: Session, application: EventApplication) -> None:
    """Tell the band its application was accepted or declined."""
    if application.status not in ("accepted", "rejected"):
        return
    event, band = application.event, application.band
    if application.status == "accepted":
        note = Note(
            f"Accepted: {band.name} for {_headline(event)}",
            [
                f"{event.venue.name} accepted {band.name} to play {event.title}.",
                f"When: {_when(event)}\nWhere: {_where(event)}",
                "The show is confirmed: it is in your band's calendar."
                if event.status == "confirmed"
                else "The show is not confirmed yet: you will hear again when it is.",
            ],
        )
    else:
        note = Note(
            f"Not this time: {band.name} for {_headline(event)}",
            [
                f"{event.venue.name} will not book {band.name} for {event.title} "
                f"({_when(event)}). Thank you for applying.",
            ],
        )
    _queue(
        session,
        f"application:{application.id}:{application.status}:v{application.version}",
        f"application_{application.status}",
        band_members(session, [band.id]),
        note,
    )


def _about_show(
    session: Session,
    event: Event,
    cause: str,
    band_note: Note,
    staff_note: Note,
    *,
    attach_show: bool = False,
) -> None:
    """The same news to the bands booked for ``event`` and to its venue's staff."""
    attachments = [_show_ics(session, event)] if attach_show else []
    key = f"event:{event.id}:{cause}:v{event.version}"
    _queue(
        session,
        f"{key}:bands",
        f"event_{cause}",
        band_members(session, _booked_bands(session, event)),
        band_note,
        attachments=attachments,
    )
    _queue(
        session,
        f"{key}:staff",
        f"event_{cause}",
        venue_staff(session, event.venue_id),
        staff_note,
        attachments=attachments,
    )


def event_confirmed(session: Session, event: Event) -> None:
    """The show is on: the bands booked for it get it as a calendar entry."""
    facts = f"When: {_when(event)}\nWhere: {_where(event)}"
    _about_show(
        session,
        event,
        "confirmed",
        Note(
            f"Confirmed: {_headline(event)}",
            [
                f"{event.title} at {event.venue.name} is confirmed.",
                facts,
                "The attached calendar entry updates itself if the show changes.",
            ],
        ),
        Note(
            f"Confirmed: {_headline(event)}",
            [f"{event.title} is confirmed.", facts],
            _event_path(event),
        ),
        attach_show=True,
    )


def event_cancelled(session: Session, event: Event) -> None:
    """The show is off: tell the bands booked for it and the venue's staff."""
    facts = f"It was planned for {_when(event)} at {_where(event)}."
    _about_show(
        session,
        event,
        "cancelled",
        Note(f"Cancelled: {_headline(event)}", [f"{event.title} is cancelled.", facts]),
        Note(
            f"Cancelled: {_headline(event)}",
            [f"{event.title} is cancelled.", facts],
            _event_path(event),
        ),
        attach_show=True,
    )


def event_moved(session: Session, event: Event, previously: str) -> None:
    """A confirmed show has new times (``previously``: the old ones, as people read them)."""
    facts = f"Now: {_when(event)}\nBefore: {previously}"
    _about_show(
        session,
        event,
        "moved",
        Note(
            f"New time: {_headline(event)}",
            [
                f"{event.title} has moved.",
                facts,
                "The attached calendar entry replaces the old one.",
            ],
        ),
        Note(
            f"New time: {_headline(event)}",
            [f"{event.title} has moved.", facts],
            _event_path(event),
        ),
        attach_show=True,
    )


def hold_released(session: Session, event: Event, reason: str) -> None:
    """A hold was let go (released for another show, or expired): tell the venue's staff."""
    _queue(
        session,
        f"event:{event.id}:released:v{event.version}",
        "hold_released",
        venue_staff(session, event.venue_id),
        Note(
            f"Hold released: {_headline(event)}",
            [f"The hold on {event.title} ({_when(event)}) was released: {reason}"],
            _event_path(event),
        ),
    )


def staff_invited(
    session: Session, *, email: str, venue_name: str, role: str, link: str, invite_id: int
) -> None:
    """The invited person's set-password link (essential: it always goes)."""
    _queue(
        session,
        f"invite:{invite_id}",
        "staff_invited",
        [email],
        Note(
            f"You are invited to {venue_name} on Band Scheduling Admin",
            [
                f"You have been invited to join {venue_name} as {role}.",
                f"Set your password here (the link works once, for 72 hours): {link}",
                "If you did not expect this, ignore this message.",
            ],
        ),
        essential=True,
    )
