"""Properties: random registrations, valid or not, never answer 500 and never leave a
half-written party; a women-and-children space takes a registered party only when each of
its adults and seniors said female."""

import json

import pytest
from django.db.models import Count
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from arrivals.models import (
    AgeGroup,
    Diet,
    Need,
    Party,
    PartyEvent,
    PartyMember,
    PartyStatus,
    Placement,
    Sex,
)
from config.text import has_nothing_visible
from shelters.models import Admits
from tests import factories

from .conftest import PARTIES

pytestmark = pytest.mark.django_db

# Text a person could type: anything but control characters, surrogates (not text), line
# separators and the bidirectional overrides (config.text); RTL, emoji and combining
# marks included. Notes may hold line separators.
OVERRIDES = "\u202d\u202e"
typed = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=OVERRIDES
    ),
    min_size=1,
    max_size=100,
).filter(str.strip)
# A name also needs something to see (config.text.has_nothing_visible): a soft hyphen or a
# zero-width space alone is refused.
named = typed.filter(lambda text: not has_nothing_visible(text))


def choices(values):
    return st.lists(st.sampled_from(values), max_size=len(values), unique=True)


valid_member = st.fixed_dictionaries(
    {"given_name": named},
    optional={
        "family_name": st.one_of(named, st.none(), st.just("")),
        "sex": st.sampled_from(Sex.values),
        "age_group": st.sampled_from(AgeGroup.values),
        "needs": choices(Need.values),
        "diet": choices(Diet.values),
    },
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)
wild_member = st.fixed_dictionaries(
    {"given_name": st.one_of(st.text(max_size=120), st.none(), st.integers())},
    optional={
        "family_name": st.one_of(st.text(max_size=120), json_values),
        "sex": st.one_of(st.text(max_size=8), json_values),
        "age_group": st.one_of(st.text(max_size=8), json_values),
        "needs": st.one_of(st.lists(st.one_of(st.text(max_size=10), st.none())), json_values),
        "diet": st.one_of(st.lists(st.text(max_size=10)), json_values),
    },
)


@st.composite
def valid_registrations(draw, city_id):
    data = {
        "city": city_id,
        "consent": True,
        "members": draw(st.lists(valid_member, min_size=1, max_size=30)),
    }
    optional = {
        "contact_phone": st.one_of(
            st.from_regex(r"\+?[0-9][0-9 ()\-]{3,14}[0-9]", fullmatch=True), st.none()
        ),
        "languages": st.lists(st.sampled_from(["ru", "kk", "en", "uk"]), max_size=4),
        "pets": st.integers(0, 10),
        "nights_needed": st.integers(1, 365),
        "notes": st.text(
            alphabet=st.characters(
                blacklist_categories=("Cc", "Cs"), blacklist_characters=OVERRIDES
            ),
            max_size=1000,
        ),
        "registration_point": typed,
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            data[name] = draw(strategy)
    return data


@st.composite
def invalid_registrations(draw, city_id):
    """A valid registration with one to three fields broken, dropped or added."""
    data = draw(valid_registrations(city_id))
    broken = {
        "city": st.one_of(st.text(max_size=40), json_values),
        "consent": st.one_of(st.just(False), json_values),
        "members": st.one_of(
            st.just([]),
            st.lists(valid_member, min_size=31, max_size=32),
            st.lists(wild_member, min_size=1, max_size=3),
            json_values,
        ),
        "contact_phone": st.one_of(st.text(max_size=40), json_values),
        "languages": json_values,
        "pets": st.one_of(st.integers(), st.just(10**100), st.floats(), st.text(max_size=4)),
        "nights_needed": st.one_of(st.integers(), st.just(-(10**100)), st.floats()),
        "notes": st.one_of(st.text(min_size=1001, max_size=1100), json_values),
        "registration_point": st.one_of(st.text(min_size=201, max_size=210), json_values),
    }
    for name in draw(st.lists(st.sampled_from(sorted(broken)), min_size=1, max_size=3)):
        if draw(st.integers(0, 4)) == 0 and name in ("city", "consent", "members"):
            data.pop(name, None)
        else:
            data[name] = draw(broken[name])
    if draw(st.integers(0, 4)) == 0:
        data["extra"] = draw(json_values)
    return data


def registrations(city_id):
    """(valid?, body)"""
    return st.one_of(
        valid_registrations(city_id).map(lambda body: (True, body)),
        invalid_registrations(city_id).map(lambda body: (False, body)),
    )


def table_sizes():
    return Party.objects.count(), PartyMember.objects.count(), PartyEvent.objects.count()


def assert_no_half_written_party():
    bad = (
        Party.objects.annotate(members_count=Count("members")).exclude(members_count__gte=1).count()
    )
    assert bad == 0
    for size, members_count in Party.objects.annotate(members_count=Count("members")).values_list(
        "size", "members_count"
    ):
        assert size == members_count


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_registrations_never_answer_500_nor_leave_half_a_party(volunteer_client, city, data):
    valid, payload = data.draw(registrations(str(city.id)))
    before = table_sizes()

    response = volunteer_client.post(
        PARTIES, json.dumps(payload).encode(), content_type="application/json"
    )

    assert response.status_code in (201, 400), (response.status_code, response.content[:500])
    if valid:
        assert response.status_code == 201, response.content[:500]
    event(f"status {response.status_code}")
    after = table_sizes()
    if response.status_code == 201:
        party = Party.objects.get(id=response.json()["id"])
        assert len(payload["members"]) == party.size == party.members.count()
        assert after == (before[0] + 1, before[1] + party.size, before[2] + 1)
    else:
        assert after == before
        assert response.json()
    assert_no_half_written_party()


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_any_body_at_all_answers_4xx(volunteer_client, raw):
    before = table_sizes()
    response = volunteer_client.post(PARTIES, raw, content_type="application/json")
    assert response.status_code == 400, (response.status_code, response.content[:500])
    assert table_sizes() == before


@pytest.fixture
def wing(city):
    """The city's only space: women and children, beds for every example, access and pets."""
    shelter = factories.ShelterFactory(city=city, pets_allowed=True)
    return factories.SpaceFactory(
        shelter=shelter, beds=1000, admits=Admits.WOMEN_AND_CHILDREN, wheelchair_accessible=True
    )


def only_women_are_grown(members: list[dict]) -> bool:
    """Every adult and senior said female (the API's defaults: adult, unspecified)."""
    return all(
        member.get("sex", Sex.UNSPECIFIED) == Sex.FEMALE
        for member in members
        if member.get("age_group", AgeGroup.ADULT) in (AgeGroup.ADULT, AgeGroup.SENIOR)
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(members=st.lists(valid_member, min_size=1, max_size=6))
def test_a_women_and_children_space_takes_a_party_only_if_its_grown_members_are_women(
    volunteer_client, city, wing, django_capture_on_commit_callbacks, members
):
    with django_capture_on_commit_callbacks(execute=True):
        response = volunteer_client.post(
            PARTIES, {"city": str(city.id), "consent": True, "members": members}, format="json"
        )
    assert response.status_code == 201, response.content[:500]
    party = Party.objects.get(id=response.json()["id"])
    expected = PartyStatus.PLACED if only_women_are_grown(members) else PartyStatus.WAITING
    event(f"{expected}")
    assert party.status == expected
    for placement in Placement.objects.filter(space=wing).prefetch_related("party__members"):
        grown = [
            m.sex
            for m in placement.party.members.all()
            if m.age_group in (AgeGroup.ADULT, AgeGroup.SENIOR)
        ]
        assert set(grown) <= {Sex.FEMALE}, (placement.party.code, grown)
