"""The hold ladder over HTTP: the event form's ranks and expiry, expired holds on the pages,
the release offer after a confirmation, and the match page's refusals. SQLite and
PostgreSQL; what the user sees and what the database holds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import AuditEntry, Event
from tests.auth_support import SAME_ORIGIN, sign_in
from tests.console_views_support import event_form, post_form
from tests.worlds import rows
from tests.worlds.site import BERLIN, MONTH, Site, add_event, at, build_site, post

NIGHT = date(2030, 4, 12)
EVIL = {"Origin": "https://evil.example"}


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


def hold_form(site: Site, title: str, **overrides: str) -> dict[str, str]:
    defaults = {
        "title": title,
        "status": "hold",
        "starts_at": "2030-04-12T20:00",
        "ends_at": "2030-04-12T23:00",
        "hold_expires_at": "",
    }
    return event_form(site.venue_a, **(defaults | overrides))


def stored(engine: Engine, title: str) -> Event:
    with Session(engine, expire_on_commit=False) as session:
        event = session.scalars(select(Event).where(Event.title == title)).one()
        session.expunge(event)
        return event


def test_the_event_form_ranks_holds_and_refuses_a_taken_rank(
    client: TestClient, engine: Engine, site: Site
) -> None:
    sign_in(client, site.manager_a)
    for title in ("First", "Second"):
        saved = post_form(client, "/admin/event/create", hold_form(site, title))
        assert saved.status_code == 302, saved.text
    assert (stored(engine, "First").hold_rank, stored(engine, "Second").hold_rank) == (1, 2)

    first = stored(engine, "First")
    refused = post_form(client, "/admin/event/create", hold_form(site, "Third", hold_rank="1"))
    assert refused.status_code == 400
    assert (
        f"Hold 1 on Fri 12 Apr 2030 is already &#34;First&#34; (event {first.id}); two holds "
        "cannot share a rank on one night. Leave the rank empty for the next free one (3)."
    ) in refused.text
    with Session(engine) as session:
        assert session.scalar(select(Event).where(Event.title == "Third")) is None

    # Editing a hold keeps its own rank; moving it onto a taken one is refused.
    second = stored(engine, "Second")
    edit = f"/admin/event/edit/{second.id}"
    version = str(second.version)
    kept = post_form(client, edit, hold_form(site, "Second", hold_rank="2", version=version))
    assert kept.status_code == 302, kept.text
    version = str(stored(engine, "Second").version)
    clash = post_form(client, edit, hold_form(site, "Second", hold_rank="1", version=version))
    assert clash.status_code == 400
    assert "is already &#34;First&#34;" in clash.text
    assert stored(engine, "Second").hold_rank == 2


def test_a_hold_saved_as_a_draft_or_moved_to_another_night_leaves_its_ladder(
    client: TestClient, engine: Engine, site: Site
) -> None:
    sign_in(client, site.staff_a)
    for title in ("One", "Two", "Three"):
        assert post_form(client, "/admin/event/create", hold_form(site, title)).status_code == 302
    one = stored(engine, "One")
    form = hold_form(site, "One", status="draft", version=str(one.version))
    assert post_form(client, f"/admin/event/edit/{one.id}", form).status_code == 302
    assert [stored(engine, t).hold_rank for t in ("One", "Two", "Three")] == [None, 1, 2]

    two = stored(engine, "Two")
    moved = hold_form(
        site,
        "Two",
        starts_at="2030-04-13T20:00",
        ends_at="2030-04-13T23:00",
        version=str(two.version),
    )
    assert post_form(client, f"/admin/event/edit/{two.id}", moved).status_code == 302
    # Alone on its new night it keeps rank 1 (free there); Three moves up at home.
    assert [stored(engine, t).hold_rank for t in ("Two", "Three")] == [1, 1]
    with Session(engine) as session:
        promoted = session.scalars(
            select(AuditEntry.actor_email).where(AuditEntry.action == "promote_hold")
        )
        assert list(promoted) == [site.staff_a] * 3


def test_the_hold_expiry_is_entered_in_venue_time_and_only_for_holds(
    client: TestClient, engine: Engine, site: Site
) -> None:
    sign_in(client, site.staff_a)
    form = hold_form(site, "Option", hold_expires_at="2030-04-05T18:00")
    assert post_form(client, "/admin/event/create", form).status_code == 302
    option = stored(engine, "Option")
    assert option.hold_expires_at == at(BERLIN, date(2030, 4, 5), 18)  # 16:00 UTC (CEST)
    edit = client.get(f"/admin/event/edit/{option.id}")
    assert 'value="2030-04-05T18:00"' in edit.text

    draft = event_form(
        site.venue_a, title="Draft", status="draft", hold_expires_at="2030-04-05T18:00"
    )
    assert post_form(client, "/admin/event/create", draft).status_code == 302
    assert stored(engine, "Draft").hold_expires_at is None
    assert stored(engine, "Draft").hold_rank is None


def test_expired_holds_say_so_on_the_list_the_page_and_the_calendar(
    client: TestClient, engine: Engine, site: Site
) -> None:
    with rows.committed(engine) as session:
        lapsed = rows.event(
            session,
            site.venue_a,
            at(BERLIN, NIGHT, 20),
            at(BERLIN, NIGHT, 23),
            title="Lapsed option",
            status="hold",
            hold_rank=1,
            hold_expires_at=datetime.now(UTC) - timedelta(hours=1),
        ).id
    add_event(
        engine, site.venue_a, NIGHT, hour=21, title="Fresh option", status="hold", hold_rank=2
    )
    sign_in(client, site.staff_a)

    listing = client.get("/admin/event/list")
    assert "hold 1, expired" in listing.text
    assert "hold 2<" in listing.text or "hold 2\n" in listing.text
    details = client.get(f"/admin/event/details/{lapsed}")
    assert "hold 1, expired" in details.text
    assert "(expired)" in details.text
    calendar = client.get(f"/admin/calendar/venue/{site.venue_a}?month={MONTH}")
    assert ">hold 1, expired<" in calendar.text
    assert ">hold 2<" in calendar.text


def release_form(page: str) -> tuple[str, list[str]]:
    """The release offer's action and the hold ids it carries."""
    form = re.search(r'<form method="post" action="([^"]+)"\s+class="card mt-3"', page)
    assert form, "no release offer on the page"
    return form.group(1), re.findall(r'name="hold" value="(\d+)"', page)


def test_after_confirming_the_page_offers_to_release_the_other_holds(
    client: TestClient, engine: Engine, site: Site
) -> None:
    first = add_event(
        engine, site.venue_a, NIGHT, status="hold", hold_rank=1, band_id=site.band,
        application="accepted",
    )  # fmt: skip
    second = add_event(engine, site.venue_a, NIGHT, hour=21, status="hold", hold_rank=2)
    third = add_event(engine, site.venue_a, NIGHT, hour=19, status="hold", hold_rank=3)
    sign_in(client, site.manager_a)

    page = client.get(f"/admin/event/details/{first}").text
    assert 'data-testid="release-offer"' not in page  # a hold: nothing to release yet
    early = client.post(
        f"/admin/event/release-holds/{first}", data={"hold": str(second)}, headers=SAME_ORIGIN
    )
    assert early.status_code == 409
    assert "is not a confirmed event at this venue (any more): nothing was" in early.text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    confirmed = client.post(
        f"/admin/event/decide/{first}",
        data={"decision": "confirm", "version": version.group(1)},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert confirmed.status_code == 200
    assert "Release 2 other holds on this night" in confirmed.text
    assert "released: The Commas confirmed for this night" in confirmed.text
    with Session(engine) as session:  # nothing released without the click
        statuses = session.scalars(select(Event.status).where(Event.id.in_([second, third])))
        assert sorted(statuses) == ["hold", "hold"]

    action, ids = release_form(confirmed.text)
    assert sorted(ids) == sorted([str(second), str(third)])
    data = {"hold": ids}
    assert client.post(action, data=data, headers=EVIL).status_code == 403
    sign_in(client, site.staff_b)
    assert client.post(action, data=data, headers=SAME_ORIGIN).status_code == 404
    sign_in(client, site.manager_a)
    empty = client.post(action, data={}, headers=SAME_ORIGIN)
    assert empty.status_code == 400
    assert "No hold was listed to release" in empty.text

    released = client.post(action, data=data, headers=SAME_ORIGIN, follow_redirects=False)
    assert released.status_code == 303
    shown = client.get(released.headers["location"]).text
    assert "Released 2 holds: &#34;Show&#34;, &#34;Show&#34;." in shown
    assert 'data-testid="release-offer"' not in shown
    with Session(engine) as session:
        statuses = session.scalars(select(Event.status).where(Event.id.in_([second, third])))
        assert sorted(statuses) == ["cancelled", "cancelled"]
        entries = session.execute(
            select(AuditEntry.object_id, AuditEntry.actor_email, AuditEntry.changes).where(
                AuditEntry.action == "release_hold"
            )
        ).all()
    assert sorted(pk or "" for pk, _, _ in entries) == sorted([str(second), str(third)])
    assert {email for _, email, _ in entries} == {site.manager_a}
    assert {changes["reason"] for _, _, changes in entries} == {
        "released: The Commas confirmed for this night"
    }


def test_the_match_page_never_offers_a_night_the_band_is_spoken_for(
    client: TestClient, engine: Engine, site: Site
) -> None:
    """Holding (a pending application), accepted for a draft elsewhere, or playing a
    confirmed show at another venue: none of those nights is offered, nor can be held."""
    add_event(engine, site.venue_a, NIGHT, status="hold", hold_rank=1, band_id=site.band)
    add_event(
        engine, site.venue_b, NIGHT + timedelta(days=1), zone="America/New_York",
        band_id=site.band, application="accepted",
    )  # fmt: skip
    add_event(
        engine, site.venue_b, NIGHT + timedelta(days=2), zone="America/New_York",
        status="draft", band_id=site.band, application="accepted",
    )  # fmt: skip
    sign_in(client, site.staff_a)
    page = client.get(f"/admin/calendar/match?venue={site.venue_a}&band={site.band}&month={MONTH}")
    assert page.status_code == 200
    for offset in (0, 1, 2):
        assert f'data-date="{NIGHT + timedelta(days=offset)}"' not in page.text
    assert f'data-date="{NIGHT + timedelta(days=3)}"' in page.text

    reasons = {
        0: "The band already has a hold or a pending application that night.",
        1: "The band already plays a confirmed show that day.",
        2: "The band already has a hold or a pending application that night.",
    }
    for offset, reason in reasons.items():
        day = NIGHT + timedelta(days=offset)
        answer = post(
            client,
            "/admin/calendar/match/hold",
            {"venue": str(site.venue_a), "band": str(site.band), "date": day.isoformat()},
        )
        assert answer.status_code == 409
        assert reason in answer.text
    with Session(engine) as session:
        assert session.scalars(select(Event).where(Event.title.like("Hold:%"))).all() == []
