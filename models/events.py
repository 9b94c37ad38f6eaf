"""Events at venues and the applications bands make to play them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    column,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigIntId, IdMixin, TimestampMixin
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.bands import Band
    from models.people import User
    from models.venues import Venue

EVENT_STATUSES = ("draft", "hold", "confirmed", "cancelled")
APPLICATION_STATUSES = ("pending", "accepted", "rejected", "withdrawn")

# Named by hand: naming conventions have no key for exclusion constraints.
EVENT_NO_OVERLAP_CONSTRAINT = "excl_events_venue_confirmed_no_overlap"


class Event(IdMixin, TimestampMixin, Base):
    """A show at a venue. A show that runs past midnight belongs to the night it started."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status IN ('draft', 'hold', 'confirmed', 'cancelled')", name="status"),
        # Holds carry a rank (1st hold, 2nd hold...); nothing else does.
        CheckConstraint(
            "(status = 'hold' AND hold_rank IS NOT NULL AND hold_rank >= 1)"
            " OR (status <> 'hold' AND hold_rank IS NULL)",
            name="hold_rank",
        ),
        Index("ix_events_venue_id_starts_at", "venue_id", "starts_at"),
        # The events list's whole order (newest first, then by id): its deep pages read
        # only this index (alembic c4e8a2f61d57).
        Index("ix_events_starts_at_id", "starts_at", "id"),
        # Trigram indexes for the console's ILIKE '%term%' search (PostgreSQL only).
        Index(
            "ix_events_title_trgm",
            "title",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # A venue never has two confirmed events that overlap; holds may stack. [) ranges
        # let back-to-back shows touch. PostgreSQL only (btree_gist); on SQLite two triggers
        # refuse the same rows under the same name (migration 9a3a1e85b614; no create_all
        # anywhere, so the migrations are the only place they need to be).
        ExcludeConstraint(
            ("venue_id", "="),
            (
                func.tstzrange(column("starts_at"), column("ends_at"), literal_column("'[)'")),
                "&&",
            ),
            name=EVENT_NO_OVERLAP_CONSTRAINT,
            using="gist",
            where=text("status = 'confirmed'"),
        ).ddl_if(dialect="postgresql"),
    )

    venue_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("venues.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="draft")
    hold_rank: Mapped[int | None] = mapped_column(Integer)
    # A hold may lapse: past this instant it is shown as expired and
    # ``python -m admin_app release-expired-holds`` cancels it (alembic 3b7d9e2f4a61).
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Optimistic locking: every UPDATE checks and bumps it, so an edit made from a stale
    # form fails instead of silently overwriting someone else's change.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # Who made the latest change, so a refused stale edit can say who got there first.
    updated_by_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    __mapper_args__ = {"version_id_col": version}

    venue: Mapped[Venue] = relationship(back_populates="events")
    applications: Mapped[list[EventApplication]] = relationship(
        back_populates="event", passive_deletes=True
    )

    def __str__(self) -> str:
        return self.title


class EventApplication(IdMixin, TimestampMixin, Base):
    """A band asking to play an event: pending → accepted | rejected, or pending → withdrawn."""

    __tablename__ = "event_applications"
    __table_args__ = (
        UniqueConstraint("event_id", "band_id"),
        # The applications list's default order (newest first, id breaking ties).
        Index("ix_event_applications_created_at_id", "created_at", "id"),
        CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected', 'withdrawn')", name="status"
        ),
        # Every decision (or withdrawal) records when it happened; a pending one has none.
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_at"),
    )

    event_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("events.id", ondelete="CASCADE"))
    # RESTRICT: a band with booking history is not deleted by accident.
    band_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("bands.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="pending")
    message: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Optimistic locking and last writer, as on Event.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    updated_by_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    __mapper_args__ = {"version_id_col": version}

    event: Mapped[Event] = relationship(back_populates="applications")
    band: Mapped[Band] = relationship(back_populates="applications")
    # Two foreign keys point at users now; this relationship follows the decision one.
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __str__(self) -> str:
        return f"{self.band.name} → {self.event.title}"
