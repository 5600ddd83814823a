from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_for
from accounts.permissions import AccessMixin
from config.filters import FilterSet
from idempotency.api import idempotent_response
from shelters.models import City

from . import selectors, services
from .models import (
    MatchingRun,
    Party,
    PartyStatus,
    Placement,
    PlacementStatus,
    code_from_typed,
)
from .serializers import (
    CapacityHistoryQuerySerializer,
    CapacityQuerySerializer,
    CapacitySerializer,
    CapacitySnapshotSerializer,
    MatchingRunSerializer,
    PartyActionSerializer,
    PartyEventSerializer,
    PartySerializer,
    PartyUpdateSerializer,
    PlacementSerializer,
    party_data_personal_now,
    party_data_without_personal,
)


class PartyFilter(FilterSet):
    city = filters.UUIDFilter(field_name="city_id")
    status = filters.MultipleChoiceFilter(choices=PartyStatus.choices)
    code = filters.CharFilter(method="filter_code")
    search = filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text=_(
            "Coordinators only: a code, part of a given name, a whole family name (any "
            "case) or a phone number (the same digits)."
        ),
    )

    class Meta:
        model = Party
        fields = ["city", "status", "code", "search"]

    def filter_code(self, queryset, name, value):
        return queryset.filter(code=code_from_typed(value))

    def filter_search(self, queryset, name, value):
        if not access_for(self.request).allows("party.search"):
            raise PermissionDenied(_("Only coordinators may search parties."))
        return selectors.parties_search(queryset, value)


class PartyViewSet(AccessMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PartySerializer
    filterset_class = PartyFilter
    resource = "party"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        parties = self.access.scope(Party.objects.all())
        return selectors.parties_for_display(parties).order_by("waiting_since", "id")

    def _answers(self, parties: list[Party], *, shown: set | None = None) -> list:
        """The parties as answered, with the personal data of those in `shown`; by
        default as the personal-data service decides (which audits what it shows)."""
        if shown is None:
            shown = services.parties_personal_data_show(access=self.access, parties=parties)
        context = {
            **self.get_serializer_context(),
            "personal_data_shown": shown,
            "possible_duplicate_shown": self.access.allows("party.possible_duplicate"),
        }
        # many=True makes a ListSerializer, whose data is a list: the stubs know only the
        # serializer's own dict.
        return PartySerializer(parties, many=True, context=context).data  # type: ignore[return-value]

    def list(self, request, *args, **kwargs):
        """Volunteers list the parties they registered; by `code`, any of their cities'
        (`selectors.parties_listed`)."""
        parties = selectors.parties_listed(
            access=self.access, code=str(request.query_params.get("code", ""))
        )
        parties = selectors.parties_for_display(parties).order_by("waiting_since", "id")
        page = self.paginate_queryset(self.filter_queryset(parties))
        assert page is not None  # every list is paged (DEFAULT_PAGINATION_CLASS)
        return self.get_paginated_response(self._answers(page))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._answers([self.get_object()])[0])

    def _party(self, party_id) -> Party:
        return selectors.parties_for_display(Party.objects.filter(id=party_id)).get()

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

        def register(claim):
            serializer.is_valid(raise_exception=True)
            answers: dict[tuple, tuple[int, dict]] = {}

            def answer(party: Party) -> tuple[int, dict]:
                """The answer, built from the party as it is written (its members loaded,
                no placement yet: nothing is read back), once for each value of
                `possible_duplicate`, which the writing statement decides: the service
                stores it with the request's key before the party is written (and again
                for the party of another code, when its code was taken)."""
                built = (party.id, party.possible_duplicate)
                if built not in answers:
                    # What the caller just sent comes back as they may see it: no read to
                    # audit. Rendered by the serializer that read the request (its fields
                    # are built once).
                    visible = selectors.party_new_personal_data_visible(access=access, party=party)
                    serializer._context = {
                        **serializer.context,
                        "personal_data_shown": {party.id} if visible else set(),
                        "possible_duplicate_shown": access.allows("party.possible_duplicate"),
                    }
                    answers[built] = (status.HTTP_201_CREATED, serializer.to_representation(party))
                return answers[built]

            party = services.party_register(
                actor_id=access.user_id,
                actor=access.username,
                claim=claim,
                answer=answer,
                **serializer.validated_data,
            )
            return answer(party)

        def replayed(body: dict) -> dict:
            """The first answer, through the personal-data service as any answer: a
            caller who may no longer see the party's personal data gets it without, one
            who may gets it as the party holds it now (none that was removed since)."""
            parties = list(selectors.parties_for_display(Party.objects.filter(id=body["id"])))
            shown = services.parties_personal_data_show(access=access, parties=parties)
            if not access.allows("party.possible_duplicate"):
                body.pop("possible_duplicate", None)
            if not shown:
                return party_data_without_personal(body)
            return party_data_personal_now(body, parties[0])

        return idempotent_response(
            request,
            access=access,
            scope="parties.create",
            work=register,
            on_replay=replayed,
            stores_answer=True,
        )

    @extend_schema(request=PartyUpdateSerializer, responses=PartySerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct a waiting or held party (`services.party_update`): coordinators, and the
        volunteer who registered it for 24 hours."""
        party = self.get_object()
        serializer = PartyUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.party_update(party_id=party.id, access=self.access, **serializer.validated_data)
        return Response(self._answers([self._party(party.id)])[0])

    def _act(self, service, rule: str, **kwargs):
        """A party action: the service checks, under the party's lock, that the caller
        may do it to this party (a manager: placed at their shelter). A party out of the
        caller's reach that was placed where they could see it (a manager's, that left
        their shelter since) answers why, `409`, as the service does under the lock."""
        try:
            party = self.get_object()
        except Http404:
            # DRF's get_object_or_404: a malformed id is a 404 too, as for get_object.
            gone = generics.get_object_or_404(Party.objects.all(), id=self.kwargs["pk"])
            left = services.party_left_reach(access=self.access, party=gone, action=rule)
            if left is None:
                raise
            raise left from None
        service(party_id=party.id, access=self.access, **kwargs)
        return Response(self._answers([self._party(party.id)])[0])

    @extend_schema(request=None, responses=PartySerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        return self._act(services.party_check_in, "party.check_in")

    @extend_schema(request=None, responses=PartySerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        return self._act(services.party_check_out, "party.check_out")

    @extend_schema(request=PartyActionSerializer, responses=PartySerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        serializer = PartyActionSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        return self._act(
            services.party_cancel, "party.cancel", reason=serializer.validated_data["reason"]
        )

    @extend_schema(responses=PartyEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        """Every change of the party's status, oldest first (coordinators), paginated as
        every list."""
        party = self.get_object()
        page = self.paginate_queryset(party.events.order_by("at", "id"))
        assert page is not None  # every list is paged (DEFAULT_PAGINATION_CLASS)
        return self.get_paginated_response(PartyEventSerializer(page, many=True).data)


class PlacementFilter(FilterSet):
    city = filters.UUIDFilter(field_name="party__city_id")
    shelter = filters.UUIDFilter(field_name="space__shelter_id")
    space = filters.UUIDFilter(field_name="space_id")
    party = filters.UUIDFilter(field_name="party_id")
    status = filters.MultipleChoiceFilter(choices=PlacementStatus.choices)

    class Meta:
        model = Placement
        fields = ["city", "shelter", "space", "party", "status"]


class PlacementViewSet(AccessMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PlacementSerializer
    filterset_class = PlacementFilter
    resource = "placement"

    def get_queryset(self):
        placements = self.access.scope(Placement.objects.all())
        return placements.select_related("space").order_by("-created_at", "id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        placement = services.placement_create(
            party_id=serializer.validated_data["party"].id,
            space_id=serializer.validated_data["space"].id,
            actor=self.access.username,
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
            actor=self.access.username,
            reason=serializer.validated_data["reason"],
        )
        return Response(self.get_serializer(placement).data)


class MatchingRunViewSet(AccessMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A city's matching runs: what each placed, and why parties still wait. A run is
    asked for with `POST` (`202`: it runs in the background; the answer is the queued
    run, or the one already queued) and read back until it is `done`."""

    serializer_class = MatchingRunSerializer
    filterset_fields = ["city", "status"]
    resource = "matchingrun"

    def get_queryset(self):
        return self.access.scope(MatchingRun.objects.all()).order_by("-requested_at")

    @extend_schema(responses={202: MatchingRunSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.matching_request(city_id=serializer.validated_data["city"].id, trigger="api")
        assert run is not None  # an ask without a party's size always has its run
        run.refresh_from_db()
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


class CapacityView(AccessMixin, APIView):
    """Beds and waiting people of one city: `GET /api/v1/capacity/?city=<id>`."""

    resource = "capacity"

    @extend_schema(
        parameters=[OpenApiParameter("city", str, required=True)], responses=CapacitySerializer
    )
    def get(self, request):
        query = CapacityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        city_id = query.validated_data["city"]
        if not self.access.is_superuser and city_id in self.access.city_ids:
            # A city's reach is its own id: the caller's cities are what it may read.
            city = City(id=city_id)
        else:
            city = get_object_or_404(self.access.scope(City.objects.all()), id=city_id)
        # The figures are already as CapacitySerializer (the schema) writes them.
        return Response(selectors.city_capacity(city=city))


class CapacityHistoryView(AccessMixin, GenericAPIView):
    """A city's capacity hour by hour (or day by day): `GET /api/v1/capacity/history/`."""

    resource = "capacity"
    serializer_class = CapacitySnapshotSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("city", str, required=True),
            OpenApiParameter("from", OpenApiTypes.DATETIME),
            OpenApiParameter("to", OpenApiTypes.DATETIME),
            OpenApiParameter("interval", str, enum=["hour", "day"]),
        ],
        responses=CapacitySnapshotSerializer(many=True),
    )
    def get(self, request):
        query = CapacityHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        city = get_object_or_404(self.access.scope(City.objects.all()), id=params["city"])
        snapshots = selectors.capacity_history(
            city=city, since=params["from"], until=params["to"], interval=params["interval"]
        )
        page = self.paginate_queryset(snapshots)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
