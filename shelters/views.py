from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts.permissions import AccessMixin
from config.conditional import ETagMixin, expected_version

from . import selectors, services
from .filters import ShelterFilter, SpaceFilter
from .models import City, Shelter, Space
from .serializers import CitySerializer, ShelterSerializer, SpaceSerializer


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
    filterset_class = ShelterFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    resource = "shelter"

    def get_queryset(self):
        shelters = self.access.scope(Shelter.objects.all())
        return selectors.shelters_with_beds(shelters).order_by("name", "id")

    def _answer(self, shelter_id, status_code=status.HTTP_200_OK):
        shelter = selectors.shelters_with_beds(Shelter.objects.filter(id=shelter_id)).get()
        return Response(self.get_serializer(shelter).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shelter = services.shelter_create(**serializer.validated_data)
        return self._answer(shelter.id, status.HTTP_201_CREATED)

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

    def destroy(self, request, *args, **kwargs):
        services.shelter_delete(shelter_id=self.get_object().id)
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

    def destroy(self, request, *args, **kwargs):
        services.space_delete(space_id=self.get_object().id)
        return Response(status=status.HTTP_204_NO_CONTENT)
