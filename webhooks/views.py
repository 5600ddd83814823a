from uuid import UUID

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.permissions import AccessMixin

from . import services
from .models import Attempt, Delivery, DeliveryStatus, Subscription
from .serializers import (
    DeliveryQuerySerializer,
    DeliverySerializer,
    WebhookCreatedSerializer,
    WebhookSerializer,
)


class WebhookViewSet(
    AccessMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """A city's webhooks (coordinators). The secret is in the creation answer only."""

    serializer_class = WebhookSerializer
    filterset_fields = ["city", "active"]
    resource = "webhook"

    def get_queryset(self):
        webhooks = Subscription.objects.select_related("created_by")
        return self.access.scope(webhooks).order_by("-created_at", "id")

    @extend_schema(responses={201: WebhookCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription, secret = services.subscription_create(
            city=data["city"], url=data["url"], events=data["events"], created_by=request.user
        )
        subscription.secret = secret
        return Response(
            WebhookCreatedSerializer(subscription, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def destroy(self, request, *args, **kwargs):
        services.subscription_delete(subscription_id=self.get_object().id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, many=True, enum=DeliveryStatus.values)],
        responses=DeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        """The webhook's deliveries, newest first, each with its tries: when, the status
        code, how long, what went wrong."""
        subscription = self.get_object()
        query = DeliveryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        deliveries = (
            Delivery.objects.filter(subscription=subscription)
            .select_related("message")
            .prefetch_related(Prefetch("log", queryset=Attempt.objects.order_by("number")))
            .order_by("-created_at", "id")
        )
        if query.validated_data.get("status"):
            deliveries = deliveries.filter(status__in=query.validated_data["status"])
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        request=None,
        responses=DeliverySerializer,
        parameters=[OpenApiParameter("delivery_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[^/.]+)/redeliver",
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        """Send a delivery again now, under the same `webhook-id`."""
        subscription = self.get_object()
        try:
            delivery_id = UUID(delivery_id)
        except ValueError:
            raise NotFound() from None
        try:
            delivery = services.delivery_redeliver(
                subscription_id=subscription.id, delivery_id=delivery_id
            )
        except Delivery.DoesNotExist:
            raise NotFound() from None
        delivery = (
            Delivery.objects.select_related("message").prefetch_related("log").get(id=delivery.id)
        )
        return Response(DeliverySerializer(delivery).data)

    @extend_schema(request=None, responses=WebhookSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        """Enable a webhook that was disabled after a day of failures."""
        subscription = services.subscription_enable(subscription_id=self.get_object().id)
        return Response(self.get_serializer(subscription).data)
