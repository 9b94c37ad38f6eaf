"""Colleagues marking the same calendar day at the same instant: no error page, no lost mark.

Found by the two-process load test: a second insert of a new day tripped the unique
constraint and a change racing a clear updated no row; both ended in a 500.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from admin_app.calendars.marks import MarkError, set_venue_day
from admin_app.scoping import Scope
from models import AuditEntry, User, Venue, VenueAvailability

DAY = date(2027, 3, 12)
THREADS = 8


def _world(engine: Engine) -> tuple[Scope, int]:
    with Session(engine) as session, session.begin():
        user = User(email="ops@example.com", full_name="Ops", is_superuser=True)
        venue = Venue(name="Lido", city="Berlin", timezone="Europe/Berlin")
        session.add_all([user, venue])
        session.flush()
        return Scope(user_id=user.id, email=user.email, is_superuser=True), venue.id


def _race(engine: Engine, scope: Scope, venue_id: int, statuses: list[str]) -> Counter[str]:
    """Run one set_venue_day per status, all released at once; count the outcomes."""
    barrier = threading.Barrier(len(statuses))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def mark(status: str) -> None:
        barrier.wait()
        try:
            with Session(engine) as session, session.begin():
                set_venue_day(session, scope, venue_id, DAY, status, note=f"by {status}")
            outcome = "saved"
        except MarkError:
            outcome = "refused"
        except Exception as exc:  # anything else would have been a 500
            outcome = f"error: {type(exc).__name__}: {exc}"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=mark, args=(status,)) for status in statuses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _marks_and_audits(engine: Engine) -> tuple[list[str], int]:
    with Session(engine) as session:
        rows = session.scalars(
            select(VenueAvailability.status).where(VenueAvailability.date == DAY)
        ).all()
        audits = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.object_type == "VenueAvailability")
        )
        return list(rows), int(audits or 0)


def test_marking_a_new_day_at_once_keeps_one_row(engine: Engine) -> None:
    scope, venue_id = _world(engine)

    outcomes = _race(engine, scope, venue_id, ["closed"] * THREADS)

    assert set(outcomes) <= {"saved", "refused"}, outcomes
    rows, audits = _marks_and_audits(engine)
    assert rows == ["closed"]
    assert audits == outcomes["saved"]  # every acknowledged change is audited, no other


def test_changing_and_clearing_a_day_at_once_never_errors(engine: Engine) -> None:
    scope, venue_id = _world(engine)
    with Session(engine) as session, session.begin():
        set_venue_day(session, scope, venue_id, DAY, "open")

    outcomes = _race(engine, scope, venue_id, ["clear", "hold"] * (THREADS // 2))

    assert set(outcomes) <= {"saved", "refused"}, outcomes
    rows, _audits = _marks_and_audits(engine)
    assert rows in ([], ["hold"])
