"""The back office's clock: times in the time zone of the city its staff member works in."""

import zoneinfo

from django.utils import timezone

from .access import Access, access_for
from .models import Membership


def back_office_time_zone(access: Access) -> zoneinfo.ZoneInfo | None:
    """The time zone of the one city a staff member works in (a shelter manager: their
    shelters' city), or None: a superuser, a member of several cities or of none sees the
    server's time zone (UTC), which every back-office page names."""
    if access.is_superuser or len(access.city_ids) != 1:
        return None
    (city_id,) = access.city_ids
    city_model = Membership.cities.field.related_model  # shelters.City: accounts imports no app
    name = city_model._default_manager.filter(pk=city_id).values_list("timezone", flat=True).first()
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class BackOfficeTimeZoneMiddleware:
    """In the back office (the views of the `admin` namespace), times are shown, and typed
    times read, in the staff member's city's time zone (`back_office_time_zone`), as the
    phone pages and slips show them. After `AuthenticationMiddleware`: the caller's access
    (`access_for`, kept for the request the admin asks it again) says which city. Asked
    once the address is resolved, so no other request does any of it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)  # the page is rendered within it
        finally:
            if getattr(request, "_back_office_time_zone", None) is not None:
                timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.resolver_match.namespace != "admin":
            return None
        zone = back_office_time_zone(access_for(request))
        if zone is not None:
            request._back_office_time_zone = zone
            timezone.activate(zone)
        return None
