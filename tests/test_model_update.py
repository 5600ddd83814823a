"""`config.services.model_update`: the one way services change a row's fields."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.services import model_update
from shelters.models import City, Space
from tests import factories

pytestmark = pytest.mark.django_db


def test_saves_only_the_fields_that_changed_and_says_so():
    space = factories.SpaceFactory(name="Hall", beds=10)
    before = space.updated_at

    with CaptureQueriesContext(connection) as queries:
        space, changed = model_update(
            space, fields=("name", "beds", "admits"), data={"name": "Hall", "beds": 12}
        )

    assert changed is True
    (update,) = [query["sql"] for query in queries.captured_queries if "UPDATE" in query["sql"]]
    assert '"beds"' in update and '"updated_at"' in update and '"name"' not in update
    space.refresh_from_db()
    assert (space.name, space.beds) == ("Hall", 12)
    assert space.updated_at > before


def test_writes_nothing_when_nothing_changed():
    space = factories.SpaceFactory(beds=10)

    with CaptureQueriesContext(connection) as queries:
        _space, changed = model_update(space, fields=("beds",), data={"beds": 10})

    assert changed is False
    assert queries.captured_queries == []


def test_leaves_alone_what_is_not_in_its_fields():
    space = factories.SpaceFactory(beds=10)

    model_update(space, fields=("name",), data={"name": "New", "beds": 99, "beds_held": 5})

    space.refresh_from_db()
    assert (space.name, space.beds, space.beds_held) == ("New", 10, 0)


def test_validates_before_saving_unless_told_not_to():
    city = factories.CityFactory(timezone="Asia/Oral")

    with pytest.raises(ValidationError):
        model_update(city, fields=("timezone",), data={"timezone": "Mars/Olympus"})
    assert City.objects.get(pk=city.pk).timezone == "Asia/Oral"

    city = City.objects.get(pk=city.pk)
    model_update(city, fields=("timezone",), data={"timezone": "Mars/Olympus"}, clean=False)
    assert City.objects.get(pk=city.pk).timezone == "Mars/Olympus"


def test_works_on_any_model():
    space = factories.SpaceFactory()
    assert model_update(space, fields=("version",), data={"version": 3}) == (space, True)
    assert Space.objects.get(pk=space.pk).version == 3
