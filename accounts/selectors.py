"""Reads of members and invitations. Callers scope lists with `Access.scope`."""

import hashlib

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import Access, access_for_user
from .models import Invitation, Membership, Role


def invitation_digest(token: str) -> str:
    """What is stored of an invitation's token: its SHA-256 (the token is 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_refusal(invitation: Invitation | None, *, now=None) -> str | None:
    """Why an invitation can no longer be accepted, or None while it can."""
    now = now or timezone.now()
    if invitation is None:
        return _("This invitation link is not known. Ask the coordinator for a new one.")
    if invitation.accepted_at is not None:
        return _("This invitation link has been used already. Log in, or ask for a new one.")
    if invitation.revoked_at is not None:
        return _("This invitation link was withdrawn. Ask the coordinator for a new one.")
    if invitation.expires_at <= now:
        return _("This invitation link has expired. Ask the coordinator for a new one.")
    maker = access_for_user(invitation.created_by)
    if not maker.allows("invitation.add", invitation.city):
        return _("The coordinator who made this link no longer works in this city.")
    return None


# A token as `accounts.services.invitation_create` makes it (URL-safe base64 of 32 bytes).
TOKEN_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation of a link, with its city and shelters, or None for a token nobody
    holds (whether it still works: `accounts.services.invitation_refusal`)."""
    if not 20 <= len(token) <= 100 or not set(token) <= TOKEN_CHARACTERS:
        return None
    return (
        Invitation.objects.select_related("city", "created_by")
        .prefetch_related("shelters")
        .filter(digest=invitation_digest(token))
        .first()
    )


def invitations_listed(*, access: Access) -> QuerySet[Invitation]:
    """The invitations a coordinator made or may see, newest first."""
    return (
        access.scope(Invitation.objects.all(), "invitation.view")
        .select_related("city", "created_by", "accepted_by")
        .prefetch_related("shelters")
        .order_by("-created_at")
    )


def members_removable(*, access: Access) -> QuerySet[Membership]:
    """The volunteers and shelter managers in the caller's cities whose access the caller
    may remove (`accounts.services.member_remove`), still able to sign in, by username."""
    if not access.allows("membership.remove"):
        return Membership.objects.none()
    assert access.user_id is not None  # a person: no API key may remove members
    return (
        access.scope(Membership.objects.all(), "membership.remove")
        .exclude(role=Role.COORDINATOR)
        .exclude(user__pk=access.user_id)
        .filter(user__is_active=True)
        .select_related("user")
        .prefetch_related("cities", "shelters")
        .distinct()
        .order_by("user__username")
    )
