"""The field app's other flows on a phone: a waiting party corrected into one that fits
and seen placed (the page polls); the slip opened by someone with no login; a form whose
session or token went stale (the CSRF page) never loses what was typed, and the
registration kept on the phone is sent once the volunteer is logged in again."""

import re

import pytest

from accounts.models import Role
from arrivals import services
from arrivals.models import Party, PartyStatus, WaitingReason
from shelters.services import city_update
from tests import factories

from .conftest import PHONE, locked, log_in, screenshot
from .test_outbox import fill_party, given_names, open_register, outbox_states, parties, register

pytestmark = pytest.mark.browser


@pytest.fixture
def city(db):
    city = factories.CityFactory(name="Uralsk")
    return city_update(city_id=city.id, data={"coordinator_phone": "+7 711 250-00-00"})


@pytest.fixture
def volunteer(city):
    return factories.member(Role.VOLUNTEER, cities=[city], username="aliya")


@pytest.fixture
def space(city):
    shelter = factories.ShelterFactory(
        city=city, name="Cinema Park", address="Dostyk Avenue 190", pets_allowed=False
    )
    return factories.SpaceFactory(shelter=shelter, name="Auditorium 1", beds=10)


def log_in_through_the_page(page, user) -> None:
    page.fill("#id_username", user.username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("form[data-login] button[type=submit]")


def test_a_waiting_party_corrected_into_one_that_fits_is_seen_placed(
    phone, server, volunteer, space
):
    # Registered with a cat where no space takes pets: matching (in-process here) says so.
    party = locked(
        lambda: services.party_register(
            city=space.shelter.city,
            members=[
                {"given_name": "Aigerim", "sex": "female"},
                {"given_name": "Timur", "age_group": "child"},
            ],
            actor_id=volunteer.id,
            actor=volunteer.username,
            consent=True,
            pets=1,
        )
    )
    locked(party.refresh_from_db)
    assert party.status == PartyStatus.WAITING
    assert party.waiting_reason == WaitingReason.NO_PET_FRIENDLY_SPACE
    log_in(phone, server, volunteer)
    watching = phone.new_page()
    watching.goto(f"/parties/{party.id}/")
    wait = watching.locator("[data-party-poll]")
    assert wait.get_attribute("data-reason") == "no_pet_friendly_space"
    assert "+7 711 250-00-00" in wait.inner_text()  # whom to call
    screenshot(watching, "en-flow-party-waiting")
    # The volunteer corrects it in another tab: the cat stays with relatives.
    editing = phone.new_page()
    editing.goto(f"/parties/{party.id}/edit/")
    assert editing.input_value("[name='members-0-given_name']") == "Aigerim"
    editing.fill("[name='pets']", "0")
    screenshot(editing, "en-flow-party-edit")
    editing.click("form button.btn.ok[name='save']")
    editing.wait_for_url(re.compile(rf"/parties/{party.id}/$"))
    editing.wait_for_selector(".card.go")
    assert "Cinema Park" in editing.inner_text(".card.go")
    # The page left open finds out by itself (it polls every few seconds) and shows where.
    watching.wait_for_selector(".card.go", timeout=20_000)
    assert "Auditorium 1" in watching.inner_text(".card.go")
    screenshot(watching, "en-flow-party-placed")
    party = locked(lambda: Party.objects.get(id=party.id))
    assert (party.status, party.pets, party.size) == (PartyStatus.PLACED, 0, 2)


def test_the_slip_link_opens_in_a_fresh_context_without_a_name(
    chromium, phone, server, volunteer, space
):
    party = locked(
        lambda: factories.PartyFactory(
            city=space.shelter.city,
            created_by=volunteer,
            members=[{"given_name": "Aigerim", "family_name": "Nurlanova", "sex": "female"}],
        )
    )
    locked(lambda: services.placement_create(party_id=party.id, space_id=space.id, actor="test"))
    log_in(phone, server, volunteer)
    page = phone.new_page()
    page.goto(f"/parties/{party.id}/")
    link = page.locator("a[href*='/slip/']").first.get_attribute("href")
    # Someone else's phone: no cookies, no login, no service worker.
    stranger = chromium.new_context(**PHONE)
    try:
        slip = stranger.new_page()
        answer = slip.goto(link if link.startswith("http") else f"{server}{link}")
        assert answer.status == 200
        assert "/accounts/login/" not in slip.url
        text = slip.inner_text("body")
        assert party.code in text
        assert "Cinema Park" in text and "Dostyk Avenue 190" in text
        assert "Aigerim" not in text and "Nurlanova" not in text
        assert slip.locator(".qr-box svg, .qr-box img").count() == 1
        screenshot(slip, "en-flow-slip-fresh-context")
        # Copy the link (localhost is a secure context: the clipboard API).
        stranger.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
        slip.click("[data-copy]")
        slip.wait_for_selector("[data-link-status]:has-text('Link copied.')")
        assert slip.evaluate("navigator.clipboard.readText()") == slip.inner_text(
            "[data-link-text]"
        )
        # Printed, it is one A6 page (the print stylesheet's @page), QR code included.
        slip.emulate_media(media="print")
        assert slip.is_visible(".qr-box svg, .qr-box img")
        pdf = slip.pdf(prefer_css_page_size=True)
        assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1
        media_box = re.search(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        assert media_box is not None
        width, height = (float(value) for value in media_box.groups())
        assert (round(width), round(height)) == (298, 420)  # A6: 105 x 148 mm in points
    finally:
        stranger.close()


def test_a_stale_login_form_leads_back_and_the_kept_registration_is_sent(phone, server, volunteer):
    """The session ended while the form was filled in; the login page then stayed open so
    long that its own token went stale too (the phone dropped its cookies)."""
    log_in(phone, server, volunteer)
    page = open_register(phone)
    fill_party(page)
    phone.clear_cookies()
    register(page)
    page.wait_for_selector("[data-outbox-login]:not([hidden])")
    page.click("[data-outbox-login] a")
    page.wait_for_selector("form[data-login]")
    phone.clear_cookies()
    log_in_through_the_page(page, volunteer)
    page.wait_for_selector("[data-csrf-failure]")
    assert page.inner_text("h1") == "Your session has expired"
    assert "kept on this phone" in page.inner_text("[data-csrf-failure]")
    assert "CSRF" not in page.inner_text("body")
    screenshot(page, "en-flow-csrf-session-expired")
    assert parties() == []
    page.click("[data-log-in-again]")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=(/|%2F)register(/|%2F)"))
    log_in_through_the_page(page, volunteer)
    page.wait_for_selector(".outbox-item.sent")
    [party] = parties()
    assert given_names(party) == ["Aigerim", "Timur", "Ainur"]
    assert party.members.all()[0].family_name == "Nurlanova"


def test_logged_in_again_in_another_tab_the_kept_registration_is_sent(phone, server, volunteer):
    """Two tabs: the first waits on the login page with a registration kept; the
    volunteer logs in in the second (the token changes); the first tab's login is refused
    by the token check, and its page leads back to the registration, which is sent."""
    log_in(phone, server, volunteer)
    page = open_register(phone)
    fill_party(page)
    phone.clear_cookies()
    register(page)
    page.wait_for_selector("[data-outbox-login]:not([hidden])")
    assert outbox_states(page) == ["login"]
    page.click("[data-outbox-login] a")
    page.wait_for_selector("form[data-login]")
    other = phone.new_page()
    other.goto("/accounts/login/")
    log_in_through_the_page(other, volunteer)
    other.wait_for_selector("form[data-logout]")  # logged in there
    other.close()
    log_in_through_the_page(page, volunteer)
    page.wait_for_selector("[data-csrf-failure]")
    assert page.inner_text("h1") == "This page was out of date"
    screenshot(page, "en-flow-csrf-logged-in-elsewhere")
    page.click("[data-csrf-failure] a[href='/register/']")
    page.wait_for_selector(".outbox-item.sent")
    [party] = parties()
    assert given_names(party) == ["Aigerim", "Timur", "Ainur"]


def test_a_correction_refused_by_the_token_check_is_sent_again(phone, server, volunteer, space):
    party = locked(
        lambda: factories.PartyFactory(
            city=space.shelter.city,
            created_by=volunteer,
            members=[{"given_name": "Aigerim", "sex": "female"}],
        )
    )
    log_in(phone, server, volunteer)
    page = phone.new_page()
    page.goto(f"/parties/{party.id}/edit/")
    page.fill("[name='notes']", "Came by bus 12")
    other = phone.new_page()
    other.goto("/accounts/login/")
    log_in_through_the_page(other, volunteer)  # logged in again: a new token
    # Logged in there (the login page of someone logged in has a logout form already).
    other.wait_for_url(lambda url: "/accounts/login/" not in url)
    other.close()
    page.click("form button.btn.ok[name='save']")
    page.wait_for_selector("[data-send-again]")
    assert locked(lambda: Party.objects.get(id=party.id).notes) == ""
    screenshot(page, "en-flow-csrf-send-again")
    page.click("[data-send-again] button")
    page.wait_for_url(re.compile(rf"/parties/{party.id}/$"))
    assert locked(lambda: Party.objects.get(id=party.id).notes) == "Came by bus 12"
