"""The party rules that used to live in views live in the services, which ask the
caller's access; personal data goes through one service that decides and audits,
a replayed registration included."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.access import access_for_user, system_access
from accounts.models import Role
from arrivals import services
from arrivals.models import Party, PartyEvent, PartyStatus
from privacy.models import AuditAction, AuditEntry
from tests import factories
from tests.conftest import client_for
from tests.web.conftest import web_client

from .conftest import PARTIES, body

pytestmark = pytest.mark.django_db


def reads(party_id):
    return AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(party_id))


@pytest.mark.parametrize("service", [services.party_check_in, services.party_check_out])
def test_a_manager_of_another_shelter_is_refused_by_the_service(placed, other_manager, service):
    events = PartyEvent.objects.filter(party=placed).count()
    with pytest.raises(PermissionDenied):
        service(party_id=placed.id, access=access_for_user(other_manager))
    placed.refresh_from_db()
    assert placed.status == PartyStatus.PLACED
    assert PartyEvent.objects.filter(party=placed).count() == events


def test_the_manager_of_the_shelter_checks_in_through_the_service(placed, manager):
    party = services.party_check_in(party_id=placed.id, access=access_for_user(manager))
    assert party.status == PartyStatus.CHECKED_IN
    assert PartyEvent.objects.filter(party=placed).latest("at").actor == manager.username


@pytest.mark.parametrize("role", [Role.SHELTER_MANAGER, Role.VOLUNTEER])
def test_only_coordinators_cancel_even_when_calling_the_service(placed, shelter, city, role):
    user = factories.member(role, cities=[city], shelters=[shelter])
    with pytest.raises(PermissionDenied):
        services.party_cancel(party_id=placed.id, access=access_for_user(user))
    placed.refresh_from_db()
    assert placed.status == PartyStatus.PLACED


def test_a_coordinator_of_another_city_is_refused_by_the_service(placed, other_city):
    stranger = factories.member(Role.COORDINATOR, cities=[other_city])
    with pytest.raises(PermissionDenied):
        services.party_cancel(party_id=placed.id, access=access_for_user(stranger))


def test_web_party_actions_ask_the_service(placed, manager, other_manager, volunteer):
    url = reverse("web-party-check-in", args=[placed.id])
    # Not theirs to see at all: 404 before anything is asked.
    assert web_client(other_manager).post(url).status_code == 404
    # Theirs to read once it left their shelter: the service says it left (its state, as
    # to anyone allowed to check parties in), back on the party's page.
    system = system_access("test")
    services.party_check_in(party_id=placed.id, access=system)
    services.party_check_out(party_id=placed.id, access=system)
    client = web_client(manager)
    assert client.get(reverse("web-party", args=[placed.id])).status_code == 200
    answer = client.post(url, follow=True)
    assert answer.redirect_chain[0][0] == reverse("web-party", args=[placed.id])
    assert "The party has departed." in answer.content.decode()
    placed.refresh_from_db()
    assert placed.status == PartyStatus.DEPARTED
    # Who may never check a party in is refused, whatever its state.
    assert web_client(volunteer).post(url).status_code == 403


def test_a_replay_after_losing_the_role_answers_without_personal_data(coordinator, city):
    client = client_for(coordinator)
    data = body(city)
    first = client.post(PARTIES, data, format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    assert first.status_code == 201
    assert first.json()["contact_phone"] == data["contact_phone"]
    assert first.json()["members"][0]["family_name"] == "Nurlanova"

    coordinator.membership.role = Role.VOLUNTEER
    coordinator.membership.save(update_fields=["role"])
    replay = client_for(coordinator).post(
        PARTIES, data, format="json", HTTP_IDEMPOTENCY_KEY="reg-1"
    )

    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    answer = replay.json()
    assert answer["id"] == first.json()["id"]
    assert "contact_phone" not in answer
    assert all("family_name" not in member for member in answer["members"])
    assert "Nurlanova" not in replay.content.decode()
    assert not reads(answer["id"]).exists()
    assert Party.objects.count() == 1


def test_a_replay_that_shows_personal_data_is_audited(coordinator_client, city):
    data = body(city)
    first = coordinator_client.post(PARTIES, data, format="json", HTTP_IDEMPOTENCY_KEY="reg-2")
    assert not reads(first.json()["id"]).exists()  # the caller's own input: no read
    replay = coordinator_client.post(PARTIES, data, format="json", HTTP_IDEMPOTENCY_KEY="reg-2")
    assert replay.json() == first.json()
    assert reads(first.json()["id"]).count() == 1


def test_a_replay_gives_back_no_personal_data_removed_since(coordinator_client, city):
    """A phone and a family name removed after the registration do not come back with a
    replay of it; what the party holds now does."""
    data = body(city)
    data["members"].append({"given_name": "Dana", "family_name": "Ospanova"})
    first = coordinator_client.post(PARTIES, data, format="json", HTTP_IDEMPOTENCY_KEY="reg-3")
    assert first.status_code == 201, first.content
    party_id = first.json()["id"]
    members = [
        {key: value for key, value in member.items() if key != "family_name"}
        for member in first.json()["members"]
    ]
    members[0]["family_name"] = None  # Nurlanova's removed; Dana keeps hers
    changed = coordinator_client.patch(
        f"{PARTIES}{party_id}/", {"contact_phone": None, "members": members}, format="json"
    )
    assert changed.status_code == 200, changed.content

    replay = coordinator_client.post(PARTIES, data, format="json", HTTP_IDEMPOTENCY_KEY="reg-3")

    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    answer = replay.json()
    assert answer["id"] == party_id
    assert answer["contact_phone"] is None
    kept = [member["family_name"] for member in first.json()["members"][1:]]
    assert "Ospanova" in kept
    assert [member["family_name"] for member in answer["members"]] == [None, *kept]
    assert "Nurlanova" not in replay.content.decode()
    assert data["contact_phone"] not in replay.content.decode()


def test_the_personal_data_service_decides_and_audits_a_page_at_once(
    placed, register, coordinator, manager
):
    waiting = register()
    parties = list(Party.objects.filter(id__in=[placed.id, waiting.id]).order_by("id"))
    shown = services.parties_personal_data_show(
        access=access_for_user(coordinator), parties=parties
    )
    assert shown == {placed.id, waiting.id}
    shown = services.parties_personal_data_show(access=access_for_user(manager), parties=parties)
    assert shown == {placed.id}
    assert reads(placed.id).count() == 2
    assert reads(waiting.id).count() == 1
