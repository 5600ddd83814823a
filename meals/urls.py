from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import MealScheduleViewSet, MealServiceViewSet, MealsReportView

router = SimpleRouter()
router.register("meal-services", MealServiceViewSet, basename="meal-service")
router.register("meal-schedules", MealScheduleViewSet, basename="meal-schedule")

urlpatterns = [path("meals/report/", MealsReportView.as_view(), name="meals-report")]
