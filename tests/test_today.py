"""The Today page (/admin/): what waits for a decision, the coming nights, the conflicts,
the menu's count, and deciding from it; scoped like every other page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.pages._today_data import COUNT_CAP, age_text, count_label
from models import AuditEntry, EventApplication
from tests.auth_support import SAME_ORIGIN, sign_in
from tests.console_views_support import count_statements
from tests.worlds import rows
from tests.worlds.today import MANAGER_A, ROOT, STAFF_A, STAFF_B, TodayWorld, local, seed_today


@pytest.fixture
def world(engine: Engine) -> TodayWorld:
    """The Today world, fresh for each test."""
    return seed_today(engine)


def today(client: TestClient, query: str = "") -> str:
    response = client.get(f"/admin/{query}")
    assert response.status_code == 200, response.text
    return response.text


def pending_ids(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-testid="pending-(\d+)"', page)}


def test_manager_sees_their_venues_pending_applications_nights_and_conflicts(
    client: TestClient, world: TodayWorld
) -> None:
    sign_in(client, MANAGER_A)
    page = today(client)
    assert pending_ids(page) == {
        world.applications["alpha_testers"],
        world.applications["alpha_spares"],
    }
    # By event date: the draft on the first night before the hold on the second.
    assert page.index("Alpha Draft") < page.index("Alpha Hold")
    assert "(Europe/Berlin)" in page
    assert "waiting just now" in page
    assert "Beta Gig" not in page
    assert "Gamma" not in page
    # The menu's count, and the coming nights with their links to the calendar day.
    assert re.search(r'data-testid="to-decide">2 to decide<', page)
    d3 = world.nights["d3"]
    assert f'data-testid="today-nights-{world.venues["A"]}"' in page
    assert f"month={d3:%Y-%m}#day-{d3.isoformat()}" in page
    assert "hold 1 · expired" in page  # the lapsed hold, said in words
    # Conflicts: the closed day (with its note), the expired hold, and the band booked
    # twice, its other event at a venue this manager cannot see left unnamed.
    assert f"{d3:%a %d %b %Y} is marked closed (Private hire)." in page
    assert 'data-testid="conflict-expired_hold"' in page
    assert "Double Band is also accepted for another venue&#39;s event" in page
    assert "Beta Late" not in page


def test_staff_of_another_venue_see_only_theirs(client: TestClient, world: TodayWorld) -> None:
    sign_in(client, STAFF_B)
    page = today(client)
    assert pending_ids(page) == {world.applications["beta_spares"]}
    assert "Alpha" not in page.replace("Alpha Hall", "")  # no Alpha event by name
    assert "is outside the opening hours 18:00-23:00 (Europe/Berlin)" in page
    assert "22:00-01:00 (+1 day)" in page
    # Naming another venue is refused like a calendar would: not found.
    assert client.get(f"/admin/?venue={world.venues['A']}").status_code == 404
    assert client.get("/admin/?venue=x").status_code == 404


def test_superuser_sees_all_and_picks_a_venue(client: TestClient, world: TodayWorld) -> None:
    sign_in(client, ROOT)
    page = today(client)
    assert pending_ids(page) == set(world.applications.values()) - {
        world.applications["double_alpha"],
        world.applications["double_beta"],
    }
    assert re.search(r'data-testid="to-decide">4 to decide<', page)
    assert "Double Band is also accepted for &#34;Beta Late&#34; (hold 1) at Beta Club" in page
    picked = today(client, f"?venue={world.venues['C']}")
    assert pending_ids(picked) == {world.applications["gamma_testers"]}
    assert "(America/New_York)" in picked
    assert 'data-testid="conflict-' not in picked  # Gamma has no conflicts
    assert re.search(r'data-testid="to-decide">4 to decide<', picked)  # the menu: all venues


def test_accept_from_today_returns_to_today(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    sign_in(client, STAFF_A)
    page = today(client)
    pk = world.applications["alpha_testers"]
    form = re.search(
        rf'decide/{pk}".*?name="version" value="(\d+)".*?name="next" value="([^"]+)"', page, re.S
    )
    assert form is not None
    version, back = form.groups()
    assert back == "/admin/"
    response = client.post(
        f"/admin/event-application/decide/{pk}",
        data={"decision": "accept", "version": version, "next": back},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/"
    after = today(client)
    assert "Accepted: The Testers → Alpha Draft." in after
    assert pk not in pending_ids(after)
    assert re.search(r'data-testid="to-decide">1 to decide<', after)
    with Session(engine) as session:
        assert session.get_one(EventApplication, pk).status == "accepted"
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(pk))
        ).all()
    assert actions == ["accept"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/elsewhere"])
def test_an_unsafe_next_is_ignored(client: TestClient, world: TodayWorld, target: str) -> None:
    sign_in(client, STAFF_A)
    pk = world.applications["alpha_spares"]
    response = client.post(
        f"/admin/event-application/decide/{pk}",
        data={"decision": "reject", "version": "1", "next": target},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/admin/event-application/details/{pk}")


@pytest.mark.parametrize("who", [MANAGER_A, ROOT])
def test_today_runs_a_fixed_number_of_statements(
    client: TestClient, engine: Engine, world: TodayWorld, who: str
) -> None:
    """2 more pending applications and shows, or 20: the same statements."""
    sign_in(client, who)
    counts = []
    d1 = world.nights["d1"]
    for batch, extra in ((0, 2), (1, 18)):
        with rows.committed(engine) as session:
            for n in range(extra):
                band = rows.band(session, f"Band {batch}-{n}")
                show = rows.event(
                    session,
                    world.venues["A"],
                    local(d1, 19) + timedelta(minutes=n),
                    local(d1, 23),
                    title=f"Show {batch}-{n}",
                    status="hold",
                    hold_rank=10 + n + 20 * batch,
                )
                rows.application(session, show, band)
                rows.application(session, show, world.bands["double"], "accepted")
        with count_statements(client) as statements:
            page = today(client)
        counts.append(len(statements))
    assert "Show 1-17" in page
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12, counts


def test_count_label_and_age_text() -> None:
    assert count_label(0) is None
    assert count_label(3) == "3 to decide"
    assert count_label(COUNT_CAP + 1) == f"{COUNT_CAP}+ to decide"
    assert age_text(timedelta(seconds=30)) == "just now"
    assert age_text(timedelta(minutes=1)) == "1 minute"
    assert age_text(timedelta(hours=5, minutes=3)) == "5 hours"
    assert age_text(timedelta(days=3, hours=2)) == "3 days"


def test_old_pending_applications_show_their_age(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    with Session(engine) as session, session.begin():
        application = session.get_one(EventApplication, world.applications["alpha_testers"])
        application.created_at = datetime.now(UTC) - timedelta(days=3, hours=1)
    sign_in(client, MANAGER_A)
    assert "waiting 3 days" in today(client)


def test_signed_out_visitors_go_to_sign_in(client: TestClient, world: TodayWorld) -> None:
    response = client.get("/admin/", follow_redirects=False)
    assert response.status_code == 302
    assert "/admin/login" in response.headers["location"]


def test_a_superuser_searches_the_venues_the_picker_leaves_out(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    with rows.committed(engine) as session:
        for n in range(55):
            rows.venue(session, f"Venue {n:03d}", city="Elsewhere")
    sign_in(client, ROOT)
    page = today(client)
    assert 'name="venue_q"' in page  # more venues than the picker lists
    found = today(client, "?venue_q=gamma")
    assert f'href="http://testserver/admin/?venue={world.venues["C"]}"' in found
