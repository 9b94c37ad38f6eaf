"""Bands, their members, and the days each of them can or cannot play."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigIntId, IdMixin, TimestampMixin
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.events import EventApplication
    from models.people import User

# A person's or a band's answer for one date.
AVAILABILITY_STATUSES = ("available", "unavailable", "tentative")
_AVAILABILITY_CHECK = "status IN ('available', 'unavailable', 'tentative')"


class Band(IdMixin, TimestampMixin, Base):
    """A band that applies to play at venues."""

    __tablename__ = "bands"
    __table_args__ = (
        # Trigram indexes for the console's ILIKE '%term%' search (PostgreSQL only).
        Index(
            "ix_bands_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_bands_genre_trgm",
            "genre",
            postgresql_using="gin",
            postgresql_ops={"genre": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_bands_city_trgm",
            "city",
            postgresql_using="gin",
            postgresql_ops={"city": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    name: Mapped[str] = mapped_column(String(200), index=True)
    genre: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    # As on Venue: the digest of the band's calendar feed secret, never the secret itself.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    feed_token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    members: Mapped[list[BandMember]] = relationship(back_populates="band", passive_deletes=True)
    availability: Mapped[list[BandAvailability]] = relationship(
        back_populates="band", passive_deletes=True
    )
    applications: Mapped[list[EventApplication]] = relationship(
        back_populates="band", passive_deletes=True
    )

    def __str__(self) -> str:
        return self.name


class BandMember(IdMixin, Base):
    """A user playing in a band."""

    __tablename__ = "band_members"
    __table_args__ = (UniqueConstraint("band_id", "user_id"),)

    band_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("bands.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    instrument: Mapped[str | None] = mapped_column(String(100))

    band: Mapped[Band] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="band_memberships")
    availability: Mapped[list[BandMemberAvailability]] = relationship(
        back_populates="band_member", passive_deletes=True
    )

    def __str__(self) -> str:
        return f"{self.user.full_name} ({self.band.name})"


class BandAvailability(IdMixin, Base):
    """The band as a whole on one date (a tour, a studio week...)."""

    __tablename__ = "band_availabilities"
    __table_args__ = (
        UniqueConstraint("band_id", "date"),
        CheckConstraint(_AVAILABILITY_CHECK, name="status"),
    )

    band_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("bands.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))

    band: Mapped[Band] = relationship(back_populates="availability")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.status}"


class BandMemberAvailability(IdMixin, Base):
    """One member on one date."""

    __tablename__ = "band_member_availabilities"
    __table_args__ = (
        UniqueConstraint("band_member_id", "date"),
        CheckConstraint(_AVAILABILITY_CHECK, name="status"),
    )

    band_member_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("band_members.id", ondelete="CASCADE")
    )
    date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))

    band_member: Mapped[BandMember] = relationship(back_populates="availability")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.status}"
