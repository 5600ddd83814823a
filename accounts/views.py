from django.contrib import admin
from django.contrib.auth import authenticate, user_logged_in
from django.contrib.auth import logout as django_logout
from django.contrib.auth.views import LoginView
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.error_summary import error_summary

from . import login_limits, services
from .authentication import TokenAuthentication
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


class SignInLockedOut(exceptions.Throttled):
    """429 with Retry-After; the sentence gives the minutes. (DRF's own "Expected
    available in ..." is left out: it is not in every language Berth speaks.)"""

    def __init__(self, wait: int, detail: str) -> None:
        super().__init__(detail=detail)
        self.wait = wait


class TokenView(APIView):
    """Exchange a username and password for a token (`Authorization: Token <token>`)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # Failed passwords are limited by django-axes inside `authenticate` (accounts.login_limits).
    throttle_classes = []

    def get_authenticate_header(self, request):
        return 'Token realm="api"'

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        description=(
            "A new token for each sign-in. It ends at `expires_at` unless used before: each "
            "use moves `expires_at` on (BERTH_TOKEN_IDLE_HOURS, 12 by default). Too many "
            "failed passwords for one account, or from one address, answer 429 with "
            "Retry-After, even with the right password, until the lockout ends or a "
            "coordinator unlocks the account."
        ),
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        user = authenticate(
            request, username=username, password=serializer.validated_data["password"]
        )
        if getattr(request, "axes_locked_out", False):  # set by django-axes, refused or now full
            wait = login_limits.retry_after(request, {"username": username})
            raise SignInLockedOut(wait, login_limits.lockout_message(wait))
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("Wrong username or password."))
        token, key = services.auth_token_issue(user=user)
        # As a session sign-in does: `last_login`, and axes forgets this account's
        # failures from this address.
        user_logged_in.send(sender=type(user), request=request, user=user)
        return Response(TokenSerializer({"token": key, "expires_at": token.expiry}).data)


class TokenLogoutView(APIView):
    """End the calling token (or session). Other tokens of the person keep working."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            services.auth_token_end(token=request.auth)
        else:
            django_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenLogoutAllView(APIView):
    """End every token of the calling person (all their phones), and the calling session."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.auth_tokens_end_all(user=request.user)
        if not isinstance(request.auth, AuthToken):
            django_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Sign-ins refused by django-axes answer 429 with Retry-After through axes's middleware
# (accounts.login_limits.lockout_response), the page saying why.
class WebLoginView(LoginView):
    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["error_summary"] = error_summary([(context["form"], "")])
        return context


web_login = WebLoginView.as_view()
admin_login = admin.site.login


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

    @extend_schema(
        request=None,
        responses={200: MemberSerializer},
        description=(
            "Lift the sign-in lockout of a member who failed their password too often: "
            "their counted failures, from every address, are forgotten and the right "
            "password works at once. Tokens and sessions are not touched."
        ),
    )
    @action(detail=True, methods=["post"])
    def unlock(self, request, pk=None):
        membership = self.get_object()
        services.member_login_unlock(membership=membership, by=request.user)
        return Response(self.get_serializer(membership).data)

    @extend_schema(
        request=None,
        responses={200: MemberSerializer},
        description=(
            "Remove a volunteer's or shelter manager's access to your cities, at once: "
            "those cities and their shelters are taken from the member. A member left "
            "with none can no longer sign in (`is_active` false) and their tokens end."
        ),
    )
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        membership = services.member_remove(membership_id=self.get_object().id, access=self.access)
        membership.refresh_from_db()
        return Response(self.get_serializer(membership).data)


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

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Withdraw an invitation that has not been used: its link stops working."""
        invitation = services.invitation_revoke(
            invitation_id=self.get_object().id, access=self.access
        )
        return Response(self.get_serializer(invitation).data)
