import copy
from datetime import timedelta
from uuid import UUID

from django.core.validators import RegexValidator
from django.db import DEFAULT_DB_ALIAS
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from accounts.access import access_for
from accounts.fields import ScopedRelatedField
from config.fields import (
    AwareDateTimeField,
    LineField,
    ModelSerializer,
    NameField,
    Serializer,
    TextField,
)
from config.filters import QuerySerializer
from shelters.models import City
from shelters.serializers import phone_validator

from .languages import CODE_PATTERN, MAX_CODE, normal_code
from .models import (
    MAX_LANGUAGES,
    MAX_MEMBERS,
    MAX_NAME,
    MAX_NIGHTS,
    MAX_NOTES,
    MAX_PETS,
    MEMBER_PERSONAL_FIELDS,
    PARTY_EDITABLE_FIELDS,
    PARTY_PERSONAL_FIELDS,
    PARTY_REGISTRATION_FIELDS,
    TOO_MANY_MEMBERS,
    WAITING_REASON_TEXTS,
    AgeGroup,
    CapacitySnapshot,
    Diet,
    MatchingRun,
    Need,
    Party,
    PartyEvent,
    PartyStatus,
    Placement,
    Sex,
    WaitingReason,
)
from .selectors import family_names_kept, party_current_placement

language_validator = RegexValidator(
    rf"^{CODE_PATTERN}$", _("Use a language code such as ru, kk or en.")
)


class LanguagesField(serializers.ListField):
    """Language codes as `arrivals.languages.normal_code` writes them (`RU` is `ru`,
    `ZH-Hant` is `zh-Hant`), each once, in the order given: `max_length` counts the codes
    kept, so a list that repeats one is not refused for its repeats."""

    def __init__(self, **kwargs):
        super().__init__(
            child=LineField(max_length=MAX_CODE, validators=[language_validator]), **kwargs
        )

    def to_internal_value(self, data):
        # Past ten times the limit a list is refused unread: each code is checked.
        limit = self.max_length
        if limit is not None and isinstance(data, list) and len(data) > 10 * limit:
            self.fail("max_length", max_length=limit)
        codes = [normal_code(code) for code in super().to_internal_value(data)]
        return list(dict.fromkeys(codes))


class ConsentField(serializers.BooleanField):
    """`true` or `false` as JSON booleans only: consent is not inferred from "yes" or 1."""

    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")


class UniqueChoicesField(serializers.ListField):
    """A list of enum values; repeats are dropped, order kept."""

    def __init__(self, choices, **kwargs):
        super().__init__(
            child=serializers.ChoiceField(choices=choices),
            max_length=len(choices),
            default=list,
            **kwargs,
        )

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


class MemberListSerializer(serializers.ListSerializer):
    """A party's members, with their errors in the API's documented shape: a list of
    messages for the list itself (not a list, empty, too long), and one object per member
    ({} for a member without errors) otherwise, a member that is not an object too."""

    default_error_messages = {
        "not_a_list": _("Give the members as a list."),
        "empty": _("List at least one person."),
        "min_length": _("List at least one person."),
        "max_length": TOO_MANY_MEMBERS,
    }

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            detail = error.detail
            if isinstance(detail, dict):  # DRF's {"non_field_errors": [...]} for the list
                raise serializers.ValidationError(
                    detail[api_settings.NON_FIELD_ERRORS_KEY]
                ) from None
            raise serializers.ValidationError(
                [
                    {api_settings.NON_FIELD_ERRORS_KEY: item} if isinstance(item, list) else item
                    for item in detail
                ]
            ) from None


class MemberSerializer(Serializer):
    class Meta:
        list_serializer_class = MemberListSerializer

    given_name = NameField(max_length=MAX_NAME)
    family_name = NameField(max_length=MAX_NAME, required=False, allow_blank=True, allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNSPECIFIED)
    age_group = serializers.ChoiceField(choices=AgeGroup.choices, default=AgeGroup.ADULT)
    needs = UniqueChoicesField(Need.choices)
    diet = UniqueChoicesField(Diet.choices)


class PlacementSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    shelter = serializers.UUIDField(source="space.shelter_id")
    shelter_name = serializers.CharField(source="space.shelter.name")
    address = serializers.CharField(source="space.shelter.address")
    space = serializers.UUIDField(source="space_id")
    space_name = serializers.CharField(source="space.name")
    beds = serializers.IntegerField()
    status = serializers.CharField()
    held_until = serializers.DateTimeField(allow_null=True)


def party_data_without_personal(data: dict) -> dict:
    """A party's answer without its family names and phone."""
    for name in PARTY_PERSONAL_FIELDS:
        data.pop(name, None)
    for member in data.get("members") or ():
        for name in MEMBER_PERSONAL_FIELDS:
            member.pop(name, None)
    return data


def party_data_personal_now(data: dict, party: Party) -> dict:
    """A party's answer as first given (`data`, a replay's) with its personal data as the
    party holds it now, for a caller who may see it now: a phone or family name removed
    or erased since is not given back. Each member has the family name of the n-th member
    of that given name now (`family_names_kept`), never another person's."""
    data = party_data_without_personal(data)
    data["contact_phone"] = party.contact_phone
    members = data.get("members") or []
    for member, family_name in zip(
        members, family_names_kept(list(party.members.all()), members), strict=True
    ):
        member["family_name"] = family_name
    return data


@extend_schema_field({"type": "boolean", "x-optional": True})
class OptionalReadOnlyBooleanField(serializers.BooleanField):
    """A read-only boolean that some callers do not get: documented as optional (the
    OpenAPI hook `config.openapi.optional_properties` keeps it out of `required`)."""


class CityInReachField(ScopedRelatedField):
    """A city the caller reaches (`ScopedRelatedField`), known without a query when it is
    one of the caller's cities: a city's reach is its own id (`City.reach`), so for anyone
    but a superuser the choices are exactly `Access.city_ids`. The city is then given by
    its id only (a registration needs no more); anything else is looked up as before."""

    def to_internal_value(self, data):
        access = access_for(self.context["request"])
        if not access.is_superuser:
            try:
                city_id = UUID(str(data))
            except (TypeError, ValueError, AttributeError):
                city_id = None
            if city_id is not None and city_id in access.city_ids:
                city = City(id=city_id)
                city._state.adding, city._state.db = False, DEFAULT_DB_ALIAS
                return city
        return super().to_internal_value(data)


class PartySerializer(ModelSerializer):
    """A registration. `contact_phone` and the members' `family_name` are present only
    for coordinators of the party's city and managers of the shelter it is placed in."""

    # Shown for the parties whose ids are in the context's `personal_data_shown`, as
    # `arrivals.services.parties_personal_data_show` decided (and audited); else none.

    city = CityInReachField()
    registration_point = LineField(max_length=200, required=False, allow_blank=True, default="")
    contact_phone = LineField(
        max_length=32,
        required=False,
        allow_blank=True,
        allow_null=True,
        validators=[phone_validator],  # its `$` would let a final line break through
    )
    languages = LanguagesField(max_length=MAX_LANGUAGES, default=list)
    pets = serializers.IntegerField(min_value=0, max_value=MAX_PETS, default=0)
    nights_needed = serializers.IntegerField(min_value=1, max_value=MAX_NIGHTS, default=1)
    notes = TextField(max_length=MAX_NOTES, required=False, allow_blank=True, default="")
    consent = ConsentField()
    # many=True passes min_length and max_length on to the ListSerializer it makes; the stubs
    # check them against the member serializer's own arguments.
    members = MemberSerializer(many=True, min_length=1, max_length=MAX_MEMBERS)  # type: ignore[call-arg]
    placement = serializers.SerializerMethodField()
    possible_duplicate = OptionalReadOnlyBooleanField(
        read_only=True,
        required=False,
        help_text=_(
            "Coordinators only (absent for others): another registration of the city that "
            "has not departed or been cancelled gave the same phone."
        ),
    )
    waiting_reason = serializers.SerializerMethodField(
        help_text=_("null unless waiting; then not_yet_matched or the last matching run's reason.")
    )
    waiting_reason_text = serializers.SerializerMethodField(
        help_text=_("The waiting reason as a sentence telling a volunteer what to do.")
    )
    slip_url = serializers.SerializerMethodField(
        help_text=_(
            "While placed or checked in: a page that opens without login with the code and "
            "where to go, never a name; null otherwise."
        )
    )

    class Meta:
        model = Party
        fields = [
            "id",
            "code",
            "city",
            *PARTY_REGISTRATION_FIELDS,
            "members",
            "status",
            "size",
            "priority",
            "possible_duplicate",
            "waiting_since",
            "waiting_reason",
            "waiting_reason_text",
            "created_at",
            "placement",
            "slip_url",
        ]
        read_only_fields = [
            "id",
            "code",
            "status",
            "size",
            "priority",
            "possible_duplicate",
            "waiting_since",
            "created_at",
        ]

    def validate_consent(self, value):
        if value is not True:
            raise serializers.ValidationError(_("The party must consent to registration."))
        return value

    def get_placement(self, party) -> dict | None:
        placement = party_current_placement(party)
        return PlacementSummarySerializer(placement).data if placement else None

    @extend_schema_field(
        serializers.ChoiceField(choices=WaitingReason.choices, allow_null=True, read_only=True)
    )
    def get_waiting_reason(self, party) -> str | None:
        return party.waiting_reason if party.status == PartyStatus.WAITING else None

    @extend_schema_field(serializers.CharField(allow_null=True, read_only=True))
    def get_waiting_reason_text(self, party) -> str | None:
        reason = self.get_waiting_reason(party)
        return str(WAITING_REASON_TEXTS[reason]) if reason in WAITING_REASON_TEXTS else None

    @extend_schema_field(serializers.URLField(allow_null=True, read_only=True))
    def get_slip_url(self, party) -> str | None:
        if party.status not in SLIP_STATUSES:
            return None
        path = reverse("web-slip", args=[party.slip_token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def to_representation(self, party):
        data = super().to_representation(party)
        if party.id not in self.context.get("personal_data_shown", ()):
            party_data_without_personal(data)
        if not self.context.get("possible_duplicate_shown"):
            data.pop("possible_duplicate", None)
        return data


# Parties whose slip link works: on their way to a bed, or in it.
SLIP_STATUSES = (PartyStatus.PLACED, PartyStatus.CHECKED_IN)


class PartyUpdateSerializer(serializers.Serializer):
    """A correction (`PATCH /parties/{id}/`): the editable fields, each optional, with the
    registration's validation (the same field definitions). `members` is the whole new
    list; a member sent without `family_name` keeps the one at its position."""

    def get_fields(self):
        declared = copy.deepcopy(PartySerializer._declared_fields)
        fields = {name: declared[name] for name in (*PARTY_EDITABLE_FIELDS, "members")}
        for field in fields.values():
            # What is not sent stays as it is: no field is required, none has a default.
            # (Not `partial=True`, which would also make each member's fields optional.)
            field.required = False
            field.default = empty
        return fields


class PartyEventSerializer(serializers.ModelSerializer):
    """One change of a party's status: who, when, from, to and why."""

    from_status = serializers.CharField(allow_blank=True)

    class Meta:
        model = PartyEvent
        fields = ["at", "actor", "from_status", "to_status", "reason"]


class PartyActionSerializer(serializers.Serializer):
    reason = LineField(max_length=500, required=False, allow_blank=True, default="")


class PlacementSerializer(ModelSerializer):
    """A placement; its `reason`, free text typed about the party (a move, a hold taken
    back), only to those who read the party's history (`party.history`: coordinators):
    for others the key is absent, as a phone is."""

    party = ScopedRelatedField()
    space = ScopedRelatedField()
    shelter = serializers.UUIDField(source="space.shelter_id", read_only=True)
    reason = LineField(max_length=500, required=False, allow_blank=True, default="")

    class Meta:
        model = Placement
        fields = [
            "id",
            "party",
            "space",
            "shelter",
            "beds",
            "status",
            "held_until",
            "created_by",
            "reason",
            "run",
            "created_at",
            "checked_in_at",
            "ended_at",
        ]
        read_only_fields = [
            "id",
            "beds",
            "status",
            "held_until",
            "created_by",
            "run",
            "created_at",
            "checked_in_at",
            "ended_at",
        ]

    def to_representation(self, placement):
        data = super().to_representation(placement)
        request = self.context.get("request")
        if request is None or not access_for(request).allows("party.history"):
            data.pop("reason", None)
        return data


class MatchingRunSerializer(serializers.ModelSerializer):
    city = ScopedRelatedField()

    class Meta:
        model = MatchingRun
        fields = [
            "id",
            "city",
            "status",
            "trigger",
            "requested_at",
            "started_at",
            "finished_at",
            "placed_parties",
            "placed_people",
            "waiting_parties",
            "duration_ms",
            "engine_ms",
            "unplaced",
            "superseded_by",
        ]
        read_only_fields = [name for name in fields if name != "city"]


class CapacityQuerySerializer(QuerySerializer):
    city = serializers.UUIDField()


class KindBedsSerializer(serializers.Serializer):
    beds_total = serializers.IntegerField()
    beds_free = serializers.IntegerField()


class CapacitySerializer(serializers.Serializer):
    city = serializers.UUIDField()
    beds_total = serializers.IntegerField()
    beds_occupied = serializers.IntegerField()
    beds_held = serializers.IntegerField()
    beds_free = serializers.IntegerField()
    beds_free_open = serializers.IntegerField(help_text=_("Free beds of open shelters only."))
    waiting_parties = serializers.IntegerField()
    waiting_people = serializers.IntegerField()
    by_kind = serializers.DictField(child=KindBedsSerializer())


# What `GET /capacity/history/` shows without `from`: this many days back from `to`.
HISTORY_DEFAULT_DAYS = 7


class CapacityHistoryQuerySerializer(QuerySerializer):
    city = serializers.UUIDField()
    # `from` is a Python keyword: the field is renamed by get_fields().
    from_ = AwareDateTimeField(
        required=False, help_text=_("From (ISO 8601; default: 7 days before `to`).")
    )
    to = AwareDateTimeField(required=False, help_text=_("Until (ISO 8601; default: now)."))
    interval = serializers.ChoiceField(choices=["hour", "day"], default="hour")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        # Years 2000 to 2099, as a meal service's day: a week back from a `to` of year 1
        # would leave the years Python holds.
        for name in ("from", "to"):
            if attrs.get(name) is not None and not 2000 <= attrs[name].year <= 2099:
                raise serializers.ValidationError(
                    {
                        name: [
                            _("Give a date between %(first)s and %(last)s.")
                            % {"first": "2000-01-01", "last": "2099-12-31"}
                        ]
                    }
                )
        until = attrs.get("to") or timezone.now()
        since = attrs.get("from") or until - timedelta(days=HISTORY_DEFAULT_DAYS)
        if since > until:
            raise serializers.ValidationError({"from": [_("`from` must not be after `to`.")]})
        return {**attrs, "from": since, "to": until}


class CapacitySnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapacitySnapshot
        fields = [
            "at",
            "beds",
            "beds_free",
            "beds_held",
            "beds_occupied",
            "waiting_parties",
            "waiting_people",
            "beds_free_open",
        ]
        read_only_fields = fields
