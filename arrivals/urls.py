from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CapacityView, MatchingRunViewSet, PartyViewSet, PlacementViewSet

router = SimpleRouter()
router.register("parties", PartyViewSet, basename="party")
router.register("placements", PlacementViewSet, basename="placement")
router.register("matching/runs", MatchingRunViewSet, basename="matching-run")

urlpatterns = [path("capacity/", CapacityView.as_view(), name="capacity")]
