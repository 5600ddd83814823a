from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    CapacityHistoryView,
    CapacityView,
    MatchingRunViewSet,
    PartyViewSet,
    PlacementViewSet,
)

router = SimpleRouter()
router.register("parties", PartyViewSet, basename="party")
router.register("placements", PlacementViewSet, basename="placement")
router.register("matching/runs", MatchingRunViewSet, basename="matching-run")

urlpatterns = [
    path("capacity/", CapacityView.as_view(), name="capacity"),
    path("capacity/history/", CapacityHistoryView.as_view(), name="capacity-history"),
]
