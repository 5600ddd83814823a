"""The coordinator's pages in a phone's browser: the city board (beds, the chart, the
waiting, duplicates, search), placing a party by hand, and an invitation made on the
phone and accepted in a fresh browser by the person invited, who lands on their role's
home. Each page: a screenshot (artifacts/screenshots/board-*.png), no serious or critical
axe-core violation, no sideways scrolling."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership, Role
from arrivals.models import CapacitySnapshot, Party, PartyStatus, Placement, WaitingReason
from shelters.models import Admits, Shelter, ShelterKind, ShelterStatus, Space
from tests import factories

from .conftest import PHONE, SCREENSHOTS, locked, log_in, screenshot, set_language
from .test_pages import AXE_RUN, COLLECT, interface

pytestmark = pytest.mark.browser

PASSWORD = "tulip-harbour-seventeen"


@pytest.fixture
def city_site(db):
    city = factories.CityFactory(name="Uralsk")
    coordinator = factories.member(Role.COORDINATOR, cities=[city], username="dana")
    cinema = factories.ShelterFactory(city=city, name="Cinema Park", kind=ShelterKind.CINEMA)
    hall = factories.SpaceFactory(shelter=cinema, name="Auditorium 1", beds=40)
    families = factories.SpaceFactory(
        shelter=cinema, name="Family room", beds=6, admits=Admits.FAMILIES
    )
    gym = factories.ShelterFactory(city=city, name="School 12 gym", kind=ShelterKind.GYM)
    factories.SpaceFactory(shelter=gym, name="Gym floor", beds=60, admits=Admits.MEN_ONLY)
    closed = factories.ShelterFactory(
        city=city,
        name="Old library",
        kind=ShelterKind.COMMUNITY_CENTER,
        status=ShelterStatus.CLOSED,
        status_reason="No heating",
    )
    factories.SpaceFactory(shelter=closed, name="Reading room", beds=25)
    long_ago = timezone.now() - timedelta(hours=20)
    Shelter.objects.filter(pk=gym.pk).update(updated_at=long_ago)
    Space.objects.filter(shelter=gym).update(updated_at=long_ago)
    with_children = factories.PartyFactory(
        city=city,
        size=3,
        waiting_reason=WaitingReason.NO_ADMITTING_SPACE,
        members=[
            {"given_name": "Aigerim", "sex": "female", "age_group": "adult"},
            {"given_name": "Timur", "sex": "male", "age_group": "child"},
            {"given_name": "Ainur", "sex": "female", "age_group": "infant"},
        ],
    )
    factories.PartyFactory(
        city=city,
        size=1,
        pets=1,
        waiting_reason=WaitingReason.NO_PET_FRIENDLY_SPACE,
        members=[{"given_name": "Yerlan", "sex": "male"}],
    )
    first = factories.PartyFactory(
        city=city, contact_phone_digest="same", members=[{"given_name": "Saule"}]
    )
    second = factories.PartyFactory(
        city=city,
        contact_phone_digest="same",
        possible_duplicate=True,
        members=[{"given_name": "Saule"}],
    )
    Party.objects.filter(pk__in=[first.pk, second.pk]).update(
        waiting_reason=WaitingReason.NO_CAPACITY
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    CapacitySnapshot.objects.bulk_create(
        CapacitySnapshot(
            city=city,
            at=now - timedelta(hours=hours),
            beds=131,
            beds_free=60 + (hours * 7) % 40,
            beds_free_open=45 + (hours * 7) % 40,
            beds_held=4,
            beds_occupied=60,
            waiting_parties=4,
            waiting_people=2 + (hours * 5) % 30,
        )
        for hours in range(6 * 24)
    )
    return {
        "city": city,
        "coordinator": coordinator,
        "with_children": with_children,
        "families": families,
        "hall": hall,
        "first": first,
        "second": second,
    }


def check(page, name: str, axe_source: str) -> None:
    screenshot(page, f"board-{name}")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), f"{name}: the page scrolls sideways"
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source)
    problems = page.evaluate(AXE_RUN)
    assert problems == [], f"{name}: {problems}"


def test_board_place_by_hand_duplicates_and_search(phone, server, city_site, axe_source):
    log_in(phone, server, city_site["coordinator"])
    page = phone.new_page()
    page.goto("/")
    waiting_link = page.locator("a.stat-link")
    assert waiting_link.is_visible()
    waiting_link.click()
    page.wait_for_selector("#waiting")
    assert page.locator("svg.chart").is_visible()
    assert page.locator("svg.chart polyline").count() == 2
    assert "1 shelter not updated for 12 hours" in page.inner_text("#shelters")
    assert "Old library" in page.inner_text("#closed")
    assert "not counted as free" in page.inner_text("#beds")
    check(page, "board", axe_source)
    for section in ("beds", "chart", "waiting", "duplicates", "shelters"):
        page.locator(f"#{section}").screenshot(
            path=str(SCREENSHOTS / f"board-section-{section}.png")
        )

    # Place the family by hand: the family room admits them and comes first.
    party = city_site["with_children"]
    page.click(f"a[href='/board/parties/{party.id}/place/']")
    page.wait_for_selector("h1")
    fitting = page.locator("ul.plain").first.inner_text()
    assert fitting.index("Family room") < fitting.index("Auditorium 1")
    assert "Gym floor" in page.inner_text("main")  # refused: men only, with why
    check(page, "place", axe_source)
    page.click(f"button[value='{city_site['families'].id}']")
    page.wait_for_selector(".messages .success")
    assert "is placed in Cinema Park, Family room" in page.inner_text(".messages")
    placement = locked(lambda: Placement.objects.get(party=party))
    assert placement.space_id == city_site["families"].id
    assert placement.created_by == "dana"

    # Possible duplicates side by side: merge.
    page.goto(f"/board/?city={city_site['city'].id}#duplicates")
    pair = page.locator(".dup").first
    assert city_site["first"].code in pair.inner_text()
    assert city_site["second"].code in pair.inner_text()
    merge = pair.locator("button[value='merge']")
    assert not merge.is_visible()  # behind its question: nothing is cancelled on one tap
    pair.locator("details.danger summary").click()
    merge.click()
    page.wait_for_selector(".messages .success")
    assert "cancelled as a duplicate" in page.inner_text(".messages")
    assert locked(lambda: Party.objects.get(pk=city_site["second"].pk).status) == (
        PartyStatus.CANCELLED
    )
    assert "None to review." in page.inner_text("#duplicates")

    # Search.
    page.fill("#board-search", "Yerlan")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector("#results")
    assert "1 party found" in page.inner_text("#results")
    check(page, "search", axe_source)


def _make_volunteer_link(page) -> str:
    """Makes a volunteer's invitation on the open /invitations/ page; returns its link."""
    page.check("input[name=role][value=volunteer]")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector("svg.qr")
    return page.input_value("[data-invitation-url]")


def test_invitation_made_on_the_phone_and_accepted_elsewhere(
    chromium, phone, server, city_site, axe_source
):
    log_in(phone, server, city_site["coordinator"])
    page = phone.new_page()
    page.goto("/invitations/")
    check(page, "invitations", axe_source)
    # The shelters to choose are a manager's only: shown with that role.
    shelters = page.locator("[data-shown-when]")
    page.check("input[name=role][value=volunteer]")
    assert shelters.is_hidden()
    # A manager without shelters: the error in view, above the form, the note kept.
    page.check("input[name=role][value=shelter_manager]")
    assert shelters.is_visible() and "Cinema Park" in shelters.inner_text()
    page.fill("#invite_email_or_note", "Marat from the cinema")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.input_value("#invite_email_or_note") == "Marat from the cinema"
    check(page, "invitations-errors", axe_source)
    link = _make_volunteer_link(page)
    assert "/join/" in link
    check(page, "invitation-made", axe_source)
    # Passed on from the phone: "Copy link" puts the invitation's link on the clipboard.
    phone.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page.click("[data-copy]")
    page.wait_for_selector("[data-link-status]:has-text('Link copied.')")
    assert page.evaluate("navigator.clipboard.readText()") == link

    # The person invited, in a browser of their own.
    fresh = chromium.new_context(base_url=server, **PHONE)
    try:
        invited = fresh.new_page()
        invited.goto(link)
        assert "You are invited as a volunteer in Uralsk" in invited.inner_text("main")
        check(invited, "join", axe_source)
        invited.fill("#join_username", "aruzhan")
        invited.fill("#join_password", PASSWORD)
        invited.fill("#join_password_again", "something else entirely")
        invited.click("#join-form button[type=submit]")
        invited.wait_for_selector(".error-summary")
        assert invited.input_value("#join_username") == "aruzhan"
        check(invited, "join-errors", axe_source)
        invited.fill("#join_password", PASSWORD)
        invited.fill("#join_password_again", PASSWORD)
        invited.click("#join-form button[type=submit]")
        invited.wait_for_selector(".messages .success")
        assert "Welcome, aruzhan" in invited.inner_text(".messages")
        assert invited.locator("a[href='/register/']").first.is_visible()  # a volunteer's home
        assert "aruzhan" in invited.inner_text("header")
        check(invited, "joined-home", axe_source)
        membership = locked(lambda: Membership.objects.get(user__username="aruzhan"))
        assert membership.role == Role.VOLUNTEER
        # The link worked once.
        again = fresh.new_page()
        again.goto(link)
        assert "used already" in again.inner_text("main")
    finally:
        fresh.close()

    # A second link, sent to the wrong person: withdrawn from the list, it stops working.
    page.goto("/invitations/")
    wrong = _make_volunteer_link(page)
    page.goto("/invitations/")
    page.click("text=Withdraw the link")
    page.wait_for_selector(".messages .success")
    assert "Invitation withdrawn" in page.inner_text(".messages")
    assert page.locator("text=Withdraw the link").count() == 0
    check(page, "invitations-withdrawn", axe_source)
    stranger = chromium.new_context(base_url=server, **PHONE)
    try:
        late = stranger.new_page()
        late.goto(wrong)
        assert "withdrawn" in late.inner_text("main")
    finally:
        stranger.close()


# Not interface text in the coordinator's pages: the test's data.
DATA = {
    "Uralsk",
    "Cinema Park",
    "Auditorium 1",
    "Family room",
    "School 12 gym",
    "Gym floor",
    "Old library",
    "Reading room",
    "No heating",
    "Aigerim",
    "Timur",
    "Ainur",
    "Yerlan",
    "Saule",
    "dana",
    "Aigerim, Timur, Ainur",
    "Berth",
}


def _is_data(text: str) -> bool:
    """Names of the test's data (and codes), alone or joined by punctuation."""
    parts = [part.strip() for part in re.split(r"[,:·()]", text)]
    return all(not part or part in DATA or re.fullmatch(r"[A-Z0-9 .-]+", part) for part in parts)


def _interface(texts) -> set[str]:
    return {text for text in interface(texts) if not _is_data(text)}


def coordinator_pages(chromium, server, site, language: str, axe_source: str) -> dict:
    """The texts of each of the coordinator's pages (and the invited person's) in a language."""
    context = chromium.new_context(base_url=server, **PHONE)
    context.set_default_timeout(15_000)
    set_language(context, server, language)
    log_in(context, server, site["coordinator"])
    page = context.new_page()
    texts = {}
    page.goto(f"/board/?city={site['city'].id}")
    texts["board"] = set(page.evaluate(COLLECT))
    check(page, f"board-{language}", axe_source)
    page.goto(f"/board/parties/{site['with_children'].id}/place/")
    texts["place"] = set(page.evaluate(COLLECT))
    check(page, f"place-{language}", axe_source)
    page.goto("/invitations/")
    page.check("input[name=role][value=shelter_manager]")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector(".error-summary")
    texts["invitations-errors"] = set(page.evaluate(COLLECT))
    page.check("input[name=role][value=volunteer]")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector("svg.qr")
    texts["invitation-made"] = set(page.evaluate(COLLECT))
    check(page, f"invitation-made-{language}", axe_source)
    link = page.input_value("[data-invitation-url]")
    texts["invitation-made"].discard(link)
    context.close()
    fresh = chromium.new_context(base_url=server, **PHONE)
    set_language(fresh, server, language)
    invited = fresh.new_page()
    invited.goto(link)
    invited.click("#join-form button[type=submit]")
    invited.wait_for_selector(".error-summary")
    texts["join-errors"] = set(invited.evaluate(COLLECT))
    check(invited, f"join-errors-{language}", axe_source)
    fresh.close()
    return texts


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_coordinator_pages_have_no_english_left(chromium, server, city_site, axe_source, language):
    texts = coordinator_pages(chromium, server, city_site, language, axe_source)
    english = coordinator_pages(chromium, server, city_site, "en", axe_source)
    assert all(len(_interface(english[name])) >= 5 for name in english)
    left = {
        name: sorted(_interface(english[name]) & texts[name])
        for name in texts
        if _interface(english[name]) & texts[name]
    }
    assert left == {}, f"English left in {language}: {left}"
