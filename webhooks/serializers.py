from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.fields import ScopedRelatedField
from config.fields import ModelSerializer
from config.filters import QuerySerializer
from config.text import line_validator

from .models import Attempt, Delivery, DeliveryStatus, EventType, Subscription


class WebhookSerializer(ModelSerializer):
    city = ScopedRelatedField(action="webhook.add")
    # Django's URL check lets control characters through in the path.
    url = serializers.URLField(max_length=2000, validators=[line_validator])
    events = serializers.MultipleChoiceField(choices=EventType.choices, allow_empty=False)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "city",
            "url",
            "events",
            "active",
            "created_by",
            "created_at",
            "failing_since",
            "disabled_at",
            "disabled_reason",
        ]
        read_only_fields = [
            "id",
            "active",
            "created_at",
            "failing_since",
            "disabled_at",
            "disabled_reason",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["events"] = sorted(data["events"])
        return data


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("Shown once; store it now. It signs every delivery.")
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["number", "at", "status_code", "duration_ms", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message.webhook_id", read_only=True)
    type = serializers.CharField(source="message.type", read_only=True)
    log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "type",
            "status",
            "attempts",
            "created_at",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
            "log",
        ]
        read_only_fields = fields


class DeliveryQuerySerializer(QuerySerializer):
    status = serializers.MultipleChoiceField(choices=DeliveryStatus.choices, required=False)
