"""Helpers of the shelters tests."""

from django.db import transaction

from shelters.models import Space
from shelters.services import space_counters_change, spaces_lock


def set_counters(space: Space, *, held: int = 0, occupied: int = 0) -> Space:
    """Move beds to held/occupied the way the placement services do: under the row lock."""
    with transaction.atomic():
        locked = spaces_lock(space_ids=[space.id])[space.id]
        space_counters_change(space=locked, held=held, occupied=occupied)
    space.refresh_from_db()
    return space
