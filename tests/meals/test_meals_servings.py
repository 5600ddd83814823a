"""POST /api/v1/meal-services/{id}/servings/: who may record, bad counts, flags above
forecast and plan, and Idempotency-Key replays (also concurrent, on PostgreSQL)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from idempotency.models import IdempotencyKey
from meals.models import Serving
from tests import factories
from tests.conftest import client_for

from .conftest import meal_service, party_of, place, service_url


def servings_url(service) -> str:
    return service_url(service.id, "servings")


@pytest.fixture
def lunch(shelter):
    return meal_service(shelter=shelter, starts_at=timezone.now() + timedelta(minutes=30))


@pytest.mark.django_db
def test_volunteer_records_a_serving_and_the_service_adds_it_up(
    volunteer, volunteer_client, lunch, city, space
):
    place(party_of(city, ["halal"], ["halal"], []), space)
    response = volunteer_client.post(
        servings_url(lunch), {"portions": 2, "diet": {"halal": 2, "vegetarian": 0}}, format="json"
    )
    assert response.status_code == 201, response.content
    serving = Serving.objects.get()
    assert (serving.service_id, serving.portions, serving.diet) == (lunch.id, 2, {"halal": 2})
    assert serving.recorded_by == volunteer.username
    assert response.data["id"] == str(serving.id)
    assert response.data["portions"] == 2
    assert response.data["flags"] == []
    assert response.data["meal_service"]["served_portions"] == 2
    assert response.data["meal_service"]["served_diet"]["halal"] == 2
    assert response.data["meal_service"]["over_served"] is False

    response = volunteer_client.post(servings_url(lunch), {"portions": 1}, format="json")
    assert response.status_code == 201
    assert response.data["diet"] == {}
    assert response.data["meal_service"]["served_portions"] == 3
    assert response.data["flags"] == []
    assert volunteer_client.get(service_url(lunch.id)).data["served_portions"] == 3


@pytest.mark.django_db
def test_serving_beyond_forecast_and_plan_is_taken_and_flagged(
    volunteer_client, shelter, space, city
):
    place(party_of(city, [], []), space)  # forecast 2
    service = meal_service(
        shelter=shelter, starts_at=timezone.now() + timedelta(hours=1), planned_portions=4
    )
    response = volunteer_client.post(servings_url(service), {"portions": 3}, format="json")
    assert response.status_code == 201
    assert response.data["flags"] == ["above_forecast"]
    assert response.data["meal_service"]["over_served"] is False  # the plan covers it

    response = volunteer_client.post(servings_url(service), {"portions": 2}, format="json")
    assert response.status_code == 201
    assert response.data["flags"] == ["above_forecast", "above_plan"]
    assert response.data["meal_service"]["over_served"] is True
    assert volunteer_client.get(service_url(service.id)).data["over_served"] is True
    assert sum(Serving.objects.values_list("portions", flat=True)) == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "portions"),
        ({"portions": 0}, "portions"),
        ({"portions": -3}, "portions"),
        ({"portions": 2.5}, "portions"),
        ({"portions": "many"}, "portions"),
        ({"portions": True}, "portions"),
        ({"portions": None}, "portions"),
        ({"portions": 10_001}, "portions"),
        ({"portions": 10**30}, "portions"),
        ({"portions": 5, "diet": {"kosher": 1}}, "diet"),
        ({"portions": 5, "diet": {"halal": 6}}, "diet"),
        ({"portions": 5, "diet": {"halal": -1}}, "diet"),
        ({"portions": 5, "diet": {"halal": 1.5}}, "diet"),
        ({"portions": 5, "diet": {"halal": "two"}}, "diet"),
        ({"portions": 5, "diet": ["halal"]}, "diet"),
        ({"portions": 5, "diet": "halal"}, "diet"),
    ],
)
def test_bad_counts_answer_400_and_record_nothing(volunteer_client, lunch, body, field):
    response = volunteer_client.post(servings_url(lunch), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.data
    response = volunteer_client.post(
        servings_url(lunch), body, format="json", HTTP_IDEMPOTENCY_KEY="bad-1"
    )
    assert response.status_code == 400
    assert not Serving.objects.exists()
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_no_object_answers_400(volunteer_client, lunch):
    for body in ([1], "7", 7):
        response = volunteer_client.post(servings_url(lunch), body, format="json")
        assert response.status_code == 400
    response = volunteer_client.post(servings_url(lunch), "{", content_type="application/json")
    assert response.status_code == 400
    assert not Serving.objects.exists()


@pytest.mark.django_db
def test_who_may_record_where(
    city,
    shelter,
    lunch,
    manager_client,
    other_manager_client,
    other_volunteer_client,
    meals_key_client,
    parties_key_client,
    coordinator_client,
):
    point = meal_service(city=city, location="Station", starts_at=timezone.now())
    body = {"portions": 1}
    assert manager_client.post(servings_url(lunch), body, format="json").status_code == 201
    assert manager_client.post(servings_url(point), body, format="json").status_code == 404
    assert other_manager_client.post(servings_url(lunch), body, format="json").status_code == 404
    assert other_volunteer_client.post(servings_url(lunch), body, format="json").status_code == 404
    assert other_volunteer_client.post(servings_url(point), body, format="json").status_code == 404
    assert meals_key_client.post(servings_url(point), body, format="json").status_code == 201
    assert parties_key_client.post(servings_url(point), body, format="json").status_code == 403
    assert coordinator_client.post(servings_url(point), body, format="json").status_code == 201
    assert Serving.objects.filter(service=lunch).count() == 1
    assert Serving.objects.filter(service=point).count() == 2
    assert set(Serving.objects.values_list("recorded_by", flat=True)) >= {"api-key:bot"}


@pytest.mark.django_db
def test_idempotency_key_replays_the_first_answer(volunteer_client, volunteer, lunch, city):
    body = {"portions": 4, "diet": {"vegetarian": 1}}
    first = volunteer_client.post(
        servings_url(lunch), body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = volunteer_client.post(
        servings_url(lunch), body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Serving.objects.count() == 1

    changed = volunteer_client.post(
        servings_url(lunch), {"portions": 5}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert changed.status_code == 422
    assert changed.data["code"] == "idempotency_key_reused"

    # Another person's key, and the same key at another service, are theirs.
    colleague = client_for(factories.member("volunteer", cities=[city]))
    other = colleague.post(servings_url(lunch), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert other.status_code == 201
    dinner = meal_service(shelter=lunch.shelter, meal="dinner", starts_at=lunch.starts_at)
    response = volunteer_client.post(
        servings_url(dinner), body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 201
    assert Serving.objects.count() == 3

    bad_key = volunteer_client.post(
        servings_url(lunch), body, format="json", HTTP_IDEMPOTENCY_KEY="ключ"
    )
    assert bad_key.status_code == 400
    assert "Idempotency-Key" in bad_key.data
    assert Serving.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_record_one_serving(city, shelter, space):
    place(party_of(city, ["halal"]), space)
    service = meal_service(shelter=shelter, starts_at=timezone.now())
    user = factories.member("volunteer", cities=[city])
    body = {"portions": 7, "diet": {"halal": 2}}
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    answers, errors = [], []

    def post():
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait(timeout=10)
            response = client.post(
                servings_url(service), body, format="json", HTTP_IDEMPOTENCY_KEY="tap-twice"
            )
            answers.append((response.status_code, response.json()))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(answers) == threads_count
    assert {status for status, _body in answers} == {201}
    assert all(body == answers[0][1] for _status, body in answers)
    serving = Serving.objects.get()
    assert (serving.portions, serving.diet) == (7, {"halal": 2})
    assert answers[0][1]["id"] == str(serving.id)
    assert IdempotencyKey.objects.count() == 1


# --- Taking a serving back -------------------------------------------------------------


def take_back_url(serving) -> str:
    return f"{servings_url(serving.service)}{serving.id}/"


def record(client, service, portions: int) -> Serving:
    response = client.post(servings_url(service), {"portions": portions}, format="json")
    assert response.status_code == 201, response.content
    return Serving.objects.get(id=response.data["id"])


@pytest.mark.django_db
def test_who_recorded_a_serving_takes_it_back_and_the_count_follows(volunteer_client, lunch):
    kept = record(volunteer_client, lunch, 3)
    mistake = record(volunteer_client, lunch, 10)
    assert volunteer_client.get(service_url(lunch.id)).data["served_portions"] == 13

    response = volunteer_client.delete(take_back_url(mistake))
    assert response.status_code == 204
    assert list(Serving.objects.values_list("id", flat=True)) == [kept.id]
    assert volunteer_client.get(service_url(lunch.id)).data["served_portions"] == 3
    # Taken back already: gone.
    assert volunteer_client.delete(take_back_url(mistake)).status_code == 404


@pytest.mark.django_db
def test_after_the_window_only_staff_may_take_a_serving_back(
    volunteer_client, manager_client, coordinator_client, lunch
):
    serving = record(volunteer_client, lunch, 4)
    Serving.objects.filter(id=serving.id).update(recorded_at=timezone.now() - timedelta(minutes=16))
    response = volunteer_client.delete(take_back_url(serving))
    assert response.status_code == 409
    assert response.data["code"] == "serving_final"
    assert "15 minutes" in response.data["detail"]
    assert Serving.objects.filter(id=serving.id).exists()

    assert manager_client.delete(take_back_url(serving)).status_code == 204
    assert not Serving.objects.exists()
    other = record(volunteer_client, lunch, 2)
    assert coordinator_client.delete(take_back_url(other)).status_code == 204


@pytest.mark.django_db
def test_another_volunteer_may_not_take_back_what_they_did_not_record(
    volunteer_client, city, lunch
):
    serving = record(volunteer_client, lunch, 5)
    colleague = factories.member(Role.VOLUNTEER, cities=[city])
    response = client_for(colleague).delete(take_back_url(serving))
    assert response.status_code == 409
    assert response.data["code"] == "serving_final"
    assert Serving.objects.filter(id=serving.id).exists()


@pytest.mark.django_db
def test_a_serving_out_of_reach_or_of_another_service_is_not_found(
    volunteer_client, other_volunteer_client, lunch, shelter
):
    serving = record(volunteer_client, lunch, 5)
    assert other_volunteer_client.delete(take_back_url(serving)).status_code == 404
    dinner = meal_service(shelter=shelter, meal="dinner", starts_at=timezone.now())
    wrong = f"{servings_url(dinner)}{serving.id}/"
    assert volunteer_client.delete(wrong).status_code == 404
    for bad in ("not-a-uuid", "0" * 40, "%00"):
        assert volunteer_client.delete(f"{servings_url(lunch)}{bad}/").status_code == 404
    assert Serving.objects.filter(id=serving.id).exists()
