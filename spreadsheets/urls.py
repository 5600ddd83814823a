from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    CapacityHistoryExportView,
    ImportJobViewSet,
    PartiesExportView,
    PlacementsExportView,
)

router = SimpleRouter()
router.register("imports", ImportJobViewSet, basename="import")

urlpatterns = [
    path("exports/parties/", PartiesExportView.as_view(), name="export-parties"),
    path("exports/placements/", PlacementsExportView.as_view(), name="export-placements"),
    path(
        "exports/capacity-history/",
        CapacityHistoryExportView.as_view(),
        name="export-capacity-history",
    ),
]
