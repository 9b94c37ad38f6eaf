"""Users: everyone who signs in (ops, venue staff) or plays in a band."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin

if TYPE_CHECKING:
    from models.bands import BandMember
    from models.venues import VenueStaff


class User(IdMixin, TimestampMixin, Base):
    """A person. Emails are stored lower-cased, which makes their uniqueness case-insensitive."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # Trigram indexes for the console's ILIKE '%term%' search (PostgreSQL only).
        Index(
            "ix_users_email_trgm",
            "email",
            postgresql_using="gin",
            postgresql_ops={"email": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_users_full_name_trgm",
            "full_name",
            postgresql_using="gin",
            postgresql_ops={"full_name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # NULL for people who never sign in (most band members).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)
    is_superuser: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # Bumped on password change or deactivation; a session cookie carries the value it was
    # issued with, so every other session of that user ends.
    session_version: Mapped[int] = mapped_column(Integer, server_default="1", default=1)

    band_memberships: Mapped[list[BandMember]] = relationship(
        back_populates="user", passive_deletes=True
    )
    venue_roles: Mapped[list[VenueStaff]] = relationship(
        back_populates="user", passive_deletes=True
    )

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"
