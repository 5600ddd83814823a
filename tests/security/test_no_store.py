"""No cache keeps an API answer: every one carries `Cache-Control: no-store`, whichever
view made it (placements carry reasons typed about a person, members their names)."""

import pytest

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/v1/placements/",
    "/api/v1/members/",
    "/api/v1/imports/",
    "/api/v1/shelters/",
    "/api/v1/matching-runs/",
    "/api/v1/no-such-thing/",
]


@pytest.mark.parametrize("path", PATHS)
def test_every_api_answer_says_no_store(coordinator_client, path):
    response = coordinator_client.get(path)
    assert response["Cache-Control"] == "no-store", (path, response.status_code)


def test_an_answer_without_login_says_no_store_too(client):
    response = client.get("/api/v1/parties/")
    assert response.status_code == 401
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/parties"])
def test_a_path_nothing_matches_says_no_store_under_debug_too(coordinator_client, settings, path):
    # Under DEBUG (make run) the API's JSON 404 replaces Django's page of routes.
    settings.DEBUG = True
    response = coordinator_client.get(path)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
