"""The slip: what a placed party takes with it, at a link that opens without login.

`/slip/<token>/` shows the party's code, where to go (shelter, address, a map link, the
shelter's phone), how long the beds are held (in the city's time zone) and a QR code of
the link itself, never a name or anything else personal. The token is the party's code and
a MAC of it that only this server makes (`Party.slip_token`, `arrivals.models.slip_code`),
not its id. The link works while the party is placed
or checked in; after that (or before) the page says it no longer works, with 410.

Who holds the link sees where the party sleeps: the page is kept out of shared caches and
search engines, and the link is not sent on to the map sites (no Referer).
"""

from urllib.parse import quote, urlencode

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.qr import qr_svg

from . import selectors
from .models import PlacementStatus
from .serializers import SLIP_STATUSES

OSM = "https://www.openstreetmap.org/"


def _tel(phone: str) -> str:
    """A phone as a tel: link takes it: its digits, and a leading +."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if phone.strip().startswith("+") else digits


def _map_links(shelter, city_name: str) -> dict:
    """A geo: link and an OpenStreetMap link where the shelter has coordinates; else an
    OpenStreetMap search of its address (and city)."""
    if shelter.latitude is not None and shelter.longitude is not None:
        lat, lon = f"{shelter.latitude:f}", f"{shelter.longitude:f}"
        return {
            "geo": f"geo:{lat},{lon}?q={lat},{lon}({quote(shelter.name)})",
            "osm": f"{OSM}?{urlencode({'mlat': lat, 'mlon': lon})}#map=17/{lat}/{lon}",
        }
    if shelter.address:
        query = f"{shelter.address}, {city_name}"
        return {"geo": None, "osm": f"{OSM}search?{urlencode({'query': query})}"}
    return {"geo": None, "osm": None}


def _private(response):
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def slip(request, token: str):
    party = selectors.party_by_slip_token(token)
    if party is None:
        raise Http404
    placement = selectors.party_active_placement(party)
    if party.status not in SLIP_STATUSES or placement is None:
        return _private(render(request, "arrivals/slip_gone.html", status=410))
    shelter = placement.space.shelter
    url = request.build_absolute_uri(request.path)
    context = {
        "code": party.code,
        "city": party.city,
        "placement": placement,
        "space": placement.space,
        "shelter": shelter,
        "held": placement.status == PlacementStatus.HELD,
        "maps": _map_links(shelter, party.city.name),
        "tel": _tel(shelter.contact_phone) if shelter.contact_phone else "",
        "url": url,
        "qr": qr_svg(url, _("QR code of this slip's link")),
    }
    return _private(render(request, "arrivals/slip.html", context))
