"""The one table of a party's (and a placement's) status moves, and the helpers that
hold every change to it."""

import pytest

from arrivals import services
from arrivals.models import Party, PartyStatus, Placement, PlacementStatus
from config.exceptions import Conflict
from tests import factories

EVERY_MOVE = {
    (PartyStatus.WAITING, PartyStatus.PLACED),
    (PartyStatus.WAITING, PartyStatus.CANCELLED),
    (PartyStatus.PLACED, PartyStatus.CHECKED_IN),
    (PartyStatus.PLACED, PartyStatus.WAITING),  # held beds expired, cancelled or moved
    (PartyStatus.PLACED, PartyStatus.CANCELLED),
    (PartyStatus.CHECKED_IN, PartyStatus.DEPARTED),
}


def test_the_table_has_every_status_and_the_moves_of_the_api_guide():
    table = services.PARTY_TRANSITIONS
    assert set(table) == set(PartyStatus.values)
    assert {(start, end) for start, ends in table.items() for end in ends} == EVERY_MOVE
    assert set(services.PLACEMENT_TRANSITIONS) == set(PlacementStatus.values)


def test_bulk_updates_read_the_same_table():
    assert services._party_statuses_to(PartyStatus.PLACED) == [PartyStatus.WAITING]
    assert set(services._party_statuses_to(PartyStatus.CANCELLED)) == {
        PartyStatus.WAITING,
        PartyStatus.PLACED,
    }


@pytest.mark.parametrize("start", PartyStatus.values)
@pytest.mark.parametrize("end", PartyStatus.values)
def test_a_move_outside_the_table_is_a_409_that_changes_nothing(start, end):
    party = Party(status=start)
    if (start, end) in EVERY_MOVE:
        event = services._party_transition(party, to_status=end, actor="test")
        assert (event.from_status, event.to_status, party.status) == (start, end, end)
    else:
        with pytest.raises(Conflict) as refused:
            services._party_transition(party, to_status=end, actor="test")
        assert refused.value.code == services.STATE_CONFLICTS[start][0]
        assert party.status == start


def test_a_placement_moves_only_as_its_table_says():
    placement = Placement(status=PlacementStatus.HELD)
    assert services._placement_transition(placement, to_status=PlacementStatus.CHECKED_IN) == [
        "status",
        "checked_in_at",
    ]
    assert placement.checked_in_at is not None
    assert services._placement_transition(placement, to_status=PlacementStatus.ENDED) == [
        "status",
        "ended_at",
    ]
    with pytest.raises(ValueError, match="ended -> held"):
        services._placement_transition(placement, to_status=PlacementStatus.HELD)


@pytest.mark.django_db
def test_a_departed_party_cannot_be_placed_again_by_hand():
    space = factories.SpaceFactory(beds=5)
    party = factories.PartyFactory(city=space.shelter.city, status=PartyStatus.DEPARTED)

    with pytest.raises(Conflict) as refused:
        services.placement_create(party_id=party.id, space_id=space.id, actor="coordinator")

    assert refused.value.code == "party_not_waiting"
    party.refresh_from_db()
    assert party.status == PartyStatus.DEPARTED
    assert not Placement.objects.exists()
