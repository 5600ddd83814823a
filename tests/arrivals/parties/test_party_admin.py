"""The back office: scoped like the API, read-only, personal data to exactly those the
API shows it to, each showing audited."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import Role
from arrivals import services
from arrivals.models import Party, RunTrigger
from privacy.models import AuditAction, AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

FAMILY_NAME = "Nurlanova"
PHONE = "+7 701 123-45-67"


def staff(role, *, cities=(), shelters=()):
    """A staff member of a role: what they may do comes from the role, not from Django's
    model permissions (they have none)."""
    user = factories.member(role, cities=cities, shelters=shelters, is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def reads(party):
    return AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(party.pk))


@pytest.fixture
def two_cities(register, other_volunteer_client, other_city):
    here = register()
    there = register(client=other_volunteer_client, in_city=other_city)
    return here, there


def test_coordinators_admin_list_shows_only_their_citys_parties(two_cities, city):
    here, there = two_cities
    client = staff(Role.COORDINATOR, cities=[city])

    response = client.get("/admin/arrivals/party/")

    assert response.status_code == 200
    content = response.content.decode()
    assert here.code in content
    assert there.code not in content
    assert list(response.context["cl"].queryset) == [here]


def test_another_citys_party_cannot_be_opened(two_cities, city):
    _here, there = two_cities
    client = staff(Role.COORDINATOR, cities=[city])
    response = client.get(f"/admin/arrivals/party/{there.pk}/change/", follow=True)
    assert there.code not in response.content.decode()
    assert response.redirect_chain  # "does not exist": back to the index


def test_superuser_sees_every_party_and_personal_data(two_cities):
    here, there = two_cities
    client = Client()
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))

    listed = client.get("/admin/arrivals/party/").content.decode()
    assert here.code in listed and there.code in listed

    page = client.get(f"/admin/arrivals/party/{here.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert FAMILY_NAME in content
    assert PHONE in content
    entry = AuditEntry.objects.get(action=AuditAction.READ)
    assert entry.object_id == str(here.pk)


def test_coordinator_of_the_city_sees_personal_data_as_in_the_api(two_cities, city):
    here, _there = two_cities
    client = staff(Role.COORDINATOR, cities=[city])

    page = client.get(f"/admin/arrivals/party/{here.pk}/change/")

    assert page.status_code == 200
    content = page.content.decode()
    assert here.code in content
    assert "Aigerim" in content  # members inline
    assert FAMILY_NAME in content
    assert PHONE in content
    assert reads(here).count() == 1
    assert client.get("/admin/arrivals/party/").status_code == 200
    assert reads(here).count() == 1  # the list shows no personal data


def test_manager_sees_personal_data_while_the_party_is_placed_at_their_shelter(
    placed, shelter, coordinator_client
):
    client = staff(Role.SHELTER_MANAGER, shelters=[shelter])
    url = f"/admin/arrivals/party/{placed.pk}/change/"

    content = client.get(url).content.decode()
    assert FAMILY_NAME in content and PHONE in content
    assert reads(placed).count() == 1

    assert coordinator_client.post(f"/api/v1/parties/{placed.pk}/check-in/").status_code == 200
    assert coordinator_client.post(f"/api/v1/parties/{placed.pk}/check-out/").status_code == 200
    before = reads(placed).count()
    page = client.get(url)
    assert page.status_code == 200  # still found: it was placed there
    content = page.content.decode()
    assert placed.code in content
    assert FAMILY_NAME not in content and PHONE not in content
    assert reads(placed).count() == before


def test_manager_sees_neither_history_nor_duplicate_flag_nor_registrar(
    placed, shelter, city, volunteer
):
    """As the API: the history (its actors and reasons), whether a party may be a
    duplicate and who registered it are the coordinators'."""
    Party.objects.filter(pk=placed.pk).update(possible_duplicate=True)
    placed.events.update(reason="moved away from Ivan S.")
    manager = staff(Role.SHELTER_MANAGER, shelters=[shelter])
    coordinator = staff(Role.COORDINATOR, cities=[city])

    for client, sees in ((manager, False), (coordinator, True)):
        page = client.get(f"/admin/arrivals/party/{placed.pk}/change/")
        assert page.status_code == 200
        content = page.content.decode()
        assert placed.code in content
        assert ("moved away from Ivan S." in content) is sees
        assert ("Party history" in content) is sees
        assert ("Possible duplicate" in content) is sees
        assert (volunteer.username in content) is sees
        listed = client.get("/admin/arrivals/party/").content.decode()
        assert ("Possible duplicate" in listed) is sees


def test_a_placements_reason_is_the_coordinators_in_the_back_office_too(placed, shelter, city):
    placement = placed.placements.get()
    placement.reason = "no-show, called twice"
    placement.save(update_fields=["reason"])
    manager = staff(Role.SHELTER_MANAGER, shelters=[shelter])
    coordinator = staff(Role.COORDINATOR, cities=[city])
    for client, sees in ((manager, False), (coordinator, True)):
        page = client.get(f"/admin/arrivals/placement/{placement.pk}/change/")
        assert page.status_code == 200
        assert ("no-show, called twice" in page.content.decode()) is sees


@pytest.mark.parametrize(
    "query",
    [
        {"possible_duplicate__exact": "1"},  # hidden from managers: not a filter of the page
        {"created_by": "1"},
        {"contact_phone__gt": ""},
        {"status__exact": "\x00"},  # a value no database column holds
    ],
    ids=["duplicate", "registrar", "phone", "nul"],
)
def test_only_the_filters_the_page_offers_are_taken(placed, shelter, city, query):
    for client in (
        staff(Role.SHELTER_MANAGER, shelters=[shelter]),
        staff(Role.COORDINATOR, cities=[city]),
    ):
        assert client.get("/admin/arrivals/party/", query).status_code == 400
    assert (
        staff(Role.SHELTER_MANAGER, shelters=[shelter])
        .get("/admin/arrivals/party/", {"status__exact": "placed"})
        .status_code
        == 200
    )


def test_manager_of_another_shelter_does_not_find_the_party(placed, city):
    client = staff(Role.SHELTER_MANAGER, shelters=[factories.ShelterFactory(city=city)])
    response = client.get(f"/admin/arrivals/party/{placed.pk}/change/", follow=True)
    assert placed.code not in response.content.decode()
    assert not reads(placed).exists()


def test_search_by_code_in_any_case(two_cities, city):
    here, _there = two_cities
    client = staff(Role.COORDINATOR, cities=[city])
    response = client.get("/admin/arrivals/party/", {"q": f" {here.code.lower()} "})
    assert list(response.context["cl"].queryset) == [here]


def test_filter_by_status(register, placed, city):
    client = staff(Role.COORDINATOR, cities=[city])
    response = client.get("/admin/arrivals/party/", {"status__exact": "placed"})
    assert list(response.context["cl"].queryset) == [placed]


def test_the_admin_changes_nothing(two_cities, city):
    here, _there = two_cities
    client = Client()
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    response = client.post(f"/admin/arrivals/party/{here.pk}/change/", {"status": "departed"})
    assert response.status_code == 403
    assert client.get("/admin/arrivals/party/add/").status_code == 403
    delete = client.post(f"/admin/arrivals/party/{here.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    here.refresh_from_db()
    assert here.status == "waiting"
    assert Party.objects.count() == 2


def test_manager_sees_only_parties_placed_in_their_shelter(placed, register, shelter):
    register()
    client = staff(Role.SHELTER_MANAGER, shelters=[shelter])
    response = client.get("/admin/arrivals/party/")
    assert list(response.context["cl"].queryset) == [placed]


def test_staff_without_a_role_sees_no_party_whatever_their_model_permissions(two_cities):
    client = Client()
    user = factories.UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="arrivals"))
    client.force_login(user)
    assert client.get("/admin/arrivals/party/").status_code == 403
    here, _there = two_cities
    assert client.get(f"/admin/arrivals/party/{here.pk}/change/").status_code == 403


def test_placements_and_runs_are_read_only_and_scoped(placed, city, other_city):
    client = staff(Role.COORDINATOR, cities=[city])
    services.matching_request(city_id=other_city.id, trigger="test")
    mine = services.matching_request(city_id=city.id, trigger="test")

    placements = client.get("/admin/arrivals/placement/")
    assert placements.status_code == 200
    assert [p.party_id for p in placements.context["cl"].queryset] == [placed.id]
    runs = client.get("/admin/arrivals/matchingrun/")
    shown = list(runs.context["cl"].queryset)
    assert mine in shown
    assert {run.city_id for run in shown} == {city.id}  # not the other city's

    placement = placed.placements.get()
    assert client.get("/admin/arrivals/placement/add/").status_code == 403
    response = client.post(f"/admin/arrivals/placement/{placement.pk}/change/", {"beds": 9})
    assert response.status_code == 403
    placement.refresh_from_db()
    assert placement.beds == 2


def test_a_runs_unplaced_parties_are_counted_by_reason_in_words(city):
    from arrivals.models import MatchingRun

    run = MatchingRun.objects.create(
        city=city,
        trigger="api",
        unplaced=[
            {"party": "a", "reason": "no_capacity"},
            {"party": "b", "reason": "no_capacity"},
            {"party": "c", "reason": "no_pet_friendly_space"},
        ],
    )
    page = staff(Role.COORDINATOR, cities=[city]).get(
        f"/admin/arrivals/matchingrun/{run.pk}/change/"
    )
    content = page.content.decode()
    assert "No free beds: 2" in content
    assert '"party": "a"' not in content


def cells(html: str, kind: str) -> list[str]:
    """The texts of a page's table cells whose column's name holds `kind`."""
    found = re.findall(rf'<td class="field-[a-z_]*{kind}[a-z_]*">(.*?)</td>', html, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


@pytest.mark.parametrize(
    ("language", "waiting", "placed_"),
    [("en", "Waiting", "Placed"), ("ru", "Ожидает", "Место найдено")],
)
def test_a_partys_history_says_its_statuses_in_words(placed, city, language, waiting, placed_):
    client = staff(Role.COORDINATOR, cities=[city])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(f"/admin/arrivals/party/{placed.pk}/change/").content.decode()
    # registered (from nothing) to waiting, then placed by hand
    assert cells(html, "status") == ["", waiting, waiting, placed_]


def test_a_runs_trigger_is_said_in_words(city):
    from arrivals.models import MatchingRun

    for trigger in ("registration", "room_available", "timer", "api", "bench"):
        MatchingRun.objects.create(city=city, trigger=trigger, status="done")
    client = staff(Role.COORDINATOR, cities=[city])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    listed = client.get("/admin/arrivals/matchingrun/").content.decode()
    assert sorted(cells(listed, "trigger")) == sorted(
        [
            "Зарегистрирована группа",
            "Освободились или добавились места",
            "Каждую минуту",
            "Запрошен волонтёром или координатором",
            "bench",  # a trigger the table does not name: as it is
        ]
    )
    run = MatchingRun.objects.get(trigger="room_available")
    page = client.get(f"/admin/arrivals/matchingrun/{run.pk}/change/").content.decode()
    assert "Освободились или добавились места" in page


def test_every_trigger_asked_for_has_words():
    """Each `trigger="..."` the code passes to `matching_request` is a RunTrigger."""
    from pathlib import Path

    import arrivals

    asked = set()
    for path in Path(arrivals.__file__).parent.rglob("*.py"):
        asked |= set(re.findall(r'trigger(?:: str)?\s*=\s*"([a-z_]+)"', path.read_text()))
    assert asked and asked <= set(RunTrigger.values), asked - set(RunTrigger.values)
