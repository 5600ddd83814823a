"""Residents' host offers through the API: anyone sends one (limited per address, a trap
for robots), the coordinators of its city see the host's name and phone (audited,
encrypted at rest), accept it (an apartment shelter whose beds are matched at once, an
invitation for the host) or decline it; it ends by itself after its last day, and the
host's data is forgotten with the retention of arrivals."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import Invitation, Role
from arrivals.models import PartyStatus, Placement, PlacementStatus
from privacy.models import AuditAction, AuditEntry
from shelters import services, tasks
from shelters.models import HostOffer, HostOfferStatus, Shelter, ShelterKind, ShelterStatus
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

OFFERS = "/api/v1/host-offers/"
PHONE = "+7 701 555-12-34"


def offer_url(offer_id, action: str | None = None) -> str:
    return f"{OFFERS}{offer_id}/" + (f"{action}/" if action else "")


def offer_body(city, /, **overrides) -> dict:
    today = services.host_offer_city_today(city)
    data = {
        "city": str(city.id),
        "host_name": "Gulnara Sadykova",
        "contact_phone": PHONE,
        "address": "Abai Avenue 12, flat 5",
        "beds": 3,
        "wheelchair_accessible": False,
        "pets_allowed": True,
        "available_from": today.isoformat(),
        "available_until": (today + timedelta(days=14)).isoformat(),
        "notes": "Third floor, no lift",
    }
    data.update(overrides)
    return data


@pytest.fixture
def offer(anonymous, city):
    response = anonymous.post(OFFERS, offer_body(city), format="json")
    assert response.status_code == 201, response.content
    return HostOffer.objects.get(id=response.data["id"])


def test_anyone_offers_an_apartment_without_logging_in(anonymous, city):
    response = anonymous.post(OFFERS, offer_body(city), format="json")
    assert response.status_code == 201, response.content
    assert set(response.data) == {"id", "status"}
    assert response.data["status"] == "new"
    offer = HostOffer.objects.get(id=response.data["id"])
    assert (offer.host_name, offer.contact_phone, offer.beds) == ("Gulnara Sadykova", PHONE, 3)
    assert offer.client_digest  # the sender's address, as a keyed hash only
    assert "127.0.0.1" not in offer.client_digest
    assert response["Cache-Control"] == "no-store"
    created = AuditEntry.objects.get(object_type="host_offer", object_id=str(offer.id))
    assert (created.action, created.actor) == (AuditAction.CREATE, "public")


def test_the_start_defaults_to_today_and_the_end_may_stay_open(anonymous, city):
    body = offer_body(city)
    del body["available_from"]
    body["available_until"] = None
    response = anonymous.post(OFFERS, body, format="json")
    assert response.status_code == 201, response.content
    offer = HostOffer.objects.get(id=response.data["id"])
    assert offer.available_from == services.host_offer_city_today(city)
    assert offer.available_until is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"beds": 0}, "beds"),
        ({"beds": -2}, "beds"),
        ({"beds": 51}, "beds"),
        ({"beds": "many"}, "beds"),
        ({"city": str(uuid.uuid4())}, "city"),
        ({"city": "not-a-uuid"}, "city"),
        ({"host_name": "Gulnara\x00"}, "host_name"),
        ({"host_name": "Gul\nnara"}, "host_name"),
        ({"address": "Abai\x07 12"}, "address"),
        ({"notes": "ring\x1b[31m twice"}, "notes"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"host_name": ""}, "host_name"),
        ({"address": "x" * 301}, "address"),
        ({"available_from": "2026-02-30"}, "available_from"),
        ({"available_from": "yesterday"}, "available_from"),
    ],
    ids=repr,
)
def test_invalid_offers_answer_400_by_field_and_store_nothing(anonymous, city, overrides, field):
    response = anonymous.post(OFFERS, offer_body(city, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.data
    assert not HostOffer.objects.exists()


@pytest.mark.parametrize(
    ("value", "said"),
    [(str(uuid.uuid4()), "No such city."), ("abc", "“abc” is not a valid UUID."), (5, "No such")],
    ids=repr,
)
def test_a_city_that_is_not_one_is_said_so(anonymous, city, value, said):
    response = anonymous.post(OFFERS, offer_body(city, city=value), format="json")
    assert response.status_code == 400
    # Not DRF's 'Invalid pk "…" - object does not exist.'
    assert said in str(response.data["city"][0])


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2026-13-01", "There is no such day: 2026-13-01."),
        ("2027-02-30", "There is no such day: 2027-02-30."),
        ("2027-2-30", "There is no such day: 2027-2-30."),  # Django reads 2027-2-3 too
        ("30.02.2027", "Date has wrong format."),  # not a shape the API takes
        ("2027-02-3x", "Date has wrong format."),
    ],
)
def test_a_day_the_calendar_has_not_is_said_so(anonymous, city, value, said):
    response = anonymous.post(OFFERS, offer_body(city, available_until=value), format="json")
    assert response.status_code == 400
    assert str(response.data["available_until"][0]).startswith(said)
    assert not HostOffer.objects.exists()


def test_dates_in_reverse_or_in_the_past_answer_400(anonymous, city):
    today = services.host_offer_city_today(city)
    reversed_dates = offer_body(
        city,
        available_from=(today + timedelta(days=5)).isoformat(),
        available_until=(today + timedelta(days=2)).isoformat(),
    )
    response = anonymous.post(OFFERS, reversed_dates, format="json")
    assert response.status_code == 400
    assert "available_until" in response.data
    past = offer_body(city, available_from=(today - timedelta(days=1)).isoformat())
    response = anonymous.post(OFFERS, past, format="json")
    assert response.status_code == 400
    assert "available_from" in response.data
    assert not HostOffer.objects.exists()


def test_dates_more_than_a_year_ahead_answer_400(anonymous, city):
    today = services.host_offer_city_today(city)
    for field in ("available_from", "available_until"):
        far = offer_body(city, **{"available_until": "9999-12-31", field: "9999-12-31"})
        response = anonymous.post(OFFERS, far, format="json")
        assert response.status_code == 400
        assert "Give a date up to" in str(response.data[field])
    furthest = (today + timedelta(days=services.HOST_OFFER_DAYS_AHEAD)).isoformat()
    body = offer_body(city, available_from=furthest, available_until=furthest)
    assert anonymous.post(OFFERS, body, format="json").status_code == 201


@pytest.mark.parametrize("body", [[], "text", {"city": None}, {"beds": {"a": 1}}], ids=repr)
def test_malformed_bodies_answer_400(anonymous, city, body):
    response = anonymous.post(OFFERS, body, format="json")
    assert response.status_code == 400
    assert not HostOffer.objects.exists()


def test_a_robot_that_fills_the_trap_is_told_it_succeeded_and_nothing_is_stored(anonymous, city):
    response = anonymous.post(
        OFFERS, offer_body(city, website="http://spam.example"), format="json"
    )
    assert response.status_code == 201
    assert response.data["status"] == "new"
    assert not HostOffer.objects.exists()
    assert not AuditEntry.objects.filter(object_type="host_offer").exists()


# --- Who sees what --------------------------------------------------------------------


def test_only_coordinators_list_offers(
    offer, anonymous, volunteer_client, manager_client, coordinator_client
):
    assert anonymous.get(OFFERS).status_code in (401, 403)
    assert volunteer_client.get(OFFERS).status_code == 403
    assert manager_client.get(OFFERS).status_code == 403
    assert volunteer_client.get(offer_url(offer.id)).status_code == 403
    for action in ("accept", "decline"):
        assert anonymous.post(offer_url(offer.id, action)).status_code in (401, 403)
        assert volunteer_client.post(offer_url(offer.id, action)).status_code == 403
        assert manager_client.post(offer_url(offer.id, action)).status_code == 403
    offer.refresh_from_db()
    assert offer.status == HostOfferStatus.NEW
    response = coordinator_client.get(OFFERS)
    assert response.status_code == 200
    [listed] = response.data["results"]
    assert listed["host_name"] == "Gulnara Sadykova"
    assert listed["contact_phone"] == PHONE
    assert listed["status"] == "new"
    assert response["Cache-Control"] == "no-store"


def test_an_api_key_cannot_read_offers(offer, city, coordinator):
    from accounts.models import Scope
    from tests.conftest import key_client

    client = key_client(city, coordinator, list(Scope.values))
    assert client.get(OFFERS).status_code == 403


def test_another_citys_coordinator_gets_404(offer, other_coordinator_client):
    assert other_coordinator_client.get(OFFERS).data["results"] == []
    assert other_coordinator_client.get(offer_url(offer.id)).status_code == 404
    assert other_coordinator_client.post(offer_url(offer.id, "accept")).status_code == 404
    assert other_coordinator_client.post(offer_url(offer.id, "decline")).status_code == 404
    offer.refresh_from_db()
    assert offer.status == HostOfferStatus.NEW
    assert not Shelter.objects.filter(kind=ShelterKind.APARTMENT).exists()


def test_filters_by_city_and_status(anonymous, city, other_city, coordinator):
    coordinator.membership.cities.add(other_city)
    client = client_for(coordinator)
    first = anonymous.post(OFFERS, offer_body(city), format="json").data["id"]
    second = anonymous.post(OFFERS, offer_body(other_city), format="json").data["id"]
    assert client.post(offer_url(second, "decline")).status_code == 200
    ids = lambda query: {o["id"] for o in client.get(OFFERS + query).data["results"]}  # noqa: E731
    assert ids(f"?city={city.id}") == {first}
    assert ids("?status=declined") == {second}
    assert ids("?status=new") == {first}
    assert client.get(OFFERS + "?status=maybe").status_code == 400
    assert client.get(OFFERS + "?city=nope").status_code == 400


def test_showing_the_hosts_data_is_audited(offer, coordinator, coordinator_client):
    coordinator_client.get(OFFERS)
    coordinator_client.get(offer_url(offer.id))
    reads = AuditEntry.objects.filter(
        object_type="host_offer", object_id=str(offer.id), action=AuditAction.READ
    )
    assert reads.count() == 2
    assert set(reads.values_list("actor_id", flat=True)) == {coordinator.pk}


def test_the_hosts_name_and_phone_are_encrypted_at_rest(offer):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT host_name, contact_phone FROM shelters_hostoffer WHERE id = %s",
            [offer.id.hex if connection.vendor == "sqlite" else offer.id],
        )
        host_name, phone = cursor.fetchone()
    assert host_name and phone
    # Not the text nor its digits (a short run of digits may well occur in a ciphertext).
    digits = "".join(ch for ch in PHONE if ch.isdigit())
    for raw in (host_name, phone):
        assert "Gulnara" not in raw
        assert PHONE not in raw and digits not in raw
    assert HostOffer.objects.get(id=offer.id).contact_phone == PHONE


# --- Accept, decline -------------------------------------------------------------------


def test_accepting_makes_an_apartment_whose_beds_are_matched_at_once(
    offer, city, coordinator_client, django_capture_on_commit_callbacks
):
    waiting = factories.PartyFactory(
        city=city, members=[{"given_name": "Ali"}, {"given_name": "Aru"}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(offer_url(offer.id, "accept"))
    assert response.status_code == 201, response.content
    shelter = Shelter.objects.get(id=response.data["shelter"])
    assert shelter.kind == ShelterKind.APARTMENT
    assert shelter.status == ShelterStatus.OPEN
    assert shelter.city == city
    assert shelter.address == "Abai Avenue 12, flat 5"
    assert shelter.pets_allowed is True
    assert "Gulnara" not in shelter.name and not shelter.contact_phone
    [space] = shelter.spaces.all()
    assert str(space.id) == str(response.data["space"])
    assert space.beds == 3
    offer.refresh_from_db()
    assert offer.status == HostOfferStatus.ACCEPTED
    assert offer.shelter == shelter
    # The waiting party was placed in the new apartment by the matcher.
    waiting.refresh_from_db()
    assert waiting.status == PartyStatus.PLACED
    placement = Placement.objects.get(party=waiting, status=PlacementStatus.HELD)
    assert placement.space == space
    space.refresh_from_db()
    assert space.beds_held == 2
    # The host's invitation: a one-time link to manage this shelter.
    assert response.data["invitation_url"].startswith("http://testserver/")
    invitation = Invitation.objects.get()
    assert invitation.role == Role.SHELTER_MANAGER
    assert list(invitation.shelters.all()) == [shelter]
    assert coordinator_client.get(OFFERS).data["results"][0]["shelter"] == shelter.id


def test_an_offer_is_decided_once(offer, coordinator_client):
    assert coordinator_client.post(offer_url(offer.id, "decline")).status_code == 200
    for action in ("accept", "decline"):
        response = coordinator_client.post(offer_url(offer.id, action))
        assert response.status_code == 409
        assert response.data["code"] == "offer_decided"
    assert not Shelter.objects.filter(kind=ShelterKind.APARTMENT).exists()
    offer.refresh_from_db()
    assert offer.status == HostOfferStatus.DECLINED


def test_declining_keeps_the_offer_for_its_coordinators(offer, coordinator_client):
    response = coordinator_client.post(offer_url(offer.id, "decline"))
    assert response.status_code == 200
    assert response.data["status"] == "declined"
    assert response.data["contact_phone"] == PHONE


def test_an_offer_past_its_last_day_cannot_be_accepted(offer, coordinator_client):
    HostOffer.objects.filter(id=offer.id).update(
        available_from=date(2020, 1, 1), available_until=date(2020, 1, 2)
    )
    response = coordinator_client.post(offer_url(offer.id, "accept"))
    assert response.status_code == 409
    assert response.data["code"] == "offer_ended"


# --- The end, retention ---------------------------------------------------------------


def test_the_apartment_closes_by_itself_after_the_last_day(
    city, coordinator, django_capture_on_commit_callbacks
):
    start = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        offer = services.host_offer_submit(
            data={
                "city": city,
                "host_name": "Gulnara",
                "contact_phone": PHONE,
                "address": "Abai 12",
                "beds": 4,
                "available_until": date(2026, 5, 3),
            }
        )
        waiting = factories.PartyFactory(city=city)
        with django_capture_on_commit_callbacks(execute=True):
            accepted = services.host_offer_accept(offer_id=offer.id, by=coordinator)
        placement = Placement.objects.get(party=waiting)
        from accounts.access import access_for_user
        from arrivals.services import party_check_in

        party_check_in(party_id=waiting.id, access=access_for_user(coordinator))
    # Its last day, in Uralsk (UTC+5): still open.
    with time_machine.travel(datetime(2026, 5, 3, 18, 30, tzinfo=UTC), tick=False):
        assert tasks.host_offers_end() == 0
    accepted.shelter.refresh_from_db()
    assert accepted.shelter.status == ShelterStatus.OPEN
    # 00:30 on May 4th in Uralsk: ended, the shelter closed; who is inside stays.
    with time_machine.travel(datetime(2026, 5, 3, 19, 30, tzinfo=UTC), tick=False):
        assert tasks.host_offers_end() == 1
        assert tasks.host_offers_end() == 0  # safe to run again
    offer.refresh_from_db()
    accepted.shelter.refresh_from_db()
    assert offer.status == HostOfferStatus.ENDED
    assert accepted.shelter.status == ShelterStatus.CLOSED
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.CHECKED_IN
    waiting.refresh_from_db()
    assert waiting.status == PartyStatus.CHECKED_IN
    # A closed shelter gets nobody new.
    newcomer = factories.PartyFactory(city=city)
    from arrivals.services import matching_request

    with django_capture_on_commit_callbacks(execute=True):
        matching_request(city_id=city.id, trigger="api")
    newcomer.refresh_from_db()
    assert newcomer.status == PartyStatus.WAITING


def test_an_offer_accepted_before_its_first_day_opens_on_that_day(
    city, coordinator, django_capture_on_commit_callbacks
):
    """Accepted on May 1st for May 10th: nobody is sent there before the host expects them."""
    with time_machine.travel(datetime(2026, 5, 1, 8, 0, tzinfo=UTC), tick=False):
        offer = services.host_offer_submit(
            data={
                "city": city,
                "host_name": "Gulnara",
                "contact_phone": PHONE,
                "address": "Abai 12",
                "beds": 4,
                "available_from": date(2026, 5, 10),
            }
        )
        waiting = factories.PartyFactory(city=city)
        with django_capture_on_commit_callbacks(execute=True):
            accepted = services.host_offer_accept(offer_id=offer.id, by=coordinator)
        assert accepted.shelter.status == ShelterStatus.CLOSED
        assert "Opens on" in accepted.shelter.status_reason
        waiting.refresh_from_db()
        assert waiting.status == PartyStatus.WAITING
        assert tasks.host_offers_begin() == 0
    # 23:30 on May 9th in Uralsk (UTC+5): not yet.
    with time_machine.travel(datetime(2026, 5, 9, 18, 30, tzinfo=UTC), tick=False):
        assert tasks.host_offers_begin() == 0
    # 00:30 on May 10th in Uralsk: open, and the waiting party is placed there.
    with time_machine.travel(datetime(2026, 5, 9, 19, 30, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.host_offers_begin() == 1
        assert tasks.host_offers_begin() == 0  # once
    accepted.shelter.refresh_from_db()
    assert (accepted.shelter.status, accepted.shelter.status_reason) == (ShelterStatus.OPEN, "")
    waiting.refresh_from_db()
    assert waiting.status == PartyStatus.PLACED
    # Closed again later by its manager, it stays closed: the timer opened it once.
    services.shelter_update(shelter_id=accepted.shelter.id, data={"status": "closed"})
    assert tasks.host_offers_begin() == 0
    accepted.shelter.refresh_from_db()
    assert accepted.shelter.status == ShelterStatus.CLOSED


def test_a_new_offer_nobody_decided_on_ends_after_its_last_day(offer):
    HostOffer.objects.filter(id=offer.id).update(
        available_from=date(2020, 1, 1), available_until=date(2020, 1, 2)
    )
    assert services.host_offers_end() == 1
    offer.refresh_from_db()
    assert offer.status == HostOfferStatus.ENDED
    assert offer.shelter is None


def test_the_hosts_data_is_forgotten_with_the_retention_of_arrivals(
    anonymous, city, coordinator, settings
):
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        declined = services.host_offer_submit(
            data={
                "city": city,
                "host_name": "Gulnara",
                "contact_phone": PHONE,
                "address": "Abai 12",
                "beds": 2,
                "notes": "ring twice",
            },
            client_ident="10.0.0.1",
        )
        kept = services.host_offer_submit(
            data={
                "city": city,
                "host_name": "Marat",
                "contact_phone": "+7 702 1",
                "address": "Dostyk 3",
                "beds": 2,
            },
        )
        services.host_offer_decline(offer_id=declined.id, by=coordinator)
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    with time_machine.travel(start + timedelta(days=days) - timedelta(minutes=1), tick=False):
        assert tasks.host_offers_personal_data_erase() == 0
    with time_machine.travel(start + timedelta(days=days, minutes=1), tick=False):
        assert tasks.host_offers_personal_data_erase() == 1
        assert tasks.host_offers_personal_data_erase() == 0
    declined.refresh_from_db()
    assert (declined.host_name, declined.contact_phone, declined.address, declined.notes) == (
        "",
        "",
        "",
        "",
    )
    assert declined.client_digest == ""
    assert declined.personal_data_erased_at is not None
    assert (declined.beds, declined.status) == (2, HostOfferStatus.DECLINED)
    kept.refresh_from_db()  # still new: a coordinator has yet to call
    assert (kept.host_name, kept.contact_phone) == ("Marat", "+7 702 1")
    erase = AuditEntry.objects.get(object_id=str(declined.id), action=AuditAction.ERASE)
    assert erase.actor == "retention"
    assert timezone.now()  # the audit entry holds no value


# --- The limit per address --------------------------------------------------------------


def _rate(settings, rate: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "host_offer": rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.mark.redis
def test_the_limit_per_address_holds_on_the_shared_redis_cache(anonymous, city, settings):
    from django.core.cache import cache

    from tests.conftest import redis_url

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        }
    }
    _rate(settings, "3/hour")
    try:
        for _ in range(3):
            assert anonymous.post(OFFERS, offer_body(city), format="json").status_code == 201
        refused = anonymous.post(OFFERS, offer_body(city), format="json")
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 3600
        # A robot from that address is refused before its trap is looked at.
        trap = anonymous.post(OFFERS, offer_body(city, website="x"), format="json")
        assert trap.status_code == 429
        # Another address has its own limit.
        other = anonymous.post(OFFERS, offer_body(city), format="json", REMOTE_ADDR="192.0.2.7")
        assert other.status_code == 201
        assert HostOffer.objects.count() == 4
    finally:
        cache.clear()


def test_while_the_cache_is_down_the_database_counts_the_offers(anonymous, city, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    _rate(settings, "2/hour")
    for _ in range(2):
        assert anonymous.post(OFFERS, offer_body(city), format="json").status_code == 201
    assert anonymous.post(OFFERS, offer_body(city), format="json").status_code == 429
    assert HostOffer.objects.count() == 2
