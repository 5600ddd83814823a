from django.db.models import Q, QuerySet

from .access import Access
from .models import ApiKey, Membership


def members_visible(*, access: Access) -> QuerySet[Membership]:
    """Coordinators see the members who work in their cities (or their cities' shelters)."""
    members = Membership.objects.select_related("user").prefetch_related("cities", "shelters")
    if access.is_superuser:
        return members
    if not access.is_coordinator:
        return members.none()
    return members.filter(
        Q(cities__in=access.city_ids) | Q(shelters__city__in=access.city_ids)
    ).distinct()


def api_keys_visible(*, access: Access) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.select_related("created_by").prefetch_related("cities")
    if access.is_superuser:
        return keys
    if not access.is_coordinator:
        return keys.none()
    return keys.filter(cities__in=access.city_ids).distinct()
