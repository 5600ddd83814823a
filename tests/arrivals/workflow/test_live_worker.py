"""Parties registered through the API are placed by a real worker, without anyone asking."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from arrivals import services
from arrivals.models import MatchingRun, Party, PartyStatus, RunStatus
from shelters.models import Admits
from tests import factories
from tests.arrivals.workflow.helpers import assert_consistent, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def register(api, city, members, **extra):
    response = api.post(
        "/api/v1/parties/",
        {"city": str(city.id), "consent": True, "members": members, **extra},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def status_of(party_id) -> str:
    return Party.objects.get(id=party_id).status


def test_registered_parties_are_placed_by_the_worker(live_worker):
    city = factories.CityFactory()
    shelter = factories.ShelterFactory(city=city)
    hall = factories.SpaceFactory(shelter=shelter, beds=10, admits=Admits.ANYONE)
    wing = factories.SpaceFactory(shelter=shelter, beds=4, admits=Admits.WOMEN_AND_CHILDREN)
    volunteer = client(factories.member(Role.VOLUNTEER, cities=[city]))

    family = register(
        volunteer,
        city,
        [
            {"given_name": "Aigul", "sex": "female", "age_group": "adult"},
            {"given_name": "Timur", "sex": "male", "age_group": "child"},
        ],
    )
    men = [
        register(volunteer, city, [{"given_name": f"M{i}", "sex": "male", "age_group": "adult"}])
        for i in range(3)
    ]
    ids = [family["id"], *(party["id"] for party in men)]
    wait_for(
        lambda: all(status_of(pid) == PartyStatus.PLACED for pid in ids),
        what="all parties placed by the worker",
    )
    family_party = Party.objects.get(id=family["id"])
    assert family_party.placements.get().space_id in {wing.id, hall.id}
    for party in men:
        assert Party.objects.get(id=party["id"]).placements.get().space_id == hall.id
    assert MatchingRun.objects.filter(city=city, status=RunStatus.DONE).exists()
    failed = MatchingRun.objects.filter(status=RunStatus.FAILED)
    assert not failed.exists(), list(failed.values_list("error", flat=True))
    assert_consistent()


def test_freed_beds_go_to_the_waiting(live_worker):
    city = factories.CityFactory()
    shelter = factories.ShelterFactory(city=city)
    space = factories.SpaceFactory(shelter=shelter, beds=2)
    volunteer = client(factories.member(Role.VOLUNTEER, cities=[city]))
    manager = client(factories.member(Role.SHELTER_MANAGER, shelters=[shelter]))
    adults = [{"given_name": "A", "sex": "female"}, {"given_name": "B", "sex": "female"}]

    first = register(volunteer, city, adults)
    wait_for(lambda: status_of(first["id"]) == PartyStatus.PLACED, what="first placed")
    second = register(volunteer, city, adults)
    # The city is full: the registration asks for no run (it could place nobody); the
    # timer's run, within a minute, tells the party why it waits.
    assert not MatchingRun.objects.filter(city=city, status=RunStatus.QUEUED).exists()
    services.matching_request_all(trigger="timer")
    wait_for(
        lambda: MatchingRun.objects.filter(
            city=city, status=RunStatus.DONE, unplaced__contains=[{"party": second["id"]}]
        ).exists(),
        what="a run that left the second party waiting",
    )
    assert status_of(second["id"]) == PartyStatus.WAITING

    assert manager.post(f"/api/v1/parties/{first['id']}/check-in/").status_code == 200
    assert manager.post(f"/api/v1/parties/{first['id']}/check-out/").status_code == 200
    wait_for(
        lambda: status_of(second["id"]) == PartyStatus.PLACED,
        what="the freed beds given to the waiting party",
    )
    assert Party.objects.get(id=second["id"]).placements.get().space_id == space.id
    assert_consistent()


def test_matching_run_api_reports_the_run(live_worker):
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=1)
    coordinator = client(factories.member(Role.COORDINATOR, cities=[city]))
    volunteer = client(factories.member(Role.VOLUNTEER, cities=[city]))
    # Two parties of two for one bed: both left waiting, for no_capacity.
    parties = [
        register(volunteer, city, [{"given_name": "X"}, {"given_name": "Y"}]) for _ in range(2)
    ]
    answer = coordinator.post("/api/v1/matching/runs/", {"city": str(city.id)}, format="json")
    assert answer.status_code == 202
    assert set(answer.json()) >= {"id", "status"}
    run_id = answer.json()["id"]

    def finished():
        run = coordinator.get(f"/api/v1/matching/runs/{run_id}/").json()
        return run if run["status"] in {"done", "failed"} else None

    run = wait_for(finished, what="the asked run to finish")
    assert run["status"] == "done"
    assert run["placed_parties"] == 0
    assert run["waiting_parties"] == 2
    assert {item["party"] for item in run["unplaced"]} == {p["id"] for p in parties}
    # Larger than the free beds of every space (docs/matching.md: party_too_large).
    assert {item["reason"] for item in run["unplaced"]} == {"party_too_large"}
    assert isinstance(run["duration_ms"], int)
