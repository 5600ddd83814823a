"""The host offer pages: the public form (no login, the robots' trap, the per-address
limit shared with the API, errors by field and in a summary, typed values kept) and the
coordinators' list (the host's phone to tap, accept with the invitation link and its QR
code, decline), on the same services as the API."""

import uuid
from datetime import date, timedelta

import pytest
from django.test import Client

from accounts.models import Invitation
from privacy.models import AuditAction, AuditEntry
from shelters import services
from shelters.models import HostOffer, HostOfferStatus, ShelterKind, ShelterStatus
from tests import factories

from .conftest import web_client

pytestmark = pytest.mark.django_db

NEW = "/offer-a-home/"
LIST = "/host-offers/"


def form_data(city, /, **overrides) -> dict:
    today = services.host_offer_city_today(city)
    data = {
        "city": str(city.id),
        "address": "Abai Avenue 12, flat 5",
        "beds": "3",
        "available_from": today.isoformat(),
        "available_until": (today + timedelta(days=10)).isoformat(),
        "pets_allowed": "on",
        "host_name": "Gulnara Sadykova",
        "contact_phone": "+7 701 555-12-34",
        "notes": "Third floor",
        "website": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def offer(city):
    return services.host_offer_submit(
        data={
            "city": city,
            "host_name": "Gulnara Sadykova",
            "contact_phone": "+7 701 555-12-34",
            "address": "Abai Avenue 12",
            "beds": 2,
        }
    )


def test_the_public_form_opens_without_login(city):
    page = Client().get(NEW)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="website"' in html  # the trap is there, hidden by the stylesheet
    assert city.name in html
    assert page["Cache-Control"].startswith("max-age=0")


def test_the_only_city_is_chosen_already_and_of_several_none(city):
    selected = f'<option value="{city.id}" selected>'
    assert selected in Client().get(NEW).content.decode()
    factories.CityFactory()
    assert selected not in Client().get(NEW).content.decode()


def test_a_resident_offers_an_apartment(city):
    client = Client()
    response = client.post(NEW, form_data(city))
    assert response.status_code == 302
    assert response["Location"] == "/offer-a-home/thanks/"
    offer = HostOffer.objects.get()
    assert (offer.host_name, offer.beds, offer.pets_allowed) == ("Gulnara Sadykova", 3, True)
    assert offer.wheelchair_accessible is False
    assert client.get(response["Location"]).status_code == 200


def test_errors_stand_next_to_their_fields_and_in_a_summary_and_typed_values_stay(city):
    today = services.host_offer_city_today(city)
    response = Client().post(
        NEW,
        form_data(
            city,
            beds="0",
            contact_phone="call me",
            available_from=(today + timedelta(days=5)).isoformat(),
            available_until=(today + timedelta(days=1)).isoformat(),
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="host-error-summary"' in html
    assert 'href="#id_beds"' in html and 'href="#id_contact_phone"' in html
    assert 'href="#id_available_until"' in html
    assert "The end is before the start." in html
    # The label asks a question: its error follows it as a sentence, not after "?:".
    assert "How many people can sleep there? " in html
    assert "At least 1 person." in html  # said of the beds, not of "the value"
    assert "there?:" not in html
    assert 'value="Gulnara Sadykova"' in html  # typed values kept
    assert 'value="Abai Avenue 12, flat 5"' in html
    assert not HostOffer.objects.exists()


def test_a_past_start_is_refused_by_the_service_in_place(city):
    yesterday = services.host_offer_city_today(city) - timedelta(days=1)
    response = Client().post(NEW, form_data(city, available_from=yesterday.isoformat()))
    assert response.status_code == 400
    assert 'href="#id_available_from"' in response.content.decode()
    assert not HostOffer.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [{"city": str(uuid.uuid4())}, {"host_name": "a\x00b"}, {"beds": "x" * 5000}, {"city": ""}],
    ids=repr,
)
def test_bad_input_is_a_400_page_never_a_500(city, overrides):
    response = Client().post(NEW, form_data(city, **overrides))
    assert response.status_code == 400
    assert not HostOffer.objects.exists()


def test_a_robot_filling_the_trap_sees_the_thanks_and_nothing_is_stored(city):
    response = Client().post(NEW, form_data(city, website="http://spam.example"))
    assert response.status_code == 302
    assert response["Location"] == "/offer-a-home/thanks/"
    assert not HostOffer.objects.exists()


def test_the_page_and_the_api_share_the_limit_per_address(city, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "host_offer": "2/hour",
        },
    }
    client = Client()
    # A form sent back for its errors takes none of the address's offers.
    for _ in range(3):
        assert client.post(NEW, form_data(city, beds="")).status_code == 400
    assert client.post(NEW, form_data(city)).status_code == 302
    assert client.post(NEW, form_data(city)).status_code == 302
    refused = client.post(NEW, form_data(city))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many offers" in refused.content.decode()
    assert 'value="Gulnara Sadykova"' in refused.content.decode()
    # Over the limit, a form with errors is still told its errors first.
    mistyped = client.post(NEW, form_data(city, beds=""))
    assert mistyped.status_code == 400
    assert 'href="#id_beds"' in mistyped.content.decode()
    from rest_framework.test import APIClient

    from tests.shelters.test_host_offers import offer_body

    api = APIClient()
    assert api.post("/api/v1/host-offers/", {}, format="json").status_code == 400
    assert api.post("/api/v1/host-offers/", offer_body(city), format="json").status_code == 429
    # A date in the past is an error of the body, told first, on the page and the API.
    past = api.post(
        "/api/v1/host-offers/", offer_body(city, available_from="2020-01-01"), format="json"
    )
    assert past.status_code == 400 and "available_from" in past.json()
    page = client.post(NEW, form_data(city, available_from="2020-01-01"))
    assert page.status_code == 400 and "The date is in the past." in page.content.decode()
    assert HostOffer.objects.count() == 2


def test_offers_refused_for_their_dates_take_none_of_the_address_s_offers(city, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "host_offer": "2/hour",
        },
    }
    from rest_framework.test import APIClient

    from tests.shelters.test_host_offers import offer_body

    api, client = APIClient(), Client()
    for _ in range(3):
        answer = api.post(
            "/api/v1/host-offers/", offer_body(city, available_from="2020-01-01"), format="json"
        )
        assert answer.status_code == 400
        assert client.post(NEW, form_data(city, available_from="2020-01-01")).status_code == 400
    assert api.post("/api/v1/host-offers/", offer_body(city), format="json").status_code == 201
    assert client.post(NEW, form_data(city)).status_code == 302
    assert HostOffer.objects.count() == 2


def test_the_list_is_for_coordinators(offer, volunteer, manager, other_coordinator):
    assert Client().get(LIST).status_code == 302  # to the login
    assert web_client(volunteer).get(LIST).status_code == 403
    assert web_client(manager).get(LIST).status_code == 403
    other = web_client(other_coordinator).get(LIST)
    assert other.status_code == 200
    assert "Gulnara" not in other.content.decode()
    assert web_client(other_coordinator).post(f"{LIST}{offer.id}/accept/").status_code == 302
    assert web_client(volunteer).post(f"{LIST}{offer.id}/decline/").status_code == 403
    offer.refresh_from_db()
    assert offer.status == HostOfferStatus.NEW


def test_coordinators_see_the_host_with_a_phone_to_tap(offer, coordinator):
    page = web_client(coordinator).get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Gulnara Sadykova" in html
    assert 'href="tel:+77015551234"' in html
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    assert AuditEntry.objects.filter(
        object_type="host_offer", object_id=str(offer.id), action=AuditAction.READ
    ).exists()


def test_accepting_shows_the_invitation_link_and_its_qr_code(
    offer, coordinator, django_capture_on_commit_callbacks
):
    client = web_client(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"{LIST}{offer.id}/accept/")
    assert page.status_code == 201
    html = page.content.decode()
    offer.refresh_from_db()
    assert offer.status == HostOfferStatus.ACCEPTED
    assert offer.shelter.kind == ShelterKind.APARTMENT
    assert 'class="qr"' in html
    assert "http://testserver/join/" in html
    assert Invitation.objects.filter(shelters=offer.shelter).exists()
    again = client.post(f"{LIST}{offer.id}/accept/", follow=True)
    assert "already" in again.content.decode()


def test_accepting_before_the_first_day_says_when_it_opens(
    offer, coordinator, django_capture_on_commit_callbacks
):
    first_day = services.host_offer_city_today(offer.city) + timedelta(days=7)
    HostOffer.objects.filter(id=offer.id).update(available_from=first_day, available_until=None)
    with django_capture_on_commit_callbacks(execute=True):
        page = web_client(coordinator).post(f"{LIST}{offer.id}/accept/")
    assert page.status_code == 201
    html = page.content.decode()
    assert "the host's first day" in html and "is open now" not in html
    offer.refresh_from_db()
    assert offer.shelter.status == ShelterStatus.CLOSED


def test_declining_from_the_list(offer, coordinator):
    client = web_client(coordinator)
    response = client.post(f"{LIST}{offer.id}/decline/", follow=True)
    assert response.status_code == 200
    offer.refresh_from_db()
    assert offer.status == HostOfferStatus.DECLINED
    declined = client.get(f"{LIST}?status=declined").content.decode()
    assert "Gulnara" in declined


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "4 December 2027"), ("ru", "4 декабря 2027"), ("kk", "4 желтоқсан 2027")],
)
def test_an_offer_s_dates_read_the_same_way_in_every_language(offer, coordinator, language, shown):
    # Never 12/04/2027: month first in English and in Kazakh (no short format of its own).
    HostOffer.objects.filter(id=offer.id).update(
        available_from=date(2027, 12, 4), available_until=None
    )
    client = web_client(coordinator)
    client.cookies["django_language"] = language
    html = client.get(LIST).content.decode()
    assert shown in html and "12/04/2027" not in html
