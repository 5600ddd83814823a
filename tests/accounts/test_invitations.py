"""Invitations: a one-time link, made by a coordinator (page or API), that lets a person
choose a username and password and join a city in a role, for 48 hours."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.access import access_for_user
from accounts.models import Invitation, Membership, Role
from accounts.selectors import invitation_digest
from accounts.services import invitation_accept, invitation_create
from tests import factories

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "tulip-harbour-seventeen"


def _token(path: str) -> str:
    match = re.fullmatch(r"/join/([A-Za-z0-9_-]+)/", path)
    assert match, path
    return match.group(1)


def test_create_stores_only_a_digest_and_expires_in_48_hours(coordinator, city):
    before = timezone.now()
    invitation, path = invitation_create(
        created_by=coordinator, city=city, role=Role.VOLUNTEER, email_or_note="  Aigerim  "
    )
    token = _token(path)
    stored = Invitation.objects.get(pk=invitation.pk)
    assert stored.digest == invitation_digest(token)
    assert token not in {stored.digest, stored.email_or_note}
    assert stored.email_or_note == "Aigerim"
    assert (
        timedelta(hours=47, minutes=59)
        < stored.expires_at - before
        <= timedelta(hours=48, seconds=5)
    )


def test_accept_makes_a_member_once(coordinator, city):
    _invitation, path = invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    membership = invitation_accept(token=_token(path), username="dana", password=GOOD_PASSWORD)
    assert membership.role == Role.VOLUNTEER
    assert list(membership.cities.all()) == [city]
    assert membership.user.check_password(GOOD_PASSWORD)
    access = access_for_user(membership.user)
    assert access.city_ids == {city.pk} and access.allows("party.add")
    with pytest.raises(ValidationError):
        invitation_accept(token=_token(path), username="dana2", password=GOOD_PASSWORD)
    assert Membership.objects.filter(user__username="dana2").count() == 0


def test_manager_invitation_gives_those_shelters(coordinator, city):
    shelter = factories.ShelterFactory(city=city)
    factories.ShelterFactory(city=city)
    _invitation, path = invitation_create(
        created_by=coordinator, city=city, role=Role.SHELTER_MANAGER, shelters=[shelter]
    )
    membership = invitation_accept(token=_token(path), username="mgr", password=GOOD_PASSWORD)
    assert list(membership.shelters.all()) == [shelter]
    assert access_for_user(membership.user).shelter_ids == {shelter.pk}
    assert membership.user.is_staff


def test_refusals(coordinator, volunteer, city, other_city):
    other_shelter = factories.ShelterFactory(city=other_city)
    with pytest.raises(PermissionDenied):
        invitation_create(created_by=volunteer, city=city, role=Role.VOLUNTEER)
    with pytest.raises(PermissionDenied):
        invitation_create(created_by=coordinator, city=other_city, role=Role.VOLUNTEER)
    with pytest.raises(ValidationError) as error:
        invitation_create(created_by=coordinator, city=city, role=Role.SHELTER_MANAGER)
    assert "shelters" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        invitation_create(
            created_by=coordinator, city=city, role=Role.SHELTER_MANAGER, shelters=[other_shelter]
        )
    assert "shelters" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        invitation_create(created_by=coordinator, city=city, role="admin")
    assert "role" in error.value.message_dict
    assert Invitation.objects.count() == 0


def test_expired_or_maker_gone_is_refused(coordinator, city):
    invitation, path = invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(ValidationError):
        invitation_accept(token=_token(path), username="late", password=GOOD_PASSWORD)
    invitation, path = invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    coordinator.membership.cities.clear()
    with pytest.raises(ValidationError):
        invitation_accept(token=_token(path), username="late", password=GOOD_PASSWORD)
    assert not Membership.objects.filter(user__username="late").exists()


def test_weak_password_and_taken_username_keep_the_invitation(coordinator, city):
    _invitation, path = invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    with pytest.raises(ValidationError) as error:
        invitation_accept(token=_token(path), username="new", password="123")
    assert "password" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        invitation_accept(
            token=_token(path), username=coordinator.username.upper(), password=GOOD_PASSWORD
        )
    assert "username" in error.value.message_dict
    assert invitation_accept(token=_token(path), username="new", password=GOOD_PASSWORD)


# --- API ------------------------------------------------------------------------------


def test_api_create_and_list(coordinator_client, city, other_coordinator_client):
    shelter = factories.ShelterFactory(city=city)
    answer = coordinator_client.post(
        "/api/v1/invitations/",
        {"city": str(city.pk), "role": "shelter_manager", "shelters": [str(shelter.pk)]},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["role"] == "shelter_manager" and body["shelters"] == [str(shelter.pk)]
    assert re.fullmatch(r"http://testserver/join/[A-Za-z0-9_-]{43}/", body["url"])
    listed = coordinator_client.get("/api/v1/invitations/").json()
    assert listed["count"] == 1 and "url" not in listed["results"][0]
    assert other_coordinator_client.get("/api/v1/invitations/").json()["count"] == 0
    assert other_coordinator_client.get(f"/api/v1/invitations/{body['id']}/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"city": "nope", "role": "volunteer"},
        {"role": "volunteer"},
        {"city": None, "role": "volunteer"},
        {"city": "CITY", "role": "wizard"},
        {"city": "CITY", "role": "shelter_manager"},
        {"city": "CITY", "role": "volunteer", "email_or_note": "x" * 201},
        {"city": "CITY", "role": "volunteer", "email_or_note": "a\x00b"},
        {"city": "CITY", "role": "volunteer", "shelters": "x"},
        {"city": "CITY", "role": "volunteer", "shelters": ["SHELTER"]},
        ["CITY"],
    ],
)
def test_api_refuses_bad_input(coordinator_client, city, body):
    shelter = factories.ShelterFactory(city=city)
    if isinstance(body, dict):
        body = {key: str(city.pk) if value == "CITY" else value for key, value in body.items()}
        if body.get("shelters") == ["SHELTER"]:
            body["shelters"] = [str(shelter.pk)]
    answer = coordinator_client.post("/api/v1/invitations/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert Invitation.objects.count() == 0


def test_api_others_may_not(volunteer_client, manager_client, other_coordinator_client, city):
    body = {"city": str(city.pk), "role": "volunteer"}
    assert volunteer_client.post("/api/v1/invitations/", body, format="json").status_code == 403
    assert manager_client.post("/api/v1/invitations/", body, format="json").status_code == 403
    assert (
        other_coordinator_client.post("/api/v1/invitations/", body, format="json").status_code
        == 400
    )
    assert Invitation.objects.count() == 0


# --- Pages ----------------------------------------------------------------------------


def test_page_makes_a_link_with_qr_and_the_link_joins(coordinator, city):
    browser = Client()
    browser.force_login(coordinator)
    page = browser.get("/invitations/")
    assert page.status_code == 200
    answer = browser.post(
        "/invitations/", {"city": str(city.pk), "role": "volunteer", "email_or_note": "Aruzhan"}
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<svg" in html and 'class="qr"' in html
    url = re.search(r'value="(http://testserver/join/[^"]+)"', html).group(1)
    path = url.removeprefix("http://testserver")

    stranger = Client()
    assert stranger.get(path).status_code == 200
    refused = stranger.post(
        path, {"username": "aru", "password": GOOD_PASSWORD, "password_again": "different-x"}
    )
    assert refused.status_code == 400
    assert "The two passwords differ" in refused.content.decode()
    assert 'value="aru"' in refused.content.decode()
    joined = stranger.post(
        path, {"username": "aru", "password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD}
    )
    assert joined.status_code == 302 and joined["Location"] == "/"
    home = stranger.get("/")
    assert "Register arrivals" in home.content.decode()
    assert Membership.objects.get(user__username="aru").role == Role.VOLUNTEER
    # Used: the link no longer works, for anyone.
    assert Client().get(path).status_code == 410


def test_page_errors_keep_values_and_others_get_403(coordinator, volunteer, city):
    browser = Client()
    browser.force_login(coordinator)
    answer = browser.post(
        "/invitations/", {"city": str(city.pk), "role": "shelter_manager", "email_or_note": "Bo"}
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "There is a problem" in html and 'value="Bo"' in html
    assert Invitation.objects.count() == 0
    volunteer_browser = Client()
    volunteer_browser.force_login(volunteer)
    assert volunteer_browser.get("/invitations/").status_code == 403
    assert volunteer_browser.post("/invitations/", {"city": str(city.pk)}).status_code == 403


@pytest.mark.parametrize("token", ["x", "a" * 43, "../../etc", "%00" * 20, "é" * 30])
def test_unknown_links_answer_404(token, db):
    assert Client().get(f"/join/{token}/").status_code == 404
    assert Client().post(f"/join/{token}/", {"username": "a"}).status_code == 404


# --- Withdrawing a link ------------------------------------------------------------------


def test_api_withdraws_an_unused_invitation_and_its_link_stops(
    coordinator, coordinator_client, other_coordinator_client, volunteer_client, city
):
    invitation, path = invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    url = f"/api/v1/invitations/{invitation.pk}/revoke/"
    assert volunteer_client.post(url).status_code == 403
    assert other_coordinator_client.post(url).status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None

    answer = coordinator_client.post(url)
    assert answer.status_code == 200, answer.content
    assert answer.json()["revoked_at"] is not None
    assert coordinator_client.post(url).json()["revoked_at"] == answer.json()["revoked_at"]
    page = Client().get(path)
    assert page.status_code == 410
    assert "withdrawn" in page.content.decode()
    with pytest.raises(ValidationError):
        invitation_accept(token=_token(path), username="late", password=GOOD_PASSWORD)
    assert not Membership.objects.filter(user__username="late").exists()


def test_a_used_invitation_cannot_be_withdrawn(coordinator, coordinator_client, city):
    invitation, path = invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    invitation_accept(token=_token(path), username="dana", password=GOOD_PASSWORD)
    answer = coordinator_client.post(f"/api/v1/invitations/{invitation.pk}/revoke/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "invitation_used"
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


def test_page_withdraws_a_link(coordinator, volunteer, city):
    invitation, path = invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    withdraw = f"/invitations/{invitation.pk}/withdraw/"
    volunteer_browser = Client()
    volunteer_browser.force_login(volunteer)
    assert volunteer_browser.post(withdraw).status_code == 403
    browser = Client()
    browser.force_login(coordinator)
    assert f'action="{withdraw}"' in browser.get("/invitations/").content.decode()
    assert browser.get(withdraw).status_code == 405
    answer = browser.post(withdraw, follow=True)
    html = answer.content.decode()
    assert "Invitation withdrawn" in html and ">withdrawn<" in html
    assert f'action="{withdraw}"' not in html
    assert Client().get(path).status_code == 410
    assert (
        browser.post("/invitations/00000000-0000-0000-0000-000000000000/withdraw/").status_code
        == 404
    )
