"""The shelter manager's and the kitchens' pages on a phone (390x844): each page checked by
axe-core (no serious or critical violation) and for sideways scrolling, with a screenshot in
artifacts/screenshots/; a refused beds change shows its error in view with the typed value
kept; the confirmations (a large beds change, a check-out); check-in after a correction; a
serving recorded offline and sent later, exactly once."""

import re
import zoneinfo
from datetime import datetime, time
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Role
from arrivals import services
from arrivals.models import Party, PartyStatus, Placement, PlacementStatus
from meals.models import MealService, Serving
from shelters.models import Space
from tests import factories

from .conftest import PHONE, locked, log_in, screenshot, set_language

pytestmark = pytest.mark.browser

AXE_RUN = (Path(__file__).parent / "scripts" / "axe.js").read_text()


@pytest.fixture
def site(db):
    city = factories.CityFactory(name="Uralsk")
    shelter = factories.ShelterFactory(city=city, name="Cinema Park", address="Dostyk Avenue 190")
    hall = factories.SpaceFactory(shelter=shelter, name="Auditorium 1", beds=10)
    factories.SpaceFactory(shelter=shelter, name="Family rooms", beds=6, admits="families")
    expected = factories.PartyFactory(
        city=city,
        members=[
            {"given_name": "Aigerim", "sex": "female", "diet": ["halal"]},
            {"given_name": "Timur", "age_group": "child", "needs": ["medical"]},
        ],
    )
    services.placement_create(party_id=expected.id, space_id=hall.id, actor="test")
    inside = factories.PartyFactory(city=city, members=[{"given_name": "Daniyar", "sex": "male"}])
    services.placement_create(party_id=inside.id, space_id=hall.id, actor="test")
    manager = factories.member(Role.SHELTER_MANAGER, shelters=[shelter], username="marat")
    from accounts.access import access_for_user

    services.party_check_in(party_id=inside.id, access=access_for_user(manager))
    tz = zoneinfo.ZoneInfo(city.timezone)
    today = timezone.localtime(timezone.now(), tz).date()
    lunch = MealService.objects.create(
        city=city,
        shelter=shelter,
        meal="lunch",
        starts_at=datetime.combine(today, time(13), tz),
        planned_portions=40,
        created_by="test",
    )
    return {
        "city": city,
        "shelter": shelter,
        "hall": hall,
        "expected": expected,
        "inside": inside,
        "manager": manager,
        "volunteer": factories.member(Role.VOLUNTEER, cities=[city], username="aliya"),
        "coordinator": factories.member(Role.COORDINATOR, cities=[city], username="dana"),
        "lunch": lunch,
    }


def open_page(context, path):
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(path)
    return page


def check(page, name: str, axe_source: str) -> None:
    """Screenshot, no sideways scrolling, no serious or critical accessibility violation."""
    screenshot(page, f"en-{name}")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), f"{name}: the page scrolls sideways"
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source)
    assert page.evaluate(AXE_RUN) == [], name


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    viewport = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + min(box["height"], 40) <= viewport["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= viewport["width"]
    )


def shelter_url(site) -> str:
    return f"/shelters/{site['shelter'].id}/"


def test_the_manager_s_pages(phone, server, site, axe_source):
    log_in(phone, server, site["manager"])
    page = open_page(phone, "/")
    check(page, "manager-home", axe_source)
    page.click(f"a[href='{shelter_url(site)}']")
    page.wait_for_selector("svg.bar")
    assert page.locator("svg.bar").count() == 2
    assert "Families" in page.inner_text("main")
    check(page, "manager-shelter", axe_source)
    page.click("text=Arrived: check in")
    page.wait_for_selector("h1:has-text('Check in')")
    check(page, "manager-arrival", axe_source)
    page.go_back()
    page.click("text=Check out")
    page.wait_for_selector("[data-error-summary]")
    check(page, "manager-check-out", axe_source)
    assert page.errors == []


def test_a_refused_beds_change_shows_its_error_in_view_and_keeps_the_number(
    phone, server, site, axe_source
):
    log_in(phone, server, site["manager"])
    page = open_page(phone, shelter_url(site))
    field = f"#space_{site['hall'].id.hex}_beds"
    page.locator(field).scroll_into_view_if_needed()
    page.fill(field, "1")  # 1 occupied and 2 held: beds cannot go below 3
    page.locator(field).press("Enter")
    page.wait_for_selector("[data-error-summary]")
    assert in_view(page, "[data-error-summary]")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert "beds cannot go below 3" in page.inner_text("[data-error-summary]")
    assert page.input_value(field) == "1"
    assert page.get_attribute(field, "aria-invalid") == "true"
    check(page, "manager-shelter-error", axe_source)
    # The summary's link takes the focus to the field, its own error beside it, in view.
    page.click("[data-error-summary] a")
    assert page.evaluate("document.activeElement.id") == field[1:]
    assert in_view(page, field)
    assert in_view(page, f"{field}_error")
    assert locked(lambda: Space.objects.get(id=site["hall"].id).beds) == 10
    assert page.errors == []


@pytest.mark.parametrize(("typed", "saved"), [("10000", 10_000), ("20", 20), ("111", 111)])
def test_a_large_beds_change_is_confirmed_first(phone, server, site, axe_source, typed, saved):
    log_in(phone, server, site["manager"])
    page = open_page(phone, shelter_url(site))
    field = f"#space_{site['hall'].id.hex}_beds"
    page.fill(field, typed)
    page.locator(field).press("Enter")
    page.wait_for_selector(".confirm-box")
    assert in_view(page, ".confirm-box")
    assert f"save {typed} beds?" in page.inner_text(".confirm-box")
    assert locked(lambda: Space.objects.get(id=site["hall"].id).beds) == 10
    if typed == "10000":
        check(page, "manager-shelter-confirm-beds", axe_source)
    page.click("[data-confirm-yes]")
    page.wait_for_selector(".messages .success")
    assert locked(lambda: Space.objects.get(id=site["hall"].id).beds) == saved


def test_a_small_beds_change_is_saved_at_once(phone, server, site):
    log_in(phone, server, site["manager"])
    page = open_page(phone, shelter_url(site))
    field = f"#space_{site['hall'].id.hex}_beds"
    page.fill(field, "12")
    page.locator(field).press("Enter")
    page.wait_for_selector(".messages .success")
    assert locked(lambda: Space.objects.get(id=site["hall"].id).beds) == 12


def test_check_out_asks_first(phone, server, site):
    log_in(phone, server, site["manager"])
    page = open_page(phone, shelter_url(site))
    page.click("text=Check out")
    page.wait_for_selector(".confirm-box")
    assert locked(lambda: Party.objects.get(id=site["inside"].id).status) == PartyStatus.CHECKED_IN
    page.click("text=No, they stay")
    page.wait_for_selector("svg.bar")
    assert locked(lambda: Party.objects.get(id=site["inside"].id).status) == PartyStatus.CHECKED_IN
    page.click("text=Check out")
    page.click("text=Yes, check out")
    page.wait_for_selector(".messages .success")
    assert locked(lambda: Party.objects.get(id=site["inside"].id).status) == PartyStatus.DEPARTED


def test_check_in_after_correcting_who_came(phone, server, site):
    log_in(phone, server, site["manager"])
    page = open_page(phone, shelter_url(site))
    page.click("text=Arrived: check in")
    page.wait_for_selector("h1:has-text('Check in')")
    page.click("[data-member]:nth-of-type(2) button[name='remove_member']")
    page.wait_for_selector("button.btn.ok:has-text('Check in 1 person')")
    page.click("button.btn.ok")
    page.wait_for_selector(".messages .success")
    party = locked(lambda: Party.objects.get(id=site["expected"].id))
    assert (party.status, party.size) == (PartyStatus.CHECKED_IN, 1)


def test_did_not_come(phone, server, site):
    log_in(phone, server, site["manager"])
    page = open_page(phone, shelter_url(site))
    page.click("summary:has-text('Did not come')")
    page.click("text=Yes, free the beds")
    page.wait_for_selector(".messages .success")
    # The hold is taken back (the party waits again, and the matcher may place it anew).
    placement = locked(
        lambda: Placement.objects.get(party_id=site["expected"].id, reason="did not come")
    )
    assert placement.status == PlacementStatus.CANCELLED


def test_closing_asks_for_a_reason_in_view(phone, server, site, axe_source):
    log_in(phone, server, site["manager"])
    page = open_page(phone, shelter_url(site))
    page.click("button:has-text('Close the shelter')")
    page.wait_for_selector("[data-error-summary]")
    assert in_view(page, "[data-error-summary]")
    page.click("[data-error-summary] a")
    assert page.evaluate("document.activeElement.name") == "reason"
    page.fill("#shelter_status_reason", "No heating")
    page.click("button:has-text('Close the shelter')")
    page.wait_for_selector(".badge.closed")
    assert "No heating" in page.inner_text("main")


def wait_served(page, count: str) -> None:
    """Until the page shows `count` served (no string evaluated: the CSP forbids eval)."""
    page.locator("[data-served]", has_text=re.compile(rf"^\s*{count}\s*$")).wait_for()


def _served() -> int:
    return locked(lambda: sum(Serving.objects.values_list("portions", flat=True)))


def test_a_serving_recorded_offline_is_sent_later_exactly_once(phone, server, site, axe_source):
    log_in(phone, server, site["volunteer"])
    page = open_page(phone, "/")
    page.click("text=Meals: servings and schedules")
    page.wait_for_selector("h1:has-text('Meals')")
    check(page, "kitchen-start", axe_source)
    page.click("a.place-link")
    page.wait_for_selector("form[data-serving]")
    check(page, "kitchen-shelter", axe_source)
    # Online: sent at once, the served count from the server's answer.
    page.click("button[name='add'][value='1']")
    wait_served(page, "1")
    assert _served() == 1
    # Offline: kept on the phone, shown as waiting.
    phone.set_offline(True)
    page.click("button[name='add'][value='5']")
    page.fill("input[name='portions']", "3")
    page.click("button[name='add'][value='number']")
    page.locator(".outbox-note.waiting", has_text="Portions kept on this phone: 8").wait_for()
    screenshot(page, "en-kitchen-offline")
    assert _served() == 1
    # Back online: sent, once each.
    phone.set_offline(False)
    wait_served(page, "9")
    assert _served() == 9
    assert locked(lambda: Serving.objects.count()) == 3
    page.reload()
    page.wait_for_selector("form[data-serving]")
    page.wait_for_timeout(500)
    assert _served() == 9
    assert page.inner_text("[data-served]") == "9"
    assert page.errors == []


def test_a_lost_answer_is_sent_again_with_the_same_key(phone, server, site):
    log_in(phone, server, site["volunteer"])
    page = open_page(phone, f"/kitchen/shelters/{site['shelter'].id}/")
    keys = []

    def lose_the_first_answer(route):
        keys.append(route.request.headers["idempotency-key"])
        route.fetch()  # the server records the serving...
        if len(keys) == 1:
            route.abort("connectionreset")  # ...and its answer never arrives
        else:
            route.continue_()

    page.route("**/servings/", lose_the_first_answer)
    page.click("button[name='add'][value='10']")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_served(page, "10")
    assert len(set(keys)) == 1 and len(keys) >= 2
    assert _served() == 10


def test_a_mis_tapped_serving_is_taken_back(phone, server, site, axe_source):
    log_in(phone, server, site["volunteer"])
    page = open_page(phone, f"/kitchen/shelters/{site['shelter'].id}/")
    assert page.locator("form[data-take-back]").is_hidden()
    page.click("button[name='add'][value='1']")
    wait_served(page, "1")
    page.click("button[name='add'][value='10']")
    wait_served(page, "11")
    # The form points at the serving just sent, without a reload.
    take_back = page.locator("form[data-take-back]")
    take_back.locator("text=Your last serving here: +10 at").wait_for()
    check(page, "kitchen-take-back", axe_source)
    with page.expect_navigation():
        take_back.locator("button").click()
    page.locator(".messages .success", has_text="10 portions taken back").wait_for()
    assert page.inner_text("[data-served]").strip() == "1"
    assert _served() == 1
    # The serving before it is now the one offered.
    page.locator("form[data-take-back]", has_text="+1 at").wait_for()
    assert page.errors == []


def test_a_typed_number_is_checked_before_it_is_kept(phone, server, site):
    log_in(phone, server, site["volunteer"])
    page = open_page(phone, f"/kitchen/shelters/{site['shelter'].id}/")
    page.fill("input[name='portions']", "0")
    page.click("button[name='add'][value='number']")
    page.wait_for_selector("[data-number-error]")
    assert page.evaluate("document.activeElement.name") == "portions"
    assert page.input_value("input[name='portions']") == "0"
    assert _served() == 0


def test_the_schedule_and_the_report(chromium, phone, server, site, axe_source):
    log_in(phone, server, site["manager"])
    page = open_page(phone, f"/kitchen/shelters/{site['shelter'].id}/schedule/")
    page.select_option("#new_meal", "breakfast")
    page.fill("#new_time", "08:00")
    page.fill("#new_planned_portions", "30")
    page.click("button:has-text('Add to the schedule')")
    page.wait_for_selector(".messages .success")
    check(page, "kitchen-schedule", axe_source)
    # The same meal at the same time: refused in view, the values kept.
    page.select_option("#new_meal", "breakfast")
    page.fill("#new_time", "08:00")
    page.click("button:has-text('Add to the schedule')")
    page.wait_for_selector("[data-error-summary]")
    assert in_view(page, "[data-error-summary]")
    assert page.input_value("#new_time") == "08:00"
    check(page, "kitchen-schedule-error", axe_source)

    coordinator = chromium.new_context(base_url=server, accept_downloads=True, **PHONE)
    log_in(coordinator, server, site["coordinator"])
    report = open_page(coordinator, f"/kitchen/report/?city={site['city'].id}")
    report.wait_for_selector("a:has-text('Download CSV')")
    check(report, "kitchen-report", axe_source)
    with report.expect_download() as download:
        report.click("a:has-text('Download CSV')")
    assert download.value.suggested_filename.startswith("meals-")
    coordinator.close()


# --- In Russian and Kazakh -------------------------------------------------------------------

MY_DATA = {"Family rooms", "dana", "Asia/Oral"}


def _pages_in(chromium, server, site, language: str, axe_source: str) -> dict[str, set[str]]:
    """The manager's and the kitchens' pages in `language`: each checked, its texts."""
    from . import test_pages

    texts = {}

    def context_for(user):
        context = chromium.new_context(base_url=server, **PHONE)
        context.set_default_timeout(15_000)
        set_language(context, server, language)
        log_in(context, server, user)
        return context

    manager = context_for(site["manager"])
    page = manager.new_page()
    for name, path in [
        ("arrival", f"/parties/{site['expected'].id}/arrival/"),
        ("check-out", f"/parties/{site['inside'].id}/check-out/"),
        ("kitchen-schedule", f"/kitchen/shelters/{site['shelter'].id}/schedule/"),
    ]:
        page.goto(path)
        texts[name] = test_pages.check(page, f"d-{name}", language, axe_source)
    page.goto(shelter_url(site))
    page.fill(f"#space_{site['hall'].id.hex}_beds", "1")
    page.locator(f"#space_{site['hall'].id.hex}_beds").press("Enter")
    page.wait_for_selector("[data-error-summary]")
    texts["shelter-error"] = test_pages.check(page, "d-shelter-error", language, axe_source)
    manager.close()
    volunteer = context_for(site["volunteer"])
    page = volunteer.new_page()
    for name, path in [
        ("kitchen", "/kitchen/"),
        ("kitchen-shelter", f"/kitchen/shelters/{site['shelter'].id}/"),
    ]:
        page.goto(path)
        texts[name] = test_pages.check(page, f"d-{name}", language, axe_source)
    volunteer.close()
    coordinator = context_for(site["coordinator"])
    page = coordinator.new_page()
    page.goto(f"/kitchen/report/?city={site['city'].id}")
    texts["kitchen-report"] = test_pages.check(page, "d-kitchen-report", language, axe_source)
    coordinator.close()
    return texts


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_manager_s_and_kitchens_pages_leave_no_english(
    chromium, server, site, axe_source, language, monkeypatch
):
    from . import test_pages

    monkeypatch.setattr(test_pages, "DATA", test_pages.DATA | MY_DATA)
    texts = _pages_in(chromium, server, site, language, axe_source)
    english = _pages_in(chromium, server, site, "en", axe_source)
    assert all(len(test_pages.interface(english[name])) >= 5 for name in english)
    left = {
        name: sorted(test_pages.interface(english[name]) & texts[name])
        for name in texts
        if test_pages.interface(english[name]) & texts[name]
    }
    assert left == {}, f"English left in {language}: {left}"
