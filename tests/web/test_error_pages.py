"""Error pages and Django's own messages in Russian and Kazakh: 403, 404, 500, the CSRF
failure (which keeps what was typed), the login form's errors and the form errors Django
writes. Their texts are Berth's msgids: until `locale/` holds their translations the
Russian and Kazakh assertions fail (tests/test_translations.py says which are missing)."""

import gettext
import json
import re
from pathlib import Path

import django
import pytest
import rest_framework
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from accounts.login import LoginForm
from arrivals.models import PartyMember
from config import django_messages, errors

from .conftest import web_client
from .test_party_v11 import member_post, own_party  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

LANGUAGES = ["ru", "kk"]
CYRILLIC = re.compile("[\u0400-\u04ff]")
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{3,}\b")


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def errors_shown(html: str) -> list[str]:
    """The texts of every error list and error summary of a page."""
    lists = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    lists += re.findall(r"<div class=\"error-summary\".*?<ul>(.*?)</ul>", html, re.S)
    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for block in lists
        for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)
    ]


# --- CSRF failure ------------------------------------------------------------------------


def strict_client(user=None, language="en") -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    return client


def test_a_stale_form_without_a_session_leads_to_login_and_back(city):
    client = strict_client()
    client.cookies["csrftoken"] = "x" * 32
    page = client.post(
        reverse("web-register"),
        {"csrfmiddlewaretoken": "y" * 32, "members-0-given_name": "Aigerim"},
        HTTP_REFERER="http://testserver/register/",
    )
    assert page.status_code == 403
    html = page.content.decode()
    assert "CSRF verification failed" not in html
    assert "Your session has expired" in html
    assert 'href="/accounts/login/?next=%2Fregister%2F"' in html
    assert "kept on this phone" in html  # the registration page keeps its draft and outbox
    assert "Aigerim" not in html  # nothing personal is put back into a page for nobody
    assert "no-store" in page["Cache-Control"]
    assert "/static/berth/berth.css" in html  # the site's page, styled


def test_another_sites_referer_is_not_followed(city):
    client = strict_client()
    page = client.post(reverse("web-register"), {}, HTTP_REFERER="https://evil.example/register/")
    assert page.status_code == 403
    assert 'href="/accounts/login/?next=%2F"' in page.content.decode()


def test_a_stale_login_form_leads_to_where_it_was_going(city):
    page = strict_client().post(
        reverse("login"),
        {"username": "aliya", "password": "secret", "next": "/register/"},
        HTTP_REFERER="http://testserver/accounts/login/?next=/register/",
    )
    html = page.content.decode()
    assert page.status_code == 403
    assert 'href="/accounts/login/?next=%2Fregister%2F"' in html
    assert "secret" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_csrf_page_in_russian_and_kazakh(city, language):
    page = strict_client(language=language).post(
        reverse("web-register"), {}, HTTP_REFERER="http://testserver/register/"
    )
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    title = in_language(language, "Your session has expired")
    assert f"<h1>{title}</h1>" in html
    assert title != "Your session has expired", "not translated yet (locale/)"
    assert "Your session has expired" not in html


def test_logged_in_again_elsewhere_the_form_comes_back_to_send_again(volunteer, own_party):  # noqa: F811
    """The volunteer logged in again in another tab (the token changed): the correction
    they sent from the old tab is offered again, with a fresh token, and goes through."""
    client = strict_client(volunteer)
    path = reverse("web-party-edit", args=[own_party.id])
    client.get(path)  # the page, with its token
    rows = [
        {"given_name": "Aigerim", "sex": "female", "age_group": "adult"},
        {"given_name": "Timur", "sex": "male", "age_group": "child"},
        {"given_name": "Dana", "sex": "female", "age_group": "infant"},
    ]
    data = member_post(rows, notes="Came by bus 12", csrfmiddlewaretoken="z" * 32)
    page = client.post(path, data, HTTP_ORIGIN="http://testserver")
    assert page.status_code == 403
    html = page.content.decode()
    assert "This page was out of date" in html
    assert 'value="Dana"' in html and 'value="Came by bus 12"' in html
    assert f'action="{path}"' in html
    assert PartyMember.objects.filter(party=own_party).count() == 2  # nothing changed yet
    # "Send again": the page's form, as the browser sends it.
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', html.split("data-send-again")[1]
    )
    fields = re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
        html.split("data-send-again")[1].split("</form>")[0],
    )
    again: dict[str, list[str]] = {}
    for name, value in fields:
        again.setdefault(name, []).append(value)
    again["csrfmiddlewaretoken"] = [token.group(1)]
    answer = client.post(path, again, HTTP_ORIGIN="http://testserver")
    assert answer.status_code == 302
    own_party.refresh_from_db()
    assert own_party.size == 3 and own_party.notes == "Came by bus 12"


def test_a_forged_form_from_another_site_is_never_offered_again(volunteer, own_party):  # noqa: F811
    client = strict_client(volunteer)
    path = reverse("web-party-edit", args=[own_party.id])
    data = member_post([{"given_name": "Mallory", "sex": "male", "age_group": "adult"}])
    for headers in ({"HTTP_ORIGIN": "https://evil.example"}, {}):
        page = client.post(path, data, **headers)
        assert page.status_code == 403
        html = page.content.decode()
        assert "Mallory" not in html and "data-send-again" not in html


def test_the_api_answers_json(volunteer):
    request = RequestFactory().post("/api/v1/parties/")
    request.user = volunteer
    answer = errors.csrf_failure(request, reason="CSRF cookie not set.")
    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/json"


# --- 403, 404, 500 -----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_not_found_and_not_allowed_in_russian_and_kazakh(volunteer, language):
    client = web_client(volunteer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    assert f"<h1>{in_language(language, 'Not found')}</h1>" in html
    assert "Not found" not in html, "not translated yet (locale/)"


@pytest.mark.parametrize("language", LANGUAGES)
def test_forbidden_page_in_russian_and_kazakh(manager, language):
    client = web_client(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("web-register"))
    assert page.status_code == 403
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    assert "Not allowed" not in html


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_a_server_error_page_is_translated_and_styled(language):
    """The 500 page is rendered without the request's context (no session, no user),
    in the language of the request's cookie or Accept-Language."""
    request = RequestFactory().get("/find/", HTTP_ACCEPT_LANGUAGE=language)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        page = errors.server_error(request)
    html = page.content.decode()
    assert page.status_code == 500
    assert f'<html lang="{language}">' in html
    assert "/static/berth/berth.css" in html
    title = in_language(language, "Server error")
    assert f"<h1>{title}</h1>" in html
    if language != "en":
        assert "Server error" not in html and "Something went wrong" not in html
    api = RequestFactory().get("/api/v1/parties/", HTTP_ACCEPT_LANGUAGE=language)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        answer = errors.server_error(api)
    assert answer.status_code == 500
    assert json.loads(answer.content)["code"] == "server_error"


# --- The login form and Django's form errors ---------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_password_is_said_in_the_language_of_the_page(volunteer, language):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.post(reverse("login"), {"username": volunteer.username, "password": "wrong"})
    html = page.content.decode()
    assert page.status_code == 200
    shown = errors_shown(html)
    assert shown == [in_language(language, "Wrong username or password.")]
    assert "Please enter a correct" not in html
    assert all(CYRILLIC.search(text) for text in shown), shown
    for label in ("Username", "Password"):
        assert f">{in_language(language, label)}</label>" in html
        assert f">{label}</label>" not in html, "not translated yet (locale/)"
    empty = client.post(reverse("login"), {"username": "", "password": ""}).content.decode()
    required = errors_shown(empty)
    message = in_language(language, "This field is required.")
    username, password = in_language(language, "Username"), in_language(language, "Password")
    # At each field, and in the summary at the top naming the field.
    assert required == [message, message, f"{username}: {message}", f"{password}: {message}"]
    assert all(CYRILLIC.search(text) for text in required), required


def test_a_switched_off_account_is_told_so(volunteer):
    volunteer.is_active = False
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            LoginForm(data={}).confirm_login_allowed(volunteer)
        assert refused.value.messages == [
            "This account is switched off. Ask the coordinator of your city."
        ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_djangos_own_form_errors_are_in_the_language_of_the_page(volunteer, city, language):
    """A registration sent without its script (or tampered with) meets the errors Django
    writes: a name too long, a count that is not a number, a choice that does not
    exist, too many people, the formset's hidden counts missing."""
    client = web_client(volunteer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    register = reverse("web-register")
    rows = [{"given_name": "A" * 300, "sex": "9", "age_group": "adult", "needs": "7"}]
    bad_fields = member_post(rows, city=str(city.id), pets="many", nights_needed="0")
    pages = [
        client.post(register, bad_fields),
        client.post(register, member_post([{"given_name": "A"}] * 31, city=str(city.id))),
        client.post(register, {"city": str(city.id), "consent": "on"}),
    ]
    shown = [text for page in pages for text in errors_shown(page.content.decode())]
    assert len(shown) >= 6, shown
    english = [text for text in shown if ENGLISH_WORDS.search(text)]
    assert english == [], f"English left in {language}: {english}"


def test_the_django_messages_named_are_djangos_own():
    """Each message named in config.django_messages is spelled as Django or DRF spells it
    (found in Django's Russian catalog or DRF's German one, which has every message), so
    the translations given replace theirs."""
    catalog = {}
    django_dir = Path(django.__file__).parent
    for path in (
        django_dir / "conf" / "locale" / "ru" / "LC_MESSAGES" / "django.mo",
        django_dir / "contrib" / "auth" / "locale" / "ru" / "LC_MESSAGES" / "django.mo",
        Path(rest_framework.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.mo",
    ):
        catalog.update(gettext.GNUTranslations(path.open("rb"))._catalog)  # type: ignore[attr-defined]
    for message in django_messages.MESSAGES:
        assert message in catalog, message
    admin = django_dir / "contrib" / "admin" / "locale" / "ru" / "LC_MESSAGES" / "django.mo"
    catalog.update(gettext.GNUTranslations(admin.open("rb"))._catalog)  # type: ignore[attr-defined]
    for message in django_messages.ADMIN_MESSAGES:
        assert message in catalog, message
    for plural in [*django_messages.PLURALS, *django_messages.ADMIN_PLURALS]:
        singular = plural._kw["singular"]  # type: ignore[attr-defined]
        assert (singular, 0) in catalog, singular
    for month in django_messages.MONTHS_IN_A_DATE:
        context, name = month._args  # type: ignore[attr-defined]
        assert f"{context}\x04{name}" in catalog, name


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_a_bad_request_page_is_translated_and_styled(language):
    """Django's 400 (a Host not allowed, a suspicious request) is rendered without a
    context: templates/400.html takes the request's language all the same."""
    client = Client(HTTP_HOST="not-an-allowed-host.example")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/find/")
    html = page.content.decode()
    assert page.status_code == 400
    assert f'<html lang="{language}">' in html
    assert "/static/berth/berth.css" in html
    assert f"<h1>{in_language(language, 'Bad request')}</h1>" in html
    if language != "en":
        assert "Bad request" not in html, "not translated yet (locale/)"


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_a_button_s_address_opened_as_a_page_says_so(coordinator, language):
    client = web_client(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    invitation = client.get("/invitations/00000000-0000-0000-0000-000000000000/withdraw/")
    assert invitation.status_code == 405
    assert invitation["Allow"] == "POST"
    html = invitation.content.decode()
    assert in_language(language, "This address belongs to a button") in html
    assert in_language(language, "Back to the start page") in html


def test_an_api_path_no_route_matches_answers_json_also_with_debug_on(settings, client):
    settings.DEBUG = True
    for path in ("/api/v1/nonexistent/", "/api/v1/parties"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Not found."}
