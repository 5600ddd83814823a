"""The OpenAPI document renders cleanly and describes the foundation's endpoints."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())

    for path in [
        "/api/v1/auth/token/",
        "/api/v1/cities/",
        "/api/v1/shelters/",
        "/api/v1/shelters/{id}/",
        "/api/v1/spaces/",
        "/api/v1/spaces/{id}/",
        "/api/v1/members/",
        "/api/v1/members/me/",
        "/api/v1/api-keys/",
        "/api/v1/api-keys/{id}/revoke/",
        "/api/v1/capacity/",
    ]:
        assert path in schema["paths"], path
    shelter = schema["components"]["schemas"]["Shelter"]["properties"]
    assert shelter["beds_free"]["readOnly"] is True
    kind = shelter["kind"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][kind]["enum"]) == {
        "gym",
        "cinema",
        "apartment",
        "school",
        "dormitory",
        "hotel",
        "community_center",
        "other",
    }
    filters = {p["name"] for p in schema["paths"]["/api/v1/shelters/"]["get"]["parameters"]}
    assert {"city", "kind", "status", "has_free_beds", "wheelchair_accessible"} <= filters
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Integrations send `Authorization: Api-Key <key>`.",
    }


def test_schema_and_docs_are_served(anonymous):
    schema = anonymous.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/spaces/" in schema.content
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
