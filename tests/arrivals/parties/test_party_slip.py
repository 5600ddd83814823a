"""slip_url and the slip page (/slip/<token>/): opens without login while the party is
placed or checked in, shows the code and where to go, never a name; stops after."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from arrivals import selectors
from shelters.models import Shelter

from .conftest import party_url

pytestmark = pytest.mark.django_db


def slip_url(client, party) -> str | None:
    return client.get(party_url(party.id)).json()["slip_url"]


def open_slip(url: str, **headers):
    return Client().get(url, **headers)


def test_no_slip_before_placement(volunteer_client, register):
    party = register()
    assert slip_url(volunteer_client, party) is None


def test_a_placed_party_has_a_slip_that_opens_without_login(volunteer_client, placed, shelter):
    Shelter.objects.filter(id=shelter.id).update(
        address="Dostyk Avenue 190", contact_phone="+7 (7112) 50-10-10"
    )
    url = slip_url(volunteer_client, placed)
    assert url.startswith("http://testserver/slip/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert str(placed.id) not in url and len(token) >= 20
    page = open_slip(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert placed.code in html
    assert shelter.name in html and "Dostyk Avenue 190" in html
    assert 'href="tel:+771125010' in html
    assert "openstreetmap.org/search?query=Dostyk+Avenue+190" in html
    assert "geo:" not in html  # no coordinates, no geo: link
    assert "<svg" in html and 'class="qr"' in html
    assert re.search(r"Beds held until \d\d:\d\d", html)
    # Never a name, a phone of the party or its notes.
    for secret in ("Aigerim", "Nurlanova", "Timur", "123-45-67", "night train"):
        assert secret not in html
    # No inline script or style: the CSP allows none.
    assert "<script>" not in html and "style=" not in html and "onclick" not in html
    assert page["Cache-Control"] == "private, no-cache"
    assert "noindex" in page["X-Robots-Tag"]
    assert page["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex' in html


def test_the_slip_links_the_map_by_coordinates(volunteer_client, placed, shelter):
    Shelter.objects.filter(id=shelter.id).update(
        latitude=Decimal("51.233500"), longitude=Decimal("51.366700")
    )
    html = open_slip(slip_url(volunteer_client, placed)).content.decode()
    assert 'href="geo:51.233500,51.366700?q=51.233500,51.366700' in html
    assert "openstreetmap.org/?mlat=51.233500&amp;mlon=51.366700#map=17/51.233500/51.366700" in html


def test_the_slip_speaks_the_readers_language(volunteer_client, placed):
    url = slip_url(volunteer_client, placed)
    page = open_slip(url, HTTP_ACCEPT_LANGUAGE="kk")
    assert page.status_code == 200
    assert '<html lang="kk">' in page.content.decode()


def test_a_checked_in_party_keeps_its_slip(coordinator_client, checked_in):
    url = slip_url(coordinator_client, checked_in)
    assert url
    assert open_slip(url).status_code == 200


@pytest.mark.parametrize("end", ["check-out", "cancel"])
def test_the_slip_stops_when_the_party_leaves(coordinator_client, placed, end):
    url = slip_url(coordinator_client, placed)
    if end == "check-out":
        assert coordinator_client.post(party_url(placed.id, "check-in")).status_code == 200
    assert coordinator_client.post(party_url(placed.id, end)).status_code == 200
    page = open_slip(url)
    assert page.status_code == 410
    # Nothing of the party, but for the link's own address (its language switch).
    path = url.removeprefix("http://testserver")
    assert placed.code not in page.content.decode().replace(path, "")
    assert slip_url(coordinator_client, placed) is None


def test_a_released_hold_stops_the_slip(coordinator_client, placed):
    url = slip_url(coordinator_client, placed)
    placement = placed.placements.get()
    answer = coordinator_client.post(f"/api/v1/placements/{placement.id}/cancel/")
    assert answer.status_code == 200
    assert open_slip(url).status_code == 410


@pytest.mark.parametrize("token", ["x", "A" * 22, "../../etc", "%00" * 8, "a" * 300])
def test_unknown_tokens_are_404(placed, token):
    assert open_slip(f"/slip/{token}/").status_code == 404


def test_every_party_has_its_own_token(register):
    parties = [register() for _ in range(3)]
    tokens = {party.slip_token for party in parties}
    assert len(tokens) == 3
    assert [selectors.party_by_slip_token(party.slip_token) for party in parties] == parties


def test_a_token_is_the_code_and_a_secret_only_this_server_makes(register, settings):
    party = register()
    token = party.slip_token
    assert token.startswith(party.code)
    assert len(token) - len(party.code) == 22  # 128 bits of URL-safe base64
    # Another code with this MAC, or this code with another's MAC: not a slip.
    other = register()
    assert open_slip(f"/slip/{other.code}{token[len(party.code):]}/").status_code == 404
    assert open_slip(f"/slip/{party.code}{other.slip_token[len(other.code):]}/").status_code == 404
    # Made under another key, it opens only while that key is a fallback.
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "n" * 50, [settings.SECRET_KEY]
    assert selectors.party_by_slip_token(token) == party
    assert party.slip_token != token
    settings.SECRET_KEY_FALLBACKS = []
    assert selectors.party_by_slip_token(token) is None
