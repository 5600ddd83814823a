"""The coordinator's city board (/board/): beds by kind and shelter, open only as free,
stale shelters flagged, the waiting by reason with placing by hand, duplicates merged or
kept, search, the chart; a constant number of queries whatever the city's size."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.access import access_for_user
from accounts.models import Role
from arrivals import services
from arrivals.models import (
    CapacitySnapshot,
    Party,
    PartyEvent,
    PartyStatus,
    Placement,
    WaitingReason,
)
from shelters.models import Admits, Shelter, ShelterKind, ShelterStatus, Space
from tests import factories
from tests.shelters.helpers import set_counters

from .conftest import web_client

pytestmark = pytest.mark.django_db

URL = "/board/"


@pytest.fixture
def board(coordinator):
    return web_client(coordinator)


def test_only_coordinators_of_the_city(city, other_coordinator, volunteer, manager):
    assert web_client(volunteer).get(URL).status_code == 403
    assert web_client(manager).get(URL).status_code == 403
    assert web_client(other_coordinator).get(URL, {"city": str(city.pk)}).status_code == 404
    assert web_client().get(URL).status_code == 302  # to the login page


@pytest.mark.parametrize(
    "params",
    [
        {"city": "nope"},
        {"city": "00000000-0000-0000-0000-000000000000"},
        {"city": "\x00"},
    ],
)
def test_a_bad_city_is_404(board, params):
    assert board.get(URL, params).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"page": "x"},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"closed_page": "0"},
        {"reason": "nonsense", "reason_page": "a"},
        {"reason": "no_capacity", "reason_page": "7"},
        {"search": "\x00" * 3},
        {"search": "a" * 5000},
    ],
)
def test_odd_parameters_still_show_the_board(board, city, params):
    assert board.get(URL, {"city": str(city.pk), **params}).status_code == 200


def test_beds_count_open_shelters_only_as_free(board, city):
    gym = factories.ShelterFactory(city=city, kind=ShelterKind.GYM, name="North gym")
    set_counters(factories.SpaceFactory(shelter=gym, beds=10), occupied=3, held=2)
    school = factories.ShelterFactory(
        city=city, kind=ShelterKind.SCHOOL, name="Old school", status=ShelterStatus.CLOSED
    )
    set_counters(factories.SpaceFactory(shelter=school, beds=40), occupied=4)
    page = board.get(URL).content.decode()
    beds = page[page.index('id="beds"') : page.index('id="chart"')]
    assert '<b class="num">5</b><span>free</span>' in beds
    assert "Closed shelters: 40 beds, not counted as free (4 occupied)." in beds
    assert "+ 40 in closed shelters" in beds
    closed = page[page.index('id="closed"') :]
    assert "Old school" in closed and "North gym" not in closed


def test_shelters_not_updated_for_12_hours_are_flagged(board, city):
    stale = factories.ShelterFactory(city=city, name="Quiet hall")
    factories.SpaceFactory(shelter=stale)
    fresh = factories.ShelterFactory(city=city, name="Busy hall")
    factories.SpaceFactory(shelter=fresh)
    long_ago = timezone.now() - timedelta(hours=13)
    Shelter.objects.filter(pk=stale.pk).update(updated_at=long_ago)
    Space.objects.filter(shelter=stale).update(updated_at=long_ago)
    page = board.get(URL).content.decode()
    assert "1 shelter not updated for 12 hours" in page
    rows = page[page.index('id="shelters"') :]
    assert rows.index("Quiet hall") < rows.index("Busy hall")  # stale ones first
    assert rows.count('class="stale"') == 1


def test_shelters_with_the_most_free_beds_come_first(board, city):
    for name, beds in (("School 10", 5), ("School 2", 80), ("Gym 1", 30)):
        factories.SpaceFactory(shelter=factories.ShelterFactory(city=city, name=name), beds=beds)
    rows = board.get(URL).content.decode()
    rows = rows[rows.index('id="shelters"') :]
    assert rows.index("School 2") < rows.index("Gym 1") < rows.index("School 10")


def test_waiting_grouped_by_reason_with_what_can_be_done(board, city):
    first = factories.PartyFactory(city=city, waiting_reason=WaitingReason.NO_CAPACITY)
    second = factories.PartyFactory(city=city, waiting_reason=WaitingReason.PARTY_TOO_LARGE)
    factories.PartyFactory(city=city, status=PartyStatus.CANCELLED, code="GONE22")
    page = board.get(URL).content.decode()
    waiting = page[page.index('id="waiting"') : page.index('id="duplicates"')]
    assert "No free beds" in waiting and "More people than any space has free beds" in waiting
    assert first.code in waiting and second.code in waiting and "GONE22" not in waiting
    assert f"/board/parties/{first.id}/place/" in waiting
    assert f"/parties/{first.id}/edit/" in waiting
    assert f"/parties/{first.id}/cancel/" in waiting
    # Told what a coordinator can do, never to call the coordinator.
    assert "Add beds to a space, or place it by hand." in waiting
    assert "Call the coordinator" not in waiting


def test_more_than_five_of_a_reason_link_to_all(board, city):
    for _ in range(12):
        factories.PartyFactory(city=city, waiting_reason=WaitingReason.NO_CAPACITY)
    page = board.get(URL).content.decode()
    assert "All 12" in page
    listed = board.get(URL, {"city": str(city.pk), "reason": "no_capacity"}).content.decode()
    waiting = listed[listed.index('id="waiting"') : listed.index('id="duplicates"')]
    assert waiting.count('class="board-party"') == 12


def _family(city):
    return factories.PartyFactory(
        city=city,
        size=2,
        members=[
            {"given_name": "Aigul", "sex": "female", "age_group": "adult"},
            {"given_name": "Timur", "sex": "male", "age_group": "child"},
        ],
    )


def test_placing_by_hand_offers_admitting_spaces_first_and_places(board, coordinator, city):
    party = _family(city)
    shelter = factories.ShelterFactory(city=city, name="Cinema")
    men = factories.SpaceFactory(shelter=shelter, name="Men", beds=5, admits=Admits.MEN_ONLY)
    wide = factories.SpaceFactory(shelter=shelter, name="Wide", beds=50)
    tight = factories.SpaceFactory(shelter=shelter, name="Tight", beds=2, admits=Admits.FAMILIES)
    factories.SpaceFactory(shelter=shelter, name="Small", beds=1)
    url = f"/board/parties/{party.id}/place/"
    page = board.get(url).content.decode()
    assert page.index("Tight") < page.index("Wide") < page.index("Men")
    assert "Small" not in page  # not enough beds
    # A space that would refuse them links to where who it admits is changed.
    assert f"/admin/shelters/space/{men.id}/change/" in page
    refused = board.post(url, {"space": str(men.id)})
    assert refused.status_code == 409
    assert not Placement.objects.filter(party=party).exists()
    assert board.post(url, {"space": "nope"}).status_code == 400
    done = board.post(url, {"space": str(tight.id)})
    assert done.status_code == 302 and done["Location"].endswith("#waiting")
    placement = Placement.objects.get(party=party)
    assert placement.space == tight and placement.created_by == coordinator.username
    party.refresh_from_db()
    assert party.status == PartyStatus.PLACED
    tight.refresh_from_db()
    assert tight.beds_held == 2
    assert wide.beds_held == 0


def test_a_shelter_that_takes_no_pets_links_to_the_shelter_where_that_is_changed(
    board, coordinator, city
):
    party = factories.PartyFactory(city=city, size=1, pets=1)
    shelter = factories.ShelterFactory(city=city, name="Gym", pets_allowed=False)
    hall = factories.SpaceFactory(shelter=shelter, name="Hall", beds=10)
    page = board.get(f"/board/parties/{party.id}/place/").content.decode()
    assert "takes no pets" in page
    # Pets are the shelter's rule: its page, not the space's (which has no such field).
    assert f"/admin/shelters/shelter/{shelter.id}/change/" in page
    assert f"/admin/shelters/space/{hall.id}/change/" not in page
    coordinator.is_staff = True  # as accounts.services.member_create makes coordinators
    coordinator.save(update_fields=["is_staff"])
    admin_page = board.get(f"/admin/shelters/shelter/{shelter.id}/change/")
    assert admin_page.status_code == 200
    assert 'name="pets_allowed"' in admin_page.content.decode()


def test_a_held_party_is_moved_from_its_page_to_another_space(board, coordinator, city):
    """The matcher held them in the dormitory; the coordinator moves them to the cinema:
    the dormitory's beds are freed, the cinema's held, the party page says where."""
    party = _family(city)
    dormitory = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=10)
    cinema = factories.SpaceFactory(
        shelter=factories.ShelterFactory(city=city, name="Cinema"), name="Hall 1", beds=10
    )
    services.placement_create(party_id=party.id, space_id=dormitory.id, actor="matcher")
    party_page = board.get(f"/parties/{party.id}/").content.decode()
    url = f"/board/parties/{party.id}/place/"
    assert url in party_page and "Move to another space" in party_page

    page = board.get(url).content.decode()
    assert "Hall 1" in page and "Move here" in page
    # Where they are held is said, not offered again.
    assert f'value="{dormitory.id}"' not in page

    done = board.post(url, {"space": str(cinema.id)})
    assert done.status_code == 302 and done["Location"] == f"/parties/{party.id}/"
    held = Placement.objects.get(party=party, status="held")
    assert held.space == cinema and held.created_by == coordinator.username
    dormitory.refresh_from_db()
    cinema.refresh_from_db()
    assert (dormitory.beds_held, cinema.beds_held) == (0, 2)
    assert "Cinema" in board.get(f"/parties/{party.id}/").content.decode()


def test_a_checked_in_party_is_not_moved_from_the_board(board, coordinator, city):
    party = _family(city)
    space = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=10)
    services.placement_create(party_id=party.id, space_id=space.id, actor="matcher")
    services.party_check_in(party_id=party.id, access=access_for_user(coordinator))
    page = board.get(f"/board/parties/{party.id}/place/").content.decode()
    assert "nothing to place" in page and "Move here" not in page


def test_others_may_not_place(city, volunteer, other_coordinator):
    party = _family(city)
    url = f"/board/parties/{party.id}/place/"
    assert web_client(volunteer).get(url).status_code == 403
    assert web_client(other_coordinator).get(url).status_code == 404


def _duplicates(city):
    first = factories.PartyFactory(city=city, contact_phone_digest="d1")
    second = factories.PartyFactory(city=city, contact_phone_digest="d1", possible_duplicate=True)
    return first, second


def test_duplicates_side_by_side_and_merged(board, coordinator, city):
    first, second = _duplicates(city)
    page = board.get(URL).content.decode()
    section = page[page.index('id="duplicates"') : page.index('id="shelters"')]
    assert first.code in section and second.code in section
    answer = board.post(
        f"/board/parties/{second.id}/duplicate/", {"choice": "merge", "keep": str(first.id)}
    )
    assert answer.status_code == 302
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == PartyStatus.CANCELLED and first.status == PartyStatus.WAITING
    event = PartyEvent.objects.get(party=second, to_status=PartyStatus.CANCELLED)
    assert event.actor == coordinator.username and first.code in event.reason
    page = board.get(URL).content.decode()
    assert "None to review." in page


def test_a_duplicate_checked_in_already_is_the_one_kept(board, coordinator, city, shelter):
    """The newer registration is the one that came: the merge offered cancels the older
    one (cancelling a party checked in is refused), and then nothing is left to review."""
    first, second = _duplicates(city)
    space = factories.SpaceFactory(shelter=shelter, beds=10)
    services.placement_create(party_id=second.id, space_id=space.id, actor="test")
    services.party_check_in(party_id=second.id, access=access_for_user(coordinator))
    page = board.get(URL).content.decode()
    section = page[page.index('id="duplicates"') : page.index('id="shelters"')]
    assert f"Merge: cancel {first.code}, keep {second.code}" in section
    assert f"Merge: cancel {second.code}" not in section
    assert f"/board/parties/{first.id}/duplicate/" in section
    board.post(f"/board/parties/{first.id}/duplicate/", {"choice": "merge", "keep": str(second.id)})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == PartyStatus.CANCELLED and second.status == PartyStatus.CHECKED_IN
    assert not second.possible_duplicate
    assert "None to review." in board.get(URL).content.decode()


def test_duplicates_kept(board, city):
    first, second = _duplicates(city)
    assert board.post(f"/board/parties/{second.id}/duplicate/", {"choice": "keep"}).status_code
    second.refresh_from_db()
    assert not second.possible_duplicate and second.status == PartyStatus.WAITING


@pytest.mark.parametrize(
    "body",
    [{}, {"choice": "merge"}, {"choice": "merge", "keep": "x"}, {"choice": "explode"}],
)
def test_duplicate_bad_input_changes_nothing(board, city, body):
    first, second = _duplicates(city)
    answer = board.post(f"/board/parties/{second.id}/duplicate/", body)
    assert answer.status_code in (302, 404)
    assert Party.objects.filter(status=PartyStatus.WAITING).count() == 2


def test_merging_a_party_into_itself_is_refused(board, city):
    first, second = _duplicates(city)
    board.post(
        f"/board/parties/{second.id}/duplicate/", {"choice": "merge", "keep": str(second.id)}
    )
    second.refresh_from_db()
    assert second.status == PartyStatus.WAITING


def test_volunteers_may_not_merge(city, volunteer):
    first, second = _duplicates(city)
    client = web_client(volunteer)
    body = {"choice": "merge", "keep": str(first.id)}
    assert client.post(f"/board/parties/{second.id}/duplicate/", body).status_code == 403
    second.refresh_from_db()
    assert second.status == PartyStatus.WAITING


def test_search(board, city, other_city):
    factories.PartyFactory(city=city, members=[{"given_name": "Saule"}])
    factories.PartyFactory(city=other_city, members=[{"given_name": "Saule"}])
    page = board.get(URL, {"city": str(city.pk), "search": "saul"}).content.decode()
    assert "1 party found" in page
    page = board.get(URL, {"city": str(city.pk), "search": "Zzz"}).content.decode()
    assert "Nothing matches" in page


def test_chart_of_the_last_days(board, city):
    page = board.get(URL).content.decode()
    assert "No figures recorded yet" in page
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for hours in range(30):
        CapacitySnapshot.objects.create(
            city=city,
            at=now - timedelta(hours=hours),
            beds=10,
            beds_free=hours,
            beds_free_open=hours,
            beds_held=0,
            beds_occupied=0,
            waiting_parties=1,
            waiting_people=2,
        )
    page = board.get(URL).content.decode()
    assert '<svg class="chart"' in page and page.count("<polyline") == 2
    free, waiting = _live(city)
    # The chart ends at the board's own figures, not at the last hourly snapshot.
    assert f"Free beds (open shelters): now {free}, highest 29, lowest 0." in page
    assert f"People waiting: now {waiting}, highest {max(waiting, 2)}" in page
    factories.SpaceFactory(shelter__city=city, beds=7)
    factories.PartyFactory(city=city, members=[{"given_name": n} for n in ("A", "B", "C")])
    page = board.get(URL).content.decode()
    assert _live(city) == (free + 7, waiting + 3)
    assert f"Free beds (open shelters): now {free + 7}, highest 29, lowest 0." in page
    assert f"People waiting: now {waiting + 3}, highest {max(waiting + 3, 2)}" in page


def _live(city) -> tuple[int, int]:
    """Free beds in open shelters and people waiting, counted from the rows."""
    free = sum(
        space.beds - space.beds_held - space.beds_occupied
        for space in Space.objects.filter(shelter__city=city, shelter__status=ShelterStatus.OPEN)
    )
    waiting = sum(
        Party.objects.filter(city=city, status=PartyStatus.WAITING).values_list("size", flat=True)
    )
    return free, waiting


def test_coordinator_home_links_waiting_to_the_board(coordinator, city):
    factories.PartyFactory(city=city)
    page = web_client(coordinator).get("/").content.decode()
    assert f'href="/board/?city={city.pk}#waiting"' in page


def _fill(city, shelters: int, parties: int):
    kinds = list(ShelterKind)
    created = Shelter.objects.bulk_create(
        Shelter(
            city=city,
            name=f"S{city.name}{n}",
            kind=kinds[n % len(kinds)],
            status=ShelterStatus.CLOSED if n % 10 == 0 else ShelterStatus.OPEN,
        )
        for n in range(shelters)
    )
    Space.objects.bulk_create(Space(shelter=shelter, name="Hall", beds=20) for shelter in created)
    reasons = list(WaitingReason)
    for n in range(parties):
        party = factories.PartyFactory(
            city=city,
            waiting_reason=reasons[n % len(reasons)],
            contact_phone_digest=f"p{n // 2}",
            possible_duplicate=n % 2 == 1,
        )
        if n % 3 == 0:
            Party.objects.filter(pk=party.pk).update(status=PartyStatus.DEPARTED)
    for hours in range(48):
        CapacitySnapshot.objects.create(
            city=city,
            at=timezone.now() - timedelta(hours=hours),
            beds=1,
            beds_free=1,
            beds_free_open=1,
            beds_held=0,
            beds_occupied=0,
            waiting_parties=0,
            waiting_people=0,
        )


def _queries(client, city, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(URL, {"city": str(city.pk), **params})
    assert answer.status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"search": "Alex"}, {"reason": "no_capacity"}])
def test_the_number_of_queries_does_not_grow_with_the_city(params):
    small, large = factories.CityFactory(), factories.CityFactory()
    _fill(small, shelters=3, parties=4)
    _fill(large, shelters=120, parties=90)
    coordinator = factories.member(Role.COORDINATOR, cities=[small, large])
    client = web_client(coordinator)
    client.get(URL, {"city": str(small.pk)})  # the session and caches, once
    assert _queries(client, small, **params) == _queries(client, large, **params)


def test_home_counts_only_open_shelters_as_free(coordinator, city):
    set_counters(factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=10))
    closed = factories.ShelterFactory(city=city, status=ShelterStatus.CLOSED)
    set_counters(factories.SpaceFactory(shelter=closed, beds=30), occupied=2)
    page = web_client(coordinator).get("/").content.decode()
    assert '<b class="num">10</b><span>free beds</span>' in page
    assert "Closed shelters: 30 beds, not counted as free (2 occupied)." in page
