"""The party page, its buttons by role and state, and find by code."""

import re

import pytest
from django.urls import reverse

from accounts.access import system_access
from accounts.models import Role
from arrivals import services
from privacy.models import AuditEntry
from tests import factories

from .conftest import web_client

pytestmark = pytest.mark.django_db


def error_messages(response) -> list[str]:
    """The texts of the error messages shown on a page."""
    return re.findall(r'<li class="error">(.*?)</li>', response.content.decode())


def test_volunteer_sees_given_names_only(volunteer, placed_party):
    page = web_client(volunteer).get(reverse("web-party", args=[placed_party.id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert placed_party.code in text
    assert "Aigerim" in text and "Timur" in text
    assert "Nurlanova" not in text
    assert "555 12 34" not in text
    assert "no-store" in page["Cache-Control"]
    assert not AuditEntry.objects.filter(action="read").exists()


@pytest.mark.parametrize("role_user", ["coordinator", "manager"])
def test_coordinator_and_shelter_manager_see_personal_data(request, role_user, placed_party):
    user = request.getfixturevalue(role_user)
    page = web_client(user).get(reverse("web-party", args=[placed_party.id]))
    text = page.content.decode()
    assert "Nurlanova" in text
    assert "+7 701 555 12 34" in text
    assert AuditEntry.objects.filter(action="read", object_id=str(placed_party.id)).exists()


def test_placement_shown_in_city_timezone(volunteer, placed_party):
    placement = placed_party.placements.get()
    page = web_client(volunteer).get(reverse("web-party", args=[placed_party.id]))
    from zoneinfo import ZoneInfo

    local = placement.held_until.astimezone(ZoneInfo("Asia/Oral"))
    assert local.strftime("%H:%M") in page.content.decode()


def test_buttons_by_role_and_state(volunteer, coordinator, manager, placed_party):
    url = reverse("web-party", args=[placed_party.id])
    check_in = reverse("web-party-check-in", args=[placed_party.id]).encode()
    cancel = reverse("web-party-cancel", args=[placed_party.id]).encode()
    volunteer_page = web_client(volunteer).get(url).content
    assert check_in not in volunteer_page
    assert cancel not in volunteer_page
    assert b"Cancel this registration" not in volunteer_page
    manager_page = web_client(manager).get(url).content
    assert check_in in manager_page
    assert cancel not in manager_page  # only coordinators cancel (docs/api-reference.md)
    coordinator_page = web_client(coordinator).get(url).content
    assert check_in in coordinator_page
    assert cancel in coordinator_page
    assert b"Cancel this registration" in coordinator_page


def test_superuser_sees_the_cancel_button(db, placed_party):
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    page = web_client(superuser).get(reverse("web-party", args=[placed_party.id])).content
    assert reverse("web-party-cancel", args=[placed_party.id]).encode() in page


def test_manager_checks_in_and_out(manager, placed_party, space):
    client = web_client(manager)
    response = client.post(reverse("web-party-check-in", args=[placed_party.id]))
    assert response.status_code == 302
    placed_party.refresh_from_db()
    assert placed_party.status == "checked_in"
    page = client.get(response["Location"])
    assert b"checked in" in page.content
    assert reverse("web-party-check-out", args=[placed_party.id]).encode() in page.content
    # Check-out asks first (arrivals.web_shelter.party_check_out), then frees the beds.
    asked = client.post(reverse("web-party-check-out", args=[placed_party.id]))
    assert b"Yes, check out" in asked.content
    client.post(reverse("web-party-check-out", args=[placed_party.id]), {"confirm": "yes"})
    placed_party.refresh_from_db()
    space.refresh_from_db()
    assert placed_party.status == "departed"
    assert space.beds_occupied == 0


def test_volunteer_may_not_check_in(volunteer, placed_party):
    response = web_client(volunteer).post(reverse("web-party-check-in", args=[placed_party.id]))
    assert response.status_code == 403
    placed_party.refresh_from_db()
    assert placed_party.status == "placed"


def test_manager_of_another_shelter_may_not_act(other_manager, placed_party):
    client = web_client(other_manager)
    assert client.post(reverse("web-party-check-in", args=[placed_party.id])).status_code == 404
    # Cancelling is refused by role before the party is looked up, as in the API.
    assert client.post(reverse("web-party-cancel", args=[placed_party.id])).status_code == 403
    placed_party.refresh_from_db()
    assert placed_party.status == "placed"


def test_cancel_of_a_departed_party_is_a_message(coordinator, placed_party):
    services.party_check_in(party_id=placed_party.id, access=system_access("t"))
    services.party_check_out(party_id=placed_party.id, access=system_access("t"))
    client = web_client(coordinator)
    page = client.get(reverse("web-party", args=[placed_party.id]))
    assert page.status_code == 200
    assert reverse("web-party-cancel", args=[placed_party.id]).encode() not in page.content
    response = client.post(reverse("web-party-cancel", args=[placed_party.id]), follow=True)
    assert response.status_code == 200  # departed: the service refuses, shown as a message
    assert error_messages(response) == ["The party has departed."]
    placed_party.refresh_from_db()
    assert placed_party.status == "departed"


def test_conflict_is_a_message_not_a_500(coordinator, party):
    client = web_client(coordinator)
    response = client.post(reverse("web-party-check-in", args=[party.id]), follow=True)
    assert response.status_code == 200
    assert error_messages(response) == ["The party has no bed yet."]
    party.refresh_from_db()
    assert party.status == "waiting"


def test_coordinator_cancels_with_a_reason(coordinator, placed_party, space):
    client = web_client(coordinator)
    response = client.post(
        reverse("web-party-cancel", args=[placed_party.id]), {"reason": "went on to Aktobe"}
    )
    assert response.status_code == 302
    placed_party.refresh_from_db()
    space.refresh_from_db()
    assert placed_party.status == "cancelled"
    assert space.beds_held == 0
    assert placed_party.events.last().reason == "went on to Aktobe"
    again = client.post(reverse("web-party-cancel", args=[placed_party.id]), follow=True)
    assert again.status_code == 200
    assert error_messages(again) == ["The party was cancelled."]


@pytest.mark.parametrize("role_user", ["volunteer", "manager"])
def test_volunteer_and_manager_may_not_cancel(request, role_user, placed_party, space):
    """Only coordinators cancel (docs/api-reference.md); the manager runs the party's shelter."""
    client = web_client(request.getfixturevalue(role_user))
    space.refresh_from_db()
    held = space.beds_held
    response = client.post(
        reverse("web-party-cancel", args=[placed_party.id]), {"reason": "changed their mind"}
    )
    assert response.status_code == 403
    placed_party.refresh_from_db()
    space.refresh_from_db()
    assert placed_party.status == "placed"
    assert space.beds_held == held == 2
    assert not placed_party.events.filter(to_status="cancelled").exists()
    assert placed_party.placements.get().status == "held"


def test_volunteer_may_not_cancel_a_waiting_party_they_registered(volunteer, city):
    party = factories.PartyFactory(city=city, created_by=volunteer)
    client = web_client(volunteer)
    assert reverse("web-party-cancel", args=[party.id]).encode() not in (
        client.get(reverse("web-party", args=[party.id])).content
    )
    assert client.post(reverse("web-party-cancel", args=[party.id])).status_code == 403
    party.refresh_from_db()
    assert party.status == "waiting"


def test_superuser_may_cancel(db, party):
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    response = web_client(superuser).post(reverse("web-party-cancel", args=[party.id]))
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.status == "cancelled"


def test_action_next_stays_on_this_site(manager, placed_party, shelter):
    client = web_client(manager)
    evil = client.post(
        reverse("web-party-check-in", args=[placed_party.id]), {"next": "https://evil.example/"}
    )
    assert evil["Location"] == reverse("web-party", args=[placed_party.id])


def test_csrf_is_checked(coordinator, party):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    response = client.post(reverse("web-party-cancel", args=[party.id]))
    assert response.status_code == 403
    party.refresh_from_db()
    assert party.status == "waiting"


def test_find_by_code(volunteer, party):
    client = web_client(volunteer)
    assert client.get(reverse("web-find")).status_code == 200
    found = client.get(reverse("web-find"), {"code": f" {party.code.lower()[:3]} {party.code[3:]}"})
    assert found.status_code == 302
    assert found["Location"] == reverse("web-party", args=[party.id])
    missing = client.get(reverse("web-find"), {"code": "ZZZZZZ"})
    assert missing.status_code == 200
    assert "No party with code “ZZZZZZ”. A code has 6 letters" in missing.content.decode()
    # Said back as typed, not with its look-alike letters read as Latin ones.
    name = client.get(reverse("web-find"), {"code": "Иванова"}).content.decode()
    assert "No party with code “Иванова”" in name
    empty = client.get(reverse("web-find"), {"code": ""})
    assert empty.status_code == 200
    long = client.get(reverse("web-find"), {"code": "X" * 500})
    assert long.status_code == 200


def test_find_by_code_typed_on_a_cyrillic_keyboard(volunteer, city):
    party = factories.PartyFactory(city=city, code="E8QBK3")
    typed = "\u0435" + "8Q" + "\u0412\u043a \u0417"  # Cyrillic e, B, k and 3 (Ze), and a space
    found = web_client(volunteer).get(reverse("web-find"), {"code": typed})
    assert found.status_code == 302
    assert found["Location"] == reverse("web-party", args=[party.id])


def test_find_does_not_reach_other_cities(other_volunteer, party):
    response = web_client(other_volunteer).get(reverse("web-find"), {"code": party.code})
    assert response.status_code == 200
    assert b"No party with code" in response.content


def test_home_by_role(volunteer, coordinator, manager, space, placed_party):
    volunteer_home = web_client(volunteer).get("/").content.decode()
    assert "Register arrivals" in volunteer_home
    assert "Find a party by code" in volunteer_home
    assert "Cinema Park" in volunteer_home
    assert reverse("web-shelter", args=[space.shelter_id]) not in volunteer_home
    coordinator_home = web_client(coordinator).get("/").content.decode()
    assert reverse("web-shelter", args=[space.shelter_id]) in coordinator_home
    manager_home = web_client(manager).get("/").content.decode()
    assert "Register arrivals" not in manager_home
    assert "Auditorium 1" in manager_home
    assert reverse("web-shelter", args=[space.shelter_id]) in manager_home


def test_home_lists_my_registrations(volunteer, city):
    factories.PartyFactory(city=city, created_by=volunteer, code="MYCODE")
    factories.PartyFactory(city=city, code="NOTMNE")
    text = web_client(volunteer).get("/").content.decode()
    assert "MYCODE" in text
    assert "NOTMNE" not in text


def test_home_counts_waiting(volunteer, city):
    factories.PartyFactory(city=city, members=[{"given_name": "A"}, {"given_name": "B"}])
    text = web_client(volunteer).get("/").content.decode()
    assert '<b class="num">2</b><span>people waiting' in text


def test_manager_with_no_shelters(db):
    user = factories.member(Role.SHELTER_MANAGER)
    assert web_client(user).get("/").status_code == 200
