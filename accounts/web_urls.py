"""The invitation pages (accounts/web_views.py)."""

from django.urls import path

from . import web_views

urlpatterns = [
    path("invitations/", web_views.invitations, name="web-invitations"),
    path(
        "invitations/<uuid:invitation_id>/withdraw/",
        web_views.invitation_withdraw,
        name="web-invitation-withdraw",
    ),
    path(
        "members/<uuid:membership_id>/remove/",
        web_views.member_remove,
        name="web-member-remove",
    ),
    # The link an invitation gives: no login, a secret token, used once.
    path("join/<str:token>/", web_views.join, name="join"),
]
