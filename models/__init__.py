"""The band/venue scheduling schema: the single source of truth for every table.

Importing this package registers every model on ``Base.metadata`` (Alembic reads it).
"""

from models.bands import (
    AVAILABILITY_STATUSES,
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
)
from models.base import Base
from models.console import AuditEntry, LoginFailure
from models.events import APPLICATION_STATUSES, EVENT_STATUSES, Event, EventApplication
from models.outbox import OUTBOX_STATUSES, OutboxMessage
from models.people import User, UserSession
from models.venues import (
    STAFF_ROLES,
    VENUE_DAY_STATUSES,
    WEEKDAYS,
    StaffInvite,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)

__all__ = [
    "APPLICATION_STATUSES",
    "AVAILABILITY_STATUSES",
    "EVENT_STATUSES",
    "OUTBOX_STATUSES",
    "STAFF_ROLES",
    "VENUE_DAY_STATUSES",
    "WEEKDAYS",
    "AuditEntry",
    "Band",
    "BandAvailability",
    "BandMember",
    "BandMemberAvailability",
    "Base",
    "Event",
    "EventApplication",
    "LoginFailure",
    "OutboxMessage",
    "StaffInvite",
    "User",
    "UserSession",
    "Venue",
    "VenueAvailability",
    "VenueOperatingHours",
    "VenueStaff",
]
