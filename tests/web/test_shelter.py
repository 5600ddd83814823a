"""The shelter manager's page: spaces and beds (a refused change comes back in place, a
large one is asked about first), open and close with a reason, parties expected and inside,
check-in with a correction of who came, check-out with a confirmation, "did not come"."""

import uuid

import pytest
from django.urls import reverse

from accounts.models import Role
from arrivals import services
from arrivals.models import Party, PartyStatus, PlacementStatus
from config.exceptions import Conflict
from shelters import services as shelter_services
from shelters.models import ShelterStatus, Space
from shelters.selectors import space_beds_change_is_large
from tests import factories

from .conftest import web_client

pytestmark = pytest.mark.django_db


def _members(party) -> list[str]:
    return list(party.members.order_by("position").values_list("given_name", flat=True))


def _member_post(rows, party, **extra) -> dict:
    """The check-in page's form as sent for `party`: its rows, and the held placement the
    page showed."""
    data = {
        "placement": str(party.placements.get(status=PlacementStatus.HELD).id),
        "members-TOTAL_FORMS": str(len(rows)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"members-{index}-{name}"] = value
    data.update(extra)
    return data


# --- The page ------------------------------------------------------------------------------


def test_manager_sees_spaces_expected_and_inside(manager, space, placed_party, city):
    inside = factories.PartyFactory(
        city=city, members=[{"given_name": "Daniyar", "diet": ["halal"], "needs": ["medical"]}]
    )
    services.placement_create(party_id=inside.id, space_id=space.id, actor="test")
    services.party_check_in(party_id=inside.id, access=services_access(manager))
    page = web_client(manager).get(reverse("web-shelter", args=[space.shelter_id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Auditorium 1" in text
    assert "Anyone" in text  # the space's policy
    assert '<svg class="bar"' in text
    assert "1 occupied · 2 held · <b>7 free</b> of 10" in text
    expected, inside_part = text.split('id="inside-title"')
    assert placed_party.code in expected and "held until" in expected
    assert reverse("web-party-arrival", args=[placed_party.id]) in expected
    assert inside.code in inside_part
    assert "Halal: 1" in inside_part and "Medical: 1" in inside_part
    assert reverse("web-party-check-out", args=[inside.id]) in inside_part
    # Given names, to find a family at the door that lost its code; never family names.
    assert "Aigerim, Timur" in expected and "Daniyar" in inside_part
    assert "Nurlanova" not in text


def test_the_page_learns_that_something_changed(manager, other_manager, volunteer, space, party):
    url = reverse("web-shelter-state", args=[space.shelter_id])
    page = web_client(manager).get(reverse("web-shelter", args=[space.shelter_id]))
    shown = page.content.decode().split('data-fingerprint="')[1].split('"')[0]
    state = web_client(manager).get(url)
    assert state.json() == {"fingerprint": shown}
    assert "no-cache" in state["Cache-Control"] or "no-store" in state["Cache-Control"]
    # The matcher places a party here: the page's question has a new answer.
    services.placement_create(party_id=party.id, space_id=space.id, actor="matcher")
    assert web_client(manager).get(url).json()["fingerprint"] != shown
    assert web_client(other_manager).get(url).status_code == 404
    assert web_client(volunteer).get(url).status_code == 403


def services_access(user):
    from accounts.access import access_for_user

    return access_for_user(user)


def test_coordinator_of_the_city_may_open_it(coordinator, space):
    response = web_client(coordinator).get(reverse("web-shelter", args=[space.shelter_id]))
    assert response.status_code == 200


def test_a_manager_sees_only_their_shelters(manager, other_manager, volunteer, space):
    url = reverse("web-shelter", args=[space.shelter_id])
    assert web_client(other_manager).get(url).status_code == 404
    assert web_client(volunteer).get(url).status_code == 403
    assert web_client().get(url).status_code == 302  # to the login page
    home = web_client(manager).get(reverse("home")).content.decode()
    assert url in home
    assert "Other gym" not in home


# --- Beds ----------------------------------------------------------------------------------


def test_edit_beds(manager, space):
    client = web_client(manager)
    response = client.post(
        reverse("web-space-beds", args=[space.id]), {"beds": "15", "version": space.version}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#space-{space.id}")
    space.refresh_from_db()
    assert space.beds == 15
    assert b"Auditorium 1: 15 beds saved." in client.get(response["Location"]).content


def test_beds_below_occupancy_comes_back_in_place_with_the_typed_number(
    manager, space, placed_party
):
    space.refresh_from_db()
    response = web_client(manager).post(
        reverse("web-space-beds", args=[space.id]), {"beds": "1", "version": space.version}
    )
    assert response.status_code == 409
    text = response.content.decode()
    field = f"space_{space.id.hex}_beds"
    # In the summary at the top (linking to the field) and next to the field, which keeps "1".
    summary = text.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert "beds cannot go below 2" in summary and f'href="#{field}"' in summary
    assert f'id="{field}_error"' in text
    assert f'id="{field}" value="1" aria-invalid="true"' in text
    space.refresh_from_db()
    assert space.beds == 10


@pytest.mark.parametrize(
    ("data", "reason", "typed"),
    [
        ({"beds": "-1", "version": "1"}, "greater than or equal to 0", "-1"),
        ({"beds": "abc", "version": "1"}, "Enter a whole number", "abc"),
        ({"beds": "10001", "version": "1"}, "less than or equal to 10000", "10001"),
        ({"beds": "", "version": "1"}, "This field is required", ""),
        ({"beds": "5"}, "out of date", "5"),
        ({"beds": "5", "version": "x"}, "out of date", "5"),
    ],
)
def test_bad_beds_input_comes_back_in_place(manager, space, data, reason, typed):
    response = web_client(manager).post(reverse("web-space-beds", args=[space.id]), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert reason in text
    assert f'id="space_{space.id.hex}_beds" value="{typed}"' in text
    space.refresh_from_db()
    assert space.beds == 10


def test_stale_form_keeps_the_number_and_saves_against_what_it_now_shows(manager, space):
    client = web_client(manager)
    old_version = space.version
    url = reverse("web-space-beds", args=[space.id])
    client.post(url, {"beds": "12", "version": old_version})
    stale = client.post(url, {"beds": "11", "version": old_version})
    assert stale.status_code == 409
    assert b"Changed by someone else" in stale.content
    space.refresh_from_db()
    assert space.beds == 12
    assert f'name="version" value="{space.version}"'.encode() in stale.content
    assert client.post(url, {"beds": "11", "version": space.version}).status_code == 302
    space.refresh_from_db()
    assert space.beds == 11


@pytest.mark.parametrize(
    ("before", "after", "large"),
    [
        (10, 19, False),
        (10, 20, True),
        (10, 10_000, True),
        (300, 400, False),
        (300, 401, True),
        (0, 100, False),
        (0, 101, True),
        (10, 5, False),
        (1, 2, True),
    ],
)
def test_which_changes_are_large(before, after, large):
    assert space_beds_change_is_large(before=before, after=after) is large


def test_a_large_change_is_asked_about_first(manager, space):
    client = web_client(manager)
    url = reverse("web-space-beds", args=[space.id])
    asked = client.post(url, {"beds": "10000", "version": space.version})
    assert asked.status_code == 200
    text = asked.content.decode()
    assert "Auditorium 1: save 10000 beds?" in text
    assert 'name="confirmed" value="True"' in text
    assert f'id="space_{space.id.hex}_beds" value="10000"' in text
    space.refresh_from_db()
    assert space.beds == 10
    saved = client.post(url, {"beds": "10000", "version": space.version, "confirmed": "True"})
    assert saved.status_code == 302
    space.refresh_from_db()
    assert space.beds == 10_000


def test_after_an_error_the_page_s_own_links_work(manager, space, placed_party):
    """A refused form is shown at the beds URL: a GET there (the language switcher's
    `next`) leads back to the shelter page, never a 405."""
    client = web_client(manager)
    beds_url = reverse("web-space-beds", args=[space.id])
    client.post(beds_url, {"beds": "-1", "version": space.version})
    back = client.get(beds_url)
    assert back.status_code == 302
    assert back["Location"].startswith(reverse("web-shelter", args=[space.shelter_id]))


def test_who_may_edit_beds(volunteer, other_manager, other_coordinator, space):
    data = {"beds": "20", "version": space.version}
    url = reverse("web-space-beds", args=[space.id])
    assert web_client(volunteer).post(url, data).status_code == 403
    assert web_client(other_manager).post(url, data).status_code == 404
    assert web_client(other_coordinator).post(url, data).status_code == 404
    space.refresh_from_db()
    assert space.beds == 10


# --- Open and close --------------------------------------------------------------------------


def test_close_with_a_reason_and_open_again(manager, shelter, coordinator):
    client = web_client(manager)
    url = reverse("web-shelter-status", args=[shelter.id])
    refused = client.post(url, {"status": "closed", "version": shelter.version, "reason": " "})
    assert refused.status_code == 400
    assert b"Say why the shelter closes" in refused.content
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.OPEN

    response = client.post(
        url, {"status": "closed", "version": shelter.version, "reason": "No heating"}, follow=True
    )
    assert response.status_code == 200
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.CLOSED
    assert shelter.status_reason == "No heating"
    assert b"Open the shelter" in response.content
    # The coordinators see the reason: on the shelter's page and in the API.
    assert (
        b"No heating"
        in web_client(coordinator).get(reverse("web-shelter", args=[shelter.id])).content
    )
    from tests.conftest import client_for

    api = client_for(coordinator).get(f"/api/v1/shelters/{shelter.id}/")
    assert api.json()["status_reason"] == "No heating"

    client.post(url, {"status": "open", "version": shelter.version})
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.OPEN
    assert shelter.status_reason == ""
    stale = client.post(url, {"status": "closed", "version": "1", "reason": "Flood"})
    assert stale.status_code == 409
    assert b"Someone else changed this shelter" in stale.content
    assert b'value="Flood"' in stale.content
    # The form sent back carries the shelter's version now: sending it again closes.
    assert f'name="version" value="{shelter.version}"'.encode() in stale.content
    again = client.post(url, {"status": "closed", "version": shelter.version, "reason": "Flood"})
    assert again.status_code == 302
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.CLOSED
    # Someone opened it in the meantime: a stale "Open" is told so, and changes nothing.
    shelter_services.shelter_update(
        shelter_id=shelter.id, data={"status": "open"}, expected_version=None
    )
    shelter.refresh_from_db()
    version = shelter.version
    late = client.post(url, {"status": "open", "version": "1"}, follow=True)
    assert b"already opened by someone else" in late.content
    shelter.refresh_from_db()
    assert (shelter.status, shelter.version) == (ShelterStatus.OPEN, version)
    long = client.post(url, {"status": "closed", "version": shelter.version, "reason": "x" * 400})
    assert long.status_code == 400
    assert b"Say why the shelter closes" not in long.content  # a reason was typed: too long
    bad = client.post(url, {"status": "burning", "version": shelter.version})
    assert bad.status_code == 400
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.OPEN


def test_a_close_from_a_page_older_than_the_closing_is_told_it_is_closed(manager, shelter):
    """Closed in another tab; this one sends "Close" without a reason: not an error on a
    reason, but that it is closed already."""
    shelter_services.shelter_update(shelter_id=shelter.id, data={"status": "closed"})
    url = reverse("web-shelter-status", args=[shelter.id])
    late = web_client(manager).post(url, {"status": "closed", "version": "1"}, follow=True)
    assert b"already closed by someone else" in late.content
    assert b"Say why the shelter closes" not in late.content


def test_closing_says_who_is_still_on_the_way(manager, shelter, placed_party):
    url = reverse("web-shelter-status", args=[shelter.id])
    closed = web_client(manager).post(
        url, {"status": "closed", "version": shelter.version, "reason": "No heating"}, follow=True
    )
    assert b"1 party on its way here is still expected" in closed.content
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.PLACED  # held as before: it may still come


def test_who_may_close(volunteer, other_manager, shelter):
    url = reverse("web-shelter-status", args=[shelter.id])
    data = {"status": "closed", "version": shelter.version, "reason": "x"}
    assert web_client(volunteer).post(url, data).status_code == 403
    assert web_client(other_manager).post(url, data).status_code == 404
    shelter.refresh_from_db()
    assert shelter.status == ShelterStatus.OPEN


# --- Arrival, check-out, did not come ---------------------------------------------------------


def test_check_in_as_registered(manager, space, placed_party):
    client = web_client(manager)
    url = reverse("web-party-arrival", args=[placed_party.id])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Aigerim" in page.content and b"Nurlanova" in page.content  # their manager
    rows = [
        {
            "given_name": "Aigerim",
            "family_name": "Nurlanova",
            "sex": "female",
            "age_group": "adult",
        },
        {"given_name": "Timur", "family_name": "Nurlanov", "age_group": "child"},
    ]
    response = client.post(url, _member_post(rows, placed_party, check_in="1"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web-shelter", args=[space.shelter_id])
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.CHECKED_IN
    space.refresh_from_db()
    assert (space.beds_occupied, space.beds_held) == (2, 0)


def test_check_in_with_a_correction_of_who_came(manager, space, placed_party):
    client = web_client(manager)
    url = reverse("web-party-arrival", args=[placed_party.id])
    # Only Aigerim came: Timur is removed (without JavaScript: the "Remove" button).
    both = [
        {
            "given_name": "Aigerim",
            "family_name": "Nurlanova",
            "sex": "female",
            "age_group": "adult",
        },
        {"given_name": "Timur", "family_name": "Nurlanov", "age_group": "child"},
    ]
    shown = client.post(url, _member_post(both, placed_party, remove_member="1"))
    assert shown.status_code == 200
    assert b"Timur" not in shown.content
    response = client.post(url, _member_post(both[:1], placed_party, check_in="1"))
    assert response.status_code == 302
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.CHECKED_IN
    assert placed_party.size == 1
    assert _members(placed_party) == ["Aigerim"]
    space.refresh_from_db()
    assert (space.beds_occupied, space.beds_held) == (1, 0)


def test_a_bad_correction_comes_back_and_checks_nobody_in(manager, space, placed_party):
    client = web_client(manager)
    url = reverse("web-party-arrival", args=[placed_party.id])
    rows = [{"given_name": "", "age_group": "adult", "sex": "female"}]
    response = client.post(url, _member_post(rows, placed_party, check_in="1"))
    assert response.status_code == 400
    assert b"There is a problem" in response.content
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.PLACED
    assert _members(placed_party) == ["Aigerim", "Timur"]


def test_a_correction_that_no_longer_fits_releases_the_hold(manager, space, placed_party):
    client = web_client(manager)
    url = reverse("web-party-arrival", args=[placed_party.id])
    rows = [{"given_name": f"P{n}", "age_group": "adult", "sex": "male"} for n in range(11)]
    response = client.post(url, _member_post(rows, placed_party, check_in="1"), follow=True)
    assert b"no space of this shelter fits them now" in response.content
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.WAITING
    space.refresh_from_db()
    assert (space.beds_occupied, space.beds_held) == (0, 0)


def test_a_party_grown_at_the_door_goes_to_another_space_of_the_shelter(
    manager, shelter, space, placed_party
):
    """Their grandmother came too: the held hall is full, the next one has room. They are
    checked in there, not sent across town."""
    factories.SpaceFactory(shelter=shelter, name="Auditorium 0", beds=2)  # too small
    men_only = factories.SpaceFactory(shelter=shelter, name="Hall M", beds=50, admits="men_only")
    other = factories.SpaceFactory(shelter=shelter, name="Auditorium 2", beds=40)
    Space.objects.filter(id=space.id).update(beds=2)  # the held hall: exactly full
    rows = [
        {"given_name": "Aigerim", "sex": "female", "age_group": "adult"},
        {"given_name": "Timur", "age_group": "child"},
        {"given_name": "Saule", "sex": "female", "age_group": "adult"},
    ]
    response = web_client(manager).post(
        reverse("web-party-arrival", args=[placed_party.id]),
        _member_post(rows, placed_party, check_in="1"),
        follow=True,
    )
    assert b"Auditorium 1 was too small for them as they came: they go to Auditorium 2." in (
        response.content
    )
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.CHECKED_IN and placed_party.size == 3
    assert placed_party.placements.get(status=PlacementStatus.CHECKED_IN).space_id == other.id
    space.refresh_from_db()
    other.refresh_from_db()
    men_only.refresh_from_db()
    assert (space.beds_held, space.beds_occupied) == (0, 0)
    assert (other.beds_held, other.beds_occupied) == (0, 3)
    assert (men_only.beds_held, men_only.beds_occupied) == (0, 0)


def test_a_page_opened_before_the_party_moved_checks_nobody_in(
    coordinator, city, space, placed_party
):
    """The check-in page showed beds in Auditorium 1; meanwhile the party did not come
    there and was placed in a school: "Check in" on the old page must not check them in
    at the school."""
    client = web_client(coordinator)
    url = reverse("web-party-arrival", args=[placed_party.id])
    rows = [{"given_name": "Aigerim", "sex": "female", "age_group": "adult"}]
    shown = _member_post(rows, placed_party, check_in="1")
    services.placement_cancel(placement_id=shown["placement"], actor="cinema")
    school = factories.SpaceFactory(
        shelter=factories.ShelterFactory(city=city, name="School 35"), name="Hall", beds=5
    )
    services.placement_create(party_id=placed_party.id, space_id=school.id, actor="matcher")

    response = client.post(url, shown, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert b"moved elsewhere since the page was opened" in response.content
    assert b"School 35" in response.content  # the page now shows where they are expected
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.PLACED
    assert _members(placed_party) == ["Aigerim", "Timur"]  # the correction was not applied
    school.refresh_from_db()
    assert (school.beds_held, school.beds_occupied) == (2, 0)


def test_a_manager_s_old_page_of_a_party_placed_elsewhere_checks_nobody_in(
    manager, city, space, placed_party
):
    """Out of this manager's reach now (did not come, then placed in a school): their old
    check-in page says so and goes back to their shelter, not a 404."""
    shown = _member_post(
        [{"given_name": "Aigerim", "sex": "female", "age_group": "adult"}],
        placed_party,
        check_in="1",
    )
    services.placement_cancel(placement_id=shown["placement"], actor="cinema")
    school = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=5)
    services.placement_create(party_id=placed_party.id, space_id=school.id, actor="matcher")
    url = reverse("web-party-arrival", args=[placed_party.id])

    response = web_client(manager).post(url, shown, follow=True)

    shelter_url = reverse("web-shelter", args=[space.shelter_id])
    assert response.redirect_chain == [(shelter_url, 302)]
    assert f"{placed_party.code} has no beds held here any more." in response.content.decode()
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.PLACED
    school.refresh_from_db()
    assert (school.beds_held, school.beds_occupied) == (2, 0)
    # Without the placement it showed (or with another party's), still a 404.
    assert web_client(manager).post(url, {}).status_code == 404


def test_check_in_of_another_placement_than_the_one_shown_is_a_conflict(
    coordinator, space, placed_party
):
    held = placed_party.placements.get()
    with pytest.raises(Conflict) as refused:
        services.party_check_in(
            party_id=placed_party.id,
            access=services_access(coordinator),
            placement_id=uuid.uuid4(),
        )
    assert refused.value.code == "placement_changed"
    services.party_check_in(
        party_id=placed_party.id, access=services_access(coordinator), placement_id=held.id
    )
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.CHECKED_IN


def test_arrival_is_only_for_the_shelter_s_staff(volunteer, other_manager, placed_party):
    url = reverse("web-party-arrival", args=[placed_party.id])
    assert web_client(volunteer).get(url).status_code == 403
    assert web_client(other_manager).get(url).status_code == 404
    assert web_client(other_manager).post(url, {}).status_code == 404


def test_check_out_asks_first(manager, space, placed_party):
    services.party_check_in(party_id=placed_party.id, access=services_access(manager))
    client = web_client(manager)
    shelter_url = reverse("web-shelter", args=[space.shelter_id])
    url = reverse("web-party-check-out", args=[placed_party.id])
    asked = client.get(f"{url}?next={shelter_url}")
    assert asked.status_code == 200
    assert b"2 beds are free at once" in asked.content
    # A post without the confirmation (the party page's button) asks too.
    assert b"Yes, check out" in client.post(url, {"next": shelter_url}).content
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.CHECKED_IN
    done = client.post(url, {"next": shelter_url, "confirm": "yes"})
    assert done["Location"] == shelter_url
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.DEPARTED
    space.refresh_from_db()
    assert space.beds_occupied == 0
    # A second tap (another tab, the back button) is told the party has left.
    again = client.post(url, {"next": shelter_url, "confirm": "yes"}, follow=True)
    assert again.redirect_chain == [(shelter_url, 302)]
    assert b"has already checked out" in again.content
    evil = web_client(manager).get(f"{url}?next=https://evil.example/")
    assert "evil.example" not in evil.get("Location", "")


def test_did_not_come_frees_the_held_beds(manager, other_manager, volunteer, space, placed_party):
    placement = placed_party.placements.get()
    url = reverse("web-placement-no-show", args=[placement.id])
    assert web_client(volunteer).post(url).status_code == 403
    assert web_client(other_manager).post(url).status_code == 404
    response = web_client(manager).post(url)
    assert response.status_code == 302
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.CANCELLED
    placed_party.refresh_from_db()
    assert placed_party.status == PartyStatus.WAITING
    space.refresh_from_db()
    assert space.beds_held == 0
    # Not twice: the hold is gone.
    again = web_client(manager).post(url, follow=True)
    assert b"has no beds held here any more" in again.content


def test_a_coordinator_may_check_in_with_a_correction(coordinator, space, placed_party):
    url = reverse("web-party-arrival", args=[placed_party.id])
    rows = [{"given_name": "Aigerim", "sex": "female", "age_group": "adult"}]
    response = web_client(coordinator).post(url, _member_post(rows, placed_party, check_in="1"))
    assert response.status_code == 302
    assert Party.objects.get(id=placed_party.id).status == PartyStatus.CHECKED_IN


def test_another_shelter_s_manager_sees_nothing_of_these_parties(city, space, placed_party):
    manager = factories.member(
        Role.SHELTER_MANAGER, shelters=[factories.ShelterFactory(city=city, name="School 5")]
    )
    assert (
        web_client(manager).get(reverse("web-party-check-out", args=[placed_party.id])).status_code
        == 404
    )
