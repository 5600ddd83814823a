"""Webhook subscriptions, the outbox of events, and the log of their deliveries.

An event is written in the transaction of the change it tells of
(`webhooks.services.events_emit`): one `Message` (its body and its `webhook-id`) and
one `Delivery` per subscription that asked for its type. A rolled-back change leaves
neither. A `Delivery` row is the truth about what is still to be sent: workers send it
after commit, and a timer sends again whatever is due and not being sent, so a task
lost with a worker or a broker loses nothing. Each try is an `Attempt` (status code,
time taken, error): the delivery log the API shows.

Webhooks sit below the apps that emit events (shelters, arrivals): a subscription's
city is named by its string reference, never imported.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.reach import Reach
from config.ids import uuid7
from privacy.fields import EncryptedTextField


class EventType(models.TextChoices):
    """The events an integration may subscribe to (docs/api-reference.md, Webhooks).
    Their values are API values: they are not translated."""

    PARTY_REGISTERED = "party.registered", "party.registered"
    PARTY_PLACED = "party.placed", "party.placed"
    PARTY_CHECKED_IN = "party.checked_in", "party.checked_in"
    PARTY_CHECKED_OUT = "party.checked_out", "party.checked_out"
    PARTY_CANCELLED = "party.cancelled", "party.cancelled"
    PARTY_EXPIRED = "party.expired", "party.expired"
    SHELTER_UPDATED = "shelter.updated", "shelter.updated"
    CAPACITY_CHANGED = "capacity.changed", "capacity.changed"


class Subscription(models.Model):
    """A URL of an integration that receives a city's events of the chosen types.

    The secret signs every delivery (Standard Webhooks); it is shown once, at creation,
    and kept encrypted. A subscription whose deliveries failed for a day is disabled
    (`disabled_at`, `disabled_reason`) and its maker is told.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    city = models.ForeignKey(
        "shelters.City",
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        verbose_name=_("city"),
    )
    url = models.URLField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list)
    secret = EncryptedTextField(_("signing secret"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    active = models.BooleanField(_("active"), default=True)
    # Since when no delivery succeeded (the first failure after the last success).
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=500, blank=True)

    reach = Reach(city="city")

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        indexes = [models.Index(fields=["city", "active"])]

    def __str__(self) -> str:
        return self.url


class Message(models.Model):
    """One event, as sent: its `webhook-id` and its body, the same on every try and to
    every subscription. The body holds ids, codes, counts and statuses, never personal
    data."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    city = models.ForeignKey(
        "shelters.City",
        on_delete=models.CASCADE,
        related_name="webhook_messages",
        verbose_name=_("city"),
    )
    type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    reach = Reach(city="city")

    class Meta:
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.type}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.id.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One message to one subscription: pending until a try is answered 2xx
    (delivered), or until its tries ran out or its subscription was disabled (failed).

    A worker takes a pending delivery that is due by setting `locked_until` (a lease,
    `lease` naming the taker): one worker sends it at a time, and a worker killed while
    sending leaves it pending, to be sent again once the lease has run out.
    `enqueued_at` says when it was last handed to the queue, so that the timer does not
    queue it again while it waits there.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("webhook"),
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("message")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The tries since it was made or redelivered by hand: the backoff counts these.
    series_attempts = models.PositiveIntegerField(default=0, editable=False)
    series_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease = models.UUIDField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    reach = Reach(city="subscription__city")

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "message"], name="webhook_delivery_once"
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_has_next_attempt",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["subscription", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} -> {self.subscription_id} ({self.status})"


class Attempt(models.Model):
    """One try of a delivery: when, the answer's status code (none when no answer came),
    how long it took and what went wrong."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="log", verbose_name=_("delivery")
    )
    number = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    error = models.CharField(_("error"), max_length=500, blank=True)

    reach = Reach(city="delivery__subscription__city")

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.status_code or self.error}"
