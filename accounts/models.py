"""Who may do what: a person's role and the cities or shelters it covers, and API keys."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .reach import Reach


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    VOLUNTEER = "volunteer", _("Volunteer")
    SHELTER_MANAGER = "shelter_manager", _("Shelter manager")


class Membership(models.Model):
    """A person's role. Coordinators and volunteers act in `cities`, managers in `shelters`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    cities = models.ManyToManyField(
        "shelters.City", blank=True, related_name="memberships", verbose_name=_("cities")
    )
    shelters = models.ManyToManyField(
        "shelters.Shelter", blank=True, related_name="memberships", verbose_name=_("shelters")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # In the cities a member works in, or those of the shelters they manage.
    reach = Reach(city=("cities", "shelters__city"))

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"


class Scope(models.TextChoices):
    CAPACITY_READ = "capacity:read", _("Read capacity")
    PARTIES_WRITE = "parties:write", _("Register parties")
    PARTIES_READ = "parties:read", _("Read parties")
    MEALS_WRITE = "meals:write", _("Record meal servings")


class ApiKey(models.Model):
    """A key an integration sends as `Authorization: Api-Key <key>`.

    Only a SHA-256 digest of the key is stored (the key is 256 random bits, so a
    plain digest cannot be brute-forced); `prefix` finds the row without a scan.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    digest = models.CharField(_("digest"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    cities = models.ManyToManyField(
        "shelters.City", related_name="api_keys", verbose_name=_("cities")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_keys",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    reach = Reach(city="cities")

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# An invitation link works this long after it is made.
INVITATION_HOURS = 48


class Invitation(models.Model):
    """A one-time link that lets a person choose a username and password and join a city
    in a role (`accounts.services.invitation_create`, `invitation_accept`).

    Only a SHA-256 digest of the link's token is stored (256 random bits, so a plain
    digest cannot be brute-forced); the link is shown once, to the coordinator who made it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    city = models.ForeignKey(
        "shelters.City",
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("city"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    shelters = models.ManyToManyField(
        "shelters.Shelter", blank=True, related_name="invitations", verbose_name=_("shelters")
    )
    # Whom it is for, as the coordinator wants to remember it: never sent anywhere.
    email_or_note = models.CharField(_("for whom"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="invitations_made",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    # A coordinator withdrew the link before it was used (`invitation_revoke`).
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    accepted_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
        verbose_name=_("accepted by"),
    )

    reach = Reach(city="city")

    # The link, in the answer that makes the invitation only (never stored).
    url: str

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["city", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.email_or_note or self.id}"
