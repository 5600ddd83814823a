"""Forecasts come from the people held and checked in at the shelter: now for a service
to come, as of its start for one in the past, none at a point without beds."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.access import system_access
from arrivals import services as arrivals
from arrivals.models import Diet, Placement, PlacementStatus
from tests import factories

from .conftest import at, meal_service, party_of, place, service_url

pytestmark = pytest.mark.django_db


def diets(**counts) -> dict:
    return {diet: counts.get(diet, 0) for diet in Diet.values}


def forecast(client, service) -> tuple:
    response = client.get(service_url(service.id))
    assert response.status_code == 200, response.content
    return (
        response.data["forecast_portions"],
        response.data["diet_forecast"],
        response.data["forecast_basis"],
    )


def test_forecast_follows_holds_check_ins_check_outs_and_cancellations(
    city, shelter, space, volunteer_client
):
    service = meal_service(shelter=shelter, starts_at=timezone.now() + timedelta(hours=3))
    elsewhere = factories.SpaceFactory(shelter=factories.ShelterFactory(city=city))
    assert forecast(volunteer_client, service) == (0, diets(), "now")

    family = party_of(city, ["halal"], ["halal", "gluten_free"], ["infant_formula"])
    place(family, space)  # held
    expected = diets(halal=2, gluten_free=1, infant_formula=1)
    assert forecast(volunteer_client, service) == (3, expected, "now")

    single = party_of(city, ["vegetarian"])
    place(single, space)
    arrivals.party_check_in(party_id=single.id, access=system_access("manager"))
    expected = diets(halal=2, gluten_free=1, infant_formula=1, vegetarian=1)
    assert forecast(volunteer_client, service) == (4, expected, "now")

    place(party_of(city, ["halal"]), elsewhere)  # another shelter
    party_of(city, ["halal"])  # waiting, placed nowhere
    assert forecast(volunteer_client, service) == (4, expected, "now")

    arrivals.party_check_out(party_id=single.id, access=system_access("manager"))
    expected = diets(halal=2, gluten_free=1, infant_formula=1)
    assert forecast(volunteer_client, service) == (3, expected, "now")

    arrivals.party_cancel(party_id=family.id, access=system_access("coord"))
    assert forecast(volunteer_client, service) == (0, diets(), "now")


def test_expired_holds_leave_the_forecast(city, shelter, space, volunteer_client):
    service = meal_service(shelter=shelter, starts_at=timezone.now() + timedelta(hours=3))
    placement = place(party_of(city, ["lactose_free"], []), space)
    assert forecast(volunteer_client, service) == (2, diets(lactose_free=1), "now")

    assert arrivals.placements_expire(now=placement.held_until + timedelta(minutes=1)) == 1
    assert Placement.objects.get(id=placement.id).status == PlacementStatus.EXPIRED
    assert forecast(volunteer_client, service) == (0, diets(), "now")


def test_past_service_forecast_is_as_of_its_start(city, shelter, space, volunteer_client):
    """Lunch at 13:00: A checked in before and left after; B cancelled before; C held
    at 13:00 and expired later; D arrived after. The lunch counts A and C, whatever
    happened since; a service to come counts the people there now (D)."""
    a = party_of(city, ["halal"], ["vegetarian"])
    b = party_of(city, ["halal"])
    c = party_of(city, ["infant_formula"])
    d = party_of(city, ["gluten_free"], [], [])
    with time_machine.travel(at(city, "2030-05-01 08:00"), tick=False):
        place(a, space)
    with time_machine.travel(at(city, "2030-05-01 09:00"), tick=False):
        arrivals.party_check_in(party_id=a.id, access=system_access("manager"))
    with time_machine.travel(at(city, "2030-05-01 10:00"), tick=False):
        place(b, space)
    with time_machine.travel(at(city, "2030-05-01 11:00"), tick=False):
        arrivals.party_cancel(party_id=b.id, access=system_access("coord"))
    with time_machine.travel(at(city, "2030-05-01 12:00"), tick=False):
        place(c, space)
    lunch = meal_service(shelter=shelter, starts_at=at(city, "2030-05-01 13:00"))
    with time_machine.travel(at(city, "2030-05-01 14:00"), tick=False):
        place(d, space)
        arrivals.party_check_in(party_id=d.id, access=system_access("manager"))
    assert arrivals.placements_expire(now=at(city, "2030-05-01 16:30")) == 1  # C
    with time_machine.travel(at(city, "2030-05-01 18:00"), tick=False):
        arrivals.party_check_out(party_id=a.id, access=system_access("manager"))
    dinner_ongoing = meal_service(
        shelter=shelter, meal="dinner", starts_at=at(city, "2030-05-01 19:30")
    )
    tomorrow = meal_service(
        shelter=shelter, meal="breakfast", starts_at=at(city, "2030-05-02 08:00")
    )

    with time_machine.travel(at(city, "2030-05-01 20:00"), tick=False):
        assert forecast(volunteer_client, lunch) == (
            3,
            diets(halal=1, vegetarian=1, infant_formula=1),
            "at_start",
        )
        # Started half an hour ago: still current, it follows the people there now.
        assert forecast(volunteer_client, dinner_ongoing) == (3, diets(gluten_free=1), "now")
        assert forecast(volunteer_client, tomorrow) == (3, diets(gluten_free=1), "now")
    with time_machine.travel(at(city, "2030-05-03 12:00"), tick=False):
        # Days later, the dinner is past too: as of its start (D only; A had left).
        assert forecast(volunteer_client, dinner_ongoing) == (3, diets(gluten_free=1), "at_start")
        assert forecast(volunteer_client, lunch)[0] == 3


def test_point_without_beds_has_no_forecast(city, volunteer_client, space, shelter):
    place(party_of(city, ["halal"]), space)  # people in the city's shelter do not count
    point = meal_service(
        city=city, location="Railway station", starts_at=timezone.now() + timedelta(hours=1)
    )
    response = volunteer_client.get(service_url(point.id))
    assert response.status_code == 200
    assert response.data["shelter"] is None
    assert response.data["location"] == "Railway station"
    assert response.data["forecast_portions"] is None
    assert response.data["diet_forecast"] is None
    assert response.data["forecast_basis"] == "none_no_beds"
    assert response.data["served_portions"] == 0
    assert response.data["over_served"] is False
