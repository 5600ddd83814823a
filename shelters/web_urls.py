"""The host offer pages (shelters/web_views.py): the public offer form, the coordinators'
list with accept and decline."""

from django.urls import path

from . import web_views

urlpatterns = [
    path("offer-a-home/", web_views.host_offer_new, name="host-offer-new"),
    path("offer-a-home/thanks/", web_views.host_offer_thanks, name="host-offer-thanks"),
    path("host-offers/", web_views.host_offers, name="web-host-offers"),
    path(
        "host-offers/<uuid:offer_id>/accept/",
        web_views.host_offer_accept,
        name="web-host-offer-accept",
    ),
    path(
        "host-offers/<uuid:offer_id>/decline/",
        web_views.host_offer_decline,
        name="web-host-offer-decline",
    ),
]
