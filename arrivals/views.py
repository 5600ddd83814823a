from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Access, access_for
from accounts.models import Role, Scope
from accounts.permissions import CITY_STAFF, COORDINATOR, EVERYONE, SHELTER_STAFF, Rule
from idempotency.api import idempotent_response
from privacy.models import AuditAction
from privacy.services import audit_record
from shelters.selectors import cities_visible, spaces_visible

from . import selectors, services
from .models import Party, PartyStatus, Placement, PlacementStatus
from .serializers import (
    MEMBER_PERSONAL_FIELDS,
    PERSONAL_FIELDS,
    CapacityQuerySerializer,
    CapacitySerializer,
    MatchingRunSerializer,
    PartyActionSerializer,
    PartyEventSerializer,
    PartySerializer,
    PlacementSerializer,
)


def _carries_personal_data(body) -> bool:
    """Whether a party's answer (as sent) shows a phone or a family name."""
    if not isinstance(body, dict):
        return False
    members = body.get("members") or []
    return any(body.get(name) for name in PERSONAL_FIELDS) or any(
        isinstance(member, dict) and any(member.get(name) for name in MEMBER_PERSONAL_FIELDS)
        for member in members
    )


class NoStoreMixin:
    """Answers that carry personal data must not be kept by any cache."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class PartyFilter(filters.FilterSet):
    city = filters.UUIDFilter(field_name="city_id")
    status = filters.MultipleChoiceFilter(choices=PartyStatus.choices)
    code = filters.CharFilter(method="filter_code")

    class Meta:
        model = Party
        fields = ["city", "status", "code"]

    def filter_code(self, queryset, name, value):
        return queryset.filter(code=value.strip().upper())


class PartyViewSet(NoStoreMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PartySerializer
    filterset_class = PartyFilter
    access_rules = {
        "list": Rule(EVERYONE, Scope.PARTIES_READ),
        "retrieve": Rule(EVERYONE, Scope.PARTIES_READ),
        "create": Rule(CITY_STAFF, Scope.PARTIES_WRITE),
        "check_in": Rule(SHELTER_STAFF),
        "check_out": Rule(SHELTER_STAFF),
        "cancel": Rule(COORDINATOR),
        "history": Rule(COORDINATOR),
    }

    @property
    def access(self) -> Access:
        return access_for(self.request)

    def get_queryset(self):
        return selectors.parties_for_display(
            selectors.parties_visible(access=self.access)
        ).order_by("waiting_since", "id")

    def get_serializer(self, *args, **kwargs):
        access = self.access
        kwargs.setdefault(
            "personal_data_visible",
            lambda party: selectors.party_personal_data_visible(access=access, party=party),
        )
        # Registering is for city staff (access_rules); the city must be one of theirs.
        return super().get_serializer(*args, cities=cities_visible(access=access), **kwargs)

    def _audit_read(self, party_ids) -> None:
        if party_ids:
            audit_record(
                actor_id=self.access.user_id,
                actor=self.access.username,
                action=AuditAction.READ,
                object_type="party",
                object_ids=party_ids,
            )

    def _shown(self, parties) -> None:
        """Record in the audit trail whose personal data this answer shows."""
        access = self.access
        self._audit_read(
            [
                party.id
                for party in parties
                if selectors.party_personal_data_visible(access=access, party=party)
                and (party.contact_phone or any(m.family_name for m in party.members.all()))
            ]
        )

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        self._shown(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        party = self.get_object()
        self._shown([party])
        return Response(self.get_serializer(party).data)

    def _party_data(self, party_id, *, audit: bool = False) -> dict:
        party = selectors.parties_for_display(Party.objects.filter(id=party_id)).get()
        if audit:
            self._shown([party])
        return self.get_serializer(party).data

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Send the same key again to get the first answer, not a second party.",
            )
        ]
    )
    def create(self, request, *args, **kwargs):
        access = self.access
        serializer = self.get_serializer(data=request.data)

        def register():
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            party = services.party_register(actor_id=access.user_id, actor=access.username, **data)
            return status.HTTP_201_CREATED, self._party_data(party.id)

        def replayed(body: dict) -> None:
            if _carries_personal_data(body):
                self._audit_read([body["id"]])

        return idempotent_response(
            request, access=access, scope="parties.create", work=register, on_replay=replayed
        )

    def _act(self, request, service, **kwargs):
        party = self.get_object()
        access = self.access
        service(party_id=party.id, actor=access.username, **kwargs)
        return Response(self._party_data(party.id, audit=True))

    def _door(self, request, service):
        """Check-in and check-out: a manager only at their shelters, checked under the
        party's lock by the service (the placement may change until then)."""
        access = self.access
        manager = access.role == Role.SHELTER_MANAGER
        return self._act(request, service, shelter_ids=access.shelter_ids if manager else None)

    @extend_schema(request=None, responses=PartySerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        return self._door(request, services.party_check_in)

    @extend_schema(request=None, responses=PartySerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        return self._door(request, services.party_check_out)

    @extend_schema(request=PartyActionSerializer, responses=PartySerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        serializer = PartyActionSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        return self._act(request, services.party_cancel, reason=serializer.validated_data["reason"])

    @extend_schema(responses=PartyEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every change of the party's status, oldest first (coordinators)."""
        party = self.get_object()
        return Response(PartyEventSerializer(party.events.order_by("at", "id"), many=True).data)


class PlacementFilter(filters.FilterSet):
    city = filters.UUIDFilter(field_name="party__city_id")
    shelter = filters.UUIDFilter(field_name="space__shelter_id")
    space = filters.UUIDFilter(field_name="space_id")
    party = filters.UUIDFilter(field_name="party_id")
    status = filters.MultipleChoiceFilter(choices=PlacementStatus.choices)

    class Meta:
        model = Placement
        fields = ["city", "shelter", "space", "party", "status"]


class PlacementViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PlacementSerializer
    filterset_class = PlacementFilter
    access_rules = {
        "list": Rule(EVERYONE, Scope.PARTIES_READ),
        "retrieve": Rule(EVERYONE, Scope.PARTIES_READ),
        "create": Rule(COORDINATOR),
        "cancel": Rule(COORDINATOR),
    }

    def get_queryset(self):
        return (
            selectors.placements_visible(access=access_for(self.request))
            .select_related("space")
            .order_by("-created_at", "id")
        )

    def get_serializer(self, *args, **kwargs):
        access = access_for(self.request)
        return super().get_serializer(
            *args,
            parties=selectors.parties_visible(access=access),
            spaces=spaces_visible(access=access),
            **kwargs,
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        placement = services.placement_create(
            party_id=serializer.validated_data["party"].id,
            space_id=serializer.validated_data["space"].id,
            actor=access_for(request).username,
            reason=serializer.validated_data["reason"],
        )
        return Response(self.get_serializer(placement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PartyActionSerializer, responses=PlacementSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        serializer = PartyActionSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        placement = services.placement_cancel(
            placement_id=self.get_object().id,
            actor=access_for(request).username,
            reason=serializer.validated_data["reason"],
        )
        return Response(self.get_serializer(placement).data)


class MatchingRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MatchingRunSerializer
    filterset_fields = ["city", "status"]
    access_rules = {
        "list": Rule(CITY_STAFF),
        "retrieve": Rule(CITY_STAFF),
        "create": Rule(CITY_STAFF),
    }

    def get_queryset(self):
        return selectors.runs_visible(access=access_for(self.request)).order_by("-requested_at")

    def get_serializer(self, *args, **kwargs):
        cities = cities_visible(access=access_for(self.request))
        return super().get_serializer(*args, cities=cities, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.matching_request(city_id=serializer.validated_data["city"].id, trigger="api")
        run.refresh_from_db()
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


class CapacityView(APIView):
    """Beds and waiting people of one city: `GET /api/v1/capacity/?city=<id>`."""

    access_rules = {"get": Rule(CITY_STAFF, Scope.CAPACITY_READ)}

    @extend_schema(
        parameters=[OpenApiParameter("city", str, required=True)], responses=CapacitySerializer
    )
    def get(self, request):
        query = CapacityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        city = get_object_or_404(
            cities_visible(access=access_for(request)), id=query.validated_data["city"]
        )
        return Response(CapacitySerializer(selectors.city_capacity(city=city)).data)
