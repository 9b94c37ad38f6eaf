"""The Bands area: bands, members and availability days, on both databases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import (
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
)
from tests.console_views_support import (
    assert_same_statement_count,
    delete,
    post_form,
    sign_in_superuser,
)
from tests.worlds import rows
from tests.worlds.rows import utc


@dataclass(frozen=True)
class Seed:
    """Ids of the rows every test starts from."""

    alice: int
    bob: int
    owls: int
    trains: int
    alice_owls: int
    bob_owls: int
    alice_trains: int
    owls_may: int
    alice_may: int
    application: int


def seed(engine: Engine) -> Seed:
    """Two bands (one with two members), availability days and one application."""
    may, june = date(2030, 5, 1), date(2030, 6, 1)
    with rows.committed(engine) as session:
        alice = rows.user(session, "alice@example.com", password=None, full_name="Alice Archer")
        bob = rows.user(session, "bob@example.com", password=None, full_name="Bob Baker")
        owls = rows.band(session, "The Owls", genre="Folk", city="Bergen")
        trains = rows.band(session, "Night Trains", genre="Rock", city="Oslo")
        alice_owls = rows.member(session, owls, alice, "fiddle")
        bob_owls = rows.member(session, owls, bob, "bass")
        alice_trains = rows.member(session, trains, alice, "vocals")
        owls_may = rows.band_day(session, owls, may, "available")
        alice_may = rows.member_day(session, alice_owls, may, "available", note="free")
        venue = rows.venue(session, "Blue Room", city="Oslo", timezone="Europe/Oslo")
        gala = rows.event(
            session, venue, utc(2030, 5, 1, 18), utc(2030, 5, 1, 22), title="Spring Gala"
        )
        application = rows.application(session, gala, owls)
        rows.band_day(session, owls, june, "unavailable")
        rows.band_day(session, trains, date(2030, 5, 15), "tentative")
        rows.member_day(session, bob_owls, date(2030, 5, 2), "unavailable")
        made = (alice, bob, owls, trains, alice_owls, bob_owls, alice_trains, owls_may, alice_may)
        return Seed(*(row.id for row in (*made, application)))


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def shown(page: str, *names: str) -> list[str]:
    """Which of ``names`` the list's rows show, in the order they show them."""
    # The rows' text only: their links repeat the query string (search, filters).
    rows = re.sub(r"<[^>]*>", " ", page[page.index("<tbody") : page.index("</tbody>")])
    # Dates read "Sat 01 Jun 2030" in the list; the tests name them by their ISO form.
    rows = re.sub(
        r"\w{3} \d{2} \w{3} \d{4}",
        lambda found: datetime.strptime(found.group(0), "%a %d %b %Y").date().isoformat(),  # noqa: DTZ007 (a date)
        rows,
    )
    return sorted((name for name in names if name in rows), key=rows.index)


def assert_pickers_search_as_you_type(client: TestClient, identity: str, pickers: int) -> None:
    """The create form's relation fields are AJAX pickers, not lists of every row."""
    form = client.get(f"/admin/{identity}/create")
    assert form.status_code == 200
    assert form.text.count('data-role="select2-ajax"') == pickers
    assert "Alice Archer" not in form.text
    assert "The Owls" not in form.text


@pytest.fixture
def data(client: TestClient, engine: Engine) -> Seed:
    """A signed-in superuser and the seed rows."""
    sign_in_superuser(client, engine)
    return seed(engine)


# --- bands ------------------------------------------------------------------------------


def test_band_list_search_sort_filter_and_export(client: TestClient, data: Seed) -> None:
    listing = client.get("/admin/band/list")
    assert listing.status_code == 200
    assert shown(listing.text, "Night Trains", "The Owls") == ["Night Trains", "The Owls"]

    found = client.get("/admin/band/list", params={"search": "bergen"})
    assert shown(found.text, "Night Trains", "The Owls") == ["The Owls"]
    backwards = client.get("/admin/band/list", params={"sortBy": "name", "sort": "desc"})
    assert shown(backwards.text, "Night Trains", "The Owls") == ["The Owls", "Night Trains"]
    rock = client.get("/admin/band/list", params={"genre": "roc"})
    assert shown(rock.text, "Night Trains", "The Owls") == ["Night Trains"]

    export = client.get("/admin/band/export/csv", params={"search": "bergen"})
    assert export.status_code == 200
    assert export.text.splitlines() == [
        "ID,Name,Genre,City,Members",
        f"{data.owls},The Owls,Folk,Bergen,2",
    ]


def test_band_detail_links_members_availability_and_applications(
    client: TestClient, data: Seed
) -> None:
    response = client.get(f"/admin/band/details/{data.owls}")
    assert response.status_code == 200
    assert f'/admin/band-member/details/{data.alice_owls}"' in response.text
    assert "Alice Archer (fiddle)" in response.text
    assert f'/admin/band-availability/details/{data.owls_may}"' in response.text
    assert f'/admin/event-application/details/{data.application}"' in response.text
    assert "Spring Gala (pending)" in response.text


def test_band_create_edit_delete(client: TestClient, engine: Engine, data: Seed) -> None:
    form = client.get("/admin/band/create")
    assert form.status_code == 200
    assert 'name="members"' not in form.text
    assert 'name="applications"' not in form.text

    created = post_form(client, "/admin/band/create", {"name": "Moss", "city": "Tromsø"})
    assert created.status_code == 302
    with Session(engine) as session:
        moss = session.scalars(select(Band).where(Band.name == "Moss")).one()
        assert moss.city == "Tromsø"
        assert moss.genre is None

    # Editing the band leaves its members alone (the one-to-many trap).
    edited = post_form(client, f"/admin/band/edit/{data.owls}", {"name": "The Owls II"})
    assert edited.status_code == 302
    with Session(engine) as session:
        owls = session.get(Band, data.owls)
        assert owls is not None
        assert owls.name == "The Owls II"
        assert {m.id for m in owls.members} == {data.alice_owls, data.bob_owls}

    assert delete(client, "band", moss.id).status_code == 200
    assert count(engine, Band) == 2


def test_band_with_applications_is_not_deleted(
    client: TestClient, engine: Engine, data: Seed
) -> None:
    response = delete(client, "band", data.owls)
    assert response.status_code == 400
    assert "event applications" in response.text
    assert count(engine, Band) == 2
    assert count(engine, BandMember) == 3


@pytest.mark.parametrize(
    "name", [pytest.param("", id="blank"), pytest.param("x" * 10_000, id="long")]
)
def test_band_bad_name_is_refused(
    client: TestClient, engine: Engine, data: Seed, name: str
) -> None:
    response = post_form(client, "/admin/band/create", {"name": name})
    assert response.status_code == 400
    assert "invalid-feedback" in response.text
    edit = post_form(client, f"/admin/band/edit/{data.owls}", {"name": name})
    assert edit.status_code == 400
    with Session(engine) as session:
        assert sorted(session.scalars(select(Band.name))) == ["Night Trains", "The Owls"]


# --- members ----------------------------------------------------------------------------


def test_member_list_search_sort_filter_detail_export(client: TestClient, data: Seed) -> None:
    listing = client.get("/admin/band-member/list")
    assert listing.status_code == 200
    assert f'/admin/user/details/{data.alice}"' in listing.text
    assert f'/admin/band/details/{data.owls}"' in listing.text
    # Default order: band, then member name.
    assert shown(listing.text, "vocals", "fiddle", "bass") == ["vocals", "fiddle", "bass"]

    bob = client.get("/admin/band-member/list", params={"search": "BOB@"})
    assert shown(bob.text, "vocals", "fiddle", "bass") == ["bass"]
    by_instrument = client.get(
        "/admin/band-member/list", params={"sortBy": "instrument", "sort": "desc"}
    )
    assert shown(by_instrument.text, "vocals", "fiddle", "bass") == ["vocals", "fiddle", "bass"]
    by_band = client.get("/admin/band-member/list", params={"band": "night"})
    assert shown(by_band.text, "vocals", "fiddle", "bass") == ["vocals"]

    detail = client.get(f"/admin/band-member/details/{data.bob_owls}")
    assert detail.status_code == 200
    assert f'/admin/user/details/{data.bob}"' in detail.text
    assert "Bob Baker &lt;bob@example.com&gt;" in detail.text

    export = client.get("/admin/band-member/export/csv", params={"band": "owls"})
    assert export.text.splitlines() == [
        "Band,Member,Email,Instrument",
        "The Owls,Alice Archer,alice@example.com,fiddle",
        "The Owls,Bob Baker,bob@example.com,bass",
    ]


def test_member_create_duplicate_edit_delete(
    client: TestClient, engine: Engine, data: Seed
) -> None:
    assert_pickers_search_as_you_type(client, "band-member", 2)
    picker = client.get("/admin/band-member/ajax/lookup", params={"name": "user", "term": "bob"})
    assert picker.json() == {
        "results": [{"id": str(data.bob), "text": "Bob Baker <bob@example.com>"}]
    }

    form = {"band": str(data.trains), "user": str(data.bob), "instrument": "drums"}
    assert post_form(client, "/admin/band-member/create", form).status_code == 302
    assert count(engine, BandMember) == 4

    duplicate = post_form(client, "/admin/band-member/create", {**form, "instrument": "keys"})
    assert duplicate.status_code == 400
    assert "already in this band" in duplicate.text
    assert count(engine, BandMember) == 4

    edit = {"band": str(data.owls), "user": str(data.bob), "instrument": "cello"}
    assert post_form(client, f"/admin/band-member/edit/{data.bob_owls}", edit).status_code == 302
    assert delete(client, "band-member", data.alice_trains).status_code == 200
    with Session(engine) as session:
        rows = session.execute(select(BandMember.band_id, BandMember.instrument)).all()
    assert sorted(rows, key=str) == sorted(
        [(data.owls, "fiddle"), (data.owls, "cello"), (data.trains, "drums")], key=str
    )


# --- availability -----------------------------------------------------------------------


def test_band_availability_list_filters_detail_export(client: TestClient, data: Seed) -> None:
    url = "/admin/band-availability/list"
    days = ("2030-05-01", "2030-05-15", "2030-06-01")
    listing = client.get(url)
    assert listing.status_code == 200
    assert shown(listing.text, *days) == ["2030-06-01", "2030-05-15", "2030-05-01"]
    ascending = client.get(url, params={"sortBy": "date", "sort": "asc"})
    assert shown(ascending.text, *days) == list(days)
    assert shown(client.get(url, params={"search": "trains"}).text, *days) == ["2030-05-15"]
    assert shown(client.get(url, params={"band": "owls"}).text, *days) == [
        "2030-06-01",
        "2030-05-01",
    ]
    assert shown(client.get(url, params={"status": "tentative"}).text, *days) == ["2030-05-15"]
    # Both ends included.
    window = client.get(url, params={"date_from": "2030-04-30", "date_to": "2030-05-15"})
    assert shown(window.text, *days) == ["2030-05-15", "2030-05-01"]
    edges = client.get(url, params={"date_from": "2030-05-15", "date_to": "2030-06-01"})
    assert shown(edges.text, *days) == ["2030-06-01", "2030-05-15"]

    detail = client.get(f"/admin/band-availability/details/{data.owls_may}")
    assert detail.status_code == 200
    assert f'/admin/band/details/{data.owls}"' in detail.text

    export = client.get("/admin/band-availability/export/csv", params={"status": "available"})
    assert export.text.splitlines() == ["Band,Date,Status,Note", "The Owls,2030-05-01,available,"]


def test_band_availability_create_duplicate_edit_delete(
    client: TestClient, engine: Engine, data: Seed
) -> None:
    assert_pickers_search_as_you_type(client, "band-availability", 1)
    form = {"band": str(data.trains), "date": "2030-07-04", "status": "available", "note": "ok"}
    assert post_form(client, "/admin/band-availability/create", form).status_code == 302
    assert count(engine, BandAvailability) == 4

    duplicate = post_form(client, "/admin/band-availability/create", {**form, "note": "again"})
    assert duplicate.status_code == 400
    assert "already has an entry for that date" in duplicate.text
    bad_status = post_form(
        client, "/admin/band-availability/create", {**form, "date": "2030-07-05", "status": "maybe"}
    )
    assert bad_status.status_code == 400
    assert count(engine, BandAvailability) == 4

    edit = {"band": str(data.owls), "date": "2030-05-01", "status": "tentative", "note": ""}
    response = post_form(client, f"/admin/band-availability/edit/{data.owls_may}", edit)
    assert response.status_code == 302
    with Session(engine) as session:
        day = session.get(BandAvailability, data.owls_may)
        assert day is not None
        assert day.status == "tentative"
        assert day.note is None
    assert delete(client, "band-availability", data.owls_may).status_code == 200
    assert count(engine, BandAvailability) == 3


def test_member_availability_list_filters_detail_export(client: TestClient, data: Seed) -> None:
    url = "/admin/band-member-availability/list"
    listing = client.get(url)
    assert listing.status_code == 200
    assert shown(listing.text, "Alice Archer", "Bob Baker") == ["Bob Baker", "Alice Archer"]
    assert shown(client.get(url, params={"member": "alice"}).text, "Alice", "Bob") == ["Alice"]
    assert shown(client.get(url, params={"band": "trains"}).text, "Alice", "Bob") == []
    assert shown(client.get(url, params={"search": "free"}).text, "Alice", "Bob") == ["Alice"]
    assert shown(client.get(url, params={"status": "unavailable"}).text, "Alice", "Bob") == ["Bob"]
    assert shown(client.get(url, params={"date_to": "2030-05-01"}).text, "Alice", "Bob") == [
        "Alice"
    ]
    by_member = client.get(url, params={"sortBy": "band_member.user.full_name"})
    assert shown(by_member.text, "Alice", "Bob") == ["Alice", "Bob"]

    detail = client.get(f"/admin/band-member-availability/details/{data.alice_may}")
    assert detail.status_code == 200
    assert f'/admin/band-member/details/{data.alice_owls}"' in detail.text
    assert "Alice Archer (The Owls)" in detail.text

    export = client.get("/admin/band-member-availability/export/csv", params={"member": "bob"})
    assert export.text.splitlines() == [
        "Band,Member,Date,Status,Note",
        "The Owls,Bob Baker,2030-05-02,unavailable,",
    ]


def test_member_availability_create_duplicate_edit_delete(
    client: TestClient, engine: Engine, data: Seed
) -> None:
    assert_pickers_search_as_you_type(client, "band-member-availability", 1)
    picker = client.get(
        "/admin/band-member-availability/ajax/lookup",
        params={"name": "band_member", "term": "trains"},
    )
    assert picker.json() == {
        "results": [{"id": str(data.alice_trains), "text": "Alice Archer (Night Trains)"}]
    }
    form = {"band_member": str(data.alice_trains), "date": "2030-08-01", "status": "tentative"}
    url = "/admin/band-member-availability"
    assert post_form(client, f"{url}/create", form).status_code == 302
    duplicate = post_form(client, f"{url}/create", form)
    assert duplicate.status_code == 400
    assert "already has an entry for that date" in duplicate.text
    assert count(engine, BandMemberAvailability) == 3

    # The edit form shows the current member by name in its picker.
    edit_page = client.get(f"{url}/edit/{data.alice_may}")
    assert edit_page.status_code == 200
    assert "Alice Archer (The Owls)" in edit_page.text
    edit = {"band_member": str(data.alice_owls), "date": "2030-05-03", "status": "unavailable"}
    assert post_form(client, f"{url}/edit/{data.alice_may}", edit).status_code == 302
    with Session(engine) as session:
        day = session.get(BandMemberAvailability, data.alice_may)
        assert day is not None
        assert (day.date, day.status) == (date(2030, 5, 3), "unavailable")
    assert delete(client, "band-member-availability", data.alice_may).status_code == 200
    assert count(engine, BandMemberAvailability) == 2


# --- cost ---------------------------------------------------------------------------------


def add_many(engine: Engine, bands: int) -> None:
    """``bands`` bands with a member, a band day and a member day each."""
    day = date(2030, 1, 1)
    with rows.committed(engine) as session:
        for i in range(bands):
            player = rows.user(
                session, f"player{i:02d}@example.com", password=None, full_name=f"Player {i:02d}"
            )
            band = rows.band(session, f"Band {i:02d}", genre="Jazz", city="Oslo")
            rows.band_day(session, band, day, "available")
            rows.member_day(session, rows.member(session, band, player, "sax"), day, "available")


@pytest.mark.parametrize(
    "identity", ["band", "band-member", "band-availability", "band-member-availability"]
)
def test_list_statement_count_does_not_grow_with_page_size(
    client: TestClient, engine: Engine, identity: str
) -> None:
    sign_in_superuser(client, engine)
    add_many(engine, 30)
    assert_same_statement_count(client, f"/admin/{identity}/list")
