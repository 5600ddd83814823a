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
