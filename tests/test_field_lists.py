"""One list of editable fields per model (beside the model): the services change those,
and the serializers and admin pages show them, in the same order."""

import pytest
from django.contrib import admin

from arrivals.admin import PartyAdmin, PartyMemberInline
from arrivals.models import MEMBER_FIELDS, PARTY_REGISTRATION_FIELDS, Party
from arrivals.serializers import MemberSerializer, PartySerializer
from meals.models import MEAL_SCHEDULE_EDITABLE_FIELDS, MEAL_SERVICE_EDITABLE_FIELDS
from meals.serializers import MealScheduleSerializer, MealServiceSerializer
from shelters.admin import CityAdmin, ShelterAdmin, ShelterForm, SpaceAdmin, SpaceForm
from shelters.models import (
    CITY_EDITABLE_FIELDS,
    SHELTER_EDITABLE_FIELDS,
    SPACE_EDITABLE_FIELDS,
    City,
    Shelter,
    Space,
)
from shelters.serializers import CitySerializer, ShelterSerializer, SpaceSerializer


def runs_in(fields, run) -> bool:
    """`run` appears in `fields` as one unbroken run, in its order."""
    fields, run = list(fields), list(run)
    return any(fields[i : i + len(run)] == run for i in range(len(fields)))


@pytest.mark.parametrize(
    ("shown", "editable"),
    [
        (CitySerializer.Meta.fields, CITY_EDITABLE_FIELDS),
        (ShelterSerializer.Meta.fields, SHELTER_EDITABLE_FIELDS),
        (SpaceSerializer.Meta.fields, SPACE_EDITABLE_FIELDS),
        (MealServiceSerializer.Meta.fields, MEAL_SERVICE_EDITABLE_FIELDS),
        (MealScheduleSerializer.Meta.fields, MEAL_SCHEDULE_EDITABLE_FIELDS),
        (PartySerializer.Meta.fields, PARTY_REGISTRATION_FIELDS),
        (list(MemberSerializer().fields), MEMBER_FIELDS),
        (CityAdmin(City, admin.site).fields, CITY_EDITABLE_FIELDS),
        (ShelterForm.Meta.fields, SHELTER_EDITABLE_FIELDS),
        (SpaceForm.Meta.fields, SPACE_EDITABLE_FIELDS),
        (ShelterAdmin(Shelter, admin.site).service_fields, SHELTER_EDITABLE_FIELDS),
        (SpaceAdmin(Space, admin.site).service_fields, SPACE_EDITABLE_FIELDS),
        (PartyAdmin(Party, admin.site).party_fields, PARTY_REGISTRATION_FIELDS),
        (PartyMemberInline.member_fields, MEMBER_FIELDS),
    ],
)
def test_each_field_list_is_built_from_the_one_beside_its_model(shown, editable):
    assert runs_in(shown, editable)
