"""The host offer pages on a phone: the public form in English, Russian and Kazakh (no
login), its error summary, a sent offer; the coordinators' list with the host's phone to
tap, and the accepted offer's invitation with its QR code. Each: a screenshot (in
artifacts/screenshots/), no serious or critical axe-core violation, no sideways scroll."""

from datetime import timedelta
from pathlib import Path

import pytest

from accounts.models import Role
from shelters import services
from shelters.models import HostOffer, HostOfferStatus
from tests import factories

from .conftest import PHONE, locked, log_in, screenshot, set_language

pytestmark = pytest.mark.browser

AXE_RUN = (Path(__file__).parent / "scripts" / "axe.js").read_text()


def check(page, name: str, axe_source: str) -> None:
    screenshot(page, name)
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), f"{name}: the page scrolls sideways"
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source)
    problems = page.evaluate(AXE_RUN)
    assert problems == [], f"{name}: {problems}"


@pytest.fixture
def city(db):
    return factories.CityFactory(name="Uralsk")


def _context(chromium, server, language="en"):
    context = chromium.new_context(base_url=server, **PHONE)
    context.set_default_timeout(15_000)
    set_language(context, server, language)
    return context


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_a_resident_offers_an_apartment_from_a_phone(chromium, server, city, axe_source, language):
    context = _context(chromium, server, language)
    page = context.new_page()
    page.goto("/offer-a-home/")
    assert page.evaluate("document.documentElement.lang") == language
    check(page, f"{language}-host-offer", axe_source)
    # The robots' trap is there but out of sight.
    box = page.locator("input[name=website]").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0

    # Sent empty: a summary at the top, each error at its field, nothing stored.
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_selector(".host-error-summary")
    # The city is chosen already (the only one); the address, beds, dates, name and phone
    # are asked for.
    assert page.input_value("#id_city") == str(city.id)
    assert page.locator(".host-error-summary li").count() >= 4
    assert page.locator("#id_beds").get_attribute("aria-invalid") == "true"
    check(page, f"{language}-host-offer-errors", axe_source)
    assert locked(lambda: HostOffer.objects.count()) == 0

    # Filled in, one field wrong: the typed values come back.
    page.select_option("#id_city", label="Uralsk")
    page.fill("#id_address", "Abai Avenue 12, flat 5")
    page.fill("#id_beds", "3")
    today = services.host_offer_city_today(city)
    page.fill("#id_available_until", (today + timedelta(days=10)).isoformat())
    page.check("#id_pets_allowed")
    page.fill("#id_host_name", "Gulnara")
    page.fill("#id_contact_phone", "call me")
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_selector(".host-error-summary")
    assert page.input_value("#id_address") == "Abai Avenue 12, flat 5"
    assert page.input_value("#id_host_name") == "Gulnara"
    assert page.is_checked("#id_pets_allowed")
    page.fill("#id_contact_phone", "+7 701 555 12 34")
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url("**/offer-a-home/thanks/")
    check(page, f"{language}-host-offer-thanks", axe_source)
    offer = locked(lambda: HostOffer.objects.get())
    assert (offer.beds, offer.pets_allowed, offer.contact_phone) == (3, True, "+7 701 555 12 34")
    context.close()


def test_a_coordinator_calls_the_host_and_accepts(chromium, server, city, axe_source):
    coordinator = factories.member(Role.COORDINATOR, cities=[city], username="aliya")
    offer = services.host_offer_submit(
        data={
            "city": city,
            "host_name": "Gulnara Sadykova",
            "contact_phone": "+7 701 555 12 34",
            "address": "Abai Avenue 12, flat 5",
            "beds": 3,
            "pets_allowed": True,
            "available_until": services.host_offer_city_today(city) + timedelta(days=10),
            "notes": "Third floor, no lift.\nKeys with the neighbour.",
        }
    )
    context = _context(chromium, server)
    log_in(context, server, coordinator)
    page = context.new_page()
    page.goto("/host-offers/")
    assert page.locator("a[href='tel:+77015551234']").is_visible()
    check(page, "en-host-offers", axe_source)
    page.get_by_role("button", name="Accept").click()
    page.wait_for_selector("svg.qr")
    assert "/join/" in page.locator(".host-link a").inner_text()
    check(page, "en-host-offer-accepted", axe_source)
    offer = locked(lambda: HostOffer.objects.get(id=offer.id))
    assert offer.status == HostOfferStatus.ACCEPTED
    context.close()
