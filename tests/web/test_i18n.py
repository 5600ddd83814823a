"""Russian and Kazakh pages: Accept-Language, the language cookie, the switcher."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from arrivals.models import PartyStatus

from .conftest import web_client

pytestmark = pytest.mark.django_db


def test_accept_language_russian(volunteer):
    page = web_client(volunteer).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ru")
    text = page.content.decode()
    assert '<html lang="ru">' in text
    assert "Зарегистрировать прибывших" in text
    assert "Найти группу по коду" in text


def test_language_cookie_kazakh(volunteer):
    client = web_client(volunteer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    page = client.get(reverse("web-register"))
    text = page.content.decode()
    assert '<html lang="kk">' in text
    assert "Келгендерді тіркеу" in text
    assert "Адам қосу" in text


def test_switcher_sets_the_language(volunteer):
    client = web_client(volunteer)
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/find/"})
    assert response.status_code == 302
    assert response["Location"] == "/find/"
    page = client.get("/find/")
    assert "Найти группу по коду" in page.content.decode()


def test_login_page_in_russian():
    page = web_client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ru")
    assert "Войти" in page.content.decode()


def test_russian_form_errors(volunteer, city):
    page = web_client(volunteer).post(
        reverse("web-register"),
        {"city": str(city.id), "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Сначала спросите согласие" in text


def test_party_page_in_kazakh(volunteer, placed_party):
    page = web_client(volunteer).get(
        reverse("web-party", args=[placed_party.id]), HTTP_ACCEPT_LANGUAGE="kk"
    )
    text = page.content.decode()
    assert "Қайда бару керек" in text  # noqa: RUF001 - Kazakh text
    assert "Орын табылды" in text  # the status "placed"


def test_conflict_detail_is_translated(coordinator, party):
    page = web_client(coordinator).post(
        reverse("web-party-check-in", args=[party.id]), follow=True, HTTP_ACCEPT_LANGUAGE="ru"
    )
    shown = re.findall(r'<li class="error">(.*?)</li>', page.content.decode())
    assert len(shown) == 1
    assert re.search("[\u0400-\u04ff]", shown[0]), shown  # Cyrillic: the detail in Russian


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_choice_label_is_translated(language):
    with translation.override(language):
        for status in PartyStatus:
            assert str(status.label) != status.value.replace("_", " ").capitalize()
