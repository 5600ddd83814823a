import re

import pytest
import yaml


@pytest.fixture
def schema(anonymous):
    response = anonymous.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.mark.django_db
def test_schema_documents_the_error_answers_of_api_md(schema):
    register = schema["paths"]["/api/v1/parties/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409", "422", "429"} <= set(register)
    assert register["409"]["content"]["application/json"]["schema"]["required"] == [
        "code",
        "detail",
    ]
    patch_space = schema["paths"]["/api/v1/spaces/{id}/"]["patch"]["responses"]
    assert {"200", "400", "404", "409", "412"} <= set(patch_space)
    for path in ("/api/v1/spaces/{id}/", "/api/v1/shelters/{id}/"):  # DELETE honours If-Match
        assert "412" in schema["paths"][path]["delete"]["responses"]
    assert "412" not in schema["paths"]["/api/v1/parties/"]["post"]["responses"]
    read_party = schema["paths"]["/api/v1/parties/{id}/"]["get"]["responses"]
    assert {"200", "401", "404"} <= set(read_party)
    assert "409" not in read_party  # reads never conflict


@pytest.mark.django_db
def test_schema_documents_parties_v1_1(schema):
    party = schema["paths"]["/api/v1/parties/{id}/"]
    assert "patch" in party and "put" not in party
    assert {"200", "400", "403", "404", "409"} <= set(party["patch"]["responses"])
    listing = schema["paths"]["/api/v1/parties/"]["get"]
    assert "search" in {parameter["name"] for parameter in listing["parameters"]}
    component = schema["components"]["schemas"]["Party"]
    assert {"waiting_reason", "waiting_reason_text", "slip_url"} <= set(component["required"])
    # Shown to coordinators only: documented, never promised.
    assert "possible_duplicate" in component["properties"]
    assert "possible_duplicate" not in component["required"]
    reasons = schema["components"]["schemas"]["WaitingReasonEnum"]["enum"]
    assert set(reasons) == {
        "not_yet_matched",
        "no_capacity",
        "no_accessible_space",
        "no_pet_friendly_space",
        "no_admitting_space",
        "party_too_large",
    }
    city = schema["components"]["schemas"]["City"]["properties"]
    assert "coordinator_phone" in city


@pytest.mark.parametrize(
    ("query", "accept", "status"),
    [("?format=xml", "*/*", 400), ("", "application/xml", 406), ("", "text/html", 406)],
)
def test_schema_errors_are_json_like_the_rest_of_the_api(anonymous, query, accept, status):
    response = anonymous.get(f"/api/schema/{query}", HTTP_ACCEPT=accept)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()  # JSON, not the document's YAML


def test_meal_schedule_time_is_documented_as_the_api_writes_it(schema):
    # The API answers "08:00"; OpenAPI's `format: time` would ask for "08:00:00Z".
    time = schema["components"]["schemas"]["MealSchedule"]["properties"]["time"]
    assert "format" not in time
    assert re.search(time["pattern"], "08:00") and re.search(time["pattern"], "08:00:30")
    assert not re.search(time["pattern"], "10") and not re.search(time["pattern"], "08:00+05:00")


def test_operations_are_described_for_integrators_and_as_they_answer(schema):
    runs = schema["paths"]["/api/v1/matching/runs/"]["post"]
    assert "202" in runs["responses"] and "201" not in runs["responses"]
    descriptions = [
        operation.get("description", "")
        for operations in schema["paths"].values()
        for operation in operations.values()
    ]
    # A mixin's docstring, written for the code's readers, describes no operation.
    assert not [text for text in descriptions if "accounts.rules" in text]


@pytest.mark.django_db
def test_schemas_are_described_by_their_own_serializers_words(schema):
    from rest_framework import serializers

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    # A component is named after its serializer (less "Serializer"; "Patched…" and
    # "…Request" for what is sent).
    own = {
        cls.__name__.removesuffix("Serializer"): re.sub(r"\s+", " ", vars(cls).get("__doc__") or "")
        for cls in subclasses(serializers.Serializer)
        if cls.__module__.split(".")[0] != "rest_framework"
    }
    described = {}
    for name, component in schema["components"]["schemas"].items():
        base = name.removeprefix("Patched").removesuffix("Request")
        if component.get("type") == "object" and base in own:
            described[name] = (re.sub(r"\s+", " ", component.get("description", "")), base)
    assert len(described) > 50
    # Not a base class's words about how fields are built (config.fields.ModelSerializer)
    # or a mixin's about fields that are set once: those are for the code's readers.
    assert {
        name: text for name, (text, base) in described.items() if text != own[base].strip()
    } == {}
