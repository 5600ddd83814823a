from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from rest_framework.routers import DefaultRouter

from accounts.views import (
    ApiKeyViewSet,
    InvitationViewSet,
    MemberViewSet,
    TokenLogoutAllView,
    TokenLogoutView,
    TokenView,
    admin_login,
    web_login,
)
from arrivals.metrics import DomainCollector
from arrivals.urls import router as arrivals_router
from arrivals.urls import urlpatterns as arrivals_urls
from config.api_docs import SchemaView, SwaggerView
from config.health import healthz, readyz
from config.metrics import metrics_view
from meals.urls import router as meals_router
from meals.urls import urlpatterns as meals_urls
from shelters.views import CityViewSet, HostOfferViewSet, ShelterViewSet, SpaceViewSet
from spreadsheets.urls import router as spreadsheets_router
from spreadsheets.urls import urlpatterns as spreadsheets_urls
from webhooks.urls import router as webhooks_router

# The back office says whose it is, not "Django administration".
admin.site.site_header = admin.site.site_title = _("Berth back office")

# No format suffixes (`/parties/<id>.json/`): the format is asked with Accept or ?format=,
# and an action reached with a suffix answered 500 (its method takes no `format`).
router = DefaultRouter()
router.include_format_suffixes = False
router.register("cities", CityViewSet, basename="city")
router.register("shelters", ShelterViewSet, basename="shelter")
router.register("spaces", SpaceViewSet, basename="space")
router.register("host-offers", HostOfferViewSet, basename="host-offer")
router.register("members", MemberViewSet, basename="member")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("invitations", InvitationViewSet, basename="invitation")
router.registry.extend(arrivals_router.registry)
router.registry.extend(meals_router.registry)
router.registry.extend(webhooks_router.registry)
router.registry.extend(spreadsheets_router.registry)

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/logout/", TokenLogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", TokenLogoutAllView.as_view(), name="auth-logout-all"),
    *arrivals_urls,
    *meals_urls,
    *spreadsheets_urls,
    path("", include(router.urls)),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view([DomainCollector()]), name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("accounts/login/", web_login, name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.web_urls")),
    path("", include("shelters.web_urls")),
    path("kitchen/", include("meals.web_urls")),
    path("", include("spreadsheets.web_urls")),
    path("", include("arrivals.web_urls")),
]

# A database or broker out of reach answers 503, also outside the API (config.errors).
handler500 = "config.errors.server_error"
# Under /api/ every answer is JSON, also where no route matches (config.errors).
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
