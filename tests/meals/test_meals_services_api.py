"""/api/v1/meal-services/: who may plan, see and change services, filters, bad input,
and a list whose query count does not grow with the page."""

import importlib
import threading
import time as clock
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.access import access_for_user
from meals import services
from meals.models import MealSchedule, MealService, Serving
from tests import factories

from .conftest import SERVICES, at, meal_service, party_of, place, service_url

pytestmark = pytest.mark.django_db


def soon(hours: int = 2):
    return (timezone.now() + timedelta(hours=hours)).isoformat()


# --- create ---------------------------------------------------------------------


def test_coordinator_plans_a_meal_at_a_shelter_and_at_a_point(coordinator_client, city, shelter):
    response = coordinator_client.post(
        SERVICES,
        {"shelter": str(shelter.id), "meal": "lunch", "starts_at": soon(), "planned_portions": 80},
        format="json",
    )
    assert response.status_code == 201, response.content
    service = MealService.objects.get(id=response.data["id"])
    assert (service.city_id, service.shelter_id, service.location) == (city.id, shelter.id, "")
    assert service.planned_portions == 80
    assert response.data["city"] == city.id
    assert response.data["forecast_portions"] == 0
    assert response.data["forecast_basis"] == "now"
    assert response.data["served_portions"] == 0

    response = coordinator_client.post(
        SERVICES,
        {
            "city": str(city.id),
            "location": "  Border crossing  ",
            "meal": "hot_meal",
            "starts_at": soon(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    point = MealService.objects.get(id=response.data["id"])
    assert (point.shelter_id, point.location, point.planned_portions) == (
        None,
        "Border crossing",
        None,
    )
    assert response.data["forecast_portions"] is None
    assert response.data["forecast_basis"] == "none_no_beds"


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"meal": "brunch"}, "meal"),
        ({"meal": None}, "meal"),
        ({"planned_portions": -1}, "planned_portions"),
        ({"planned_portions": 100_001}, "planned_portions"),
        ({"planned_portions": 2.5}, "planned_portions"),
        ({"planned_portions": "lots"}, "planned_portions"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": "1999-12-31T12:00:00Z"}, "starts_at"),
        ({"starts_at": "9999-12-31T23:59:59+05:00"}, "starts_at"),
        ({"shelter": "not-a-uuid"}, "shelter"),
        ({"location": "Station"}, "location"),  # both a shelter and a location
        ({"shelter": None}, "location"),  # neither
        ({"location": "x" * 201, "shelter": None}, "location"),
        ({"shelter": None, "location": "Station"}, "city"),  # a point needs its city
    ],
)
def test_bad_service_is_refused_and_nothing_is_made(
    coordinator_client, shelter, fields, error_field
):
    body = {"shelter": str(shelter.id), "meal": "lunch", "starts_at": soon(), **fields}
    response = coordinator_client.post(SERVICES, body, format="json")
    assert response.status_code == 400, response.content
    assert error_field in response.data
    assert not MealService.objects.exists()


def test_shelter_of_another_city_than_given_is_refused(coordinator, coordinator_client, shelter):
    other = factories.CityFactory()
    coordinator.membership.cities.add(other)
    response = coordinator_client.post(
        SERVICES,
        {"city": str(other.id), "shelter": str(shelter.id), "meal": "lunch", "starts_at": soon()},
        format="json",
    )
    assert response.status_code == 400
    assert "city" in response.data
    assert not MealService.objects.exists()


def test_the_same_meal_twice_at_a_shelter_answers_409(coordinator_client, shelter):
    starts_at = soon()
    body = {"shelter": str(shelter.id), "meal": "dinner", "starts_at": starts_at}
    assert coordinator_client.post(SERVICES, body, format="json").status_code == 201
    response = coordinator_client.post(SERVICES, body, format="json")
    assert response.status_code == 409
    assert response.data["code"] == "meal_service_exists"
    assert MealService.objects.count() == 1


def test_the_same_meal_twice_at_a_point_answers_409(coordinator, coordinator_client, city, shelter):
    """One meal per point and minute, as at a shelter: the point is its city and its name,
    trimmed and compared without regard to case; seconds are dropped before comparing."""
    body = {
        "city": str(city.id),
        "location": "КПП Сырым",
        "meal": "hot_meal",
        "starts_at": "2030-05-01T10:00:00Z",
        "planned_portions": 200,
    }
    assert coordinator_client.post(SERVICES, body, format="json").status_code == 201
    for same in (
        {"starts_at": "2030-05-01T10:00:30Z"},
        {"location": "  кпп сырым "},
        {"location": "КПП СЫРЫМ", "planned_portions": None},
    ):
        response = coordinator_client.post(SERVICES, {**body, **same}, format="json")
        assert response.status_code == 409, (same, response.content)
        assert response.data["code"] == "meal_service_exists"
        assert "point already has this meal" in response.data["detail"]
    assert MealService.objects.count() == 1
    # Another meal, minute, point or city, or a shelter's meal at that minute, is another slot.
    other_city = factories.CityFactory()
    coordinator.membership.cities.add(other_city)
    for other in (
        {"meal": "snack"},
        {"starts_at": "2030-05-01T10:01:00Z"},
        {"location": "Railway station"},
        {"city": str(other_city.id)},
        {"city": None, "location": "", "shelter": str(shelter.id)},
    ):
        payload = {key: value for key, value in {**body, **other}.items() if value is not None}
        response = coordinator_client.post(SERVICES, payload, format="json")
        assert response.status_code == 201, (other, response.content)
    assert MealService.objects.count() == 6

    # Moved onto the point's taken slot: 409, the moved one unchanged.
    snack = MealService.objects.get(meal="snack")
    response = coordinator_client.patch(
        service_url(snack.id), {"meal": "hot_meal", "location": "кпп сырым"}, format="json"
    )
    assert response.status_code == 409
    assert response.data["code"] == "meal_service_exists"
    snack.refresh_from_db()
    assert (snack.meal, snack.location) == ("snack", "КПП Сырым")


def test_the_database_holds_one_meal_per_point_and_minute(city):
    starts_at = datetime(2030, 5, 1, 10, tzinfo=UTC)
    meal_service(city=city, location="КПП Сырым", meal="hot_meal", starts_at=starts_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        meal_service(city=city, location="КПП Сырым", meal="hot_meal", starts_at=starts_at)
    assert MealService.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_meal_added_at_a_point_at_the_same_moment_is_refused_as_taken(city, coordinator):
    """Past the check, the database's constraint refuses the second writer: it gets the
    check's own 409 (what the API and the kitchen page show), not a database error."""
    starts_at = datetime(2030, 5, 1, 10, tzinfo=UTC)
    inserted, answered = threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                meal_service(city=city, location="КПП Сырым", meal="hot_meal", starts_at=starts_at)
                inserted.set()
                clock.sleep(0.5)  # the second writer waits on the constraint meanwhile
        finally:
            connection.close()

    def second():
        inserted.wait(timeout=10)
        try:
            services.meal_service_create(
                meal="hot_meal",
                starts_at=starts_at,
                access=access_for_user(coordinator),
                city=city,
                location="КПП Сырым",
            )
        except Exception as error:  # noqa: BLE001 - what it raised is the outcome
            answered.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [type(error).__name__ for error in answered] == ["Conflict"]
    assert answered[0].code == "meal_service_exists"
    assert MealService.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_points_given_twice_are_merged_when_migrating(city):
    """What was served at either stays, the plan is counted once."""
    merge = importlib.import_module("meals.migrations.0004_merge_point_duplicates")
    starts_at = datetime(2030, 5, 1, 10, tzinfo=UTC)
    first = meal_service(city=city, location="КПП Сырым", meal="hot_meal", starts_at=starts_at)
    MealService.objects.filter(id=first.id).update(created_at=timezone.now() - timedelta(hours=1))
    kept_apart = meal_service(city=city, location="Station", meal="hot_meal", starts_at=starts_at)
    Serving.objects.create(service=first, portions=3, recorded_by="x")
    # The constraint now refuses what the old code let in: drop it for the old data.
    with connection.schema_editor() as editor:
        editor.remove_constraint(MealService, _point_constraint())
    try:
        second = meal_service(
            city=city,
            location="КПП Сырым",
            meal="hot_meal",
            starts_at=starts_at,
            planned_portions=200,
        )
        Serving.objects.create(service=second, portions=5, recorded_by="y")
        merge.merge_point_duplicates(django_apps, None)
    finally:
        with connection.schema_editor() as editor:
            editor.add_constraint(MealService, _point_constraint())
    assert set(MealService.objects.values_list("id", flat=True)) == {first.id, kept_apart.id}
    first.refresh_from_db()
    assert first.planned_portions == 200
    assert sorted(Serving.objects.filter(service=first).values_list("portions", flat=True)) == [
        3,
        5,
    ]


def _point_constraint():
    return next(
        c for c in MealService._meta.constraints if c.name == "meal_service_unique_point_slot"
    )


def test_malformed_json_answers_400(coordinator_client):
    response = coordinator_client.post(SERVICES, "{not json", content_type="application/json")
    assert response.status_code == 400
    response = coordinator_client.post(SERVICES, [1, 2], format="json")
    assert response.status_code == 400
    assert not MealService.objects.exists()


# --- roles and scope --------------------------------------------------------------


def test_volunteer_reads_but_may_not_plan_or_change(volunteer_client, shelter):
    service = meal_service(shelter=shelter, starts_at=timezone.now())
    assert volunteer_client.get(service_url(service.id)).status_code == 200
    response = volunteer_client.post(
        SERVICES, {"shelter": str(shelter.id), "meal": "lunch", "starts_at": soon()}, format="json"
    )
    assert response.status_code == 403
    assert (
        volunteer_client.patch(
            service_url(service.id), {"planned_portions": 5}, format="json"
        ).status_code
        == 403
    )
    assert volunteer_client.delete(service_url(service.id)).status_code == 403
    assert MealService.objects.count() == 1
    service.refresh_from_db()
    assert service.planned_portions is None


def test_outside_scope_answers_404(
    city,
    shelter,
    other_shelter,
    other_volunteer_client,
    other_coordinator_client,
    other_manager_client,
    manager_client,
):
    service = meal_service(shelter=shelter, starts_at=timezone.now(), planned_portions=10)
    point = meal_service(city=city, location="Station", starts_at=timezone.now())
    for client in (other_volunteer_client, other_coordinator_client, other_manager_client):
        assert client.get(service_url(service.id)).status_code == 404
        assert client.get(SERVICES).data["count"] == 0
    assert (
        other_coordinator_client.patch(
            service_url(service.id), {"planned_portions": 1}, format="json"
        ).status_code
        == 404
    )
    assert (
        other_manager_client.patch(
            service_url(service.id), {"planned_portions": 1}, format="json"
        ).status_code
        == 404
    )
    assert other_manager_client.delete(service_url(service.id)).status_code == 404
    # A manager sees the services of their own shelter, not the city's points.
    assert manager_client.get(service_url(point.id)).status_code == 404
    assert [row["id"] for row in manager_client.get(SERVICES).data["results"]] == [str(service.id)]
    service.refresh_from_db()
    assert service.planned_portions == 10


def test_manager_plans_and_edits_at_own_shelter_only(manager_client, shelter, other_shelter, city):
    response = manager_client.post(
        SERVICES, {"shelter": str(shelter.id), "meal": "snack", "starts_at": soon()}, format="json"
    )
    assert response.status_code == 201, response.content
    response = manager_client.patch(
        service_url(response.data["id"]), {"planned_portions": 40}, format="json"
    )
    assert response.status_code == 200
    assert response.data["planned_portions"] == 40
    refused = [
        {"shelter": str(other_shelter.id), "meal": "snack", "starts_at": soon()},
        {"city": str(city.id), "location": "Station", "meal": "snack", "starts_at": soon()},
    ]
    for body in refused:
        response = manager_client.post(SERVICES, body, format="json")
        assert response.status_code == 400, response.content
    assert MealService.objects.count() == 1


def test_api_key_with_meals_write_reads_services_and_other_keys_may_not(
    meals_key_client, parties_key_client, shelter
):
    service = meal_service(shelter=shelter, starts_at=timezone.now())
    assert meals_key_client.get(service_url(service.id)).status_code == 200
    assert (
        meals_key_client.post(
            SERVICES,
            {"shelter": str(shelter.id), "meal": "lunch", "starts_at": soon()},
            format="json",
        ).status_code
        == 403
    )
    assert parties_key_client.get(service_url(service.id)).status_code == 403


def test_anonymous_is_401(anonymous, shelter):
    service = meal_service(shelter=shelter, starts_at=timezone.now())
    assert anonymous.get(service_url(service.id)).status_code == 401


# --- change and delete --------------------------------------------------------------


def test_patch_changes_what_may_change_and_keeps_the_place(coordinator_client, shelter, city):
    service = meal_service(shelter=shelter, starts_at=timezone.now())
    response = coordinator_client.patch(
        service_url(service.id), {"meal": "dinner", "planned_portions": 12}, format="json"
    )
    assert response.status_code == 200
    service.refresh_from_db()
    assert (service.meal, service.planned_portions) == ("dinner", 12)
    for body in ({"shelter": None}, {"city": str(factories.CityFactory().id)}, {"location": "X"}):
        response = coordinator_client.patch(service_url(service.id), body, format="json")
        assert response.status_code == 400, body
    service.refresh_from_db()
    assert (service.shelter_id, service.city_id, service.location) == (shelter.id, city.id, "")


def test_moving_onto_a_taken_slot_answers_409(coordinator_client, shelter):
    now = timezone.now().replace(second=0, microsecond=0)  # services are to the minute
    lunch = meal_service(shelter=shelter, starts_at=now)
    other = meal_service(shelter=shelter, starts_at=now + timedelta(hours=1))
    response = coordinator_client.patch(
        service_url(other.id), {"starts_at": lunch.starts_at.isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert response.data["code"] == "meal_service_exists"
    other.refresh_from_db()
    assert other.starts_at == now + timedelta(hours=1)


def test_delete_only_without_servings(coordinator_client, shelter):
    unused = meal_service(shelter=shelter, starts_at=timezone.now())
    used = meal_service(shelter=shelter, meal="dinner", starts_at=timezone.now())
    Serving.objects.create(service=used, portions=3, recorded_by="v")
    assert coordinator_client.delete(service_url(unused.id)).status_code == 204
    response = coordinator_client.delete(service_url(used.id))
    assert response.status_code == 409
    assert response.data["code"] == "meal_service_has_servings"
    assert list(MealService.objects.values_list("id", flat=True)) == [used.id]


def test_a_shelter_with_meal_services_is_not_deleted(coordinator_client, shelter):
    meal_service(shelter=shelter, starts_at=timezone.now())
    response = coordinator_client.delete(f"/api/v1/shelters/{shelter.id}/")
    assert response.status_code == 409
    assert response.data["code"] == "in_use"
    assert MealService.objects.filter(shelter=shelter).count() == 1


# --- list ---------------------------------------------------------------------------


def test_filters_by_city_shelter_meal_and_local_date(
    coordinator, coordinator_client, city, shelter
):
    other_city = factories.CityFactory(timezone="America/New_York")
    coordinator.membership.cities.add(other_city)
    # 01:30 on May 2nd in the city (UTC+5) is still May 1st in UTC.
    early = meal_service(shelter=shelter, meal="snack", starts_at=at(city, "2030-05-02 01:30"))
    late = meal_service(shelter=shelter, meal="dinner", starts_at=at(city, "2030-05-01 23:00"))
    point = meal_service(city=city, location="Station", starts_at=at(city, "2030-05-02 12:00"))
    # 21:00 on May 1st in New York is May 2nd in UTC and in the first city.
    far = meal_service(
        city=other_city, location="Pier", starts_at=at(other_city, "2030-05-01 21:00")
    )

    def ids(query: str) -> set:
        response = coordinator_client.get(f"{SERVICES}?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.data["results"]}

    assert ids("date=2030-05-02") == {str(early.id), str(point.id)}
    assert ids("date=2030-05-01") == {str(late.id), str(far.id)}
    assert ids(f"date=2030-05-02&city={city.id}") == {str(early.id), str(point.id)}
    assert ids(f"shelter={shelter.id}") == {str(early.id), str(late.id)}
    assert ids(f"city={other_city.id}") == {str(far.id)}
    assert ids("meal=dinner") == {str(late.id)}


@pytest.mark.parametrize(
    "query",
    ["date=2030-13-01", "date=yesterday", "date=1900-01-01", "city=nope", "shelter=1", "meal=tea"],
)
def test_bad_filters_answer_400(coordinator_client, query):
    response = coordinator_client.get(f"{SERVICES}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.data


def test_list_query_count_does_not_grow_with_the_page(
    coordinator_client, city, shelter, space, django_assert_num_queries
):
    place(party_of(city, ["halal"], []), space)
    now = timezone.now()
    for hours in range(3):
        service = meal_service(
            shelter=shelter, meal="snack", starts_at=now + timedelta(hours=hours - 48)
        )
        Serving.objects.create(service=service, portions=2, diet={"halal": 1}, recorded_by="v")
    with CaptureQueriesContext(connection) as small:
        response = coordinator_client.get(SERVICES)
    assert response.data["count"] == 3

    other = factories.ShelterFactory(city=city)
    place(party_of(city, ["vegetarian"]), factories.SpaceFactory(shelter=other))
    for hours in range(3, 40):
        service = meal_service(
            shelter=other if hours % 2 else shelter,
            meal="snack",
            starts_at=now + timedelta(hours=hours - 20),
        )
        Serving.objects.create(service=service, portions=1, recorded_by="v")
    meal_service(city=city, location="Station", starts_at=now)
    with django_assert_num_queries(len(small.captured_queries)):
        response = coordinator_client.get(SERVICES)
    assert response.status_code == 200
    assert response.data["count"] == 41
    assert {row["forecast_basis"] for row in response.data["results"]} == {
        "now",
        "at_start",
        "none_no_beds",
    }
    assert all(row["served_portions"] >= 1 for row in response.data["results"] if row["shelter"])


# --- times to the minute, days in the city's time zone ----------------------------


def test_a_start_with_seconds_is_the_same_slot_as_the_scheduled_one(
    coordinator_client, city, shelter
):
    lunch = MealSchedule.objects.create(shelter=shelter, meal="lunch", time=time(12))
    services.meal_services_create_for_day(day=date(2030, 5, 1))
    scheduled = MealService.objects.get(schedule=lunch)

    body = {"shelter": str(shelter.id), "meal": "lunch", "starts_at": "2030-05-01T12:00:30+05:00"}
    response = coordinator_client.post(SERVICES, body, format="json")
    assert response.status_code == 409, response.content
    assert response.data["code"] == "meal_service_exists"

    body["starts_at"] = "2030-05-01T18:30:59.999999+05:00"
    response = coordinator_client.post(SERVICES, body, format="json")
    assert response.status_code == 201, response.content
    by_hand = MealService.objects.get(id=response.data["id"])
    assert by_hand.starts_at == at(city, "2030-05-01 18:30")

    response = coordinator_client.patch(
        service_url(by_hand.id), {"starts_at": "2030-05-01T12:00:01+05:00"}, format="json"
    )
    assert response.status_code == 409, response.content
    response = coordinator_client.patch(
        service_url(by_hand.id), {"starts_at": "2030-05-01T17:45:15+05:00"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert set(MealService.objects.values_list("id", "starts_at")) == {
        (scheduled.id, at(city, "2030-05-01 12:00")),
        (by_hand.id, at(city, "2030-05-01 17:45")),
    }


def test_starts_at_is_checked_on_the_citys_day_with_the_date_filters_message(
    coordinator_client, city, shelter
):
    assert city.timezone == "Asia/Oral"  # UTC+5
    refused = coordinator_client.get(SERVICES, {"date": "2100-01-01"})
    assert refused.status_code == 400
    message = [str(text) for text in refused.data["date"]]

    # 2099-12-31 21:00 UTC, but already 2100-01-01 in the city.
    body = {"shelter": str(shelter.id), "meal": "lunch", "starts_at": "2100-01-01T02:00:00+05:00"}
    response = coordinator_client.post(SERVICES, body, format="json")
    assert response.status_code == 400, response.content
    assert [str(text) for text in response.data["starts_at"]] == message
    point = {"city": str(city.id), "location": "Station", "meal": "snack"}
    response = coordinator_client.post(
        SERVICES, {**point, "starts_at": "2099-12-31T20:00:00Z"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert [str(text) for text in response.data["starts_at"]] == message
    response = coordinator_client.post(
        SERVICES, {**body, "starts_at": "9999-12-31T23:59:59Z"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert [str(text) for text in response.data["starts_at"]] == message
    assert not MealService.objects.exists()

    # 1999-12-31 22:00 UTC is already 2000-01-01 in the city: a day the API accepts.
    body["starts_at"] = "1999-12-31T22:00:00Z"
    response = coordinator_client.post(SERVICES, body, format="json")
    assert response.status_code == 201, response.content
    first = response.data["id"]
    assert coordinator_client.get(SERVICES, {"date": "2000-01-01"}).data["count"] == 1

    response = coordinator_client.patch(
        service_url(first), {"starts_at": "2099-12-31T19:30:00Z"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert [str(text) for text in response.data["starts_at"]] == message
    assert MealService.objects.get().starts_at == datetime(1999, 12, 31, 22, tzinfo=UTC)


# --- the service asks who plans where ----------------------------------------------


def test_the_service_refuses_a_manager_at_a_point_or_at_another_shelter(
    manager, city, other_shelter
):
    access = access_for_user(manager)
    starts_at = timezone.now() + timedelta(hours=2)
    with pytest.raises(ValidationError) as point:
        services.meal_service_create(
            meal="lunch", starts_at=starts_at, access=access, city=city, location="Station"
        )
    assert "city" in point.value.message_dict
    with pytest.raises(ValidationError) as elsewhere:
        services.meal_service_create(
            meal="lunch", starts_at=starts_at, access=access, shelter=other_shelter
        )
    assert "shelter" in elsewhere.value.message_dict
    assert not MealService.objects.exists()


def test_the_service_lets_coordinators_plan_at_points_and_records_who(coordinator, city):
    service = services.meal_service_create(
        meal="lunch",
        starts_at=timezone.now() + timedelta(hours=2),
        access=access_for_user(coordinator),
        city=city,
        location="Station",
    )
    assert (service.shelter_id, service.created_by) == (None, coordinator.username)
