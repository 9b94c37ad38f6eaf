"""Users (everyone who signs in or plays in a band) and their console sessions.

The rule "a password change or deactivation ends every session of the user" lives here,
as a mapper event on :class:`User`, so that any code that imports ``models`` (the app, the
CLI, a one-off script) keeps it; nothing else needs to be imported or remembered.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    event,
    false,
    func,
    inspect,
    true,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from models.base import Base, BigIntId, IdMixin, TimestampMixin
from models.types import UTCDateTime

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
    # Bumped on password change or deactivation (see _end_sessions_on_credential_change):
    # a session record is valid only while it carries the user's current value.
    session_version: Mapped[int] = mapped_column(Integer, server_default="1", default=1)
    # Off: no notifications but the essential ones (invites, password links).
    wants_notifications: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)

    band_memberships: Mapped[list[BandMember]] = relationship(
        back_populates="user", passive_deletes=True
    )
    venue_roles: Mapped[list[VenueStaff]] = relationship(
        back_populates="user", passive_deletes=True
    )

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"


class UserSession(IdMixin, Base):
    """One signed-in browser. Its cookie carries a random id; only the id's SHA-256 is
    stored, so a copy of the database does not yield working cookies.

    Signing out deletes the row, which is what ends a copied cookie too. The row is valid
    while ``expires_at`` is ahead and ``session_version`` equals the user's.
    """

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The user's session_version when the session opened.
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    # Indexed: expired rows are purged by this column (admin_app.auth.open_session).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(45))


@event.listens_for(User, "before_update")
def _end_sessions_on_credential_change(
    _mapper: Mapper[Any], connection: Connection, user: User
) -> None:
    # Every ORM path that changes a password or deactivates a user (the console's forms,
    # the CLI, a script) flushes an UPDATE of the row, so none of them can forget this.
    # Bumping the version ends sessions even against a sign-in that races this change
    # (its row carries the old version); deleting the rows keeps the table small. A bulk
    # ``update(User)`` statement bypasses mapper events: don't change passwords that way.
    state = inspect(user)
    password_changed = state.attrs.password_hash.history.has_changes()
    deactivated = False in state.attrs.is_active.history.added
    if password_changed or deactivated:
        user.session_version = (user.session_version or 0) + 1
        connection.execute(delete(UserSession).where(UserSession.user_id == user.id))
