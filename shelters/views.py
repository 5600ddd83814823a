from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts.access import access_for
from accounts.models import Scope
from accounts.permissions import COORDINATOR, EVERYONE, SHELTER_STAFF, Rule
from config.conditional import ETagMixin, expected_version

from . import selectors, services
from .filters import ShelterFilter, SpaceFilter
from .models import Shelter, Space
from .serializers import CitySerializer, ShelterSerializer, SpaceSerializer

READ = Rule(EVERYONE, Scope.CAPACITY_READ)


class CityViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Cities the caller works in. Only an administrator (superuser) creates or renames
    a city; coordinators are then given it with `POST /api/v1/members/`."""

    serializer_class = CitySerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    access_rules = {
        "list": READ,
        "retrieve": READ,
        "create": Rule(),  # superusers only
        "partial_update": Rule(),
    }

    def get_queryset(self):
        return selectors.cities_visible(access=access_for(self.request)).order_by("name")

    def perform_create(self, serializer):
        serializer.instance = services.city_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.city_update(
            city_id=serializer.instance.id, data=serializer.validated_data
        )


class ShelterViewSet(ETagMixin, viewsets.ModelViewSet):
    serializer_class = ShelterSerializer
    filterset_class = ShelterFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    access_rules = {
        "list": READ,
        "retrieve": READ,
        "create": Rule(COORDINATOR),
        "partial_update": Rule(SHELTER_STAFF),
        "destroy": Rule(COORDINATOR),
    }

    def get_queryset(self):
        access = access_for(self.request)
        if self.action in {"partial_update", "destroy"}:
            shelters = selectors.shelters_editable(access=access)
        else:
            shelters = selectors.shelters_visible(access=access)
        return selectors.shelters_with_beds(shelters.select_related(None)).order_by("name", "id")

    def get_serializer(self, *args, **kwargs):
        access = access_for(self.request)
        cities = selectors.cities_visible(access=access)
        if self.action == "create" and not (access.is_superuser or access.is_coordinator):
            # Only coordinators open shelters; on an update `city` cannot change, so the
            # caller's own cities are enough to accept the unchanged value sent back.
            cities = cities.none()
        return super().get_serializer(*args, cities=cities, **kwargs)

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


class SpaceViewSet(ETagMixin, viewsets.ModelViewSet):
    serializer_class = SpaceSerializer
    filterset_class = SpaceFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    access_rules = {
        "list": READ,
        "retrieve": READ,
        "create": Rule(SHELTER_STAFF),
        "partial_update": Rule(SHELTER_STAFF),
        "destroy": Rule(SHELTER_STAFF),
    }

    def get_queryset(self):
        access = access_for(self.request)
        if self.action in {"partial_update", "destroy"}:
            spaces = Space.objects.filter(shelter__in=selectors.shelters_editable(access=access))
        else:
            spaces = selectors.spaces_visible(access=access)
        return spaces.order_by("shelter_id", "name", "id")

    def get_serializer(self, *args, **kwargs):
        shelters = selectors.shelters_editable(access=access_for(self.request))
        return super().get_serializer(*args, shelters=shelters, **kwargs)

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
