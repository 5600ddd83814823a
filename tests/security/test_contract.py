"""Issue 10, item 10: the contract. A party's history is a paginated list like every list;
`page` and `page_size` that are not whole numbers of at least 1 answer 400 naming the
parameter; every path under /api/ answers JSON, also where no route matches.
(tests/security/test_schemathesis.py runs every operation against the OpenAPI document.)"""

import json
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import translation
from django_filters import ModelChoiceFilter

from arrivals.models import PartyEvent
from config.filters import FilterSet
from shelters.filters import ShelterFilter
from shelters.models import City, Shelter
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def party(city):
    party = factories.PartyFactory(city=city)
    for number in range(3):
        PartyEvent.objects.create(
            party=party,
            actor="matcher",
            from_status="waiting",
            to_status="waiting",
            reason=f"change {number}",
        )
    return party


def test_a_partys_history_is_paginated(coordinator_client, party):
    answer = coordinator_client.get(f"/api/v1/parties/{party.id}/history/", {"page_size": 2})
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert [event["reason"] for event in body["results"]] == ["change 0", "change 1"]
    second = coordinator_client.get(body["next"])
    assert [event["reason"] for event in second.json()["results"]] == ["change 2"]
    assert second.json()["next"] is None


def test_the_schema_documents_the_history_as_a_page(coordinator_client):
    document = coordinator_client.get("/api/schema/", {"format": "json"}).json()
    answer = document["paths"]["/api/v1/parties/{id}/history/"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/PaginatedPartyEventList")
    names = {
        p["name"] for p in document["paths"]["/api/v1/parties/{id}/history/"]["get"]["parameters"]
    }
    assert {"page", "page_size"} <= names


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "", " ", "\u0661"])
@pytest.mark.parametrize(
    "path", ["/api/v1/parties/", "/api/v1/shelters/", "/api/v1/cities/", "history"]
)
def test_bad_page_parameters_answer_400_naming_them(coordinator_client, party, path, name, value):
    if path == "history":
        path = f"/api/v1/parties/{party.id}/history/"
    answer = coordinator_client.get(path, {name: value})
    assert answer.status_code == 400, (path, name, value, answer.content)
    assert answer.json() == {name: ["A whole number of at least 1."]}


def test_good_page_parameters(coordinator_client, party):
    assert (
        coordinator_client.get("/api/v1/parties/", {"page": "1", "page_size": "1"}).status_code
        == 200
    )
    assert coordinator_client.get("/api/v1/parties/", {"page": "last"}).status_code == 200
    # Above the maximum is cut to it, as documented.
    big = coordinator_client.get("/api/v1/parties/", {"page_size": "100000"})
    assert big.status_code == 200
    # A page past the last one: 404, as documented.
    past = coordinator_client.get("/api/v1/parties/", {"page": "99"})
    assert past.status_code == 404
    assert past["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/parties/a.b/",
        "/api/v1/parties/a/b/",
        "/api/v1/parties/a%2Fb/",
        "/api/v1/shelters/1.json/",
        "/api/v1/no-such-thing/",
        "/api/v1/parties",  # no trailing slash: no redirect, a JSON 404
        "/api/nothing",
        "/api/v1/parties/%00/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_every_path_under_api_answers_json(coordinator, path, method):
    client = Client()
    client.force_login(coordinator)
    answer = getattr(client, method)(path)
    assert answer.status_code in {404, 405}, (path, answer.status_code)
    assert answer["Content-Type"] == "application/json", (path, answer.content[:200])
    assert "detail" in answer.json()


def test_a_method_the_path_does_not_offer_answers_json_405(coordinator_client, party):
    answer = coordinator_client.delete(f"/api/v1/parties/{party.id}/")
    assert answer.status_code == 405
    assert answer["Content-Type"] == "application/json"


def test_a_host_not_allowed_answers_json_under_api(db):
    answer = Client(HTTP_HOST="evil.example").get("/api/v1/cities/")
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"


def test_pages_outside_api_keep_their_html_404(db):
    answer = Client().get("/no-such-page/")
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/v1/parties/", "city"),
        ("/api/v1/parties/", "status"),
        ("/api/v1/shelters/", "has_free_beds"),
        ("/api/v1/spaces/", "shelter"),
        ("/api/v1/placements/", "space"),
        ("/api/v1/matching/runs/", "city"),
    ],
)
def test_a_filter_sent_empty_answers_400_naming_it(coordinator_client, path, name):
    answer = coordinator_client.get(f"{path}?{name}=")
    assert answer.status_code == 400
    assert answer.json() == {name: ["Give a value, or leave the parameter out."]}


@pytest.mark.parametrize(
    "query, name",
    [
        ("/api/v1/shelters/?status=open&status=closed", "status"),
        ("/api/v1/parties/?city=CITY&city=CITY", "city"),
        ("/api/v1/capacity/?city=CITY&city=CITY", "city"),
        ("/api/v1/capacity/history/?city=CITY&city=CITY", "city"),
        ("/api/v1/shelters/?has_free_beds=true&has_free_beds=false", "has_free_beds"),
    ],
)
def test_a_parameter_of_one_value_sent_twice_answers_400_naming_it(
    coordinator_client, city, query, name
):
    answer = coordinator_client.get(query.replace("CITY", str(city.id)))
    assert answer.status_code == 400, answer.content
    assert answer.json() == {name: ["Give this parameter once."]}


def test_a_filter_of_several_values_takes_each_and_refuses_one_sent_empty(
    coordinator_client, party
):
    both = coordinator_client.get("/api/v1/parties/?status=waiting&status=placed")
    assert both.status_code == 200 and both.json()["count"] == 1
    empty = coordinator_client.get("/api/v1/parties/?status=waiting&status=")
    assert empty.status_code == 400
    assert empty.json() == {"status": ["Give a value, or leave the parameter out."]}


def test_an_empty_free_text_filter_is_no_filter(coordinator_client, party):
    assert coordinator_client.get("/api/v1/parties/?code=").json()["count"] == 1


@pytest.mark.parametrize("value", ["null", "yes", "2"])
def test_a_yes_no_filter_takes_true_or_false_only(coordinator_client, value):
    answer = coordinator_client.get("/api/v1/webhooks/", {"active": value})
    assert answer.status_code == 400
    assert answer.json() == {"active": ["Use true or false."]}
    assert coordinator_client.get("/api/v1/webhooks/", {"active": "false"}).status_code == 200


def test_a_filters_form_is_made_once_and_each_request_checked_on_its_own(coordinator_client, city):
    factories.ShelterFactory(city=city, kind="gym")
    factories.ShelterFactory(city=city, kind="school")
    refused = coordinator_client.get("/api/v1/shelters/", {"kind": "castle"})
    assert refused.status_code == 400
    assert set(refused.json()) == {"kind"}
    form_class = ShelterFilter.__dict__["_form_class"]
    answer = coordinator_client.get("/api/v1/shelters/", {"kind": "school"})
    assert answer.status_code == 200
    assert [shelter["kind"] for shelter in answer.json()["results"]] == ["school"]
    assert coordinator_client.get("/api/v1/shelters/").json()["count"] == 2
    assert ShelterFilter.__dict__["_form_class"] is form_class


def test_a_filter_whose_field_depends_on_the_request_is_refused(rf):
    class CityFilter(FilterSet):
        city = ModelChoiceFilter(queryset=lambda request: City.objects.all())

        class Meta:
            model = Shelter
            fields = ["city"]

    with pytest.raises(ImproperlyConfigured):
        CityFilter(data={}, queryset=Shelter.objects.none(), request=rf.get("/")).is_valid()


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_a_missing_object_and_a_broken_body_are_said_in_the_request_s_language(
    coordinator_client, language
):
    with translation.override(language):
        not_found = translation.gettext("Not found.")
        broken = translation.gettext(
            "JSON parse error - not valid JSON at line %(line)s, column %(column)s."
        ) % {"line": 1, "column": 2}
    if language != "en":  # translated, not the English left as it is
        assert not_found != "Not found." and not broken.startswith("JSON parse error")
    missing = coordinator_client.get(
        f"/api/v1/parties/{uuid.uuid4()}/", HTTP_ACCEPT_LANGUAGE=language
    )
    assert missing.status_code == 404
    assert missing.json() == {"detail": not_found}
    answer = coordinator_client.post(
        "/api/v1/parties/", "{oops", content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert answer.status_code == 400
    assert answer.json() == {"detail": broken}
    huge = coordinator_client.post(
        "/api/v1/parties/", '{"pets": ' + "9" * 5000 + "}", content_type="application/json"
    )
    assert huge.status_code == 400
    assert "sys." not in huge.json()["detail"]  # nothing of Python's own words


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_drf_s_and_django_s_field_errors_are_translated(coordinator_client, city, language):
    body = {
        "city": "nope",
        "consent": True,
        "members": [{"given_name": "A", "sex": "female"}] * 31,
    }
    answer = coordinator_client.post(
        "/api/v1/parties/", body, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert answer.status_code == 400
    errors = json.dumps(answer.json(), ensure_ascii=False)
    for english in ("is not a valid UUID", "Ensure this field has no more than"):
        assert english not in errors
    with translation.override(language):
        assert translation.gettext("“%(value)s” is not a valid UUID.") % {"value": "nope"} in errors
