"""Reads of webhook subscriptions."""

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Subscription


def subscriptions_listening(*, city_ids: Iterable) -> QuerySet[Subscription]:
    """The subscriptions events of these cities are written for: the active ones. Whether
    any exists decides whether an event is built at all (`webhooks.services.events_emit`,
    and the registration and matching writes of `arrivals.services`)."""
    return Subscription.objects.filter(city_id__in=list(city_ids), active=True)
