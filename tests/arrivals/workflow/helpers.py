import time

from django.db.models import Count, Q, Sum

from arrivals.models import ACTIVE_PLACEMENT, Party, PartyStatus, Placement, PlacementStatus
from shelters.models import Space


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def assert_consistent() -> None:
    """The invariants of beds and placements, read from the database itself."""
    sums = {
        row["space_id"]: row
        for row in Placement.objects.values("space_id").annotate(
            held=Sum("beds", filter=Q(status=PlacementStatus.HELD), default=0),
            occupied=Sum("beds", filter=Q(status=PlacementStatus.CHECKED_IN), default=0),
        )
    }
    for space in Space.objects.all():
        row = sums.get(space.id, {"held": 0, "occupied": 0})
        assert (space.beds_held, space.beds_occupied) == (row["held"], row["occupied"]), space
        assert space.beds_held + space.beds_occupied <= space.beds, space
    doubled = (
        Placement.objects.filter(status__in=ACTIVE_PLACEMENT)
        .values("party_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()
    for party in Party.objects.prefetch_related("placements"):
        active = [p for p in party.placements.all() if p.status in ACTIVE_PLACEMENT]
        expected = {
            PartyStatus.PLACED: [PlacementStatus.HELD],
            PartyStatus.CHECKED_IN: [PlacementStatus.CHECKED_IN],
        }.get(party.status, [])
        assert [p.status for p in active] == expected, (party.code, party.status, active)
        for placement in active:
            assert placement.beds == party.size
