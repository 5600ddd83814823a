# ruff: noqa: RUF001 - the pages' Kazakh, as they show it
"""Django's admin in Kazakh leaves sentences in English (its catalog lacks them): Berth's
catalog carries them (config.django_messages.ADMIN_MESSAGES, ADMIN_PLURALS), and names
the username as Berth's own pages do."""

import re
import uuid
from html import unescape

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role
from accounts.services import invitation_create
from tests import factories

pytestmark = pytest.mark.django_db

ENGLISH = re.compile(
    r"Please correct|Please enter|doesn’t exist|Change selected|Add another|Delete selected"
    r"|View selected|Models in the|Username|Error:|Breadcrumbs|Toggle navigation|Sidebar"
    r"|Start typing|Filter navigation|for an action|Changed:|Deleted:"
)


def kazakh(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    return client


def text_of(response) -> str:
    return unescape(response.content.decode())


def test_a_failed_sign_in_is_said_in_kazakh(db):
    factories.UserFactory(username="aigerim", is_staff=True)
    client = kazakh()
    wrong = text_of(client.post("/admin/login/", {"username": "aigerim", "password": "not-this"}))
    assert "Қызметкер тіркелгісінің дұрыс пайдаланушы аты мен құпиясөзін енгізіңіз." in wrong
    assert "Пайдаланушы аты:" in wrong  # the field's label, as on Berth's own sign-in page
    empty = text_of(client.post("/admin/login/", {"username": "", "password": ""}))
    assert "Төмендегі қателерді түзетіңіз." in empty
    assert "<title>Қате: " in empty
    for html in (wrong, empty):
        assert ENGLISH.findall(html) == []


def test_an_object_not_found_is_said_in_kazakh(city):
    coordinator = factories.member(Role.COORDINATOR, cities=[city], is_staff=True)
    missing = uuid.uuid4()
    page = kazakh(coordinator).get(f"/admin/shelters/city/{missing}/change/", follow=True)
    html = text_of(page)
    assert f"ID-і «{missing}» болатын қала жоқ. Мүмкін, ол жойылған шығар?" in html
    assert ENGLISH.findall(html) == []


def test_the_links_beside_a_related_field_and_the_app_list_are_in_kazakh(city):
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    client = kazakh(superuser)
    form = text_of(client.get("/admin/shelters/shelter/add/"))
    for title in ("Таңдалған қала өзгерту", "Тағы бір қала қосу", "Таңдалған қала қарау"):
        assert f'title="{title}"' in form
    refused = text_of(client.post("/admin/shelters/shelter/add/", {"name": ""}))
    assert "Төмендегі қателерді түзетіңіз." in refused
    index = text_of(client.get("/admin/"))
    assert "қолданбасындағы модельдер" in index
    assert 'aria-label="Бүйірлік панель"' in form and "Навигация жолы" in form
    factories.member(Role.COORDINATOR, cities=[city], is_staff=True)
    members = text_of(client.get("/admin/accounts/membership/"))
    assert "Осы беттегі барлық нысанды әрекет үшін таңдау" in members
    assert "<title>Өзгерту үшін қатысушы таңдаңыз |" in members  # Django's says "үщін"
    for html in (form, refused, index, members):
        assert ENGLISH.findall(html) == []


def test_the_join_pages_password_check_names_the_username_as_the_page_does(coordinator, city):
    _invitation, path = invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    password = "aruzhan-tulegenova"
    refused = kazakh().post(
        path,
        {"username": "aruzhan.tulegenova", "password": password, "password_again": password},
    )
    assert refused.status_code == 400
    html = text_of(refused)
    assert "Пайдаланушы аты" in html  # the page's label
    assert "Құпиясөз «пайдаланушы аты» өрісіне тым ұқсас." in html
    assert "Қолданушы атауы" not in html


def test_the_recent_actions_say_what_was_done_in_kazakh():
    """A line of the back office's history (LogEntry) is worded when it is shown: "Added.",
    "Changed {fields}." and the rest are Berth's in Kazakh."""
    from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
    from django.utils import translation

    user = factories.UserFactory(username="aigerim", is_staff=True)
    said = []
    for flag, message in [
        (ADDITION, '[{"added": {}}]'),
        (CHANGE, '[{"changed": {"fields": ["beds"]}}]'),
        (DELETION, ""),
    ]:
        entry = LogEntry(user=user, action_flag=flag, object_repr="Hall 1", change_message=message)
        with translation.override("kk"):
            said.append(entry.get_change_message() or str(entry))
    assert said[0] == "Қосылды."
    assert said[1] == "Өзгертілді: орындар."  # the field by its name in the catalog
    assert not [line for line in said if re.search(r"Added|Changed|Deleted", line)]
