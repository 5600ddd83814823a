"""Webhooks: subscriptions, events written with the change they tell of, and deliveries.

At least once, and never for what did not happen:

- `events_emit` (and `event_emit`) writes the outbox, in the caller's transaction:
  a `Message` per event and a pending `Delivery` per active subscription of the city
  that asked for its type. They are handed to workers after commit
  (`transaction.on_commit(..., robust=True)`): a rolled-back change sends nothing, and
  a broker that is down fails no write.
- `delivery_attempt` (the task `webhooks.tasks.delivery_send`) takes a due pending
  delivery with a lease (`locked_until`), sends it outside any transaction, logs the
  try (`Attempt`) and moves the delivery: delivered on a 2xx, else due again after the
  backoff (BACKOFF, then every RETRY_EVERY) until RETRY_WINDOW has passed since its
  first try, then failed. Every try carries the message's `webhook-id`.
- `deliveries_due_send` (a timer) queues again what is due and not being sent: a task
  lost with a worker or a broker, a worker killed mid-send (once its lease ran out), a
  retry that has come due. The database row is the truth, the queue only a wake-up.
- A subscription none of whose deliveries succeeded for DISABLE_AFTER is disabled
  (`subscription_disable`): its pending deliveries fail, its maker gets an email, the
  API shows when and why.

Lock order: a subscription, then its deliveries. Payload builders live with the apps
that emit (`shelters.events`, `arrivals.events`): ids, codes, counts and statuses only.
"""

import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from celery import signature
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.exceptions import Conflict
from config.metrics import WEBHOOK_DELIVERY_FAILURES

from . import signing
from .deadline import post_within
from .models import Attempt, Delivery, DeliveryStatus, EventType, Message, Subscription
from .selectors import subscriptions_listening
from .targets import TargetRefused, target_check

logger = logging.getLogger(__name__)

# The tasks (`webhooks.tasks`) register under these names; services send them by name.
DELIVER_TASK = "webhooks.tasks.delivery_send"
DISPATCH_TASK = "webhooks.tasks.deliveries_send"
# Up to this many deliveries are queued one by one after a commit; more (a matching run
# that placed hundreds) go to one task that queues them from a worker.
ENQUEUE_DIRECT = 20
DISPATCH_CHUNK = 200

# Seconds to wait after the 1st, 2nd, ... failed try of a series; then every RETRY_EVERY,
# until a try is made RETRY_WINDOW or more after the series' first.
BACKOFF = (30, 120, 600, 1800, 3600)
RETRY_EVERY = timedelta(hours=2)
RETRY_WINDOW = timedelta(hours=24)
# A subscription with no successful delivery for this long is disabled.
DISABLE_AFTER = timedelta(hours=24)
# How far ahead of its time a due delivery may be taken (clocks of two machines differ).
CLOCK_SLACK = timedelta(seconds=5)
USER_AGENT = "Berth-Webhooks/1"
MAX_ERROR = 500


@dataclass(frozen=True)
class Event:
    """Something that happened in a city: its type (EventType) and its data (ids,
    codes, counts, statuses: never a name, a phone or a note)."""

    city_id: Any
    type: str
    data: Mapping[str, Any]


def _lease_seconds() -> float:
    return float(settings.WEBHOOK_LEASE_SECONDS)


def _body(event: Event, at: datetime) -> str:
    payload = {"type": event.type, "timestamp": at, "data": event.data}
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


# --- The outbox --------------------------------------------------------------------


def event_emit(*, city_id, type: str, data: Mapping[str, Any]) -> int:
    """Write one event into the outbox, in the caller's transaction (`events_emit`)."""
    return events_emit(events=[Event(city_id=city_id, type=type, data=data)])


def events_emit(*, events: Iterable[Event]) -> int:
    """Write events into the outbox, in the caller's transaction: a message per event
    that an active subscription of its city asked for, and a pending delivery per such
    subscription; they are queued after commit. One query when no subscription wants
    them; otherwise three (subscriptions, messages, deliveries), however many events.
    Returns the number of deliveries written."""
    events = list(events)
    if not events:
        return 0
    for event in events:
        if event.type not in EventType.values:
            raise ValueError(f"unknown webhook event {event.type!r}")
    cities = {str(event.city_id) for event in events}
    wanted: dict[str, list[Subscription]] = defaultdict(list)
    for subscription in subscriptions_listening(city_ids=cities).only("id", "city_id", "events"):
        wanted[str(subscription.city_id)].append(subscription)
    if not wanted:
        return 0
    now = timezone.now()
    messages, deliveries = [], []
    for event in events:
        targets = [s for s in wanted.get(str(event.city_id), ()) if event.type in s.events]
        if not targets:
            continue
        message = Message(
            id=uuid.uuid4(),
            city_id=event.city_id,
            type=event.type,
            body=_body(event, now),
            created_at=now,
        )
        messages.append(message)
        deliveries += [
            Delivery(
                id=uuid.uuid4(),
                subscription_id=subscription.id,
                message=message,
                next_attempt_at=now,
                enqueued_at=now,
                created_at=now,
            )
            for subscription in targets
        ]
    if not deliveries:
        return 0
    Message.objects.bulk_create(messages, batch_size=500)
    Delivery.objects.bulk_create(deliveries, batch_size=500)
    ids = [str(delivery.id) for delivery in deliveries]
    transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=ids), robust=True)
    return len(deliveries)


def deliveries_enqueue(*, delivery_ids: list[str], fan_out: bool = True) -> None:
    """Hand deliveries to workers now: one task each, or, for many (unless `fan_out` is
    False), tasks that queue them from a worker. A failure to publish loses nothing:
    the timer sends them."""
    if not fan_out or len(delivery_ids) <= ENQUEUE_DIRECT:
        for delivery_id in delivery_ids:
            signature(DELIVER_TASK, args=(delivery_id,)).delay()
        return
    for start in range(0, len(delivery_ids), DISPATCH_CHUNK):
        signature(DISPATCH_TASK, args=(delivery_ids[start : start + DISPATCH_CHUNK],)).delay()


def deliveries_due_send(*, limit: int = 1000) -> int:
    """Queue the pending deliveries that are due and that nobody is sending or has
    queued lately (the timer): retries that came due, tasks lost with a broker or a
    worker, a send cut by a killed worker once its lease ran out. Returns how many."""
    now = timezone.now()
    stale = now - timedelta(seconds=_lease_seconds())
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now + CLOCK_SLACK) & (
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    )
    not_queued = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale)
    ids = list(
        Delivery.objects.filter(due & not_queued)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return 0
    # Only those this call marked: two timers at once queue each delivery once.
    marked = Delivery.objects.filter(not_queued, id__in=ids).update(enqueued_at=now)
    if marked:
        mine = Delivery.objects.filter(id__in=ids, enqueued_at=now).values_list("id", flat=True)
        deliveries_enqueue(delivery_ids=[str(delivery_id) for delivery_id in mine])
    return marked


# --- Sending ------------------------------------------------------------------------


def _claim(delivery_id, now: datetime) -> uuid.UUID | None:
    """Take a due pending delivery for one send: a lease until `now` plus
    WEBHOOK_LEASE_SECONDS. One conditional UPDATE of the row itself (no join: its
    condition is checked again on the row a concurrent taker left), so one taker wins."""
    lease = uuid.uuid4()
    taken = Delivery.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        id=delivery_id,
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now + CLOCK_SLACK,
    ).update(locked_until=now + timedelta(seconds=_lease_seconds()), lease=lease)
    return lease if taken else None


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST once, within WEBHOOK_TIMEOUT_SECONDS in all: (status code or None, error). No
    redirect is followed, no proxy or .netrc of the environment is used, and the answer's
    body is not read."""
    try:
        target_check(url)
    except TargetRefused as refused:
        return None, str(refused)
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        answer = post_within(
            timeout,
            url,
            data=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,
        )
    except requests.Timeout:
        return None, "timeout"
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:MAX_ERROR]
    answer.close()
    if 200 <= answer.status_code < 300:
        return answer.status_code, ""
    return answer.status_code, f"HTTP {answer.status_code}"


def _failure_reason(status_code: int | None, error: str) -> str:
    """A failed try's `reason` in /metrics (berth_webhook_delivery_failures_total)."""
    if status_code is not None:
        return "http_status"
    if error == "timeout":
        return "timeout"
    if error.startswith(("ConnectionError", "SSLError", "ProxyError")):
        return "connection"
    return "other"


def _retry_delay(series_attempts: int) -> timedelta:
    if series_attempts <= len(BACKOFF):
        return timedelta(seconds=BACKOFF[series_attempts - 1])
    return RETRY_EVERY


def delivery_attempt(*, delivery_id) -> Delivery | None:
    """Send one pending delivery if it is due and nobody else is sending it; log the
    try and move the delivery (see the module). Safe to run twice: a delivery that is
    not due, taken, delivered or failed is left alone. Returns the delivery, or None
    when there was nothing to send."""
    lease = _claim(delivery_id, timezone.now())
    if lease is None:
        return None
    delivery = (
        Delivery.objects.select_related("subscription", "message").filter(id=delivery_id).first()
    )
    if delivery is None:
        return None
    subscription, message = delivery.subscription, delivery.message
    if not subscription.active:
        Delivery.objects.filter(id=delivery_id, lease=lease).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, locked_until=None, lease=None
        )
        return None
    body = message.body.encode("utf-8")
    at = timezone.now()
    headers = signing.headers(
        secret=subscription.secret,
        webhook_id=message.webhook_id,
        timestamp=int(at.timestamp()),
        body=body,
    )
    started = time.perf_counter()
    status_code, error = _post(subscription.url, body, headers)
    duration_ms = round((time.perf_counter() - started) * 1000)
    if error:
        WEBHOOK_DELIVERY_FAILURES.inc(_failure_reason(status_code, error))
    return _attempt_record(
        delivery_id=delivery_id,
        lease=lease,
        at=at,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
    )


@transaction.atomic
def _attempt_record(
    *, delivery_id, lease, at: datetime, status_code: int | None, error: str, duration_ms: int
) -> Delivery | None:
    """Log a try and move its delivery, under the subscription's lock, then the
    delivery's. A try made after its lease ran out (another worker may have taken the
    delivery since) is logged, and decides only if it succeeded."""
    subscription_id = (
        Delivery.objects.filter(id=delivery_id).values_list("subscription_id", flat=True).first()
    )
    if subscription_id is None:
        return None  # the subscription was deleted meanwhile, with its deliveries
    subscription = Subscription.objects.select_for_update().filter(id=subscription_id).first()
    delivery = Delivery.objects.select_for_update().filter(id=delivery_id).first()
    if subscription is None or delivery is None:
        return None
    ok = error == ""
    delivery.attempts += 1
    Attempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        at=at,
        status_code=status_code,
        duration_ms=duration_ms,
        error=error[:MAX_ERROR],
    )
    delivery.last_status_code = status_code
    delivery.last_error = error[:MAX_ERROR]
    fields = ["attempts", "last_status_code", "last_error"]
    ours = delivery.lease == lease
    if ours:
        delivery.locked_until, delivery.lease = None, None
        fields += ["locked_until", "lease"]
    if ok and delivery.status == DeliveryStatus.PENDING:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
        fields += ["status", "delivered_at", "next_attempt_at"]
    elif not ok and ours and delivery.status == DeliveryStatus.PENDING:
        delivery.series_attempts += 1
        delivery.series_started_at = delivery.series_started_at or at
        if at - delivery.series_started_at >= RETRY_WINDOW:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = at + _retry_delay(delivery.series_attempts)
        delivery.enqueued_at = None  # the timer queues it when it is due
        fields += ["series_attempts", "series_started_at", "status", "next_attempt_at"]
        fields.append("enqueued_at")
    delivery.save(update_fields=fields)
    if ok:
        if subscription.failing_since is not None:
            subscription.failing_since = None
            subscription.save(update_fields=["failing_since"])
    else:
        if subscription.failing_since is None:
            subscription.failing_since = at
            subscription.save(update_fields=["failing_since"])
        if subscription.active and at - subscription.failing_since >= DISABLE_AFTER:
            _disable(subscription, at=at, last_error=error)
    return delivery


def _disable(subscription: Subscription, *, at: datetime, last_error: str) -> None:
    """Disable a subscription the caller holds locked; its pending deliveries fail. Its
    maker is emailed after commit."""
    subscription.active = False
    subscription.disabled_at = at
    since = (subscription.failing_since or at).isoformat()
    subscription.disabled_reason = (
        f"No delivery succeeded since {since}; last error: {last_error or 'none'}"
    )[:500]
    subscription.save(update_fields=["active", "disabled_at", "disabled_reason"])
    failed = Delivery.objects.filter(
        subscription=subscription, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.FAILED, next_attempt_at=None, locked_until=None, lease=None)
    logger.warning(
        "webhook %s of city %s disabled after a day of failures (%s pending deliveries "
        "failed): %s",
        subscription.id,
        subscription.city_id,
        failed,
        subscription.disabled_reason,
    )
    subscription_id = subscription.id
    transaction.on_commit(lambda: _maker_tell(subscription_id=subscription_id), robust=True)


def _maker_tell(*, subscription_id) -> None:
    """Email the coordinator who made a disabled subscription (if they have an email)."""
    subscription = (
        Subscription.objects.select_related("created_by", "city").filter(id=subscription_id).first()
    )
    if subscription is None or subscription.created_by is None:
        return
    email = subscription.created_by.email
    if not email:
        logger.warning("webhook %s disabled: its maker has no email to tell", subscription_id)
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Berth: a webhook of %(city)s was disabled") % {"city": subscription.city}
        text = _(
            "No delivery to %(url)s succeeded for a day, so Berth stopped sending "
            "events of %(city)s there.\n\n%(reason)s\n\nWhen the receiver works again, "
            "enable the webhook (POST /api/v1/webhooks/%(id)s/enable/) and redeliver "
            "what it missed from its delivery log (GET /api/v1/webhooks/%(id)s/deliveries/)."
        ) % {
            "url": subscription.url,
            "city": subscription.city,
            "reason": subscription.disabled_reason,
            "id": subscription.id,
        }
    send_mail(subject, text, None, [email])


# --- Subscriptions --------------------------------------------------------------------


@transaction.atomic
def subscription_create(*, city, url: str, events: Iterable[str], created_by) -> tuple:
    """Subscribe `url` to the city's `events`. Returns (subscription, secret): the
    secret is shown once and kept encrypted. A URL that may not receive webhooks
    (`targets.target_check`) raises ValidationError on `url`."""
    try:
        target_check(url)
    except TargetRefused as refused:
        raise ValidationError({"url": [str(refused)]}) from refused
    events = sorted(set(events))
    unknown = [event for event in events if event not in EventType.values]
    if not events or unknown:
        raise ValidationError({"events": [_("Choose one or more known events.")]})
    secret = signing.secret_new()
    subscription = Subscription(
        city=city, url=url, events=events, secret=secret, created_by=created_by
    )
    subscription.full_clean()
    subscription.save(force_insert=True)
    return subscription, secret


def _subscription_locked(subscription_id) -> Subscription:
    return Subscription.objects.select_for_update().get(id=subscription_id)


@transaction.atomic
def subscription_delete(*, subscription_id) -> None:
    """Delete a subscription with its deliveries and their log: nothing more is sent."""
    _subscription_locked(subscription_id).delete()


@transaction.atomic
def subscription_enable(*, subscription_id) -> Subscription:
    """Enable a disabled subscription again: new events are sent to it. What failed
    while it was disabled is redelivered by hand (`delivery_redeliver`)."""
    subscription = _subscription_locked(subscription_id)
    if not subscription.active:
        subscription.active = True
        subscription.failing_since = None
        subscription.disabled_at = None
        subscription.disabled_reason = ""
        subscription.save(
            update_fields=["active", "failing_since", "disabled_at", "disabled_reason"]
        )
    return subscription


@transaction.atomic
def delivery_redeliver(*, subscription_id, delivery_id) -> Delivery:
    """Send a delivery again now, by hand, whatever became of it: a new series of tries
    (with the same backoff), under the same `webhook-id`. Conflict
    `webhook_disabled` while the subscription is disabled."""
    subscription = _subscription_locked(subscription_id)
    delivery = Delivery.objects.select_for_update().get(id=delivery_id, subscription=subscription)
    if not subscription.active:
        raise Conflict("webhook_disabled", _("The webhook is disabled; enable it first."))
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.enqueued_at = now
    delivery.series_attempts = 0
    delivery.series_started_at = None
    delivery.delivered_at = None
    delivery.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "enqueued_at",
            "series_attempts",
            "series_started_at",
            "delivered_at",
        ]
    )
    ids = [str(delivery.id)]
    transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=ids), robust=True)
    return delivery


def webhook_log_purge(*, now: datetime | None = None) -> int:
    """Delete deliveries done (delivered or failed) longer ago than
    WEBHOOK_LOG_RETENTION_DAYS, with their tries, and the messages left without any
    delivery. Returns the number of deliveries deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    _total, deleted = (
        Delivery.objects.filter(created_at__lt=cutoff)
        .exclude(status=DeliveryStatus.PENDING)
        .delete()
    )
    Message.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return deleted.get(Delivery._meta.label, 0)
