"""Django's admin in Russian declines no name: "Выберите группа", "группа … успешно
изменён". Berth's Russian names the kind after a colon (config.django_messages)."""

from html import unescape

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def russian(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    return client


def test_the_back_office_titles_do_not_decline_a_feminine_name(city):
    coordinator = factories.member(Role.COORDINATOR, cities=[city], is_staff=True)
    party = factories.PartyFactory(city=city)
    client = russian(coordinator)
    listed = unescape(client.get("/admin/arrivals/party/").content.decode())
    shown = unescape(client.get(f"/admin/arrivals/party/{party.id}/change/").content.decode())
    assert "<title>Выбор для просмотра: группа |" in listed
    assert "| Просмотр: группа |" in shown
    for html in (listed, shown):
        assert "Выберите группа" not in html and "Просмотреть группа" not in html


def test_a_saved_shelter_is_said_without_a_gender(city):
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    client = russian(superuser)
    added = client.post(
        "/admin/shelters/shelter/add/",
        {
            "city": str(city.id),
            "name": "Спортзал",
            "kind": "gym",
            "status": "open",
            "spaces-TOTAL_FORMS": "0",
            "spaces-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    html = unescape(added.content.decode())
    said = html[html.index('class="messagelist"') :]
    said = said[: said.index("</ul>")]
    assert "Добавлено: пункт размещения «" in said and "Спортзал</a>»." in said


def test_every_back_office_page_has_berth_s_icon(city):
    coordinator = factories.member(Role.COORDINATOR, cities=[city], is_staff=True)
    page = russian(coordinator).get("/admin/").content.decode()
    assert 'rel="icon" href="/static/berth/icons/icon-32.png"' in page
