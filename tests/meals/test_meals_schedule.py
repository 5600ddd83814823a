"""Shelters' daily meal schedules, and the beat task that makes each day's services from
them once: run twice, or twice at once, it makes each service once."""

import importlib
import threading
from datetime import date, time

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, transaction

from meals import services, tasks
from meals.models import SCHEDULE_ACTOR, MealSchedule, MealScheduleDay, MealService
from tests import factories

from .conftest import SCHEDULES, at, meal_service, service_url


def schedule_url(entry_id) -> str:
    return f"{SCHEDULES}{entry_id}/"


def entry(shelter, meal: str, hhmm: str, planned=None) -> MealSchedule:
    return MealSchedule.objects.create(
        shelter=shelter, meal=meal, time=time.fromisoformat(hhmm), planned_portions=planned
    )


# --- the API ------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinators_and_the_shelters_manager_edit_the_schedule(
    coordinator_client, manager_client, volunteer_client, other_manager_client, shelter
):
    response = coordinator_client.post(
        SCHEDULES,
        {"shelter": str(shelter.id), "meal": "breakfast", "time": "08:00", "planned_portions": 50},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.data["time"] == "08:00"
    breakfast = MealSchedule.objects.get(id=response.data["id"])
    assert (breakfast.meal, breakfast.time, breakfast.planned_portions) == (
        "breakfast",
        time(8, 0),
        50,
    )

    response = manager_client.post(
        SCHEDULES, {"shelter": str(shelter.id), "meal": "lunch", "time": "13:00"}, format="json"
    )
    assert response.status_code == 201, response.content
    response = manager_client.patch(
        schedule_url(breakfast.id), {"time": "08:30", "planned_portions": None}, format="json"
    )
    assert response.status_code == 200
    breakfast.refresh_from_db()
    assert (breakfast.time, breakfast.planned_portions) == (time(8, 30), None)

    body = {"shelter": str(shelter.id), "meal": "dinner", "time": "19:00"}
    assert volunteer_client.post(SCHEDULES, body, format="json").status_code == 403
    assert volunteer_client.get(SCHEDULES).data["count"] == 2
    assert other_manager_client.post(SCHEDULES, body, format="json").status_code == 400
    assert (
        other_manager_client.patch(
            schedule_url(breakfast.id), {"time": "06:00"}, format="json"
        ).status_code
        == 404
    )
    assert other_manager_client.delete(schedule_url(breakfast.id)).status_code == 404
    assert MealSchedule.objects.count() == 2

    assert manager_client.delete(schedule_url(breakfast.id)).status_code == 204
    assert list(MealSchedule.objects.values_list("meal", flat=True)) == ["lunch"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "status", "key"),
    [
        ({"time": "25:00"}, 400, "time"),
        ({"time": "noon"}, 400, "time"),
        ({"time": "10"}, 400, "time"),  # "HH:MM" only: nothing guessed
        ({"time": "10:00+05:00"}, 400, "time"),
        ({"time": None}, 400, "time"),
        ({"meal": "tea"}, 400, "meal"),
        ({"planned_portions": -1}, 400, "planned_portions"),
        ({"planned_portions": 100_001}, 400, "planned_portions"),
        ({"shelter": "nope"}, 400, "shelter"),
        ({"time": "13:00"}, 409, "code"),  # the lunch at 13:00 is there already
    ],
)
def test_bad_schedule_entries_change_nothing(coordinator_client, shelter, fields, status, key):
    entry(shelter, "lunch", "13:00")
    body = {"shelter": str(shelter.id), "meal": "lunch", "time": "12:00", **fields}
    response = coordinator_client.post(SCHEDULES, body, format="json")
    assert response.status_code == status, response.content
    assert key in response.data
    assert MealSchedule.objects.count() == 1


# --- the daily task -----------------------------------------------------------------


@pytest.mark.django_db
def test_task_makes_each_days_services_once_in_each_citys_time_zone(city, shelter):
    new_york = factories.CityFactory(timezone="America/New_York")
    far_shelter = factories.ShelterFactory(city=new_york)
    breakfast = entry(shelter, "breakfast", "08:00", planned=40)
    entry(shelter, "lunch", "13:00")
    entry(shelter, "dinner", "19:00", planned=35)
    entry(far_shelter, "dinner", "19:00")

    # 03:00 on May 1st in the city (UTC+5) is 18:00 on April 30th in New York.
    with time_machine.travel(at(city, "2030-05-01 03:00"), tick=False):
        tasks.meal_services_create_for_today.delay()
        tasks.meal_services_create_for_today.delay()
    made = {
        (s.shelter_id, s.meal, s.starts_at, s.planned_portions, s.schedule_id)
        for s in MealService.objects.all()
    }
    assert made == {
        (shelter.id, "breakfast", at(city, "2030-05-01 08:00"), 40, breakfast.id),
        (shelter.id, "lunch", at(city, "2030-05-01 13:00"), None, made_id(shelter, "lunch")),
        (shelter.id, "dinner", at(city, "2030-05-01 19:00"), 35, made_id(shelter, "dinner")),
        (far_shelter.id, "dinner", at(new_york, "2030-04-30 19:00"), None, made_id(far_shelter)),
    }
    assert MealService.objects.count() == 4
    assert set(MealService.objects.values_list("created_by", flat=True)) == {SCHEDULE_ACTOR}
    assert set(MealService.objects.values_list("city_id", flat=True)) == {city.id, new_york.id}

    with time_machine.travel(at(city, "2030-05-02 03:00"), tick=False):
        tasks.meal_services_create_for_today.delay()
    assert MealService.objects.count() == 8
    assert MealService.objects.filter(starts_at=at(new_york, "2030-05-01 19:00")).exists()


def made_id(shelter, meal="dinner"):
    return MealSchedule.objects.get(shelter=shelter, meal=meal).id


@pytest.mark.django_db
def test_a_service_planned_by_hand_at_a_scheduled_slot_is_not_doubled(city, shelter):
    entry(shelter, "lunch", "13:00")
    by_hand = meal_service(shelter=shelter, starts_at=at(city, "2030-05-01 13:00"))
    assert services.meal_services_create_for_day(day=date(2030, 5, 1)) == 1  # it tried
    assert list(MealService.objects.values_list("id", flat=True)) == [by_hand.id]


@pytest.mark.django_db
def test_a_schedule_change_applies_from_the_next_day(city, shelter, coordinator_client):
    lunch = entry(shelter, "lunch", "13:00")
    with time_machine.travel(at(city, "2030-05-01 06:00"), tick=False):
        services.meal_services_create_for_day()
        response = coordinator_client.patch(
            schedule_url(lunch.id), {"time": "12:00"}, format="json"
        )
        assert response.status_code == 200
        services.meal_services_create_for_day()
    assert list(MealService.objects.values_list("starts_at", flat=True)) == [
        at(city, "2030-05-01 13:00")
    ]
    services.meal_services_create_for_day(day=date(2030, 5, 2))
    assert list(MealService.objects.order_by("starts_at").values_list("starts_at", flat=True)) == [
        at(city, "2030-05-01 13:00"),
        at(city, "2030-05-02 12:00"),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_each_service_once(city, shelter):
    for meal, hhmm in (("breakfast", "08:00"), ("lunch", "13:00"), ("dinner", "19:00")):
        entry(shelter, meal, hhmm)
    for other in factories.ShelterFactory.create_batch(5, city=city):
        entry(other, "hot_meal", "12:00")
    runs = 6
    barrier = threading.Barrier(runs)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            services.meal_services_create_for_day(day=date(2030, 5, 1))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert MealService.objects.count() == 8
    assert MealService.objects.values("shelter", "meal", "starts_at").distinct().count() == 8
    assert set(MealService.objects.values_list("schedule_day", flat=True)) == {date(2030, 5, 1)}
    assert MealScheduleDay.objects.filter(day=date(2030, 5, 1)).count() == 8


# --- a day's service is made once, never again after a coordinator's change ---------


@pytest.mark.django_db
def test_a_deleted_scheduled_service_is_not_made_again_that_day(city, shelter, coordinator_client):
    lunch = entry(shelter, "lunch", "13:00")
    with time_machine.travel(at(city, "2030-05-01 06:00"), tick=False):
        tasks.meal_services_create_for_today.delay()
        made = MealService.objects.get()
        assert (made.schedule_id, made.schedule_day) == (lunch.id, date(2030, 5, 1))
        assert coordinator_client.delete(service_url(made.id)).status_code == 204
    with time_machine.travel(at(city, "2030-05-01 06:30"), tick=False):
        tasks.meal_services_create_for_today.delay()
    assert not MealService.objects.exists()

    with time_machine.travel(at(city, "2030-05-02 06:00"), tick=False):
        tasks.meal_services_create_for_today.delay()
    assert list(MealService.objects.values_list("starts_at", "schedule_day")) == [
        (at(city, "2030-05-02 13:00"), date(2030, 5, 2))
    ]


@pytest.mark.django_db
def test_a_moved_scheduled_service_is_not_made_again_that_day(city, shelter, coordinator_client):
    entry(shelter, "breakfast", "08:00")
    with time_machine.travel(at(city, "2030-05-01 06:00"), tick=False):
        tasks.meal_services_create_for_today.delay()
        breakfast = MealService.objects.get()
        response = coordinator_client.patch(
            service_url(breakfast.id), {"starts_at": "2030-05-02T08:00:00+05:00"}, format="json"
        )
        assert response.status_code == 200, response.content
    with time_machine.travel(at(city, "2030-05-01 06:30"), tick=False):
        tasks.meal_services_create_for_today.delay()
    with time_machine.travel(at(city, "2030-05-02 06:00"), tick=False):
        tasks.meal_services_create_for_today.delay()
    # Today's breakfast, moved to tomorrow at the scheduled time, is tomorrow's too.
    assert list(MealService.objects.values_list("id", "starts_at", "schedule_day")) == [
        (breakfast.id, at(city, "2030-05-02 08:00"), date(2030, 5, 1))
    ]

    with time_machine.travel(at(city, "2030-05-03 06:00"), tick=False):
        tasks.meal_services_create_for_today.delay()
    assert MealService.objects.filter(starts_at=at(city, "2030-05-03 08:00")).exists()


@pytest.mark.django_db
def test_a_meal_whose_time_has_passed_today_starts_tomorrow(city, shelter, coordinator_client):
    with time_machine.travel(at(city, "2030-05-01 15:00"), tick=False):
        for meal, hhmm in (("breakfast", "08:00"), ("lunch", "15:00"), ("dinner", "19:00")):
            response = coordinator_client.post(
                SCHEDULES, {"shelter": str(shelter.id), "meal": meal, "time": hhmm}, format="json"
            )
            assert response.status_code == 201, response.content
        tasks.meal_services_create_for_today.delay()
    assert list(MealService.objects.values_list("meal", "starts_at")) == [
        ("dinner", at(city, "2030-05-01 19:00"))
    ]

    with time_machine.travel(at(city, "2030-05-02 06:00"), tick=False):
        tasks.meal_services_create_for_today.delay()
    assert list(MealService.objects.values_list("meal", "starts_at")) == [
        ("dinner", at(city, "2030-05-01 19:00")),
        ("breakfast", at(city, "2030-05-02 08:00")),
        ("lunch", at(city, "2030-05-02 15:00")),
        ("dinner", at(city, "2030-05-02 19:00")),
    ]


@pytest.mark.django_db
def test_the_database_holds_one_service_per_entry_and_day(city, shelter):
    lunch = entry(shelter, "lunch", "13:00")
    meal_service(
        shelter=shelter,
        starts_at=at(city, "2030-05-01 13:00"),
        schedule=lunch,
        schedule_day=date(2030, 5, 1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        meal_service(
            shelter=shelter,
            starts_at=at(city, "2030-05-01 14:00"),
            schedule=lunch,
            schedule_day=date(2030, 5, 1),
        )
    meal_service(shelter=shelter, starts_at=at(city, "2030-05-01 15:00"))  # by hand: no day
    meal_service(shelter=shelter, starts_at=at(city, "2030-05-01 16:00"))
    assert MealService.objects.count() == 3


@pytest.mark.django_db
def test_existing_scheduled_services_get_their_day_when_migrating(city, shelter):
    backfill = importlib.import_module("meals.migrations.0003_backfill_schedule_days")
    lunch = entry(shelter, "lunch", "13:00")
    dinner = entry(shelter, "dinner", "19:00")
    # 01:00 local on May 2nd is still May 1st in UTC: the day is the city's.
    late = meal_service(shelter=shelter, starts_at=at(city, "2030-05-02 01:00"), schedule=lunch)
    moved = meal_service(  # May 1st's dinner moved to the same day as May 2nd's
        shelter=shelter, meal="dinner", starts_at=at(city, "2030-05-02 18:00"), schedule=dinner
    )
    second = meal_service(
        shelter=shelter, meal="dinner", starts_at=at(city, "2030-05-02 19:00"), schedule=dinner
    )
    by_hand = meal_service(shelter=shelter, meal="snack", starts_at=at(city, "2030-05-02 10:00"))

    backfill.backfill_schedule_days(django_apps, None)

    days = dict(MealService.objects.values_list("id", "schedule_day"))
    assert days == {
        late.id: date(2030, 5, 2),
        moved.id: date(2030, 5, 2),
        second.id: None,
        by_hand.id: None,
    }
    assert set(MealScheduleDay.objects.values_list("schedule_id", "day")) == {
        (lunch.id, date(2030, 5, 2)),
        (dinner.id, date(2030, 5, 2)),
    }
    late.delete()
    services.meal_services_create_for_day(day=date(2030, 5, 2))
    assert MealService.objects.count() == 3


# --- times are whole minutes ---------------------------------------------------------


@pytest.mark.django_db
def test_a_schedule_time_with_seconds_is_the_same_slot(coordinator_client, shelter):
    def post(hhmmss: str):
        body = {"shelter": str(shelter.id), "meal": "lunch", "time": hhmmss}
        return coordinator_client.post(SCHEDULES, body, format="json")

    assert post("12:00").status_code == 201
    response = post("12:00:30")
    assert response.status_code == 409, response.content
    assert response.data["code"] == "meal_schedule_exists"

    response = post("13:15:59.5")
    assert response.status_code == 201, response.content
    assert response.data["time"] == "13:15"
    later = MealSchedule.objects.get(id=response.data["id"])
    assert later.time == time(13, 15)
    response = coordinator_client.patch(schedule_url(later.id), {"time": "12:00:45"}, format="json")
    assert response.status_code == 409, response.content
    response = coordinator_client.patch(schedule_url(later.id), {"time": "14:30:10"}, format="json")
    assert response.status_code == 200, response.content
    assert sorted(MealSchedule.objects.values_list("time", flat=True)) == [time(12), time(14, 30)]


@pytest.mark.django_db
def test_a_meal_just_after_midnight_is_made_by_a_run_before_it(city, shelter, coordinator_client):
    """The timer runs every 30 minutes, not on the clock: a 00:15 meal falls between the
    23:50 and 00:20 runs, and is made by the first of them."""
    response = coordinator_client.post(
        SCHEDULES, {"shelter": str(shelter.id), "meal": "hot_meal", "time": "00:15"}, format="json"
    )
    assert response.status_code == 201, response.content
    entry(shelter, "breakfast", "08:00")
    made = []
    for when in ("2030-12-04 23:50", "2030-12-05 00:20", "2030-12-05 00:50", "2030-12-05 23:50"):
        made.append(services.meal_services_create_for_day(now=at(city, when)))
    assert made == [1, 1, 0, 1]  # Dec 5: 00:15 before midnight, 08:00 after; Dec 6: 00:15
    assert list(
        MealService.objects.order_by("starts_at").values_list("meal", "starts_at", "schedule_day")
    ) == [
        ("hot_meal", at(city, "2030-12-05 00:15"), date(2030, 12, 5)),
        ("breakfast", at(city, "2030-12-05 08:00"), date(2030, 12, 5)),
        ("hot_meal", at(city, "2030-12-06 00:15"), date(2030, 12, 6)),
    ]
    # Tomorrow is looked at only within SCHEDULE_LEAD: its breakfast waits for its day,
    # so a change to the schedule made today applies tomorrow.
    assert not MealService.objects.filter(starts_at=at(city, "2030-12-06 08:00")).exists()
    # Run again, nothing more: each entry's day is made once.
    assert services.meal_services_create_for_day(now=at(city, "2030-12-05 23:55")) == 0
    assert MealService.objects.count() == 3
