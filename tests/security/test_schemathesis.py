"""Issue 10, item 10: every operation of the OpenAPI document, run by schemathesis against a
live server as a coordinator and as a volunteer (one test per operation and role). Any
5xx, an answer that the document does not describe (status, content type, headers,
body), or input the document forbids that the server takes, fails the test.

The server is pytest-django's live server on the test database (PostgreSQL in CI), with a
city, a shelter, a space and a party, so that the generated requests meet real objects as
well as random ids. Examples are drawn the same way every run (derandomize), a few per
operation beside schemathesis' coverage cases: about 3 minutes on an idle CI machine.

The document is generated here, at collection, by the generator /api/schema/ uses (the
live server's address is not known before; schemathesis' lazy loader from a fixture does
not run under pytest 9.2); test_the_live_server_serves_this_document checks that the
server serves the same."""

import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.models import Role
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Every check of schemathesis (no 5xx; status, content type, headers and body as
# documented; schema-violating input refused) but one: a schema-valid body may be refused,
# since the document cannot say which ids exist, which city a caller works in, or which
# state a party is in.
EXCLUDED_CHECKS = [positive_data_acceptance]


def _token(base_url: str, username: str) -> str:
    answer = requests.post(
        f"{base_url}/api/v1/auth/token/",
        json={"username": username, "password": factories.PASSWORD},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["token"]


@pytest.fixture(params=[Role.COORDINATOR, Role.VOLUNTEER])
def auth(request, live_server):
    """The Authorization header of a coordinator or a volunteer of a city with a shelter,
    a space and a party. (The test settings lift the request limits.)"""
    city = factories.CityFactory(name="Uralsk")
    shelter = factories.ShelterFactory(city=city)
    factories.SpaceFactory(shelter=shelter, beds=20)
    factories.PartyFactory(city=city)
    person = factories.member(request.param, cities=[city])
    return {"Authorization": f"Token {_token(live_server.url, person.username)}"}


def _document() -> dict:
    """The OpenAPI document that GET /api/schema/ serves, as it serves it (JSON)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, auth, live_server):
    case.call_and_validate(base_url=live_server.url, headers=auth, excluded_checks=EXCLUDED_CHECKS)


def test_the_live_server_serves_this_document(live_server, auth):
    served = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30).json()
    assert served["paths"] == DOCUMENT["paths"]
    assert served["components"] == DOCUMENT["components"]
