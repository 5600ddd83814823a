"""A page's form sent after the session ended: the login page says it was not saved and
returns to the page the form was on (config.middleware.SessionEndedMiddleware)."""

import pytest
from django.test import Client
from django.urls import reverse

from shelters.models import Space

from .conftest import web_client

pytestmark = pytest.mark.django_db


def test_a_form_sent_after_the_session_ended_is_said_not_saved(space):
    page = reverse("web-shelter", args=[space.shelter_id])
    answer = Client().post(
        reverse("web-space-beds", args=[space.id]),
        {"beds": "95", "version": space.version},
        HTTP_REFERER=f"http://testserver{page}",
        follow=True,
    )
    login = answer.redirect_chain[0][0]
    assert login == f"/accounts/login/?next={page.replace('/', '%2F')}"
    assert "what you sent was not saved" in answer.content.decode()
    assert Space.objects.get(id=space.id).beds == 10


def test_no_word_for_a_logout_nor_a_page_asked_for(volunteer):
    client = web_client(volunteer)
    out = client.post(reverse("logout"), follow=True)
    assert "what you sent was not saved" not in out.content.decode()
    asked = Client().get(reverse("web-register"), follow=True)
    assert "what you sent was not saved" not in asked.content.decode()


def test_a_foreign_referer_is_not_returned_to(space):
    answer = Client().post(
        reverse("web-space-beds", args=[space.id]),
        {"beds": "95"},
        HTTP_REFERER="https://evil.example/steal",
    )
    assert answer.status_code == 302
    assert "evil.example" not in answer["Location"]
