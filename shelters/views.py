import uuid

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.permissions import AccessMixin
from config.compiled import CompiledRows
from config.conditional import ETagMixin, expected_version
from config.filters import FilterBackend, FilterSet
from config.pagination import CountedPagination

from . import selectors, services
from .filters import ShelterFilter, SpaceFilter
from .models import City, HostOffer, HostOfferStatus, Shelter, Space
from .serializers import (
    SHELTER_LIST_COLUMNS,
    CitySerializer,
    HostOfferAcceptedSerializer,
    HostOfferSerializer,
    HostOfferSubmitSerializer,
    HostOfferSubmittedSerializer,
    ShelterSerializer,
    SpaceSerializer,
    shelter_list_item,
)
from .throttling import client_ident, host_offer_allowed

# A PATCH or DELETE of a shelter or space may name the version it saw (config.conditional).
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        'The ETag the object was read with, like "3", or several separated by commas: '
        "if none is the current version, 412."
    ),
)


class CityViewSet(
    AccessMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Cities the caller works in. Only an administrator (superuser) creates or renames
    a city; coordinators are then given it with `POST /api/v1/members/`."""

    serializer_class = CitySerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    resource = "city"

    def get_queryset(self):
        return self.access.scope(City.objects.all()).order_by("name")

    def perform_create(self, serializer):
        serializer.instance = services.city_create(**serializer.validated_data)

    def check_permissions(self, request):
        """A coordinator may PATCH a city of theirs too, for its `coordinator_phone` only
        (`services.city_update` refuses the rest)."""
        if self.action == "partial_update" and self.access.allows("city.coordinator_phone"):
            return
        super().check_permissions(request)

    def perform_update(self, serializer):
        serializer.instance = services.city_update(
            city_id=serializer.instance.id, data=serializer.validated_data, access=self.access
        )


class ShelterViewSet(AccessMixin, ETagMixin, viewsets.ModelViewSet):
    serializer_class = ShelterSerializer
    pagination_class = CountedPagination
    filterset_class = ShelterFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    resource = "shelter"

    def get_queryset(self):
        shelters = self.access.scope(Shelter.objects.all())
        return selectors.shelters_with_beds(shelters).order_by("name", "id")

    def list(self, request, *args, **kwargs):
        # Volunteers' phones ask for the same pages again and again: the page's SQL is
        # compiled once per caller's reach, filters and page (config.compiled).
        filterset = FilterBackend().checked_filterset(request, Shelter.objects.all(), self)
        filters = tuple(sorted(filterset.form.cleaned_data.items()))
        rows = CompiledRows(
            ("shelters", self.access.reach, filters),
            lambda: filterset.filter_queryset(self.get_queryset()).values(*SHELTER_LIST_COLUMNS),
        )
        page: list[dict] | None = self.paginate_queryset(rows)  # type: ignore[arg-type]
        assert page is not None  # paged by CountedPagination, which takes CompiledRows
        return self.get_paginated_response([shelter_list_item(row) for row in page])

    def _answer(self, shelter_id, status_code=status.HTTP_200_OK):
        shelter = selectors.shelters_with_beds(Shelter.objects.filter(id=shelter_id)).get()
        return Response(self.get_serializer(shelter).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shelter = services.shelter_create(**serializer.validated_data)
        return self._answer(shelter.id, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, *args, **kwargs):
        shelter = self.get_object()
        serializer = self.get_serializer(shelter, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.shelter_update(
            shelter_id=shelter.id,
            data=serializer.validated_data,
            expected_version=expected_version(request),
        )
        return self._answer(shelter.id)

    @extend_schema(parameters=[IF_MATCH])
    def destroy(self, request, *args, **kwargs):
        services.shelter_delete(
            shelter_id=self.get_object().id, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SpaceViewSet(AccessMixin, ETagMixin, viewsets.ModelViewSet):
    serializer_class = SpaceSerializer
    filterset_class = SpaceFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    resource = "space"

    def get_queryset(self):
        return self.access.scope(Space.objects.all()).order_by("shelter_id", "name", "id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        space = services.space_create(**serializer.validated_data)
        return Response(self.get_serializer(space).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, *args, **kwargs):
        space = self.get_object()
        serializer = self.get_serializer(space, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        space = services.space_update(
            space_id=space.id,
            data=serializer.validated_data,
            expected_version=expected_version(request),
        )
        return Response(self.get_serializer(space).data)

    @extend_schema(parameters=[IF_MATCH])
    def destroy(self, request, *args, **kwargs):
        services.space_delete(
            space_id=self.get_object().id, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Host offers ------------------------------------------------------------------------


class HostOfferFilter(FilterSet):
    city = django_filters.UUIDFilter(field_name="city_id")
    status = django_filters.ChoiceFilter(choices=HostOfferStatus.choices)

    class Meta:
        model = HostOffer
        fields = ["city", "status"]


class HostOfferViewSet(
    AccessMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Residents offer apartments (`POST`, no login, limited per address); the
    coordinators of the offer's city read, accept and decline them. Every answer sends
    `Cache-Control: no-store`: those to coordinators carry the host's name and phone."""

    serializer_class = HostOfferSerializer
    filterset_class = HostOfferFilter
    resource = "hostoffer"

    def get_queryset(self):
        return selectors.host_offers_listed(access=self.access)

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        return super().get_permissions()

    def _answers(self, offers) -> list:
        shown = services.host_offers_personal_data_show(access=self.access, offers=offers)
        context = {**self.get_serializer_context(), "personal_data_shown": shown}
        return HostOfferSerializer(offers, many=True, context=context).data  # type: ignore[return-value]  # a ListSerializer's data is a list

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # every list is paged (DEFAULT_PAGINATION_CLASS)
        return self.get_paginated_response(self._answers(page))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._answers([self.get_object()])[0])

    @extend_schema(
        request=HostOfferSubmitSerializer,
        responses={201: HostOfferSubmittedSerializer},
        auth=[],
    )
    def create(self, request, *args, **kwargs):
        """Offer an apartment: no login; a few offers per address an hour."""
        serializer = HostOfferSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ident = client_ident(request)
        data = {k: v for k, v in serializer.validated_data.items() if k != "website"}
        try:
            offer = services.host_offer_submit(
                data=data,
                client_ident=ident,
                allowed=lambda: host_offer_allowed(ident=ident),
                robot=bool(str(serializer.validated_data.get("website") or "").strip()),
            )
        except services.HostOfferLimit as limit:
            raise exceptions.Throttled(wait=limit.wait) from limit
        if offer is None:
            # A robot filled the hidden field: it is told it succeeded; nothing is stored.
            return Response(
                {"id": str(uuid.uuid4()), "status": HostOfferStatus.NEW},
                status=status.HTTP_201_CREATED,
            )
        return Response(HostOfferSubmittedSerializer(offer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: HostOfferAcceptedSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept a new offer: a shelter of kind `apartment` with one space of its beds,
        and a one-time invitation for the host to manage it."""
        accepted = services.host_offer_accept(offer_id=self.get_object().id, by=request.user)
        return Response(
            {
                "shelter": accepted.shelter.id,
                "space": accepted.space.id,
                "invitation_url": request.build_absolute_uri(accepted.invitation_path),
                "invitation_expires_at": accepted.invitation.expires_at,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=HostOfferSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        offer = services.host_offer_decline(offer_id=self.get_object().id, by=request.user)
        return Response(self._answers([offer])[0])
