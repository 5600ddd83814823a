import pytest


@pytest.mark.django_db
def test_schema_is_served(anonymous):
    response = anonymous.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/parties/" in response.content
