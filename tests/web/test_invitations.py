"""The coordinator's invitation pages: times are said in the city's time."""

import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from tests import factories

from .conftest import web_client

pytestmark = pytest.mark.django_db


def test_an_invitations_expiry_is_in_the_city_s_time(coordinator, city):
    client = web_client(coordinator)
    made = client.post(reverse("web-invitations"), {"city": city.id, "role": "volunteer"})
    assert made.status_code == 200
    expires = Invitation.objects.get().expires_at
    local = timezone.localtime(expires, zoneinfo.ZoneInfo(city.timezone))
    assert local.utcoffset() != expires.utcoffset()  # the city is not on UTC
    assert local.strftime("%H:%M") in made.content.decode()
    listed = client.get(reverse("web-invitations")).content.decode()
    assert f"open until {local.day} {local:%B %H:%M}" in listed
    assert expires.strftime("%H:%M") not in listed


def test_shelters_to_choose_are_in_the_order_people_count(coordinator, city):
    for name in ("№ 10", "№ 2", "№ 1", "№ 20"):
        factories.ShelterFactory(city=city, name=name)
    page = web_client(coordinator).get(reverse("web-invitations")).content.decode()
    listed = re.findall(r"(№ \d+) \(", page)
    assert listed == ["№ 1", "№ 2", "№ 10", "№ 20"]
