"""The party page while a party waits (why, what to do, polling) and once placed (the
slip); the home page's last registrations; the correction page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from arrivals.models import Need, Party, PartyMember, PlacementStatus
from shelters.models import City, Space
from tests import factories

from .conftest import web_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_party(volunteer, city):
    """A waiting party the volunteer registered, of two."""
    return factories.PartyFactory(
        city=city,
        created_by=volunteer,
        contact_phone="+7 701 555 12 34",
        members=[
            {"given_name": "Aigerim", "family_name": "Nurlanova", "sex": "female"},
            {"given_name": "Timur", "age_group": "child", "sex": "male"},
        ],
    )


def member_post(rows: list[dict], **fields) -> dict:
    data = {
        "members-TOTAL_FORMS": str(len(rows)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "30",
        "pets": "0",
        "nights_needed": "1",
        "notes": "",
        **fields,
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"members-{index}-{name}"] = value
    return data


def test_a_waiting_party_says_why_and_whom_to_call(volunteer, own_party, city):
    City.objects.filter(id=city.id).update(coordinator_phone="+7 701 000 11 22")
    Party.objects.filter(id=own_party.id).update(waiting_reason="no_pet_friendly_space")
    page = web_client(volunteer).get(reverse("web-party", args=[own_party.id]))
    html = page.content.decode()
    assert "No space here takes pets" in html
    assert 'href="tel:+77010001122"' in html
    assert "data-party-poll=" in html and "berth/party.js" in html
    assert "<script>" not in html and "style=" not in html


def test_no_capacity_needs_no_call(volunteer, own_party, city):
    City.objects.filter(id=city.id).update(coordinator_phone="+7 701 000 11 22")
    Party.objects.filter(id=own_party.id).update(waiting_reason="no_capacity")
    html = web_client(volunteer).get(reverse("web-party", args=[own_party.id])).content.decode()
    assert "No free bed fits them right now" in html
    assert "tel:+77010001122" not in html


def test_the_state_the_page_polls_holds_nothing_personal(volunteer, own_party, other_volunteer):
    url = reverse("web-party-state", args=[own_party.id])
    answer = web_client(volunteer).get(url)
    assert answer.status_code == 200
    assert answer.json() == {"status": "waiting", "waiting_reason": "not_yet_matched"}
    assert "no-store" in answer["Cache-Control"] or "no-cache" in answer["Cache-Control"]
    assert web_client(other_volunteer).get(url).status_code == 404
    assert web_client().get(url).status_code == 302  # to the login page


def test_a_placed_party_shows_its_slip(volunteer, placed_party):
    html = web_client(volunteer).get(reverse("web-party", args=[placed_party.id])).content.decode()
    assert "/slip/" in html and 'class="qr"' in html
    assert "berth/party.js" not in html  # no polling once placed


def test_home_lists_the_volunteers_last_registrations(volunteer, own_party, city):
    Party.objects.filter(id=own_party.id).update(waiting_reason="no_accessible_space")
    others = factories.PartyFactory(city=city, members=[{"given_name": "Stranger"}])
    html = web_client(volunteer).get(reverse("home")).content.decode()
    assert own_party.code in html
    assert "Aigerim, Timur" in html
    assert "No wheelchair-accessible space is free" in html
    assert "Stranger" not in html and others.code not in html
    assert "Nurlanova" not in html


def test_the_correction_page_shows_the_registration_without_what_they_may_not_see(
    volunteer, own_party
):
    page = web_client(volunteer).get(reverse("web-party-edit", args=[own_party.id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Aigerim"' in html and 'value="Timur"' in html
    assert "Nurlanova" not in html and "555 12 34" not in html
    assert "family_name" not in html and "contact_phone" not in html


def test_a_correction_through_the_page(volunteer, own_party):
    rows = [
        {"given_name": "Aigerim", "sex": "female", "age_group": "adult", "needs": "wheelchair"},
        {"given_name": "Timur", "sex": "male", "age_group": "child"},
        {"given_name": "Dana", "sex": "", "age_group": "infant"},
    ]
    answer = web_client(volunteer).post(
        reverse("web-party-edit", args=[own_party.id]),
        member_post(rows, pets="1", notes="A cat", languages=["ru"], other_languages="uz"),
    )
    assert answer.status_code == 302
    assert answer["Location"] == reverse("web-party", args=[own_party.id])
    own_party.refresh_from_db()
    assert (own_party.size, own_party.pets, own_party.notes) == (3, 1, "A cat")
    assert own_party.languages == ["ru", "uz"]
    # Shown again by name, ticked or typed, and read back the same.
    again = web_client(volunteer).get(reverse("web-party-edit", args=[own_party.id]))
    assert 'name="other_languages" value="Uzbek"' in again.content.decode()
    members = list(PartyMember.objects.filter(party=own_party).order_by("position"))
    assert members[0].family_name == "Nurlanova"  # not shown, so kept
    assert members[0].needs == ["wheelchair"]
    assert members[2].sex == "unspecified"
    assert own_party.contact_phone == "+7 701 555 12 34"


def test_errors_are_shown_beside_the_fields_and_what_was_typed_stays(volunteer, own_party):
    rows = [{"given_name": "Aigerim-typed", "sex": "", "age_group": "adult"}]
    page = web_client(volunteer).post(
        reverse("web-party-edit", args=[own_party.id]), member_post(rows, pets="99")
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Aigerim-typed"' in html
    assert 'value="99"' in html
    assert html.count('class="errorlist"') == 2  # the sex and the pets
    assert '<a href="#id_members-0-sex">Person 1, Sex: ' in html  # the summary at the top
    assert '<a href="#id_pets">' in html
    own_party.refresh_from_db()
    assert own_party.size == 2 and own_party.pets == 0


def test_adding_a_row_keeps_what_was_typed(volunteer, own_party):
    rows = [{"given_name": "Aigerim", "sex": "female", "age_group": "adult"}]
    page = web_client(volunteer).post(
        reverse("web-party-edit", args=[own_party.id]),
        {**member_post(rows, notes="kept"), "add_member": "1"},
    )
    html = page.content.decode()
    assert 'value="Aigerim"' in html and "kept</textarea>" in html
    assert 'name="members-TOTAL_FORMS" value="2"' in html


def test_a_coordinator_sees_and_may_correct_the_phone_and_family_names(coordinator, own_party):
    client = web_client(coordinator)
    html = client.get(reverse("web-party-edit", args=[own_party.id])).content.decode()
    assert 'value="Nurlanova"' in html and "555 12 34" in html
    rows = [
        {"given_name": "Aigerim", "family_name": "Nurlan", "sex": "female", "age_group": "adult"}
    ]
    answer = client.post(
        reverse("web-party-edit", args=[own_party.id]),
        member_post(rows, contact_phone="+7 701 999 00 00"),
    )
    assert answer.status_code == 302
    own_party.refresh_from_db()
    assert own_party.contact_phone == "+7 701 999 00 00"
    assert own_party.members.get().family_name == "Nurlan"


def test_who_may_open_the_correction_page(volunteer, own_party, city, other_volunteer, manager):
    url = reverse("web-party-edit", args=[own_party.id])
    colleague = factories.member(Role.VOLUNTEER, cities=[city])
    assert web_client(colleague).get(url).status_code == 403
    assert web_client(other_volunteer).get(url).status_code == 404
    assert web_client(manager).get(url).status_code == 403
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert web_client(volunteer).get(url).status_code == 403
        party_page = web_client(volunteer).get(reverse("web-party", args=[own_party.id]))
        assert url not in party_page.content.decode()
    assert (
        url in web_client(volunteer).get(reverse("web-party", args=[own_party.id])).content.decode()
    )


def test_a_checked_in_party_is_not_corrected(coordinator, placed_party, space):
    placement = placed_party.placements.get()
    placement.status = PlacementStatus.CHECKED_IN
    placement.save()
    Party.objects.filter(id=placed_party.id).update(status="checked_in")
    Space.objects.filter(id=space.id).update(beds_held=0, beds_occupied=placement.beds)
    client = web_client(coordinator)
    answer = client.get(reverse("web-party-edit", args=[placed_party.id]))
    assert answer.status_code == 302
    page = client.get(answer["Location"]).content.decode()
    assert re.search(r"can be corrected", page)


@pytest.mark.parametrize("address", ["Dostyk Avenue 190, {city}", "Dostyk Avenue 190", ""])
def test_the_slip_names_the_city_once(placed_party, shelter, city, address):
    shelter.address = address.format(city=city.name)
    shelter.save(update_fields=["address"])
    html = Client().get(reverse("web-slip", args=[placed_party.slip_token])).content.decode()
    where = f"Dostyk Avenue 190, {city.name}" if address else city.name
    assert f'<p class="tight">{where}</p>' in html


def test_placing_by_hand_shows_needs_in_the_page_s_language(coordinator, city):
    party = factories.PartyFactory(
        city=city, members=[{"given_name": "Aigul", "sex": "female", "needs": ["wheelchair"]}]
    )
    client = web_client(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.get(f"/board/parties/{party.id}/place/").content.decode()
    with translation.override("ru"):
        label = str(Need.WHEELCHAIR.label)
    assert f", {label})" in html
    assert "wheelchair)" not in html
