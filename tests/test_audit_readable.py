"""The audit log reads like the rest of the console: an entry and an object's history show
a before → after table per field with labels, venue time and names; actions and object
types in words; no "None" filter choice. What an entry stores stays as it was."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.audit import Actor, record
from models import AuditEntry
from tests.auth_support import add_user, sign_in
from tests.console_views_support import (
    ADMIN_EMAIL,
    add_event,
    add_venue,
    event_form,
    export_rows,
    post_form,
    sign_in_superuser,
)

LIST = "/admin/audit-entry/list"
STAFF = "staff@example.com"
# 20:00 on the venue's clock (Europe/Berlin, UTC+1 in December).
STARTS = datetime(2026, 12, 12, 19, tzinfo=UTC)
ENDS = datetime(2026, 12, 12, 22, tzinfo=UTC)


def _text(page: str) -> str:
    """The page's text without tags, whitespace folded (what a reader sees)."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _edit_twice(client: TestClient, engine: Engine) -> tuple[int, int, int]:
    """A draft at Roxy moved to 21:00 and renamed, then moved to Lido, through the console:
    the event's id and the two venues' ids."""
    roxy = add_venue(engine, "Roxy")
    lido = add_venue(engine, "Lido")
    pk = add_event(engine, roxy, "Night show", STARTS, ENDS, status="draft")
    url = f"/admin/event/edit/{pk}"
    first = event_form(
        roxy, title="Late show", starts_at="2026-12-12T21:00", status="draft", version="1"
    )
    assert post_form(client, url, first).status_code == 302
    second = {**first, "venue": str(lido), "version": "2"}
    assert post_form(client, url, second).status_code == 302
    return pk, roxy, lido


def _entries(engine: Engine, pk: int) -> list[AuditEntry]:
    with Session(engine) as session:
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.object_type == "Event", AuditEntry.object_id == str(pk))
            .order_by(AuditEntry.id)
        )
        return list(session.scalars(stmt))


def test_an_entry_shows_a_before_after_table_in_venue_time(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    pk, _roxy, _lido = _edit_twice(client, engine)
    first, second = _entries(engine, pk)
    # The entry still stores codes and UTC ISO values: only the display changed.
    assert first.action == "update"
    assert first.changes is not None
    assert first.changes["starts_at"] == ["2026-12-12T19:00:00+00:00", "2026-12-12T20:00:00+00:00"]

    page = client.get(f"/admin/audit-entry/details/{first.id}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "What Changed" in text
    assert (
        "Starts (venue time) Sat 12 Dec 2026 20:00 (Europe/Berlin) → "
        "Sat 12 Dec 2026 21:00 (Europe/Berlin)"
    ) in text
    assert "Title Night show → Late show" in text
    # Not the raw dict, not the stored UTC text, no bookkeeping fields.
    assert "{&#39;" not in page.text
    assert "{'" not in page.text
    assert "2026-12-12T19:00:00" not in page.text
    assert "Version" not in text

    moved = _text(client.get(f"/admin/audit-entry/details/{second.id}").text)
    # Related rows by name, with the field's label (not "venue_id 1 → 2").
    assert "Venue Roxy (Berlin) → Lido (Berlin)" in moved
    assert "venue_id" not in moved


def test_an_objects_history_is_grouped_by_change_newest_first(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    pk, _roxy, _lido = _edit_twice(client, engine)
    first, second = _entries(engine, pk)

    details = client.get(f"/admin/event/details/{pk}").text
    assert f'href="http://testserver/admin/history/Event/{pk}"' in details
    page = client.get(f"/admin/history/Event/{pk}")
    assert page.status_code == 200
    text = _text(page.text)
    assert f"History of Late show Event {pk}" in text
    # One card per change, newest first, each with its own table.
    assert page.text.count('data-testid="history-entry"') == 2
    assert page.text.count('data-testid="audit-changes"') == 2
    assert page.text.index(f"/audit-entry/details/{second.id}") < page.text.index(
        f"/audit-entry/details/{first.id}"
    )
    assert text.index("Venue Roxy (Berlin) → Lido (Berlin)") < text.index(
        "Title Night show → Late show"
    )
    assert ADMIN_EMAIL in text
    # The whole log for the object stays one click away.
    assert f"/admin/audit-entry/list?object_type=Event&amp;object_id={pk}" in page.text


def test_a_deleted_related_row_and_a_gone_object_still_read(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    with Session(engine) as session:
        record(
            session,
            Actor(None, "ops@example.com"),
            "delete",
            object_type="Event",
            object_id="999",
            object_repr="Old show",
            changes={"venue_id": [4242, None], "title": ["Old show", None]},
        )
        session.commit()

    page = client.get("/admin/history/Event/999")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Deleted" in text
    assert "Venue Venue 4242 (deleted) → —" in text
    assert client.get("/admin/history/NoSuchModel/1").status_code == 404


def test_actions_and_object_types_read_as_words(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine, "Roxy")
    with Session(engine) as session:
        actor = Actor(None, "ops@example.com")
        record(session, actor, "issue_feed_token", object_type="Venue", object_id=str(venue_id))
        record(session, actor, "accept", object_type="EventApplication", object_id="7")
        # A failed sign-in names no object: its empty type is no filter choice.
        record(session, actor, "sign_in_failed", changes={"reason": [None, "wrong password"]})
        session.commit()
        failed = session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in_failed"))
        failed_id = next(iter(failed)).id

    page = client.get(LIST)
    assert page.status_code == 200
    text = _text(page.text)
    assert "Issued a feed URL" in text
    assert "issue_feed_token" not in text
    assert "Application" in text
    assert "EventApplication" not in text
    assert "Failed to sign in" in text
    # No "None" choice in the filters, and none marked as chosen on a bare visit.
    assert ">None<" not in page.text
    assert 'title="Clear filter"' not in page.text
    # The choice links still filter by the stored code.
    assert "action=issue_feed_token" in page.text
    assert shown_count(client, "action=issue_feed_token") == 1

    entry = _text(client.get(f"/admin/audit-entry/details/{failed_id}").text)
    assert "What Failed to sign in" in entry
    assert "Reason — → wrong password" in entry


def shown_count(client: TestClient, query: str) -> int:
    """How many entries the list shows for ``query``."""
    page = client.get(f"{LIST}?{query}").text
    return page.count("/admin/audit-entry/details/")


def test_audit_times_are_readable_and_name_their_zone(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    with Session(engine) as session:
        entry = record(session, Actor(None, "ops@example.com"), "update", object_type="Venue")
        entry.occurred_at = datetime(2026, 3, 1, 23, 5, tzinfo=UTC)
        session.commit()

    text = _text(client.get(f"{LIST}?action=update").text)
    assert "Sun 01 Mar 2026 23:05 (UTC)" in text
    assert "2026-03-01 23:05:00" not in text
    # The export keeps a sortable ISO time; actions in words there too.
    [header, row] = export_rows(client, "audit-entry", "?action=update")
    assert header[:2] == ["When", "Action"]
    assert row[:2] == ["2026-03-01T23:05:00+00:00", "Changed"]


def test_staff_cannot_read_an_objects_history(client: TestClient, engine: Engine) -> None:
    add_user(engine, STAFF, staff=True)
    sign_in(client, STAFF)
    page = client.get("/admin/history/Venue/1")
    assert page.status_code in (403, 404)
    assert "History of" not in page.text


def test_a_reused_id_does_not_mix_two_rows_histories(client: TestClient, engine: Engine) -> None:
    # SQLite may give a new row the id of a deleted one: the entries say which row was which.
    sign_in_superuser(client, engine)
    steps: list[tuple[str, dict[str, list[str | None]], int]] = [
        ("create", {"title": [None, "Old gig"]}, 1),
        ("delete", {"title": ["Old gig", None]}, 2),
        ("create", {"title": [None, "New gig"]}, 3),
        ("update", {"title": ["New gig", "New gig (sold out)"]}, 4),
    ]
    with Session(engine) as session:
        for action, changes, day in steps:
            entry = record(
                session,
                Actor(None, "ops@example.com"),
                action,
                object_type="Event",
                object_id="5",
                object_repr=changes["title"][1] or changes["title"][0],
                changes=changes,
            )
            entry.occurred_at = datetime(2026, 3, day, 12, tzinfo=UTC)
        session.commit()

    page = client.get("/admin/history/Event/5")
    assert page.status_code == 200
    text = _text(page.text)
    assert "History of New gig (sold out)" in text
    assert page.text.count('data-testid="earlier-row"') == 1
    heading = text.index("An earlier row that had this id (deleted)")
    assert text.index("Title New gig → New gig (sold out)") < heading
    assert text.index("Title — → New gig") < heading
    assert heading < text.index("Title Old gig → —") < text.index("Title — → Old gig")


def test_odd_history_addresses_are_not_found_or_empty(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    with Session(engine) as session:
        record(
            session,
            Actor(None, "ops@example.com"),
            "update",
            object_type="Event",
            object_id="²",
            changes={"venue_id": ["x", 99999999999999999999]},
        )
        session.commit()
    # A digit Python reads but int() refuses, and keys too large for BIGINT: no 500.
    page = client.get("/admin/history/Event/²")
    assert page.status_code == 200
    assert "Venue x → 99999999999999999999" in _text(page.text)
    assert client.get("/admin/history/Event/99999999999999999999999").status_code == 200
    assert client.get("/admin/history/Nope/1").status_code == 404
