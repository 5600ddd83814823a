"""Paths with a format suffix match nothing (docs/api-reference.md: an id holding `.`
answers 404): they answered 500 on every action (`/members/me.json/`)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/members/me.json/",
        "/api/v1/members/me.json",
        "/api/v1/members/me.api/",
        "/api/v1/shelters.json",
        "/api/v1/parties/00000000-0000-0000-0000-000000000000.json/",
        "/api/v1/parties/00000000-0000-0000-0000-000000000000/history.json/",
    ],
)
def test_a_format_suffix_is_404(coordinator_client, path):
    answer = coordinator_client.get(path)
    assert answer.status_code == 404, (path, answer.content)
    assert answer["Content-Type"].startswith("application/json")


def test_the_same_paths_without_a_suffix_answer(coordinator_client):
    assert coordinator_client.get("/api/v1/members/me/").status_code == 200
    assert coordinator_client.get("/api/v1/shelters/").status_code == 200
