# ruff: noqa: RUF001, RUF003 - the pages' Russian and Kazakh, as they are shown
"""The back office tells times as the phone pages and slips do: in the time zone of the
city its staff member works in; UTC, said so, to a superuser or a member of several
cities."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role
from arrivals.models import MatchingRun, Party
from tests import factories

pytestmark = pytest.mark.django_db

# 03:38 UTC on 4 December 2026 is 08:38 in Atyrau (UTC+5, no summer time).
HELD_UNTIL = datetime(2026, 12, 4, 3, 38, tzinfo=UTC)
# 00:34 UTC is 05:34 there: in UTC a list said "0:34", Kazakh "12:34 Т.Ж.".
EVENT_AT = datetime(2026, 12, 4, 0, 34, tzinfo=UTC)


def client_of(user, language="ru") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def atyrau(city):
    city.name, city.timezone = "Атырау", "Asia/Atyrau"
    city.save(update_fields=["name", "timezone"])
    return city


@pytest.fixture
def timed(atyrau, placed):
    """A placed party registered, and a run asked, at 05:34 local time, its beds held
    until 08:38."""
    placement = placed.placements.get()
    placement.held_until = HELD_UNTIL
    placement.save(update_fields=["held_until"])
    Party.objects.filter(pk=placed.pk).update(created_at=EVENT_AT)
    run = MatchingRun.objects.create(city=atyrau, trigger="api", requested_at=EVENT_AT)
    return placement, run


def pages(client, placement, names=("placement", "parties", "runs")) -> dict[str, str]:
    urls = {
        "placement": f"/admin/arrivals/placement/{placement.pk}/change/",
        "parties": "/admin/arrivals/party/",
        "runs": "/admin/arrivals/matchingrun/",  # coordinators' (and superusers') only
    }
    shown = {}
    for name in names:
        url = urls[name]
        response = client.get(url)
        assert response.status_code == 200, name
        shown[name] = response.content.decode()
    return shown


def test_a_coordinator_of_one_city_sees_its_time(timed, atyrau):
    placement, _run = timed
    coordinator = factories.member(Role.COORDINATOR, cities=[atyrau], is_staff=True)
    shown = pages(client_of(coordinator), placement)

    assert "4 декабря 2026 г. 8:38" in shown["placement"]
    assert "3:38" not in shown["placement"]
    assert "5:34" in shown["parties"] and "0:34" not in shown["parties"]
    assert "5:34" in shown["runs"] and "0:34" not in shown["runs"]
    for html in shown.values():
        assert "Время указано по часовому поясу Asia/Atyrau." in html


def test_a_shelter_manager_sees_the_time_of_their_shelters_city(timed, shelter):
    placement, _run = timed
    manager = factories.member(Role.SHELTER_MANAGER, shelters=[shelter], is_staff=True)
    shown = pages(client_of(manager), placement, names=("placement", "parties"))

    assert "4 декабря 2026 г. 8:38" in shown["placement"]
    assert "5:34" in shown["parties"] and "0:34" not in shown["parties"]
    for html in shown.values():
        assert "Время указано по часовому поясу Asia/Atyrau." in html


def test_in_kazakh_too(timed, atyrau):
    placement, _run = timed
    coordinator = factories.member(Role.COORDINATOR, cities=[atyrau], is_staff=True)
    shown = pages(client_of(coordinator, "kk"), placement)
    assert "12:34" not in shown["runs"] and "5:34" in shown["runs"]
    assert "Уақыт Asia/Atyrau уақыт белдеуі бойынша көрсетілген." in shown["runs"]


def test_a_superuser_and_a_member_of_two_cities_see_utc_and_are_told(timed, atyrau, other_city):
    placement, _run = timed
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    two_cities = factories.member(Role.COORDINATOR, cities=[atyrau, other_city], is_staff=True)
    for user in (superuser, two_cities):
        shown = pages(client_of(user), placement)
        assert "4 декабря 2026 г. 3:38" in shown["placement"]
        assert "0:34" in shown["runs"]
        for html in shown.values():
            assert "Время указано по часовому поясу UTC." in html


def test_other_pages_keep_the_servers_time_zone(timed, atyrau, shelter):
    """The zone is the back office's only: nothing else of the request is changed by it."""
    from django.utils import timezone

    coordinator = factories.member(Role.COORDINATOR, cities=[atyrau], is_staff=True)
    client = client_of(coordinator)
    assert client.get("/admin/arrivals/party/").status_code == 200
    assert timezone.get_current_timezone_name() == "UTC"
