from django.contrib import admin
from django.contrib.auth import authenticate
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .login import LoginForm
from .models import ApiKey, Membership
from .permissions import AccessMixin
from .selectors import invitations_listed
from .serializers import (
    ApiKeyCreatedSerializer,
    ApiKeySerializer,
    InvitationCreatedSerializer,
    InvitationSerializer,
    MemberSerializer,
    MeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from .throttling import LoginRateThrottle


class TokenView(APIView):
    """Exchange a username and password for a token (`Authorization: Token <token>`)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # the login throttle is taken in post(), around the password

    def get_authenticate_header(self, request):
        return 'Token realm="api"'

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer)
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        throttle = LoginRateThrottle()
        if not throttle.allow_request(request, self):
            raise exceptions.Throttled(throttle.wait())
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("Wrong username or password."))
        throttle.succeeded()
        token = services.auth_token_issue(user=user)
        return Response({"token": token.key})


def login_throttled(view):
    """Wrap a Django (non-API) login view with the API's login throttle."""

    def wrapped(request, *args, **kwargs):
        throttle = LoginRateThrottle()
        if not throttle.allow_request(request, None):
            response = HttpResponse(
                _("Too many login attempts. Try again later."),
                status=429,
                content_type="text/plain",
            )
            wait = throttle.wait()
            response["Retry-After"] = str(int(wait) + 1 if wait else 60)
            return response
        response = view(request, *args, **kwargs)
        if request.user.is_authenticated:
            throttle.succeeded()  # signed in: the attempt does not count
        return response

    return wrapped


web_login = login_throttled(LoginView.as_view(authentication_form=LoginForm))
admin_login = login_throttled(admin.site.login)


class MemberViewSet(AccessMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MemberSerializer
    resource = "membership"

    def get_queryset(self):
        members = Membership.objects.select_related("user").prefetch_related("cities", "shelters")
        return self.access.scope(members).order_by("user__username")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # A weak password raises a ValidationError by field, answered 400 (config.exceptions).
        membership = services.member_create(
            username=data["user"]["username"],
            password=data["password"],
            role=data["role"],
            cities=data.get("cities", []),
            shelters=data.get("shelters", []),
        )
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=MeSerializer)
    @action(detail=False, methods=["get"])
    def me(self, request):
        access = self.access
        membership = getattr(request.user, "membership", None)
        return Response(
            MeSerializer(
                {
                    "id": membership.id if membership else None,
                    "username": request.user.get_username(),
                    "role": access.role,
                    "is_superuser": access.is_superuser,
                    "cities": sorted(access.city_ids, key=str),
                    "shelters": sorted(access.shelter_ids, key=str),
                }
            ).data
        )


class ApiKeyViewSet(AccessMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Integration keys. The key itself is in the creation answer only."""

    serializer_class = ApiKeySerializer
    resource = "apikey"

    def get_queryset(self):
        keys = ApiKey.objects.select_related("created_by").prefetch_related("cities")
        return self.access.scope(keys).order_by("-created_at")

    @extend_schema(responses={201: ApiKeyCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, key = services.api_key_create(
            name=serializer.validated_data["name"],
            scopes=list(serializer.validated_data["scopes"]),
            cities=serializer.validated_data.get("cities"),
            created_by=request.user,
        )
        api_key.key = key
        return Response(
            ApiKeyCreatedSerializer(api_key, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        api_key = services.api_key_revoke(api_key=self.get_object())
        return Response(self.get_serializer(api_key).data)


class InvitationViewSet(AccessMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """One-time links to join a city in a role (`accounts.services.invitation_create`).
    The link is in the creation answer only."""

    serializer_class = InvitationSerializer
    resource = "invitation"

    def get_queryset(self):
        return invitations_listed(access=self.access)

    @extend_schema(responses={201: InvitationCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invitation, path = services.invitation_create(
            created_by=request.user,
            city=data["city"],
            role=data["role"],
            shelters=data.get("shelters", []),
            email_or_note=data.get("email_or_note", ""),
        )
        invitation.url = request.build_absolute_uri(path)
        return Response(
            InvitationCreatedSerializer(invitation, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
