"""The kitchens' pages (session login), mounted under /kitchen/ by config/urls.py."""

from django.urls import path

from . import web_views

urlpatterns = [
    path("", web_views.kitchen, name="web-kitchen"),
    path("shelters/<uuid:shelter_id>/", web_views.kitchen_shelter, name="web-kitchen-shelter"),
    path("shelters/<uuid:shelter_id>/schedule/", web_views.schedule, name="web-kitchen-schedule"),
    path("points/<uuid:city_id>/", web_views.kitchen_point, name="web-kitchen-point"),
    path("services/<uuid:service_id>/servings/", web_views.serving_add, name="web-kitchen-serve"),
    path("services/<uuid:service_id>/plan/", web_views.service_plan, name="web-kitchen-plan"),
    path(
        "services/<uuid:service_id>/servings/<uuid:serving_id>/take-back/",
        web_views.serving_take_back,
        name="web-kitchen-take-back",
    ),
    path("shelters/<uuid:shelter_id>/add/", web_views.meal_add, name="web-kitchen-add"),
    path("points/<uuid:city_id>/add/", web_views.meal_add, name="web-kitchen-add-point"),
    path("report/", web_views.report, name="web-kitchen-report"),
]
