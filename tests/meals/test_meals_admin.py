"""The back office shows meals as the API would (superusers all, staff their reach) and
changes nothing: every write goes through the API and its services, which hold the rules."""

import pytest
from django.test import Client

from accounts.models import Role
from meals.models import MealSchedule, MealService
from tests import factories

from .conftest import at, meal_service

pytestmark = pytest.mark.django_db

SERVICES = "/admin/meals/mealservice/"
SCHEDULES = "/admin/meals/mealschedule/"


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    return client


def test_a_superuser_cannot_plan_a_service_around_the_rules(superuser_client, shelter, other_city):
    response = superuser_client.post(
        f"{SERVICES}add/",
        {
            "city": str(other_city.id),
            "shelter": str(shelter.id),
            "meal": "lunch",
            "starts_at_0": "2030-05-01",
            "starts_at_1": "12:00:30",
            "servings-TOTAL_FORMS": "0",
            "servings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    assert not MealService.objects.exists()

    response = superuser_client.post(
        f"{SCHEDULES}add/",
        {"shelter": str(shelter.id), "meal": "lunch", "time": "12:00:30"},
    )
    assert response.status_code == 403
    assert not MealSchedule.objects.exists()


def test_a_superuser_reads_services_but_cannot_change_or_delete_them(
    superuser_client, city, shelter, other_city
):
    service = meal_service(shelter=shelter, starts_at=at(city, "2030-05-01 12:00"))
    entry = MealSchedule.objects.create(shelter=shelter, meal="lunch", time="12:00")

    assert superuser_client.get(SERVICES).status_code == 200
    assert superuser_client.get(f"{SERVICES}{service.id}/change/").status_code == 200
    assert superuser_client.get(f"{SCHEDULES}{entry.id}/change/").status_code == 200

    response = superuser_client.post(
        f"{SERVICES}{service.id}/change/",
        {"city": str(other_city.id), "shelter": str(shelter.id), "meal": "dinner"},
    )
    assert response.status_code == 403
    response = superuser_client.post(f"{SERVICES}{service.id}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = superuser_client.post(
        SERVICES,
        {"action": "delete_selected", "_selected_action": [str(service.id)], "post": "yes"},
    )
    assert response.status_code == 200  # no such action: the list again
    assert MealService.objects.filter(id=service.id, city=city, meal="lunch").exists()
    assert (
        superuser_client.post(f"{SCHEDULES}{entry.id}/delete/", {"post": "yes"}).status_code == 403
    )
    assert MealSchedule.objects.filter(id=entry.id).exists()


def test_staff_see_the_meals_within_their_reach_read_only(city, shelter, other_city):
    here = meal_service(shelter=shelter, starts_at=at(city, "2030-05-01 12:00"))
    point = meal_service(city=city, location="Station", starts_at=at(city, "2030-05-01 13:00"))
    far = meal_service(
        shelter=factories.ShelterFactory(city=other_city),
        starts_at=at(other_city, "2030-05-01 12:00"),
    )
    entry = MealSchedule.objects.create(shelter=shelter, meal="lunch", time="12:00")
    coordinator = Client()
    coordinator.force_login(factories.member(Role.COORDINATOR, cities=[city], is_staff=True))
    manager = Client()
    manager.force_login(factories.member(Role.SHELTER_MANAGER, shelters=[shelter], is_staff=True))

    listed = coordinator.get(SERVICES)
    assert set(listed.context["cl"].result_list) == {here, point}
    assert set(manager.get(SERVICES).context["cl"].result_list) == {here}
    assert manager.get(f"{SERVICES}{point.id}/change/").status_code == 302  # not found
    assert coordinator.get(f"{SERVICES}{far.id}/change/").status_code == 302
    assert list(manager.get(SCHEDULES).context["cl"].result_list) == [entry]
    assert coordinator.get(f"{SERVICES}{here.id}/change/").status_code == 200
    response = coordinator.post(f"{SERVICES}{here.id}/change/", {"meal": "dinner"})
    assert response.status_code == 403
    assert coordinator.get(f"{SERVICES}add/").status_code == 403
    assert manager.post(f"{SCHEDULES}{entry.id}/delete/", {"post": "yes"}).status_code == 403
    here.refresh_from_db()
    assert here.meal == "lunch"
    assert MealSchedule.objects.filter(id=entry.id).exists()
