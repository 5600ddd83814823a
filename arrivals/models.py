from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from accounts.reach import Reach
from config.ids import uuid7
from privacy.fields import EncryptedTextField

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

MAX_MEMBERS = 30
# Said by the API and the registration page alike (`{max_length}`: MAX_MEMBERS).
TOO_MANY_MEMBERS = _(
    "A party has at most {max_length} people: register a bigger group as more than one party."
)
MAX_LANGUAGES = 10
MAX_NAME = 100
MAX_NOTES = 1000
MAX_PETS = 10
MAX_NIGHTS = 365
# Read aloud and typed on a phone: no 0/O, no 1/I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
PARTY_CODE_UNIQUE = "party_code_unique"
# Cyrillic capitals that look like a code's Latin letters or digits: a code read off a slip
# and typed on a Russian or Kazakh keyboard still finds its party.
CODE_LOOK_ALIKES = str.maketrans("АВЕЗКМНРСТУХҮ", "ABE3KMHPCTYXY")  # noqa: RUF001 - on purpose


def code_from_typed(text: str) -> str:
    """A party code as someone typed it: upper case, Cyrillic look-alikes read as the
    letters they look like, spaces and other separators dropped."""
    return "".join(ch for ch in text.upper().translate(CODE_LOOK_ALIKES) if ch.isalnum())


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """A stored choice value as the pages say it, in the page's language (a value no
    longer among the choices as it is)."""
    return str(choices(value).label) if value in choices.values else value


def choice_labels(choices: type[models.TextChoices], values: Iterable[str]) -> list[str]:
    return [choice_label(choices, value) for value in values]


class PartyStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    PLACED = "placed", _("Placed")
    CHECKED_IN = "checked_in", _("Checked in")
    DEPARTED = "departed", _("Departed")
    CANCELLED = "cancelled", _("Cancelled")


class WaitingReason(models.TextChoices):
    """Why a waiting party has no bed (docs/api-reference.md): not looked at yet, or the
    reason the last matching run gave (docs/matching.md)."""

    NOT_YET_MATCHED = "not_yet_matched", _("Not matched yet")
    NO_CAPACITY = "no_capacity", _("No free beds")
    NO_ACCESSIBLE_SPACE = "no_accessible_space", _("No wheelchair-accessible space")
    NO_PET_FRIENDLY_SPACE = "no_pet_friendly_space", _("No pet-friendly space")
    NO_ADMITTING_SPACE = "no_admitting_space", _("No space admits the party")
    PARTY_TOO_LARGE = "party_too_large", _("More people than any space has free beds")


# What a volunteer should do, for each reason: the API's `waiting_reason_text`, the party page.
WAITING_REASON_TEXTS: "dict[str, StrPromise]" = {
    WaitingReason.NOT_YET_MATCHED: _(
        "Beds are being looked for now: where to go comes within a minute. Keep the code."
    ),
    WaitingReason.NO_CAPACITY: _(
        "No free bed fits them right now. They are placed by themselves as soon as beds free "
        "up; tell them to stay close and keep the code."
    ),
    WaitingReason.NO_ACCESSIBLE_SPACE: _(
        "No wheelchair-accessible space is free. Call the coordinator: they can find an "
        "accessible place or make a space accessible."
    ),
    WaitingReason.NO_PET_FRIENDLY_SPACE: _(
        "No space here takes pets (and is wheelchair accessible, where someone needs it). "
        "Call the coordinator: they can find a place that takes pets."
    ),
    WaitingReason.NO_ADMITTING_SPACE: _(
        "No free space admits this group (women and children only, men only or families). "
        "Check the sex and age of each person, or call the coordinator."
    ),
    WaitingReason.PARTY_TOO_LARGE: _(
        "The group is larger than any free space. Call the coordinator: they can place it "
        "by hand or open more beds."
    ),
}
# What the coordinator can do, for each reason: the city board (a coordinator is never told
# to call the coordinator).
BOARD_WAITING_TEXTS: "dict[str, StrPromise]" = {
    WaitingReason.NOT_YET_MATCHED: _("The next matching run looks at them, within a minute."),
    WaitingReason.NO_CAPACITY: _(
        "No free bed fits them. Open more beds, a shelter or a host's apartment: they are "
        "placed as soon as there is room."
    ),
    WaitingReason.NO_ACCESSIBLE_SPACE: _(
        "No wheelchair-accessible space has room. Mark a suitable space accessible, or place "
        "them by hand."
    ),
    WaitingReason.NO_PET_FRIENDLY_SPACE: _(
        "No space takes pets (and is wheelchair accessible, where someone needs it). Let "
        "such a shelter take pets, or place them by hand."
    ),
    WaitingReason.NO_ADMITTING_SPACE: _(
        "No free space admits this group. Check the sex and age of each person, or change "
        "whom a space admits."
    ),
    WaitingReason.PARTY_TOO_LARGE: _(
        "The group is larger than any free space. Add beds to a space, or place it by hand."
    ),
}
# The reasons a coordinator can act on: the party page shows the coordinator's phone.
WAITING_REASONS_CALL_COORDINATOR = (
    WaitingReason.NO_ACCESSIBLE_SPACE,
    WaitingReason.NO_PET_FRIENDLY_SPACE,
    WaitingReason.NO_ADMITTING_SPACE,
    WaitingReason.PARTY_TOO_LARGE,
)
# A registration may be corrected by its volunteer this long after it was made.
PARTY_EDIT_HOURS = 24


# A slip link (`/slip/<token>/`) is the party's code and a MAC of it (128 bits, URL-safe
# base64), as Django's password-reset links are made: nothing is stored, so a registration
# and a matching run write no token and no unique index of one (a national run moves
# 22,000 parties in one UPDATE, and every index costs each row). The MAC is keyed by
# SECRET_KEY: a link made under a key of SECRET_KEY_FALLBACKS still opens.
SLIP_MAC_LENGTH = 22


def slip_mac(code: str, secret: str | None = None) -> str:
    digest = salted_hmac("berth.arrivals.slip", code, secret=secret, algorithm="sha256")
    return urlsafe_base64_encode(digest.digest()[:16])


def slip_token(code: str) -> str:
    return f"{code}{slip_mac(code)}"


def slip_code(token: str) -> str | None:
    """The code of a slip link's party, or None when the token was not made here (checked
    in constant time, before any query)."""
    code, mac = token[:-SLIP_MAC_LENGTH], token[-SLIP_MAC_LENGTH:]
    if not 1 <= len(code) <= CODE_LENGTH or len(mac) != SLIP_MAC_LENGTH:
        return None
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    if not any(constant_time_compare(mac, slip_mac(code, key)) for key in keys):
        return None
    return code


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNSPECIFIED = "unspecified", _("Unspecified")


class AgeGroup(models.TextChoices):
    INFANT = "infant", _("Infant (under 2)")
    CHILD = "child", _("Child (2 to 17)")
    ADULT = "adult", _("Adult")
    SENIOR = "senior", _("Senior (65 and over)")


class Need(models.TextChoices):
    WHEELCHAIR = "wheelchair", _("Wheelchair")
    MEDICAL = "medical", _("Medical")
    PREGNANT = "pregnant", _("Pregnant")
    INFANT_CARE = "infant_care", _("Infant care")


class Diet(models.TextChoices):
    VEGETARIAN = "vegetarian", _("Vegetarian")
    HALAL = "halal", _("Halal")
    GLUTEN_FREE = "gluten_free", _("Gluten free")
    LACTOSE_FREE = "lactose_free", _("Lactose free")
    INFANT_FORMULA = "infant_formula", _("Infant formula")


# A party's personal data: shown only to those `party.personal_data` allows, and each
# showing audited (`arrivals.services.parties_personal_data_show`).
PARTY_PERSONAL_FIELDS = ("contact_phone",)
MEMBER_PERSONAL_FIELDS = ("family_name",)

# What a registration gives of a party and of each member, in the order the API shows
# them: the serializer and the admin build their field lists from these. A correction
# (`arrivals.services.party_update`) changes PARTY_EDITABLE_FIELDS and the members.
PARTY_REGISTRATION_FIELDS = (
    "registration_point",
    "contact_phone",
    "languages",
    "pets",
    "nights_needed",
    "notes",
    "consent",
)
MEMBER_FIELDS = ("given_name", "family_name", "sex", "age_group", "needs", "diet")
PARTY_EDITABLE_FIELDS = ("contact_phone", "languages", "pets", "nights_needed", "notes")


class Party(models.Model):
    """A group that travels together and must stay together.

    `size` and `priority` (the matcher's weight, docs/matching.md) are derived from the
    members at registration. `contact_phone` is encrypted at rest; its keyed
    digest finds possible duplicates without the phone in clear.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # Indexed by the (city, status, waiting_since) index of Meta, which starts with it.
    city = models.ForeignKey(
        "shelters.City",
        on_delete=models.PROTECT,
        related_name="parties",
        verbose_name=_("city"),
        db_index=False,
    )
    code = models.CharField(_("code"), max_length=CODE_LENGTH)
    registration_point = models.CharField(_("registration point"), max_length=200, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), null=True, blank=True)
    contact_phone_digest = models.CharField(_("contact phone digest"), max_length=64, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    pets = models.PositiveSmallIntegerField(
        _("pets"), default=0, validators=[MaxValueValidator(MAX_PETS)]
    )
    nights_needed = models.PositiveSmallIntegerField(
        _("nights needed"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_NIGHTS)],
    )
    notes = models.TextField(_("notes"), max_length=MAX_NOTES, blank=True)
    consent = models.BooleanField(_("consent"))
    status = models.CharField(
        _("status"), max_length=12, choices=PartyStatus.choices, default=PartyStatus.WAITING
    )
    size = models.PositiveSmallIntegerField(_("size"))
    priority = models.PositiveSmallIntegerField(_("priority"))
    possible_duplicate = models.BooleanField(_("possible duplicate"), default=False)
    # Meaningful while waiting: `not_yet_matched` from registration, a correction or a
    # return to waiting until a matching run looked at the party, then that run's reason.
    waiting_reason = models.CharField(
        _("waiting reason"),
        max_length=24,
        choices=WaitingReason.choices,
        default=WaitingReason.NOT_YET_MATCHED,
    )
    # Grows at each correction and each return to waiting: a matching run writes only for
    # parties as it saw them (`arrivals.services.placements_apply`, `_waiting_reasons_set`).
    revision = models.PositiveIntegerField(_("revision"), default=0)
    waiting_since = models.DateTimeField(_("waiting since"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    personal_data_erased_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True
    )
    # Indexed with created_at by `party_by_registrar` (Meta), which starts with it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["waiting_since", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        # Unique columns and looked-up digests are indexed here, not with unique=True or
        # db_index=True on the field: on PostgreSQL those add a second, `LIKE` index to
        # each (nothing here searches them by prefix), and every index costs each write
        # (a matching run moves thousands of parties to `placed` in one UPDATE).
        indexes = [
            models.Index(fields=["city", "status", "waiting_since"]),
            # The closed parties whose personal data is still to be erased, by when they
            # closed (`services.personal_data_erase`): a waiting or placed party is not in
            # it, so neither a registration nor a matching run writes to it.
            models.Index(
                fields=["status_changed_at"],
                condition=Q(
                    status__in=[PartyStatus.DEPARTED, PartyStatus.CANCELLED],
                    personal_data_erased_at__isnull=True,
                ),
                name="party_to_erase",
            ),
            # Looked up only by a phone's digest: a party without a phone ("") is not in it,
            # and a run that places it writes no entry.
            models.Index(
                fields=["contact_phone_digest"],
                condition=~Q(contact_phone_digest=""),
                name="party_contact_phone_digest",
            ),
            # A volunteer's own registrations, newest first (their home page and list):
            # one index where a foreign-key index and one on created_at were two.
            models.Index(fields=["created_by", "created_at"], name="party_by_registrar"),
            # An incremental matching run reads the waiting parties changed since the last
            # run; only waiting rows are in it (a run that places thousands adds nothing).
            models.Index(
                fields=["city", "updated_at"],
                condition=Q(status=PartyStatus.WAITING),
                name="party_waiting_changed",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name=PARTY_CODE_UNIQUE),
            models.CheckConstraint(
                condition=Q(size__gte=1, size__lte=MAX_MEMBERS), name="party_size_range"
            ),
            models.CheckConstraint(condition=Q(pets__lte=MAX_PETS), name="party_pets_max"),
            models.CheckConstraint(
                condition=Q(nights_needed__gte=1, nights_needed__lte=MAX_NIGHTS),
                name="party_nights_range",
            ),
            models.CheckConstraint(condition=Q(consent=True), name="party_consent_given"),
        ]

    # `reach` (where a party is, for `accounts.access`) is set below, with the
    # placement statuses it names.
    reach: Reach

    def __str__(self) -> str:
        return self.code

    @property
    def slip_token(self) -> str:
        """The secret of the party's slip link (see `slip_code`), shown while placed."""
        return slip_token(self.code)


class PartyMember(models.Model):
    """A person. Only `given_name` (an alias is fine) is asked; `family_name` is encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="members", verbose_name=_("party")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    given_name = models.CharField(_("given name or alias"), max_length=MAX_NAME, blank=True)
    family_name = EncryptedTextField(_("family name"), null=True, blank=True)
    # Keyed hash of the family name, case and spacing folded (`privacy.crypto.name_digest`):
    # coordinators find a party by an exact family name without it being stored in clear.
    family_name_digest = models.CharField(_("family name digest"), max_length=64, blank=True)
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices, default=Sex.UNSPECIFIED)
    age_group = models.CharField(
        _("age group"), max_length=8, choices=AgeGroup.choices, default=AgeGroup.ADULT
    )
    needs = models.JSONField(_("needs"), default=list, blank=True)
    diet = models.JSONField(_("diet"), default=list, blank=True)

    class Meta:
        ordering = ["party", "position"]
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        # In Meta rather than db_index=True: no second, `LIKE` index (see Party.Meta).
        indexes = [models.Index(fields=["family_name_digest"], name="member_family_name_digest")]

    def __str__(self) -> str:
        return self.given_name or str(_("(erased)"))

    def needs_labels(self) -> list[str]:
        """Its needs as the pages say them, in the page's language."""
        return choice_labels(Need, self.needs)

    def diet_labels(self) -> list[str]:
        return choice_labels(Diet, self.diet)


class PartyEvent(models.Model):
    """One change of a party's status: the party's history (who, when, from, to)."""

    # Written only with a change of its party's status, under that party's lock, and
    # deleted with it by Django (CASCADE): no foreign-key constraint in the database,
    # whose check per line would cost a national matching run 22,000 lookups (about
    # 0.1 s) for lines it writes for parties it has just moved.
    party = models.ForeignKey(
        Party,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("party"),
        db_constraint=False,
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.CharField(_("actor"), max_length=150)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["party", "at", "id"]
        verbose_name = _("party event")
        verbose_name_plural = _("party history")

    def __str__(self) -> str:
        from_status = choice_label(PartyStatus, self.from_status) or "-"
        return f"{from_status} → {choice_label(PartyStatus, self.to_status)}"


class PlacementStatus(models.TextChoices):
    HELD = "held", _("Held")
    CHECKED_IN = "checked_in", _("Checked in")
    ENDED = "ended", _("Ended")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_PLACEMENT = (PlacementStatus.HELD, PlacementStatus.CHECKED_IN)
MATCHER = "matcher"


# In its city; at the shelter of its held or checked-in placement, and, for a manager
# reading, of one it left from there.
Party.reach = Reach(
    city="city",
    shelter="placements__space__shelter",
    present=Q(placements__status__in=ACTIVE_PLACEMENT),
    seen=Q(placements__status__in=[*ACTIVE_PLACEMENT, PlacementStatus.ENDED]),
)


class Placement(models.Model):
    """A party's beds in a space. Held beds count in the space's `beds_held`,
    checked-in ones in `beds_occupied`."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # No foreign-key constraint in the database, for its party or its space. Every writer
    # of a placement holds its party's row lock (a matching run: its UPDATE of the party
    # to `placed`, which skips a party deleted since the snapshot), and nothing in Berth
    # deletes a party but the demo loader, under those locks (the admin only reads
    # parties; Django's PROTECT refuses a party with placements). The constraint's check
    # was 0.1 s of a national run (22,000 placements).
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name=_("party"),
        db_constraint=False,
    )
    # Likewise for its space: every writer of a placement holds the space's row lock
    # (`spaces_lock`; a matching run's optimistic write takes it after its COPY and, if a
    # space is gone or changed, rolls back and writes again in lock order), and a space is
    # deleted only by `shelters.services` under that lock, refused once it has a
    # placement. A space deleted after a run's snapshot loses just its placements at the
    # lock's re-check, where the constraint failed the whole run
    # (tests/arrivals/workflow/test_bulk_runs.py).
    space = models.ForeignKey(
        "shelters.Space",
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name=_("space"),
        db_constraint=False,
    )
    beds = models.PositiveSmallIntegerField(_("beds"))
    status = models.CharField(
        _("status"), max_length=12, choices=PlacementStatus.choices, default=PlacementStatus.HELD
    )
    held_until = models.DateTimeField(_("held until"), null=True, blank=True)
    created_by = models.CharField(_("created by"), max_length=150)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # Which run made it, for the record: nothing looks placements up by run, and a national
    # run writes tens of thousands of them, so no index, and no foreign-key constraint in
    # the database (its check per placement of the run just claimed would cost 0.1 s);
    # Django sets it to NULL when the run is deleted.
    run = models.ForeignKey(
        "MatchingRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="placements",
        verbose_name=_("matching run"),
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Its beds were given up without the party coming in ("did not come", a hold taken
    # back by a coordinator, or expired): the matcher keeps the party out of this shelter
    # for a while (arrivals.selectors.shelters_released_from). Not set when a correction
    # or a move released it: the party did nothing wrong there.
    unclaimed = models.BooleanField(_("not claimed"), default=False, db_default=False)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        indexes = [
            models.Index(fields=["status", "held_until"]),
            # The holds given up lately, each matching run's (shelters_released_from).
            models.Index(
                fields=["ended_at"], condition=Q(unclaimed=True), name="placement_unclaimed"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["party"],
                condition=Q(status__in=["held", "checked_in"]),
                name="placement_one_active_per_party",
            ),
            models.CheckConstraint(condition=Q(beds__gte=1), name="placement_beds_positive"),
        ]

    reach = Reach(city="party__city", shelter="space__shelter")

    def __str__(self) -> str:
        return f"{self.party} · {self.space} ({self.get_status_display()})"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    """What asks for a matching run (`arrivals.services.matching_request`'s `trigger`,
    stored on the run), in the words the back office shows (`choice_label`: a trigger not
    named here, a benchmark's, is shown as it is)."""

    REGISTRATION = "registration", _("A party registered")
    CORRECTION = "correction", _("A waiting party corrected")
    ROOM_AVAILABLE = "room_available", _("Beds freed or added")
    TIMER = "timer", _("Every minute")
    API = "api", _("Asked for by a volunteer or coordinator")


class MatchingRun(models.Model):
    """One run of the matcher over a city. At most one queued run per city: asks that
    arrive while one waits fold into it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    city = models.ForeignKey(
        "shelters.City",
        on_delete=models.CASCADE,
        related_name="matching_runs",
        verbose_name=_("city"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    trigger = models.CharField(_("trigger"), max_length=40, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    enqueued_at = models.DateTimeField(_("last sent to a worker at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    placed_parties = models.PositiveIntegerField(_("placed parties"), default=0)
    placed_people = models.PositiveIntegerField(_("placed people"), default=0)
    waiting_parties = models.PositiveIntegerField(_("waiting parties"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    engine_ms = models.PositiveIntegerField(_("engine time (ms)"), null=True, blank=True)
    unplaced = models.JSONField(_("unplaced"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The run that did this one's work: it took the city's lock while this one was claimed
    # (its worker waiting for the lock, or lost), and its snapshot covered all this one was
    # asked for. This one is then `done` without a snapshot of its own.
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by the run"),
    )

    reach = Reach(city="city")

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        constraints = [
            models.UniqueConstraint(
                fields=["city"], condition=Q(status="queued"), name="matching_one_queued_per_city"
            )
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.requested_at)
        return f"{self.city} · {at:%d.%m %H:%M} · {self.get_status_display()}"


class CapacitySnapshot(models.Model):
    """A city's beds and waiting at the start of an hour, written every hour by
    `arrivals.services.capacity_snapshots_record` (`GET /capacity/history/`, the board's
    chart). The figures are those of `GET /capacity/` at that moment (all shelters, open
    or closed), and `beds_free_open`: the free beds of open shelters only."""

    city = models.ForeignKey(
        "shelters.City",
        on_delete=models.CASCADE,
        related_name="capacity_snapshots",
        verbose_name=_("city"),
    )
    at = models.DateTimeField(_("at"))
    beds = models.PositiveIntegerField(_("beds"))
    beds_free = models.IntegerField(_("free beds"))
    beds_free_open = models.IntegerField(_("free beds in open shelters"))
    beds_held = models.PositiveIntegerField(_("beds held"))
    beds_occupied = models.PositiveIntegerField(_("beds occupied"))
    waiting_parties = models.PositiveIntegerField(_("waiting parties"))
    waiting_people = models.PositiveIntegerField(_("waiting people"))

    reach = Reach(city="city")

    class Meta:
        ordering = ["city", "at"]
        verbose_name = _("capacity snapshot")
        verbose_name_plural = _("capacity snapshots")
        constraints = [
            models.UniqueConstraint(fields=["city", "at"], name="capacity_snapshot_one_per_hour")
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.at:%Y-%m-%d %H:%M}"
