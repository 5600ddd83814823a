"""Issue 10, item 11: input. Control characters are refused in every text field (one
check, `config.text`), neutralised in exports; an API key for no city is refused; time
zones are IANA names; a time without its zone is refused."""

import csv
import io
import unicodedata

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from accounts.models import ApiKey
from arrivals.models import Party
from meals.models import MealService
from shelters.models import City, Shelter, Space
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

# ESC (an escape sequence), BEL, backspace, DEL, and CSI of the C1 range.
CONTROL = ["\x1b[31mred", "ring\x07", "back\x08space", "del\x7f", "csi\x9b2J"]
# Fields that take no text a person reads: secrets and usernames (Django's username check
# allows only letters, digits and @.+-_).
EXEMPT = {"password", "username"}


def _text_fields(serializer, path=""):
    """The writable text fields of a serializer, nested ones too, as (path, field)."""
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListField | serializers.DictField):
            field = field.child
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from _text_fields(field, f"{path}{name}.")
        elif isinstance(field, serializers.CharField) and not isinstance(
            field, serializers.ChoiceField
        ):
            yield f"{path}{name}", field


def _request_serializers():
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, _regex, method, callback in generator.endpoints:
        if method not in {"POST", "PATCH", "PUT"}:
            continue
        view = generator.create_view(callback, method)
        serializer = view.schema.get_request_serializer()
        if isinstance(serializer, type):
            serializer = serializer()
        if isinstance(serializer, serializers.Serializer):
            yield f"{method} {path}", serializer


def test_every_text_field_the_api_reads_refuses_control_characters():
    """Whatever serializer an endpoint reads its body with, each of its text fields runs a
    check that refuses control characters (config.text, through config.fields)."""
    unchecked = []
    for operation, serializer in _request_serializers():
        for path, field in _text_fields(serializer):
            if path.rsplit(".", 1)[-1] in EXEMPT:
                continue
            for value in CONTROL:
                try:
                    field.run_validators(value)
                except serializers.ValidationError:
                    continue  # refused, as it should be
                unchecked.append(f"{operation} {path} took {value!r}")
                break
    assert not unchecked, "\n".join(unchecked)


@pytest.fixture
def placed_party(city, shelter):
    space = factories.SpaceFactory(shelter=shelter)
    return factories.PartyFactory(city=city), space


def _party(city, **changes):
    body = {
        "city": str(city.id),
        "consent": True,
        "members": [{"given_name": "Aigerim", "sex": "female", "age_group": "adult"}],
    }
    body.update(changes)
    return body


@pytest.mark.parametrize("value", CONTROL)
@pytest.mark.parametrize(
    "field", ["notes", "registration_point", "given_name", "family_name", "contact_phone"]
)
def test_party_text_fields_refuse_control_characters(coordinator_client, city, field, value):
    if field in {"given_name", "family_name"}:
        member = {"given_name": "Aigerim", "sex": "female", "age_group": "adult", field: value}
        body = _party(city, members=[member])
    else:
        # A phone is digits: the control character alone, between valid ones.
        control = next(ch for ch in value if unicodedata.category(ch) == "Cc")
        text = f"+7 701{control}123 45 67" if field == "contact_phone" else value
        body = _party(city, **{field: text})
    answer = coordinator_client.post("/api/v1/parties/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in str(answer.json())
    assert not Party.objects.exists()


@pytest.mark.parametrize("value", ["\u200b", "\u202e", "\ufeff \u200d", "\u2028", "\u3000"])
def test_a_name_with_nothing_to_see_is_refused(coordinator_client, city, value):
    member = {"given_name": value, "sex": "female", "age_group": "adult"}
    answer = coordinator_client.post(
        "/api/v1/parties/", _party(city, members=[member]), format="json"
    )
    assert answer.status_code == 400, answer.content
    assert "given_name" in str(answer.json())
    assert not Party.objects.exists()


@pytest.mark.parametrize("value", ["\u202bАйгерим\u202c", "👨\u200d👩\u200d👧", "Ай гүл"])  # noqa: RUF001 - Cyrillic names
def test_names_with_direction_marks_and_joiners_are_taken(coordinator_client, city, value):
    member = {"given_name": value, "sex": "female", "age_group": "adult"}
    answer = coordinator_client.post(
        "/api/v1/parties/", _party(city, members=[member]), format="json"
    )
    assert answer.status_code == 201, answer.content


@pytest.mark.parametrize("value", ["did not\ncome", "tab\there", "a\u2028b"])
def test_reasons_are_one_line(coordinator_client, city, placed_party, value):
    party, space = placed_party
    placement = coordinator_client.post(
        "/api/v1/placements/",
        {"party": str(party.id), "space": str(space.id), "reason": value},
        format="json",
    )
    assert placement.status_code == 400 and "reason" in placement.json()
    placement = coordinator_client.post(
        "/api/v1/placements/", {"party": str(party.id), "space": str(space.id)}, format="json"
    )
    assert placement.status_code == 201
    for path in (
        f"/api/v1/placements/{placement.json()['id']}/cancel/",
        f"/api/v1/parties/{party.id}/cancel/",
    ):
        answer = coordinator_client.post(path, {"reason": value}, format="json")
        assert answer.status_code == 400 and "reason" in answer.json(), path
    party.refresh_from_db()
    assert party.status == "placed"


def test_notes_keep_line_breaks_and_tabs(coordinator_client, city):
    notes = "Needs a ground floor.\r\nArrives at 02:00\twith a cat.\u2028A pasted line."
    answer = coordinator_client.post("/api/v1/parties/", _party(city, notes=notes), format="json")
    assert answer.status_code == 201, answer.content
    assert Party.objects.get().notes == notes


@pytest.mark.parametrize(
    "value", ["Gym\nNumber 2", "Gym\t2", "a\rb", "Gym\u2028Number 2", "Gym \u202e2 mys"]
)
def test_one_line_fields_refuse_line_breaks_and_tabs(coordinator_client, city, value):
    answer = coordinator_client.post(
        "/api/v1/shelters/",
        {"city": str(city.id), "name": value, "kind": "gym", "address": "Street 1"},
        format="json",
    )
    assert answer.status_code == 400
    assert list(answer.json()) == ["name"]


@pytest.mark.parametrize("value", CONTROL)
@pytest.mark.parametrize("field", ["name", "address", "notes", "contact_phone"])
def test_shelter_text_fields_refuse_control_characters(coordinator_client, city, field, value):
    body = {"city": str(city.id), "name": "School 12", "kind": "school", "address": "Street 1"}
    body[field] = value
    answer = coordinator_client.post("/api/v1/shelters/", body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert not Shelter.objects.exists()


def test_space_city_api_key_meal_and_webhook_texts_refuse_control_characters(
    coordinator_client, superuser_client, city, shelter
):
    refused = {
        "space": coordinator_client.post(
            "/api/v1/spaces/",
            {"shelter": str(shelter.id), "name": "Hall\x1b[2J", "beds": 5},
            format="json",
        ),
        "city": superuser_client.post(
            "/api/v1/cities/", {"name": "Ural\x07sk", "timezone": "Asia/Oral"}, format="json"
        ),
        "api key": coordinator_client.post(
            "/api/v1/api-keys/", {"name": "bot\x1b", "scopes": ["capacity:read"]}, format="json"
        ),
        "meal": coordinator_client.post(
            "/api/v1/meal-services/",
            {
                "city": str(city.id),
                "location": "Station\x08",
                "meal": "lunch",
                "starts_at": "2022-09-28T12:00:00+05:00",
            },
            format="json",
        ),
        "webhook": coordinator_client.post(
            "/api/v1/webhooks/",
            {
                "city": str(city.id),
                "url": "https://example.com/hook\x1b[31m",
                "events": ["party.registered"],
            },
            format="json",
        ),
    }
    assert {name: answer.status_code for name, answer in refused.items()} == {
        name: 400 for name in refused
    }
    assert not Space.objects.exists()
    assert City.objects.count() == 1
    assert not ApiKey.objects.exists()
    assert not MealService.objects.exists()


def test_the_web_form_refuses_control_characters_in_a_single_line_field(volunteer, city):
    """The forms use the same check: the registration point is one line."""
    from tests.web.conftest import web_client
    from tests.web.test_register import form_data

    page = web_client(volunteer).post(
        reverse("web-register"), form_data(city, registration_point="Bus\x1b[31m station")
    )
    assert page.status_code == 200
    assert "The text cannot hold control characters or line breaks." in page.content.decode()
    assert not Party.objects.exists()


def test_the_meals_csv_neutralises_control_characters_stored_before(coordinator, city):
    """A shelter named before names were checked: its name reaches the CSV without its
    control characters (replaced by U+FFFD), line breaks and tabs kept."""
    shelter = factories.ShelterFactory(city=city, name="=School\x1b[31m 12\x07\tnorth")
    MealService.objects.create(
        city=city, shelter=shelter, meal="lunch", starts_at="2022-09-28T07:00:00+00:00"
    )
    answer = client_for(coordinator).get(
        "/api/v1/meals/report/", {"city": str(city.id), "date": "2022-09-28", "format": "csv"}
    )
    assert answer.status_code == 200, answer.content
    text = answer.content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'=School\ufffd[31m 12\ufffd\tnorth" in cells
    for cell in cells:
        assert not any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in cell), repr(
            cell
        )


# --- API keys ---------------------------------------------------------------------------


def test_an_api_key_for_no_city_is_refused(coordinator_client):
    answer = coordinator_client.post(
        "/api/v1/api-keys/",
        {"name": "bot", "scopes": ["capacity:read"], "cities": []},
        format="json",
    )
    assert answer.status_code == 400
    assert "cities" in answer.json()
    assert not ApiKey.objects.exists()


def test_an_api_key_without_cities_gets_its_makers(coordinator_client, city):
    answer = coordinator_client.post(
        "/api/v1/api-keys/", {"name": "bot", "scopes": ["capacity:read"]}, format="json"
    )
    assert answer.status_code == 201
    assert answer.json()["cities"] == [str(city.id)]


def test_the_key_service_refuses_an_empty_list_too(coordinator):
    from django.core.exceptions import ValidationError

    from accounts.services import api_key_create

    with pytest.raises(ValidationError):
        api_key_create(name="bot", scopes=["capacity:read"], cities=[], created_by=coordinator)
    assert not ApiKey.objects.exists()


# --- Time zones and times -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["localtime", "EST5EDT", "UTC+3", "Etc/GMT-3", "US/Eastern", "Factory", "posixrules", "Asia"],
)
def test_time_zones_are_iana_names_only(superuser_client, name):
    answer = superuser_client.post(
        "/api/v1/cities/", {"name": "Uralsk", "timezone": name}, format="json"
    )
    assert answer.status_code == 400
    assert "timezone" in answer.json()
    assert not City.objects.exists()


@pytest.mark.parametrize("name", ["Asia/Oral", "UTC", "America/Argentina/Salta"])
def test_iana_time_zones_are_taken(superuser_client, name):
    answer = superuser_client.post(
        "/api/v1/cities/", {"name": "Uralsk", "timezone": name}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert City.objects.get().timezone == name


def test_a_city_cannot_be_moved_to_localtime(superuser_client, city):
    answer = superuser_client.patch(
        f"/api/v1/cities/{city.id}/", {"timezone": "localtime"}, format="json"
    )
    assert answer.status_code == 400
    city.refresh_from_db()
    assert city.timezone == "Asia/Oral"


@pytest.mark.parametrize("starts_at", ["2022-09-28T12:00:00", "2022-09-28 12:00", "2022-09-28"])
def test_a_time_without_its_zone_is_refused(coordinator_client, city, starts_at):
    answer = coordinator_client.post(
        "/api/v1/meal-services/",
        {"city": str(city.id), "location": "Station", "meal": "lunch", "starts_at": starts_at},
        format="json",
    )
    assert answer.status_code == 400
    assert "starts_at" in answer.json()
    assert not MealService.objects.exists()


@pytest.mark.parametrize("starts_at", ["2022-09-28T12:00:00+05:00", "2022-09-28T07:00:00Z"])
def test_a_time_with_its_zone_is_taken(coordinator_client, city, starts_at):
    answer = coordinator_client.post(
        "/api/v1/meal-services/",
        {"city": str(city.id), "location": "Station", "meal": "lunch", "starts_at": starts_at},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert MealService.objects.get().starts_at.isoformat() == "2022-09-28T07:00:00+00:00"


def test_the_back_office_refuses_control_characters(city):
    from django.test import Client

    client = Client()
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    answer = client.post(
        f"/admin/shelters/city/{city.id}/change/",
        {"name": "Ural\x1bsk", "timezone": "Asia/Oral", "coordinator_phone": ""},
    )
    assert answer.status_code == 200  # the form again, with its error
    assert "The text cannot hold control characters or line breaks." in answer.content.decode()
    city.refresh_from_db()
    assert "\x1b" not in city.name


@pytest.mark.parametrize("name", ["from", "to"])
def test_a_query_time_without_its_zone_is_refused(coordinator_client, city, name):
    answer = coordinator_client.get(
        "/api/v1/capacity/history/", {"city": str(city.id), name: "2022-09-28T12:00:00"}
    )
    assert answer.status_code == 400
    assert name in answer.json()
    taken = coordinator_client.get(
        "/api/v1/capacity/history/", {"city": str(city.id), name: "2022-09-28T12:00:00Z"}
    )
    assert taken.status_code == 200, taken.content
