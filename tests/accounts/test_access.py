"""One access policy: `Access.scope` filters any queryset by the model's reach, and
`Access.allows` answers whether an action (of the one rules table) is allowed, on an
object too. The API, the web pages, the admin and the services all ask it."""

from types import SimpleNamespace

import pytest
from django.urls import get_resolver
from rest_framework.viewsets import ViewSetMixin

from accounts.access import NOBODY, _access_for_key, access_for_user, system_access
from accounts.models import ApiKey, Membership, Role, Scope
from accounts.permissions import VERBS
from accounts.rules import RULES
from accounts.serializers import MemberSerializer
from accounts.services import api_key_create
from arrivals import services as arrivals
from arrivals.models import MatchingRun, Party, Placement
from meals.models import MealSchedule, MealService
from meals.serializers import MealServiceSerializer
from privacy.models import AuditAction, AuditEntry
from privacy.services import audit_record
from shelters.models import City, Shelter, Space
from shelters.serializers import SpaceSerializer
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(city, other_city):
    """Two cities; in the first a shelter with a space, a second shelter, a party placed
    at the first shelter and one waiting; in the second a shelter and a party."""
    shelter = factories.ShelterFactory(city=city)
    space = factories.SpaceFactory(shelter=shelter)
    second = factories.ShelterFactory(city=city)
    far = factories.ShelterFactory(city=other_city)
    placed = factories.PartyFactory(city=city)
    arrivals.placement_create(party_id=placed.id, space_id=space.id, actor="test")
    waiting = factories.PartyFactory(city=city)
    away = factories.PartyFactory(city=other_city)
    return {
        "shelter": shelter,
        "space": space,
        "second": second,
        "far": far,
        "placed": placed,
        "waiting": waiting,
        "away": away,
    }


def person(role, **places):
    return access_for_user(factories.member(role, **places))


def ids(queryset) -> set:
    return set(queryset.values_list("pk", flat=True))


def _api_views(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _api_views(pattern.url_patterns)
        elif getattr(getattr(pattern.callback, "cls", None), "resource", None):
            yield pattern.callback


def test_every_api_action_has_a_rule():
    """Deny by default must not deny by mistake: each action a view offers is named."""
    asked = set()
    for callback in _api_views(get_resolver().url_patterns):
        view = callback.cls
        if issubclass(view, ViewSetMixin):
            offered = [a for m, a in callback.actions.items() if m in view.http_method_names]
        else:
            offered = [m for m in view.http_method_names if m != "options" and hasattr(view, m)]
        asked |= {f"{view.resource}.{VERBS.get(action, action)}" for action in offered}
    assert len(asked) > 30
    assert asked - set(RULES) == set()


def test_an_unknown_action_is_an_error_not_a_refusal():
    with pytest.raises(KeyError):
        NOBODY.allows("party.teleport")


def test_coordinator_reaches_their_city(world, city):
    access = person(Role.COORDINATOR, cities=[city])
    assert ids(access.scope(City.objects.all())) == {city.id}
    assert ids(access.scope(Shelter.objects.all())) == {world["shelter"].id, world["second"].id}
    assert ids(access.scope(Space.objects.all())) == {world["space"].id}
    assert ids(access.scope(Party.objects.all())) == {world["placed"].id, world["waiting"].id}
    assert ids(access.scope(Placement.objects.all())) == ids(world["placed"].placements.all())


def test_manager_reaches_their_shelter_and_the_parties_placed_there(world, city):
    access = person(Role.SHELTER_MANAGER, shelters=[world["shelter"]])
    assert ids(access.scope(City.objects.all())) == {city.id}  # their shelters' cities
    assert ids(access.scope(Shelter.objects.all())) == {world["shelter"].id}
    assert ids(access.scope(Party.objects.all())) == {world["placed"].id}
    assert access.allows("party.check_in", world["placed"])
    assert not access.allows("party.check_in", world["waiting"])
    assert not access.allows("party.cancel", world["placed"])  # the role may not


def test_a_manager_reads_a_party_that_left_but_no_longer_acts_on_it(world):
    placed = world["placed"]
    access = person(Role.SHELTER_MANAGER, shelters=[world["shelter"]])
    arrivals.party_check_in(party_id=placed.id, access=access)
    arrivals.party_check_out(party_id=placed.id, access=access)
    assert ids(access.scope(Party.objects.all())) == {placed.id}
    assert access.allows("party.view", placed)
    assert not access.allows("party.personal_data", placed)
    assert not access.allows("party.check_in", placed)


def test_volunteer_sees_but_may_not_change(world, city):
    access = person(Role.VOLUNTEER, cities=[city])
    shelter = world["shelter"]
    assert access.allows("shelter.view", shelter)
    assert not access.allows("shelter.change", shelter)
    assert ids(access.scope(Shelter.objects.all(), "shelter.change")) == set()
    assert ids(access.scope(Shelter.objects.all())) == {shelter.id, world["second"].id}


def test_an_api_key_acts_by_its_scopes_in_its_cities(world, city, coordinator):
    key, _secret = api_key_create(
        name="bot", scopes=[Scope.PARTIES_READ], cities=[city], created_by=coordinator
    )
    access = _access_for_key(key)
    assert access.allows("party.view", world["waiting"])
    assert not access.allows("party.view", world["away"])
    assert not access.allows("party.add")  # no parties:write
    assert not access.allows("party.personal_data", world["waiting"])  # no key may


def test_rows_of_a_model_without_reach_are_a_superusers_only(db):
    audit_record(actor_id=None, actor="t", action=AuditAction.READ, object_type="x",
                 object_ids=["1"])  # fmt: skip
    coordinator = person(Role.COORDINATOR, cities=[factories.CityFactory()])
    assert not coordinator.scope(AuditEntry.objects.all()).exists()
    superuser = access_for_user(factories.UserFactory(is_superuser=True))
    assert superuser.scope(AuditEntry.objects.all()).count() == 1


def test_reach_through_many_relations_repeats_no_row(city, other_city):
    coordinator = person(Role.COORDINATOR, cities=[city, other_city])
    shelters = [factories.ShelterFactory(city=city), factories.ShelterFactory(city=other_city)]
    both = factories.member(Role.VOLUNTEER, cities=[city, other_city])
    factories.member(Role.SHELTER_MANAGER, shelters=shelters)
    members = coordinator.scope(Membership.objects.all())
    assert members.count() == len(ids(members)) == 3
    assert both.membership.pk in ids(members)


def test_meals_are_reached_at_shelters_and_points(world, city):
    shelter_meal = MealService.objects.create(
        city=city, shelter=world["shelter"], meal="lunch", starts_at="2030-01-01T12:00Z"
    )
    point = MealService.objects.create(
        city=city, location="Station", meal="lunch", starts_at="2030-01-01T12:00Z"
    )
    entry = MealSchedule.objects.create(shelter=world["shelter"], meal="lunch", time="12:00")
    manager = person(Role.SHELTER_MANAGER, shelters=[world["shelter"]])
    volunteer = person(Role.VOLUNTEER, cities=[city])
    assert ids(manager.scope(MealService.objects.all())) == {shelter_meal.id}
    assert ids(volunteer.scope(MealService.objects.all())) == {shelter_meal.id, point.id}
    assert ids(manager.scope(MealSchedule.objects.all())) == {entry.id}
    assert not manager.allows("mealservice.add_at_point", city)


def test_runs_and_keys_are_reached_by_city(world, city, other_city, coordinator):
    run = MatchingRun.objects.create(city=city)
    MatchingRun.objects.create(city=other_city)
    key, _secret = api_key_create(name="k", scopes=[], cities=[city], created_by=coordinator)
    access = access_for_user(coordinator)
    assert ids(access.scope(MatchingRun.objects.all())) == {run.id}
    assert ids(access.scope(ApiKey.objects.all())) == {key.id}


def test_the_system_may_do_everything(world):
    system = system_access("expiry")
    assert system.allows("party.cancel", world["away"])
    assert system.scope(Party.objects.all()).count() == 3
    assert system.username == "expiry"


def test_nobody_reaches_nothing(world):
    assert not NOBODY.scope(Party.objects.all()).exists()
    assert not NOBODY.allows("party.view")


def test_a_scoped_related_field_offers_the_rows_the_caller_reaches(world, city, other_city):
    coordinator = factories.member(Role.COORDINATOR, cities=[city])
    manager = factories.member(Role.SHELTER_MANAGER, shelters=[world["shelter"]])

    def choices(serializer_class, user, name):
        context = {"request": SimpleNamespace(user=user, auth=None)}
        field = serializer_class(context=context).fields[name]
        return set(getattr(field, "child_relation", field).get_queryset())

    assert choices(MemberSerializer, coordinator, "cities") == {city}
    assert choices(MemberSerializer, coordinator, "shelters") == {
        world["shelter"],
        world["second"],
    }
    assert choices(SpaceSerializer, manager, "shelter") == {world["shelter"]}
    # The field of a point's city offers what `mealservice.add_at_point` allows.
    assert choices(MealServiceSerializer, coordinator, "city") == {city}
    assert choices(MealServiceSerializer, manager, "city") == set()
    assert choices(MealServiceSerializer, manager, "shelter") == {world["shelter"]}


@pytest.mark.django_db
def test_options_describes_an_endpoint_to_any_signed_in_caller(volunteer_client, anonymous):
    answer = volunteer_client.options("/api/v1/parties/")
    assert answer.status_code == 200
    assert answer.json()["name"]
    assert anonymous.options("/api/v1/parties/").status_code == 401
    # What the caller may send is described: the volunteer registers parties.
    assert "given_name" in str(answer.json()["actions"]["POST"]["members"])
    # Described is not allowed: the volunteer still may not make a shelter, and is not
    # told the fields of one.
    shelters = volunteer_client.options("/api/v1/shelters/")
    assert shelters.status_code == 200 and "actions" not in shelters.json()
    assert volunteer_client.post("/api/v1/shelters/", {}, format="json").status_code == 403


@pytest.mark.django_db
def test_options_describes_the_writes_the_caller_may_make(coordinator_client):
    spaces = coordinator_client.options("/api/v1/spaces/").json()
    assert {"shelter", "name", "beds", "admits"} <= set(spaces["actions"]["POST"])


@pytest.mark.django_db
def test_options_on_every_documented_path_answers(coordinator_client, city):
    import re
    import uuid

    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert len(paths) > 30
    for template in paths:
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), template)
        for query in ("", "?format=csv", "?format=xlsx"):
            answer = coordinator_client.options(path + query)
            assert answer.status_code in (200, 400, 404), (path, query, answer.status_code)
            assert answer["Content-Type"] == "application/json", (path, query)
