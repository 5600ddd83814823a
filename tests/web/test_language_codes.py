"""A language code typed in the registration form is stored as the API stores the same
code (`arrivals.languages.normal_code`): "zh-Hant" stays "zh-Hant", "KK" is "kk"."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from arrivals.models import Party

from .conftest import web_client
from .test_register import form_data

pytestmark = pytest.mark.django_db


def register_by_api(volunteer, city, languages: list[str]) -> Party:
    api = APIClient()
    api.force_authenticate(volunteer)
    member = {"given_name": "Aliya", "sex": "female", "age_group": "adult"}
    answer = api.post(
        "/api/v1/parties/",
        {"city": str(city.id), "consent": True, "languages": languages, "members": [member]},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    return Party.objects.get(id=answer.json()["id"])


@pytest.mark.parametrize(
    ("typed", "code"),
    [("zh-Hant", "zh-Hant"), ("ZH-hant", "zh-hant"), ("kk", "kk"), ("KK", "kk")],
)
def test_a_code_typed_in_the_form_is_stored_as_the_api_stores_it(volunteer, city, typed, code):
    page = web_client(volunteer).post(
        reverse("web-register"), form_data(city, languages=[], other_languages=typed)
    )
    assert page.status_code == 302
    from_api = register_by_api(volunteer, city, [typed])
    from_form = Party.objects.exclude(id=from_api.id).get()
    assert from_form.languages == from_api.languages == [code]


def test_a_correction_keeps_a_code_the_api_stored(volunteer, city):
    # A code shown back in "other languages" and sent again is not changed by the form.
    party = register_by_api(volunteer, city, ["ru", "zh-Hant"])
    edit = reverse("web-party-edit", args=[party.id])
    page = web_client(volunteer).get(edit).content.decode()
    assert 'name="other_languages" value="zh-Hant"' in page
    data = form_data(
        city,
        [{"given_name": "Aliya", "sex": "female", "age_group": "adult"}],
        other_languages="zh-Hant",
    )
    response = web_client(volunteer).post(edit, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    party.refresh_from_db()
    assert party.languages == ["ru", "zh-Hant"]
