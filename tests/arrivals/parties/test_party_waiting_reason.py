"""waiting_reason and waiting_reason_text (docs/api-reference.md, Parties): set by every
matching run, in bulk, for each party it left waiting; not_yet_matched after a
registration, a correction or a return to waiting."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.access import system_access
from arrivals import matching as engine
from arrivals import services
from arrivals.models import (
    WAITING_REASON_TEXTS,
    MatchingRun,
    Party,
    PartyStatus,
    RunStatus,
    WaitingReason,
)
from arrivals.selectors import matching_snapshot
from shelters.models import Admits
from tests import factories

from .conftest import party_url

pytestmark = pytest.mark.django_db

WOMAN = {"given_name": "A", "sex": "female", "age_group": "adult"}
MAN = {"given_name": "B", "sex": "male", "age_group": "adult"}


def run(city) -> MatchingRun:
    queued = services.matching_request(city_id=city.id, trigger="test")
    return services.matching_run_execute(run_id=queued.id)


def reason(party) -> str:
    return Party.objects.get(id=party.id).waiting_reason


def test_a_registration_is_not_yet_matched(volunteer_client, register):
    party = register()
    body = volunteer_client.get(party_url(party.id)).json()
    assert body["waiting_reason"] == "not_yet_matched"
    assert body["waiting_reason_text"]
    assert body["slip_url"] is None


def test_each_run_says_why_in_one_update_per_reason(city, shelter):
    factories.SpaceFactory(shelter=shelter, beds=2, admits=Admits.WOMEN_AND_CHILDREN)
    full = factories.SpaceFactory(shelter=shelter, beds=1)
    wheel = [
        factories.PartyFactory(city=city, members=[{**MAN, "needs": ["wheelchair"]}])
        for _ in range(3)
    ]
    pets = [factories.PartyFactory(city=city, members=[WOMAN], pets=1) for _ in range(2)]
    crowd = factories.PartyFactory(city=city, members=[MAN] * 5)
    men = [factories.PartyFactory(city=city, members=[MAN, MAN]) for _ in range(2)]
    with CaptureQueriesContext(connection) as queries:
        done = run(city)
    assert done.status == RunStatus.DONE
    updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "waiting_reason" in q["sql"]
    ]
    expected = {
        **{party.id: "no_accessible_space" for party in wheel},
        **{party.id: "no_pet_friendly_space" for party in pets},
        crowd.id: "party_too_large",
    }
    for party_id, why in expected.items():
        assert reason(Party(id=party_id)) == why
    assert {reason(party) for party in men} <= set(WaitingReason.values) - {"not_yet_matched"}
    # One UPDATE per reason the run gave, however many parties share it.
    reasons = {item["reason"] for item in done.unplaced}
    assert len(updates) == len(reasons)
    assert full.beds == 1


def test_the_api_shows_the_reason_only_while_waiting(coordinator_client, register, space, city):
    party = register(pets=1)  # the shelter takes no pets
    run(city)
    body = coordinator_client.get(party_url(party.id)).json()
    assert body["waiting_reason"] == "no_pet_friendly_space"
    assert "pet" in body["waiting_reason_text"].lower()
    assert "coordinator" in body["waiting_reason_text"].lower()
    Party.objects.filter(id=party.id).update(pets=0)
    run(city)
    body = coordinator_client.get(party_url(party.id)).json()
    assert body["status"] == "placed"
    assert (body["waiting_reason"], body["waiting_reason_text"]) == (None, None)


def test_the_text_follows_the_language(coordinator_client, register, city):
    party = register()
    russian = coordinator_client.get(party_url(party.id), HTTP_ACCEPT_LANGUAGE="ru")
    assert russian["Content-Language"] == "ru"
    body = russian.json()
    assert body["waiting_reason"] == "not_yet_matched"
    with translation.override("ru"):
        expected = str(WAITING_REASON_TEXTS[WaitingReason.NOT_YET_MATCHED])
    assert body["waiting_reason_text"] == expected


def test_a_return_to_waiting_is_not_yet_matched(city, shelter, placed, space, coordinator_client):
    placement = placed.placements.get()
    services.placement_cancel(placement_id=placement.id, actor="c")
    assert reason(placed) == "not_yet_matched"
    placed.refresh_from_db()
    assert placed.revision >= 1


def test_an_expired_hold_is_not_yet_matched(placed):
    from datetime import timedelta

    from django.utils import timezone

    Party.objects.filter(id=placed.id).update(waiting_reason="no_capacity")
    services.placements_expire(now=timezone.now() + timedelta(days=1))
    placed.refresh_from_db()
    assert (placed.status, placed.waiting_reason) == ("waiting", "not_yet_matched")


def test_a_run_leaves_alone_a_party_corrected_since_its_snapshot(city, shelter, coordinator):
    """The run's snapshot was read before the correction committed: neither its reason
    nor its proposal is written for the corrected party (the correction asked for a run
    that sees it as it is)."""
    space = factories.SpaceFactory(shelter=shelter, beds=4)
    fits = factories.PartyFactory(city=city, members=[WOMAN])
    too_big = factories.PartyFactory(city=city, members=[MAN] * 6)
    spaces, parties, revisions = matching_snapshot(city_id=city.id)
    answer = engine.solve(spaces=spaces, parties=parties)
    assert [item.party for item in answer.unplaced] == [str(too_big.id)]
    # Both corrected after the snapshot.
    access = system_access("coordinator")
    services.party_update(party_id=fits.id, access=access, members=[WOMAN, WOMAN])
    services.party_update(party_id=too_big.id, access=access, members=[MAN])
    run_row = MatchingRun.objects.create(city=city, status=RunStatus.RUNNING)
    written = services.placements_apply(
        run=run_row,
        proposals=answer.placements,
        compositions={party.id: party for party in parties},
        revisions=revisions,
    )
    assert written == []
    services._waiting_reasons_set(unplaced=answer.unplaced, revisions=revisions)
    assert reason(too_big) == "not_yet_matched"
    assert Party.objects.get(id=fits.id).status == PartyStatus.WAITING
    space.refresh_from_db()
    assert space.beds_held == 0
