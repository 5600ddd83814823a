import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.reach import Reach
from privacy.fields import EncryptedTextField

MAX_BEDS = 10_000
MAX_STATUS_REASON = 300

# What people edit of each model, one list per model, in the order the API shows them:
# the services change these (`config.services.model_update`), the serializers and the
# admin pages build their field lists from them. Where an object belongs (a shelter's
# city, a space's shelter) is chosen when it is made and is not in these lists.
CITY_EDITABLE_FIELDS = ("name", "timezone", "coordinator_phone")
# What a coordinator may change of their own city (`shelters.services.city_update`); the
# rest is an administrator's.
CITY_COORDINATOR_FIELDS = ("coordinator_phone",)
SHELTER_EDITABLE_FIELDS = (
    "name",
    "kind",
    "address",
    "latitude",
    "longitude",
    "status",
    "status_reason",
    "wheelchair_accessible",
    "pets_allowed",
    "contact_phone",
    "notes",
)
SPACE_EDITABLE_FIELDS = ("name", "beds", "admits", "wheelchair_accessible")


# The areas of the IANA time zone database's geographic names ("Asia/Oral").
TIMEZONE_AREAS = frozenset(
    "Africa America Antarctica Arctic Asia Atlantic Australia Europe Indian Pacific".split()
)


def validate_timezone(value: str) -> None:
    """An IANA time zone name: a place (`Asia/Oral`, `America/Argentina/Salta`) or `UTC`.

    Not every file the system's zone database holds: `localtime` (whatever the server
    is set to), POSIX-style rules such as `EST5EDT`, `Etc/GMT-3` (whose sign reads
    backwards), `Factory` and the old aliases (`US/Eastern`) are refused, and so is
    `UTC+3`, which is no name at all."""
    area = value.split("/", 1)[0]
    if not (
        (value == "UTC" or (area in TIMEZONE_AREAS and "/" in value))
        and value in zoneinfo.available_timezones()
    ):
        raise ValidationError(
            _("Give an IANA time zone name, such as Asia/Oral or UTC."), code="invalid_timezone"
        )


class City(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    # Whom volunteers call when a party waits for a reason only a coordinator can solve.
    coordinator_phone = models.CharField(
        _("coordinator's phone"),
        max_length=32,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9][0-9 ()\-.]{3,30}$",
                _("Enter a phone number: digits, spaces, ( ) - and a leading +."),
            )
        ],
    )

    reach = Reach(city="pk")

    class Meta:
        ordering = ["name"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name


class ShelterKind(models.TextChoices):
    GYM = "gym", _("Gym")
    CINEMA = "cinema", _("Cinema")
    APARTMENT = "apartment", _("Apartment")
    SCHOOL = "school", _("School")
    DORMITORY = "dormitory", _("Dormitory")
    HOTEL = "hotel", _("Hotel")
    COMMUNITY_CENTER = "community_center", _("Community center")
    OTHER = "other", _("Other")


class ShelterStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Shelter(models.Model):
    """A place with beds. Its bed counts are the sums of its spaces' counters."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="shelters", verbose_name=_("city")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ShelterKind.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ShelterStatus.choices, default=ShelterStatus.OPEN
    )
    # Why it was opened or closed, as its manager said: shown to the city's coordinators.
    status_reason = models.CharField(
        _("reason for the status"),
        max_length=MAX_STATUS_REASON,
        blank=True,
        help_text=_("Why the shelter was closed or opened again; coordinators see it."),
    )
    wheelchair_accessible = models.BooleanField(_("wheelchair accessible"), default=False)
    pets_allowed = models.BooleanField(_("pets allowed"), default=False)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    reach = Reach(city="city", shelter="pk")

    class Meta:
        ordering = ["city", "name"]
        verbose_name = _("shelter")
        verbose_name_plural = _("shelters")
        indexes = [models.Index(fields=["city", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="shelter_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="shelter_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Admits(models.TextChoices):
    ANYONE = "anyone", _("Anyone")
    WOMEN_AND_CHILDREN = "women_and_children", _("Women and children")
    MEN_ONLY = "men_only", _("Men only")
    FAMILIES = "families", _("Families")


class Space(models.Model):
    """A hall, an auditorium, an apartment's rooms: where beds are.

    `beds_occupied` (checked in) and `beds_held` (placed, not yet arrived) are
    counters kept by the placement services under this row's lock
    (`shelters.services.spaces_lock`); `arrivals.services.space_counters_repair`
    recomputes them from the placements. `version` grows with every edit of the
    space itself (name, beds, admits, access), not with its counters: a manager's
    `If-Match` is stale only when someone else edited the space, not whenever a
    party is placed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shelter = models.ForeignKey(
        Shelter, on_delete=models.PROTECT, related_name="spaces", verbose_name=_("shelter")
    )
    name = models.CharField(_("name"), max_length=200)
    beds = models.PositiveIntegerField(
        _("beds"), validators=[MinValueValidator(0), MaxValueValidator(MAX_BEDS)]
    )
    admits = models.CharField(
        _("admits"), max_length=20, choices=Admits.choices, default=Admits.ANYONE
    )
    wheelchair_accessible = models.BooleanField(_("wheelchair accessible"), default=False)
    beds_occupied = models.PositiveIntegerField(_("beds occupied"), default=0, editable=False)
    beds_held = models.PositiveIntegerField(_("beds held"), default=0, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    reach = Reach(city="shelter__city", shelter="shelter")

    class Meta:
        ordering = ["shelter", "name"]
        verbose_name = _("space")
        verbose_name_plural = _("spaces")
        constraints = [
            models.UniqueConstraint(fields=["shelter", "name"], name="space_unique_name"),
            models.CheckConstraint(condition=Q(beds__lte=MAX_BEDS), name="space_beds_max"),
            models.CheckConstraint(
                condition=Q(beds__gte=F("beds_occupied") + F("beds_held")),
                name="space_counters_within_beds",
            ),
        ]
        indexes = [
            # The spaces with a free bed, by shelter: a registration asks for matching
            # only if its city has one that can take the party
            # (`arrivals.services._run_queue_ctes`, whose condition repeats this one for
            # PostgreSQL to use the index). In a full city it is nearly empty, and the
            # ask reads a few rows instead of every space of the country.
            models.Index(
                fields=["shelter"],
                condition=Q(beds__gt=F("beds_held") + F("beds_occupied")),
                name="space_free_beds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shelter.name} / {self.name}"

    @property
    def beds_free(self) -> int:
        return self.beds - self.beds_occupied - self.beds_held


# --- Host offers: residents offering their apartments --------------------------------

MAX_HOST_BEDS = 50
MAX_HOST_NAME = 100
MAX_HOST_ADDRESS = 300
MAX_HOST_NOTES = 1000
# A phone as people type it: digits, spaces, ( ) - . and a leading +.
PHONE_PATTERN = r"^\+?[0-9][0-9 ()\-.]{3,30}$"
# What a resident sends (the public page and `POST /api/v1/host-offers/`), in that order.
HOST_OFFER_FIELDS = (
    "city",
    "host_name",
    "contact_phone",
    "address",
    "beds",
    "wheelchair_accessible",
    "pets_allowed",
    "available_from",
    "available_until",
    "notes",
)
# The host's personal data: encrypted at rest, shown only to the city's coordinators
# (`shelters.services.host_offers_personal_data_show`, which audits), erased with the
# same retention as arrivals' (`shelters.services.host_offers_personal_data_erase`).
HOST_OFFER_PERSONAL_FIELDS = ("host_name", "contact_phone")


class HostOfferStatus(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    ENDED = "ended", _("Ended")


class HostOffer(models.Model):
    """A resident's offer of an apartment, until a coordinator accepts or declines it.

    Accepting makes it a shelter of kind `apartment` with one space of `beds`; the
    shelter closes by itself when the offer ends after `available_until`
    (`shelters.services.host_offers_end`). The host's name and phone are encrypted;
    `client_digest` is a keyed hash of the sender's address, for the per-address limit
    when the cache is out of reach, and is erased with them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="host_offers", verbose_name=_("city")
    )
    host_name = EncryptedTextField(_("host's name"), blank=True)
    contact_phone = EncryptedTextField(_("host's phone"), blank=True)
    address = models.CharField(_("address"), max_length=MAX_HOST_ADDRESS, blank=True)
    beds = models.PositiveIntegerField(
        _("beds"), validators=[MinValueValidator(1), MaxValueValidator(MAX_HOST_BEDS)]
    )
    wheelchair_accessible = models.BooleanField(_("wheelchair accessible"), default=False)
    pets_allowed = models.BooleanField(_("pets allowed"), default=False)
    available_from = models.DateField(_("available from"))
    available_until = models.DateField(_("available until"), null=True, blank=True)
    notes = models.TextField(_("notes"), max_length=MAX_HOST_NOTES, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=HostOfferStatus.choices, default=HostOfferStatus.NEW
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    shelter = models.OneToOneField(
        Shelter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="host_offer",
        verbose_name=_("shelter"),
    )
    # Accepted before its first day: its shelter was made closed, and the timer opens it
    # on that day (`services.host_offers_begin`), once.
    opens_on_first_day = models.BooleanField(_("opens on its first day"), default=False)
    client_digest = models.CharField(
        _("sender's address digest"), max_length=64, blank=True, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    personal_data_erased_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True
    )

    reach = Reach(city="city")

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("host offer")
        verbose_name_plural = _("host offers")
        indexes = [models.Index(fields=["city", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(beds__gte=1, beds__lte=MAX_HOST_BEDS), name="host_offer_beds_range"
            ),
            models.CheckConstraint(
                condition=Q(available_until__isnull=True)
                | Q(available_until__gte=F("available_from")),
                name="host_offer_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(shelter__isnull=True)
                | Q(status__in=[HostOfferStatus.ACCEPTED, HostOfferStatus.ENDED]),
                name="host_offer_shelter_when_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} · {self.beds} · {self.available_from}"
