"""Every page on a phone, in English, Russian and Kazakh (the login page with its errors,
the CSRF, 403, 404 and 500 pages among them): a screenshot of each (in
artifacts/screenshots/), no serious or critical accessibility violation (axe-core), no
horizontal scrolling, and in Russian and Kazakh no English left.

"No English left" compares the page with its English rendering: every text a person can
read (text nodes, labels for assistive technology, the messages the page's script shows)
that has Latin words in English must not appear unchanged in the other language. A msgid
without a translation shows its English text in both and fails the test. What is not
interface (the brand, names, codes, the data of the test) is listed in DATA.
"""

import re
from pathlib import Path

import pytest
from django.test import RequestFactory

from accounts.models import Role
from arrivals import services
from config import errors
from tests import factories

from .conftest import locked, log_in, screenshot, set_language
from .test_outbox import fill_party, open_register, register, wait_for_worker

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "ru", "kk"]
# Not interface text: the brand, the language switcher's own names (marked with their
# `lang`, and skipped as such), and the test's data.
DATA = {
    "Berth",
    "Uralsk",
    "Cinema Park",
    "Dostyk Avenue 190",
    "Auditorium 1",
    "Aigerim",
    "Timur",
    "Ainur",
    "Daniyar",
    "Nurlanova",
    "Syrym border crossing",
    "aliya",
    "marat",
    "Aigerim, Timur, Ainur",
}

SCRIPTS = Path(__file__).parent / "scripts"
COLLECT = (SCRIPTS / "texts.js").read_text()
AXE_RUN = (SCRIPTS / "axe.js").read_text()


@pytest.fixture
def site(db):
    city = factories.CityFactory(name="Uralsk")
    shelter = factories.ShelterFactory(city=city, name="Cinema Park", address="Dostyk Avenue 190")
    space = factories.SpaceFactory(shelter=shelter, name="Auditorium 1", beds=10)
    volunteer = factories.member(Role.VOLUNTEER, cities=[city], username="aliya")
    party = factories.PartyFactory(
        city=city,
        created_by=volunteer,  # so that the volunteer may correct it
        members=[
            {"given_name": "Aigerim", "family_name": "Nurlanova", "sex": "female"},
            {"given_name": "Timur", "age_group": "child"},
        ],
    )
    services.placement_create(party_id=party.id, space_id=space.id, actor="test")
    return {
        "volunteer": volunteer,
        "manager": factories.member(Role.SHELTER_MANAGER, shelters=[shelter], username="marat"),
        "party": party,
        "shelter": shelter,
    }


def server_error_page(language: str) -> str:
    """The 500 page as the server renders it for an error (no request context)."""
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=language)
    try:
        raise RuntimeError("an error of the test")
    except RuntimeError:
        return errors.server_error(request).content.decode()


def _data(text: str) -> bool:
    """Data, a code, a time or a link, or such parts joined by ' · ' (a page's title) or
    ', ' (an address and its city)."""
    return all(
        part in DATA
        or re.fullmatch(r"[A-Z0-9 :,.()-]+", part)
        or re.fullmatch(r"\d{1,2}:\d{2}( [AP]M)?", part)
        or re.fullmatch(r"https?://\S+", part)
        for part in re.split(" · |, ", text)
    )


def interface(texts) -> set[str]:
    """The texts that are English words of the interface, not data."""
    return {text for text in texts if re.search("[A-Za-z]{2}", text) and not _data(text)}


def check(page, name: str, language: str, axe_source: str) -> set[str]:
    """Screenshot, accessibility, width; returns the page's texts."""
    assert page.evaluate("document.documentElement.lang") == language, name
    screenshot(page, f"{language}-{name}")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), f"{name}: the page scrolls sideways"
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source)
    problems = page.evaluate(AXE_RUN)
    assert problems == [], f"{language} {name}: {problems}"
    return set(page.evaluate(COLLECT))


def every_page(chromium, server, site, language: str, axe_source: str) -> dict[str, set[str]]:
    """Opens every page, and the registration page in each of its states."""
    texts = {}

    def context_for(user=None, **options):
        context = chromium.new_context(base_url=server, **_phone(), **options)
        context.set_default_timeout(15_000)
        set_language(context, server, language)
        if user is not None:
            log_in(context, server, user)
        return context

    anonymous = context_for()
    page = anonymous.new_page()
    page.goto("/accounts/login/?next=/register/")
    texts["login"] = check(page, "login", language, axe_source)
    page.fill("#id_username", "aliya")
    page.fill("#id_password", "not the password")
    page.click("form[data-login] button[type=submit]")
    page.wait_for_selector("form[data-login] [data-error-summary]")
    texts["login-errors"] = check(page, "login-errors", language, axe_source)
    # The login page left open while the phone dropped its cookies: the token check fails.
    anonymous.clear_cookies()
    set_language(anonymous, server, language)
    page.fill("#id_password", factories.PASSWORD)
    page.click("form[data-login] button[type=submit]")
    page.wait_for_selector("[data-csrf-failure]")
    texts["csrf"] = check(page, "csrf", language, axe_source)
    page.goto("/offline/")
    texts["offline"] = check(page, "offline", language, axe_source)
    assert page.goto("/no-such-page/").status == 404
    texts["not-found"] = check(page, "not-found", language, axe_source)
    anonymous.close()

    # The 500 page, as the server renders it, answered to the browser (no service worker
    # in between, which the route would not see).
    html = locked(lambda: server_error_page(language))
    failing = context_for(service_workers="block")
    page = failing.new_page()
    page.route(
        "**/server-error/",
        lambda route: route.fulfill(status=500, content_type="text/html", body=html),
    )
    page.goto("/server-error/")
    texts["server-error"] = check(page, "server-error", language, axe_source)
    failing.close()

    manager = context_for(site["manager"])
    page = manager.new_page()
    page.goto(f"/shelters/{site['shelter'].id}/")
    texts["shelter"] = check(page, "shelter", language, axe_source)
    page.goto("/")
    texts["home-manager"] = check(page, "home-manager", language, axe_source)
    assert page.goto("/register/").status == 403  # not for shelter managers
    texts["forbidden"] = check(page, "forbidden", language, axe_source)
    manager.close()

    volunteer = context_for(site["volunteer"])
    page = volunteer.new_page()
    for name, path in [
        ("home", "/"),
        ("find", "/find/"),
        ("party", f"/parties/{site['party'].id}/"),
    ]:
        page.goto(path)
        texts[name] = check(page, name, language, axe_source)
    # The slip the party is shown or sent (no login), linked from the party page.
    page.goto(page.locator("a[href*='/slip/']").first.get_attribute("href"))
    texts["slip"] = check(page, "slip", language, axe_source)
    page.goto(f"/parties/{site['party'].id}/edit/")
    texts["party-edit"] = check(page, "party-edit", language, axe_source)
    page.close()

    page = open_register(volunteer)
    texts["register"] = check(page, "register", language, axe_source)
    register(page)  # nothing filled in: the page's own messages at the fields
    page.wait_for_selector("form .errorlist")
    texts["register-errors"] = check(page, "register-errors", language, axe_source)
    wait_for_worker(page)
    volunteer.set_offline(True)
    page.reload()
    page.wait_for_selector("form[data-ready]")
    fill_party(page)
    register(page)
    page.wait_for_selector(".outbox-item.waiting")
    texts["register-offline"] = check(page, "register-offline", language, axe_source)
    volunteer.set_offline(False)
    page.wait_for_selector(".outbox-item.sent")
    texts["register-sent"] = check(page, "register-sent", language, axe_source)
    fill_party(page)
    volunteer.clear_cookies()
    register(page)
    page.wait_for_selector("[data-outbox-login]:not([hidden])")
    texts["register-login"] = check(page, "register-login", language, axe_source)
    volunteer.close()
    return texts


def _phone():
    from .conftest import PHONE

    return PHONE


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_in_every_language(chromium, server, site, axe_source, language):
    texts = every_page(chromium, server, site, language, axe_source)
    assert len(texts) == 19
    if language == "en":
        assert interface(texts["register"]) >= {"People", "Register and find a bed"}
        return
    english = every_page(chromium, server, site, "en", axe_source)
    left = {
        name: sorted(interface(english[name]) & texts[name])
        for name in texts
        if interface(english[name]) & texts[name]
    }
    assert left == {}, f"English left in {language}: {left}"
    # The check has teeth: the English pages hold plenty that it looks for (the error
    # pages the fewest: a title, a heading, a sentence and a link).
    thin = {name: sorted(interface(english[name])) for name in english}
    assert all(len(found) >= 4 for found in thin.values()), {
        name: found for name, found in thin.items() if len(found) < 4
    }
    assert locked(lambda: site["party"].__class__.objects.count()) == 3
