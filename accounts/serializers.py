from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from config.fields import LineField, ModelSerializer

from .fields import ScopedRelatedField
from .models import ApiKey, Invitation, Membership, Role, Scope


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(
        help_text="When the token ends if it is not used before; each use moves it on."
    )


# "Member" is a party's member in the schema (arrivals); a person with a role is a Membership.
@extend_schema_serializer(component_name="Membership")
class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", max_length=150)
    password = serializers.CharField(
        write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    role = serializers.ChoiceField(choices=Role.choices)
    cities = ScopedRelatedField(many=True, required=False)
    shelters = ScopedRelatedField(many=True, required=False)
    is_superuser = serializers.BooleanField(source="user.is_superuser", read_only=True)
    is_active = serializers.BooleanField(
        source="user.is_active",
        read_only=True,
        help_text=_("False once every access was removed: they can no longer sign in."),
    )

    class Meta:
        model = Membership
        fields = [
            "id",
            "username",
            "password",
            "role",
            "cities",
            "shelters",
            "is_superuser",
            "is_active",
        ]
        read_only_fields = ["id"]

    def validate_username(self, value):
        user_model = get_user_model()
        for validator in user_model._meta.get_field("username").validators:
            validator(value)
        if user_model.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError(_("A user with that username already exists."))
        return value

    def validate(self, attrs):
        role = attrs["role"]
        if role == Role.SHELTER_MANAGER and not attrs.get("shelters"):
            raise serializers.ValidationError(
                {"shelters": [_("A shelter manager needs at least one shelter.")]}
            )
        if role != Role.SHELTER_MANAGER and attrs.get("shelters"):
            # As for an invitation: shelters would grant nothing, and read as if they did.
            raise serializers.ValidationError(
                {"shelters": [_("Only a shelter manager is given shelters.")]}
            )
        if role != Role.SHELTER_MANAGER and not attrs.get("cities"):
            raise serializers.ValidationError(
                {"cities": [_("A coordinator or volunteer needs at least one city.")]}
            )
        return attrs


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True)
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    is_superuser = serializers.BooleanField()
    cities = serializers.ListField(child=serializers.UUIDField())
    shelters = serializers.ListField(child=serializers.UUIDField())


class ApiKeySerializer(ModelSerializer):
    scopes = serializers.MultipleChoiceField(choices=Scope.choices, allow_empty=False)
    # Left out: every city of the maker's. An empty list is refused (400), not read as that.
    cities = ScopedRelatedField(many=True, required=False, allow_empty=False)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "cities",
            "created_by",
            "created_at",
            "revoked_at",
        ]
        read_only_fields = ["id", "prefix", "created_by", "created_at", "revoked_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["scopes"] = sorted(data["scopes"])
        return data


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text=_("Shown once; store it now."))

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class InvitationSerializer(serializers.ModelSerializer):
    city = ScopedRelatedField(action="invitation.add")
    role = serializers.ChoiceField(choices=Role.choices)
    shelters = ScopedRelatedField(action="invitation.add", many=True, required=False)
    email_or_note = LineField(max_length=200, required=False, allow_blank=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    accepted_by = serializers.CharField(
        source="accepted_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "city",
            "role",
            "shelters",
            "email_or_note",
            "created_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "accepted_by",
            "revoked_at",
        ]
        read_only_fields = ["id", "created_at", "expires_at", "accepted_at", "revoked_at"]

    def validate_email_or_note(self, value):
        if any(ord(ch) < 32 for ch in value):
            raise serializers.ValidationError(_("Remove the control characters."))
        return value


class InvitationCreatedSerializer(InvitationSerializer):
    url = serializers.URLField(
        read_only=True, help_text=_("The one-time link to give the person. Shown once.")
    )

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "url"]
