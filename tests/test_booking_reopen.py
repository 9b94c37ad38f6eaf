"""Reopening a decided application: back to pending, decision cleared, audited, and refused
where it makes no sense (already pending, stale, another venue's, a cancelled event)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.booking import (
    InvalidTransition,
    NotFound,
    StaleObject,
    accept_application,
    reopen_application,
)
from models import AuditEntry, EventApplication
from tests.worlds.booking import NIGHT, Booking, build_booking


@pytest.fixture
def bk(db_session: Session) -> Booking:
    return build_booking(db_session)


def entries(session: Session, application: EventApplication) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == "EventApplication",
                AuditEntry.object_id == str(application.id),
            )
            .order_by(AuditEntry.id)
        )
    )


@pytest.mark.parametrize("decided", ["accepted", "rejected", "withdrawn"])
@pytest.mark.parametrize("event_status", ["draft", "hold", "confirmed"])
def test_a_decided_application_is_reopened_and_audited(
    bk: Booking, decided: str, event_status: str
) -> None:
    application = bk.application(
        bk.event("Gig", bk.berlin, status=event_status),
        status=decided,
        decided_at=NIGHT - timedelta(days=2),
        decided_by_id=bk.root.user_id,
    )
    version = application.version
    reopen_application(bk.session, application.id, bk.staff_berlin, expected_version=version)

    bk.session.expire_all()
    row = bk.session.get_one(EventApplication, application.id)
    assert (row.status, row.decided_at, row.decided_by_id) == ("pending", None, None)
    assert row.updated_by_id == bk.staff_berlin.user_id
    assert row.version == version + 1
    (entry,) = entries(bk.session, row)
    assert (entry.action, entry.actor_email) == ("reopen", "anna@example.com")
    assert entry.changes is not None
    assert entry.changes["status"] == [decided, "pending"]
    assert entry.changes["decided_by_id"] == [bk.root.user_id, None]
    # Decidable again, like any pending application.
    accept_application(bk.session, row.id, bk.staff_berlin)
    assert bk.session.get_one(EventApplication, row.id).status == "accepted"


def test_a_pending_application_has_nothing_to_reopen(bk: Booking) -> None:
    application = bk.application(bk.event("Gig", bk.berlin))
    with pytest.raises(InvalidTransition, match="already pending"):
        reopen_application(bk.session, application.id, bk.root)
    assert entries(bk.session, application) == []


def test_reopen_is_refused_for_another_venue_a_stale_page_and_a_cancelled_event(
    bk: Booking,
) -> None:
    application = bk.application(bk.event("Gig", bk.berlin), status="accepted")
    with pytest.raises(NotFound):  # Ned works in New York only
        reopen_application(bk.session, application.id, bk.staff_newyork)
    with pytest.raises(StaleObject):
        reopen_application(bk.session, application.id, bk.root, application.version + 5)
    off = bk.application(bk.event("Off", bk.berlin, status="cancelled"), status="rejected")
    with pytest.raises(InvalidTransition, match='"Off" is cancelled'):
        reopen_application(bk.session, off.id, bk.root)
    with pytest.raises(NotFound):
        reopen_application(bk.session, 987654, bk.root)
    bk.session.expire_all()
    assert bk.session.get_one(EventApplication, application.id).status == "accepted"
    assert bk.session.get_one(EventApplication, off.id).status == "rejected"
    assert entries(bk.session, application) == []
