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
