"""The back office shows meals to superusers and changes nothing: every write goes
through the API and its services, which hold the rules."""

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


def test_staff_who_are_not_superusers_do_not_see_meals(city):
    client = Client()
    client.force_login(factories.member(Role.COORDINATOR, cities=[city], is_staff=True))
    assert client.get(SERVICES).status_code == 403
    assert client.get(SCHEDULES).status_code == 403
