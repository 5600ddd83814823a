"""The back office: scoped like the API, read-only, personal data for superusers only."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import Role
from arrivals import services
from arrivals.models import Party
from privacy.models import AuditAction, AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

FAMILY_NAME = "Nurlanova"
PHONE = "+7 701 123-45-67"


def staff(role, *, cities=(), shelters=(), perms=("view_party", "view_placement")):
    user = factories.member(role, cities=cities, shelters=shelters, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="arrivals", codename__in=perms)
    )
    client = Client()
    client.force_login(user)
    return client


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


def test_coordinator_sees_the_party_without_personal_data(two_cities, city):
    here, _there = two_cities
    client = staff(Role.COORDINATOR, cities=[city])

    page = client.get(f"/admin/arrivals/party/{here.pk}/change/")

    assert page.status_code == 200
    content = page.content.decode()
    assert here.code in content
    assert "Aigerim" in content  # members inline
    assert FAMILY_NAME not in content
    assert PHONE not in content
    assert not AuditEntry.objects.filter(action=AuditAction.READ).exists()


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


def test_staff_without_a_role_sees_no_party(two_cities):
    client = Client()
    user = factories.UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_party"))
    client.force_login(user)
    response = client.get("/admin/arrivals/party/")
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == []


def test_placements_and_runs_are_read_only_and_scoped(placed, city, other_city):
    client = staff(Role.COORDINATOR, cities=[city], perms=("view_placement", "view_matchingrun"))
    services.matching_request(city_id=other_city.id, trigger="test")
    mine = services.matching_request(city_id=city.id, trigger="test")

    placements = client.get("/admin/arrivals/placement/")
    assert placements.status_code == 200
    assert [p.party_id for p in placements.context["cl"].queryset] == [placed.id]
    runs = client.get("/admin/arrivals/matchingrun/")
    assert list(runs.context["cl"].queryset) == [mine]

    placement = placed.placements.get()
    assert client.get("/admin/arrivals/placement/add/").status_code == 403
    response = client.post(f"/admin/arrivals/placement/{placement.pk}/change/", {"beds": 9})
    assert response.status_code == 403
    placement.refresh_from_db()
    assert placement.beds == 2
