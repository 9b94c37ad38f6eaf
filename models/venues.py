"""Venues, the people who run them, their weekly hours and their open/closed days."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigIntId, IdMixin, TimestampMixin
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.events import Event
    from models.people import User

STAFF_ROLES = ("manager", "staff")
VENUE_DAY_STATUSES = ("open", "closed", "hold")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Venue(IdMixin, TimestampMixin, Base):
    """A place where events happen. All its times are shown in its own IANA time zone."""

    __tablename__ = "venues"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("timezone <> ''", name="timezone_not_empty"),
        # Trigram indexes for the console's ILIKE '%term%' search (PostgreSQL only).
        Index(
            "ix_venues_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_venues_city_trgm",
            "city",
            postgresql_using="gin",
            postgresql_ops={"city": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    name: Mapped[str] = mapped_column(String(200), index=True)
    city: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    # An IANA zone name such as "Europe/Berlin"; validated against zoneinfo by the app,
    # since the database has no list of zones to check against.
    timezone: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 (hex) of the secret in the venue's calendar feed URL. Only the digest is
    # kept, so a copy of the database does not reveal working feed URLs. NULL: no feed.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    feed_token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    staff: Mapped[list[VenueStaff]] = relationship(back_populates="venue", passive_deletes=True)
    operating_hours: Mapped[list[VenueOperatingHours]] = relationship(
        back_populates="venue", passive_deletes=True, order_by="VenueOperatingHours.weekday"
    )
    availability: Mapped[list[VenueAvailability]] = relationship(
        back_populates="venue", passive_deletes=True
    )
    events: Mapped[list[Event]] = relationship(back_populates="venue", passive_deletes=True)
    # Read-only: invites are written through StaffInvite itself (admin_app.invites).
    invites: Mapped[list[StaffInvite]] = relationship(viewonly=True, order_by="StaffInvite.id")

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class VenueStaff(IdMixin, Base):
    """A user's role at a venue: a manager can also add and remove staff."""

    __tablename__ = "venue_staff"
    __table_args__ = (
        UniqueConstraint("venue_id", "user_id"),
        CheckConstraint("role IN ('manager', 'staff')", name="role"),
    )

    venue_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("venues.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))

    venue: Mapped[Venue] = relationship(back_populates="staff")
    user: Mapped[User] = relationship(back_populates="venue_roles")

    def __str__(self) -> str:
        return f"{self.user.full_name}, {self.role} at {self.venue.name}"


class StaffInvite(IdMixin, Base):
    """A manager's invitation of a person to a venue: a single-use set-password link.

    The link carries a random token; only its SHA-256 digest is stored, so the table read
    by someone else opens no account. An invite is open until it is used
    (``accepted_at``), revoked (``revoked_at``) or past ``expires_at``.
    """

    __tablename__ = "staff_invites"
    __table_args__ = (
        CheckConstraint("role IN ('manager', 'staff')", name="role"),
        CheckConstraint("accepted_at IS NULL OR revoked_at IS NULL", name="used_or_revoked"),
        Index("ix_staff_invites_venue_id_created_at", "venue_id", "created_at"),
    )

    venue_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("venues.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    invited_by_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    venue: Mapped[Venue] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def __str__(self) -> str:
        return f"Invite of {self.user.email} to {self.venue.name} as {self.role}"


class VenueOperatingHours(IdMixin, Base):
    """Usual hours for one weekday (0 = Monday); closing at or before opening is past midnight."""

    __tablename__ = "venue_operating_hours"
    __table_args__ = (
        UniqueConstraint("venue_id", "weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
    )

    venue_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("venues.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)

    venue: Mapped[Venue] = relationship(back_populates="operating_hours")

    @property
    def past_midnight(self) -> bool:
        """True when the venue closes on the next calendar day."""
        return self.closes_at <= self.opens_at

    def __str__(self) -> str:
        hours = f"{self.opens_at:%H:%M}-{self.closes_at:%H:%M}"
        return f"{WEEKDAYS[self.weekday]} {hours}"


class VenueAvailability(IdMixin, Base):
    """The venue's own mark on one date: open, closed, or held."""

    __tablename__ = "venue_availabilities"
    __table_args__ = (
        UniqueConstraint("venue_id", "date"),
        CheckConstraint("status IN ('open', 'closed', 'hold')", name="status"),
    )

    venue_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("venues.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))

    venue: Mapped[Venue] = relationship(back_populates="availability")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.status}"
