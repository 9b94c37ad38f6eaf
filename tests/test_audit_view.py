"""The read-only audit log: superusers only, filters, per-object history, export."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.testclient import TestClient

from admin_app.audit import Actor, record
from admin_app.views.audit import history_url, log_url
from models import AuditEntry
from tests.auth_support import BASE, SAME_ORIGIN, add_user, sign_in

OPS = "ops@example.com"
STAFF = "staff@example.com"
LIST = "/admin/audit-entry/list"


def add_entries(engine: Engine) -> None:
    """Entries on two objects by two actors on two days (besides the sign-ins)."""
    march = [datetime(2026, 3, day, hour, tzinfo=UTC) for day, hour in ((1, 23), (2, 1), (3, 0))]
    rows = [
        ("update", "alice@example.com", "Event", "7", "Friday <b>gig</b>", march[0]),
        ("delete", "bob@example.com", "Event", "8", "Saturday gig", march[1]),
        ("accept", "alice@example.com", "EventApplication", "7", "The Band at Friday", march[2]),
    ]
    with Session(engine) as session:
        for action, actor, kind, object_id, text, when in rows:
            entry = record(
                session,
                Actor(None, actor),
                action,
                object_type=kind,
                object_id=object_id,
                object_repr=text,
            )
            entry.occurred_at = when
        session.commit()


def shown_objects(client: TestClient, query: str = "") -> list[str]:
    """The object descriptions a list page shows, in order."""
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    texts = ["Friday &lt;b&gt;gig&lt;/b&gt;", "Saturday gig", "The Band at Friday"]
    found = [(response.text.find(text), text) for text in texts if text in response.text]
    return [text for _, text in sorted(found)]


def test_superuser_sees_the_log_newest_first(client: TestClient, engine: Engine) -> None:
    add_user(engine, OPS, superuser=True)
    add_entries(engine)
    sign_in(client, OPS)

    index = client.get("/admin/")
    assert "Audit log" in index.text
    assert shown_objects(client) == [
        "The Band at Friday",
        "Saturday gig",
        "Friday &lt;b&gt;gig&lt;/b&gt;",
    ]
    # User data is escaped, never rendered as markup.
    assert "<b>gig</b>" not in client.get(LIST).text


def test_venue_staff_cannot_see_the_log(client: TestClient, engine: Engine) -> None:
    add_user(engine, STAFF, staff=True)
    add_entries(engine)
    sign_in(client, STAFF)
    with Session(engine) as session:
        entry_id = session.scalar(select(func.min(AuditEntry.id)))

    assert client.get(LIST).status_code == 403
    assert client.get(f"/admin/audit-entry/details/{entry_id}").status_code == 403
    assert client.get("/admin/audit-entry/export/csv").status_code == 403
    assert "Audit log" not in client.get("/admin/account/password").text


def test_the_log_cannot_be_changed(client: TestClient, engine: Engine) -> None:
    add_user(engine, OPS, superuser=True)
    add_entries(engine)
    sign_in(client, OPS)
    with Session(engine) as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
        entry_id = session.scalar(select(func.min(AuditEntry.id)))

    assert client.get("/admin/audit-entry/create").status_code == 403
    assert client.post("/admin/audit-entry/create", headers=SAME_ORIGIN).status_code == 403
    assert client.get(f"/admin/audit-entry/edit/{entry_id}").status_code == 403
    assert (
        client.post(f"/admin/audit-entry/edit/{entry_id}", headers=SAME_ORIGIN).status_code == 403
    )
    deleted = client.delete(f"/admin/audit-entry/delete?pks={entry_id}", headers=SAME_ORIGIN)
    assert deleted.status_code == 403
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_filters_and_search(client: TestClient, engine: Engine) -> None:
    add_user(engine, OPS, superuser=True)
    add_entries(engine)
    sign_in(client, OPS)

    assert shown_objects(client, "action=delete") == ["Saturday gig"]
    assert shown_objects(client, "object_type=EventApplication") == ["The Band at Friday"]
    assert shown_objects(client, "actor_email=ALICE") == [
        "The Band at Friday",
        "Friday &lt;b&gt;gig&lt;/b&gt;",
    ]
    assert shown_objects(client, "occurred_from=2026-03-02&occurred_to=2026-03-02") == [
        "Saturday gig"
    ]
    assert shown_objects(client, "occurred_to=2026-03-01") == ["Friday &lt;b&gt;gig&lt;/b&gt;"]
    assert shown_objects(client, "occurred_from=not-a-date") != []
    assert shown_objects(client, "search=bob@") == ["Saturday gig"]


def test_history_url_lists_one_objects_entries(client: TestClient, engine: Engine) -> None:
    add_user(engine, OPS, superuser=True)
    add_entries(engine)
    sign_in(client, OPS)
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [],
            "query_string": b"",
            "scheme": "http",
            "server": ("testserver", 80),
            "root_path": "",
            "app": client.app,
            "router": client.app.router,  # type: ignore[attr-defined]
        }
    )

    url = log_url(request, "Event", 7)

    assert url == f"{BASE}{LIST}?object_type=Event&object_id=7"
    assert shown_objects(client, url.split("?", 1)[1]) == ["Friday &lt;b&gt;gig&lt;/b&gt;"]
    # The list links each object to that object's history page.
    assert history_url(request, "Event", 8) == f"{BASE}/admin/history/Event/8"
    assert 'href="http://testserver/admin/history/Event/8"' in client.get(LIST).text


def test_superuser_can_export(client: TestClient, engine: Engine) -> None:
    add_user(engine, OPS, superuser=True)
    add_entries(engine)
    sign_in(client, OPS)

    response = client.get("/admin/audit-entry/export/csv?action=update")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "Friday <b>gig</b>" in response.text
    assert "<a href" not in response.text
    assert "Saturday gig" not in response.text


def test_the_list_fits_a_desk_and_names_link_to_their_history(
    client: TestClient, engine: Engine
) -> None:
    """When, action, actor, object type and object: the object's id and the client address
    are on the entry's page and in the export, not columns pushing the list off screen."""
    add_user(engine, OPS, superuser=True)
    add_entries(engine)
    sign_in(client, OPS)

    page = client.get(LIST).text
    headers = re.findall(r"<th[^>]*>(?:<a [^>]*>)?(?:<i [^>]*></i> )?([^<]+)", page)
    assert [h.strip() for h in headers if h.strip()] == [
        "When",
        "Action",
        "Actor",
        "Object type",
        "Object",
    ]
    assert '<a href="http://testserver/admin/history/Event/8">Saturday gig</a>' in page

    exported = client.get("/admin/audit-entry/export/csv").text.splitlines()[0]
    assert "Object id" in exported
    assert "From address" in exported
