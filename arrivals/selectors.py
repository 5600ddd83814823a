"""Reads of parties, placements and runs. Callers scope them with `Access.scope`."""

import json
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import Access
from accounts.models import Role
from privacy.crypto import name_digest, phone_digest, phone_forms, phone_normalize
from shelters.models import City, Shelter, ShelterStatus, Space
from shelters.selectors import beds_summary, city_beds, shelters_with_beds

from . import matching as engine
from .models import (
    ACTIVE_PLACEMENT,
    BOARD_WAITING_TEXTS,
    MEMBER_PERSONAL_FIELDS,
    PARTY_EDIT_HOURS,
    PARTY_PERSONAL_FIELDS,
    AgeGroup,
    CapacitySnapshot,
    Party,
    PartyMember,
    PartyStatus,
    Placement,
    PlacementStatus,
    Sex,
    WaitingReason,
    code_from_typed,
    slip_code,
)


def engine_space(space: Space) -> engine.Space:
    return engine.Space(
        id=str(space.id),
        shelter=str(space.shelter_id),
        beds=space.beds_free,
        admits=space.admits,
        wheelchair_accessible=space.wheelchair_accessible,
        pets_allowed=space.shelter.pets_allowed,
    )


def engine_member(member: PartyMember) -> engine.Member:
    return engine.Member(sex=member.sex, age_group=member.age_group, needs=tuple(member.needs))


def engine_party(party: Party, members) -> engine.Party:
    return engine.Party(
        id=str(party.id),
        waiting_since=party.waiting_since,
        pets=party.pets,
        members=tuple(engine_member(member) for member in members),
    )


def _waiting_parties(*, city_id, since: datetime | None) -> list[tuple]:
    """The waiting parties, longest waiting first: (id as text, waiting_since, pets,
    revision, members as a tuple of `engine.Member`). A party read without members is left
    out (see `matching_snapshot`). Members are of few kinds, so equal ones are one object,
    and on PostgreSQL a whole party's members, read as one text, are decoded once for all
    the parties made of the same people."""
    if connection.vendor != "postgresql":
        parties = Party.objects.filter(city_id=city_id, status=PartyStatus.WAITING)
        if since is not None:
            parties = parties.filter(updated_at__gte=since)
        kinds: dict[tuple, engine.Member] = {}
        members = defaultdict(list)
        for party_id, sex, age_group, needs in (
            PartyMember.objects.filter(party__in=parties)
            .order_by("party_id", "position")
            .values_list("party_id", "sex", "age_group", "needs")
        ):
            key = (sex, age_group, tuple(needs))
            member = kinds.get(key)
            if member is None:
                member = kinds[key] = engine.Member(sex=sex, age_group=age_group, needs=key[2])
            members[party_id].append(member)
        return [
            (str(party_id), waiting_since, pets, revision, tuple(members[party_id]))
            for party_id, waiting_since, pets, revision in parties.order_by(
                "waiting_since", "id"
            ).values_list("id", "waiting_since", "pets", "revision")
            if members[party_id]
        ]
    # One row a party, its members in one text: "sex|age group|needs as JSON" each, in
    # their order, a line each (the JSON text of `needs` has no line break), read in the
    # statement's one snapshot with the party.
    # waiting_since as UTC without its zone, given back below: the driver reads that type
    # in C, where Django's reader of zoned times is Python (a tenth of a big run's time).
    party = "p.id::text, p.waiting_since AT TIME ZONE 'UTC', p.pets, p.revision"
    people = (
        "string_agg(m.sex || '|' || m.age_group || '|' || m.needs::text, E'\\n' "
        "ORDER BY m.position)"
    )
    waiting_in = "p.city_id = %s AND p.status = %s"
    params: list = [str(city_id), PartyStatus.WAITING.value]
    if since is None:
        # Most of a city's waiting: joined with the members, as the planner sees fit.
        sql = (
            f"SELECT {party}, {people} FROM arrivals_party p "  # noqa: S608 - fixed texts
            f"JOIN arrivals_partymember m ON m.party_id = p.id WHERE {waiting_in} "
            "GROUP BY p.id ORDER BY p.waiting_since, p.id"
        )
    else:
        # An incremental run's few parties: each one's members looked up by its id, whatever
        # the planner guesses (just after a big run, its statistics say thousands of the
        # city's parties changed lately, not that they were placed, and it would read the
        # members of every party of every city to join them).
        sql = (
            f"SELECT {party}, (SELECT {people} FROM arrivals_partymember m "  # noqa: S608
            f"WHERE m.party_id = p.id) FROM arrivals_party p WHERE {waiting_in} "
            "AND p.updated_at >= %s ORDER BY p.waiting_since, p.id"
        )
        params.append(since)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Decoded once each: a member's line (a few dozen kinds; the JSON text of `needs` is
    # PostgreSQL's, one text for one value), then a party's text (many parties are made of
    # the same people).
    lines: dict[str, engine.Member] = {}
    compositions: dict[str, tuple] = {}

    def line_member(line: str) -> engine.Member:
        found = lines.get(line)
        if found is None:
            sex, age_group, needs = line.split("|", 2)
            found = lines[line] = engine.Member(
                sex=sex, age_group=age_group, needs=tuple(json.loads(needs))
            )
        return found

    waiting = []
    for party_id, since_utc, pets, revision, text in rows:
        if text is None:
            continue  # no members
        composition = compositions.get(text)
        if composition is None:
            composition = compositions[text] = tuple(map(line_member, text.split("\n")))
        waiting.append((party_id, since_utc.replace(tzinfo=UTC), pets, revision, composition))
    return waiting


def matching_snapshot(
    *, city_id, since: datetime | None = None
) -> tuple[list[engine.Space], list[engine.Party], dict[str, int]]:
    """The engine's input for a city: the spaces of its open shelters with their free
    beds (full ones too, so that a reason names the real shortage), and the waiting;
    with each waiting party's `revision` as read (by party id), so that what the run
    writes is only for parties as it saw them.

    With `since` (an incremental run): only the waiting parties registered or changed
    (`updated_at`) since then, and only the spaces with free beds."""
    spaces_query = Space.objects.filter(
        shelter__city_id=city_id, shelter__status=ShelterStatus.OPEN
    )
    if since is not None:
        spaces_query = spaces_query.filter(beds__gt=F("beds_held") + F("beds_occupied"))
    spaces = [
        engine.Space(
            id=str(space_id),
            shelter=str(shelter_id),
            beds=beds - held - occupied,
            admits=admits,
            wheelchair_accessible=wheelchair,
            pets_allowed=pets_allowed,
        )
        for space_id, shelter_id, beds, held, occupied, admits, wheelchair, pets_allowed in (
            spaces_query.order_by("id").values_list(
                "id",
                "shelter_id",
                "beds",
                "beds_held",
                "beds_occupied",
                "admits",
                "wheelchair_accessible",
                "shelter__pets_allowed",
            )
        )
    ]
    # A party and its members are read together (on PostgreSQL, in one statement). On
    # SQLite, two reads, members first: a party that started waiting between them comes
    # without members and is left out, for the next run.
    waiting = _waiting_parties(city_id=city_id, since=since)
    parties = [
        engine.Party(id=party_id, waiting_since=since_, pets=pets, members=members)
        for party_id, since_, pets, _revision, members in waiting
    ]
    revisions = {party_id: revision for party_id, _since, _pets, revision, _members in waiting}
    return spaces, parties, revisions


def shelters_released_from(*, city_id, party_ids: Iterable[str]) -> dict[str, frozenset[str]]:
    """The shelters each of these waiting parties (ids as text) left without coming in
    lately (`Placement.unclaimed`: its hold taken back, "did not come" or a coordinator's
    cancel, or expired), in the last RELEASED_SHELTER_AVOID_HOURS. The matcher places it
    elsewhere meanwhile (`arrivals.services.matching_solve`); a coordinator may still
    place it there by hand. By party id, shelter ids as text; parties with none are left
    out."""
    wanted = set(party_ids)
    if not wanted:
        return {}
    since = timezone.now() - timedelta(hours=settings.RELEASED_SHELTER_AVOID_HOURS)
    released: defaultdict[str, set[str]] = defaultdict(set)
    given_up = Placement.objects.filter(
        party__city_id=city_id,
        party__status=PartyStatus.WAITING,
        unclaimed=True,
        ended_at__gte=since,
    )
    if len(wanted) <= 1000:  # an incremental run's few parties: asked by id
        given_up = given_up.filter(party_id__in=wanted)
    for party_id, shelter_id in given_up.values_list("party_id", "space__shelter_id"):
        if str(party_id) in wanted:
            released[str(party_id)].add(str(shelter_id))
    return {party_id: frozenset(shelters) for party_id, shelters in released.items()}


def parties_for_display(queryset: QuerySet[Party]) -> QuerySet[Party]:
    """Members and current placement in two extra queries for a whole page."""
    return queryset.select_related("city").prefetch_related(
        Prefetch("members", queryset=PartyMember.objects.order_by("position")),
        Prefetch(
            "placements",
            queryset=Placement.objects.filter(status__in=[*ACTIVE_PLACEMENT, PlacementStatus.ENDED])
            .select_related("space__shelter")
            .order_by("-created_at"),
            to_attr="shown_placements",
        ),
    )


def party_current_placement(party: Party) -> Placement | None:
    """The placement a party is in: held or checked in, or the last one it left."""
    placements = getattr(party, "shown_placements", None)
    if placements is None:
        placements = list(
            party.placements.filter(status__in=[*ACTIVE_PLACEMENT, PlacementStatus.ENDED])
            .select_related("space__shelter")
            .order_by("-created_at")
        )
    for placement in placements:
        if placement.status in ACTIVE_PLACEMENT:
            return placement
    if party.status == PartyStatus.DEPARTED and placements:
        return placements[0]
    return None


def members_matched(
    current: list[PartyMember],
    members: list[dict],
    *,
    key: Callable[[str, str | None, str | None], Hashable],
) -> list[PartyMember | None]:
    """For each corrected member (as sent), the member it is as it was, or None: the n-th
    sent of a `key` (of given name, sex and age group) is the n-th of that key now."""
    of_key: defaultdict[Hashable, list[PartyMember]] = defaultdict(list)
    for member in current:
        of_key[key(member.given_name, member.sex, member.age_group)].append(member)
    seen: defaultdict[Hashable, int] = defaultdict(int)
    matched: list[PartyMember | None] = []
    for sent in members:
        person = key(sent["given_name"], sent.get("sex"), sent.get("age_group"))
        same = of_key[person]
        matched.append(same[seen[person]] if seen[person] < len(same) else None)
        seen[person] += 1
    return matched


def family_names_kept(current: list[PartyMember], members: list[dict]) -> list[str | None]:
    """For each corrected member, the family name a member sent without the key
    `family_name` keeps: the n-th member of a given name, sex and age group keeps that of
    the n-th member of those as it was. A member moved keeps theirs; one renamed, new, or
    whose sex or age group changed has none: a family name never passes to another person
    (two children called "Kid", one removed: the other is told apart by sex or age, and
    when nothing tells them apart, neither does anyone who sees them)."""

    def who(given_name, sex, age_group) -> tuple:
        return (given_name, sex or Sex.UNSPECIFIED, age_group or AgeGroup.ADULT)

    return [
        member.family_name if member is not None else None
        for member in members_matched(current, members, key=who)
    ]


def party_was_placed_in_reach(*, access: Access, party_id) -> bool:
    """Whether the party ever had a placement the caller can see (a shelter manager: at one
    of their shelters), whatever became of it: a manager acting on a party that left their
    shelter is told why (`409`), as for a party still there, not that it does not exist."""
    return access.scope(Placement.objects.filter(party_id=party_id)).exists()


def party_correction_refusal(*, access: Access, party: Party, now: datetime) -> str | None:
    """Why the caller may not correct this party, or None: coordinators (and
    superusers) may correct any party they reach, a volunteer only one they registered, for
    PARTY_EDIT_HOURS after (`arrivals.services.party_update` asks this under the lock)."""
    if access.is_superuser or access.is_coordinator:
        return None
    if access.user_id is None or party.created_by_id != access.user_id:
        return _("Only the volunteer who registered this party, or a coordinator, may correct it.")
    if now - party.created_at > timedelta(hours=PARTY_EDIT_HOURS):
        return _(
            "A registration can be corrected by its volunteer for %(hours)s hours; "
            "ask a coordinator."
        ) % {"hours": PARTY_EDIT_HOURS}
    return None


def party_correctable(party: Party, placement: Placement | None) -> bool:
    """Whether the party's state allows a correction: waiting, or placed with its beds
    held (not yet checked in)."""
    if party.status == PartyStatus.WAITING:
        return True
    return (
        party.status == PartyStatus.PLACED
        and placement is not None
        and placement.status == PlacementStatus.HELD
    )


def parties_listed(*, access: Access, code: str = "") -> QuerySet[Party]:
    """The parties a caller's list shows: every party in reach for those the rule
    `party.list_all` allows (coordinators, managers, keys); for the others (volunteers)
    the parties they registered, and, looking one up by `code`, any of their cities'."""
    parties = access.scope(Party.objects.all())
    if access.allows("party.list_all") or code.strip():
        return parties
    return parties.filter(created_by_id=access.user_id)


# A search term is tried as a phone when it looks like one: digits, spaces, ( ) - . and a
# leading +, with at least this many digits.
SEARCH_PHONE_DIGITS = 5


def parties_search(parties: QuerySet[Party], term: str) -> QuerySet[Party]:
    """Parties whose code is `term` (any case, spaces ignored), one of whose members'
    given name contains it (any case), whose family name is it (exactly, any case and
    spacing: family names are encrypted, only their keyed hash can be compared), or whose
    phone has its digits (exactly, by keyed hash). For coordinators (`party.search`)."""
    term = term.strip()
    if not term:
        return parties
    # Each condition on members is a subquery of its own (the database reads the members
    # once, not the join of every party with every member under one OR).
    code = code_from_typed(term)
    match = Q(pk__in=PartyMember.objects.filter(given_name__icontains=term).values("party_id"))
    if code:
        match |= Q(code=code)
    family = name_digest(term)
    if family:
        match |= Q(pk__in=PartyMember.objects.filter(family_name_digest=family).values("party_id"))
    if len(phone_normalize(term)) >= SEARCH_PHONE_DIGITS and all(
        ch.isdigit() or ch in " ()-." for ch in term.removeprefix("+")
    ):
        # As typed, and in its other form (8 701 ... and +7 701 ...): a coordinator checks
        # what comes back, so the country's two ways of writing a number both find it.
        digests = [phone_digest(form) for form in phone_forms(term)]
        match |= Q(contact_phone_digest__in=digests)
    return parties.filter(match)


def parties_personal_data_visible(*, access: Access, parties: Iterable[Party]) -> set:
    """The ids of `parties` whose family names and phone the caller may see (the rule
    `party.personal_data`: coordinators of the party's city, managers of the shelter it
    is placed at now); one query for any number. Only decides: what shows them goes
    through `arrivals.services.parties_personal_data_show`, which audits."""
    ids = [party.id for party in parties]
    if not ids or not access.allows("party.personal_data"):
        return set()
    visible = access.scope(Party.objects.filter(id__in=ids), "party.personal_data")
    return set(visible.values_list("id", flat=True))


def party_new_personal_data_visible(*, access: Access, party: Party) -> bool:
    """`parties_personal_data_visible` of a party being registered (placed nowhere yet),
    decided without a query, before it is written: a shelter manager sees a party's by
    the shelter it is placed at, anyone else by its city."""
    if not access.allows("party.personal_data"):
        return False
    if access.is_superuser:
        return True
    return access.role != Role.SHELTER_MANAGER and party.city_id in access.city_ids


def party_has_personal_data(party: Party) -> bool:
    """Whether a party holds a phone or a family name (members as prefetched)."""
    return any(getattr(party, name) for name in PARTY_PERSONAL_FIELDS) or any(
        getattr(member, name) for member in party.members.all() for name in MEMBER_PERSONAL_FIELDS
    )


def city_capacity(*, city: City) -> dict:
    """Beds of the city (all shelters, open or closed) and who is waiting for them: the
    stored counters of its spaces by shelter kind and the waiting parties, in one query
    on PostgreSQL."""
    if connection.vendor == "postgresql":
        return _city_capacity_one_query(city.id)
    waiting = Party.objects.filter(city=city, status=PartyStatus.WAITING).aggregate(
        parties=Count("id"), people=Sum("size", default=0)
    )
    return {
        "city": city.id,
        **city_beds(city=city),
        "waiting_parties": waiting["parties"],
        "waiting_people": waiting["people"],
    }


def _city_capacity_one_query(city_id) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH w AS (SELECT count(*) AS parties, COALESCE(sum(size), 0) AS people "
            "FROM arrivals_party WHERE city_id = %s AND status = %s) "
            "SELECT b.kind, b.total, b.occupied, b.held, b.free_open, w.parties, w.people "
            "FROM w LEFT JOIN (SELECT sh.kind, sum(s.beds) AS total, "
            "sum(s.beds_occupied) AS occupied, sum(s.beds_held) AS held, "
            "COALESCE(sum(s.beds - s.beds_occupied - s.beds_held) "
            "FILTER (WHERE sh.status = %s), 0) AS free_open "
            "FROM shelters_space s "
            "JOIN shelters_shelter sh ON sh.id = s.shelter_id WHERE sh.city_id = %s "
            "GROUP BY sh.kind) AS b ON true",
            [city_id, PartyStatus.WAITING.value, ShelterStatus.OPEN.value, city_id],
        )
        rows = cursor.fetchall()
    return {
        "city": city_id,
        # A city without any space has one row, of its waiting only.
        **beds_summary(row[:5] for row in rows if row[0] is not None),
        "waiting_parties": rows[0][5],
        "waiting_people": rows[0][6],
    }


def party_by_slip_token(token: str) -> Party | None:
    """The party of a slip link, with its city, or None for a token not made here
    (`arrivals.models.slip_code`: no query for those). Whether the slip still works is
    the party's status (`arrivals.serializers.SLIP_STATUSES`)."""
    code = slip_code(token)
    if code is None:
        return None
    return Party.objects.select_related("city").filter(code=code).first()


def party_active_placement(party: Party) -> Placement | None:
    """The held or checked-in placement of a party, with its space and shelter."""
    return (
        Placement.objects.filter(party=party, status__in=ACTIVE_PLACEMENT)
        .select_related("space__shelter")
        .first()
    )


# --- Capacity over time -----------------------------------------------------------------


def cities_capacity_figures() -> dict:
    """Every city's figures as `GET /capacity/` gives them (beds of all shelters, open or
    closed), with `beds_free_open` (free beds of open shelters), by city id: two grouped
    queries whatever the number of cities. A city with no shelter and nobody waiting is
    absent."""
    open_only = Q(shelter__status=ShelterStatus.OPEN)
    beds = (
        Space.objects.values("shelter__city_id")
        .annotate(
            total=Sum("beds", default=0),
            held=Sum("beds_held", default=0),
            occupied=Sum("beds_occupied", default=0),
            total_open=Sum("beds", filter=open_only, default=0),
            held_open=Sum("beds_held", filter=open_only, default=0),
            occupied_open=Sum("beds_occupied", filter=open_only, default=0),
        )
        .order_by()
    )
    figures: dict = defaultdict(
        lambda: dict.fromkeys(
            (
                "beds",
                "beds_free",
                "beds_free_open",
                "beds_held",
                "beds_occupied",
                "waiting_parties",
                "waiting_people",
            ),
            0,
        )
    )
    for row in beds:
        city = figures[row["shelter__city_id"]]
        city["beds"] = row["total"]
        city["beds_held"] = row["held"]
        city["beds_occupied"] = row["occupied"]
        city["beds_free"] = row["total"] - row["held"] - row["occupied"]
        city["beds_free_open"] = row["total_open"] - row["held_open"] - row["occupied_open"]
    waiting = (
        Party.objects.filter(status=PartyStatus.WAITING)
        .values("city_id")
        .annotate(parties=Count("id"), people=Sum("size", default=0))
        .order_by()
    )
    for waiting_row in waiting:
        figures[waiting_row["city_id"]]["waiting_parties"] = waiting_row["parties"]
        figures[waiting_row["city_id"]]["waiting_people"] = waiting_row["people"]
    return dict(figures)


HISTORY_INTERVALS = ("hour", "day")


def capacity_history(
    *, city: City, since: datetime, until: datetime, interval: str = "hour"
) -> QuerySet[CapacitySnapshot]:
    """A city's snapshots from `since` to `until` (both included), oldest first: every
    hourly one, or (`interval="day"`) the last of each day in the city's time zone."""
    if interval not in HISTORY_INTERVALS:
        raise ValueError(f"unknown interval {interval!r}")
    snapshots = CapacitySnapshot.objects.filter(city=city, at__gte=since, at__lte=until)
    if interval == "day":
        last_of_day = (
            snapshots.annotate(day=TruncDate("at", tzinfo=zoneinfo.ZoneInfo(city.timezone)))
            .values("day")
            .annotate(last=Max("at"))
            .values("last")
            .order_by()
        )
        snapshots = snapshots.filter(at__in=Subquery(last_of_day))
    return snapshots.order_by("at")


# --- The coordinator's city board -----------------------------------------------------------

# A shelter whose beds nobody touched for this long is flagged on the board.
SHELTER_STALE_HOURS = 12
# How many waiting parties the board lists per waiting reason (the rest: by reason, paged).
BOARD_PARTIES_PER_REASON = 5
BOARD_DUPLICATES_SHOWN = 10
BOARD_SEARCH_SHOWN = 20
OPEN_PARTY_STATUSES = (PartyStatus.WAITING, PartyStatus.PLACED, PartyStatus.CHECKED_IN)


def board_beds(*, city: City) -> dict:
    """Beds of a city for its board, in one grouped query: free, held and occupied of open
    shelters (only those count as free), by shelter kind and in all; closed shelters' beds
    apart (total, occupied, held)."""
    rows = (
        Space.objects.filter(shelter__city=city)
        .values("shelter__kind", "shelter__status")
        .annotate(
            total=Sum("beds", default=0),
            held=Sum("beds_held", default=0),
            occupied=Sum("beds_occupied", default=0),
        )
        .order_by()
    )
    zero = {"total": 0, "free": 0, "held": 0, "occupied": 0}
    open_beds, closed_beds = dict(zero), dict(zero)
    by_kind: dict[str, dict] = {}
    for row in rows:
        figures = {
            "total": row["total"],
            "held": row["held"],
            "occupied": row["occupied"],
            "free": row["total"] - row["held"] - row["occupied"],
        }
        if row["shelter__status"] == ShelterStatus.OPEN:
            target = open_beds
            kind = by_kind.setdefault(row["shelter__kind"], {"open": dict(zero), "closed": 0})
            for key, value in figures.items():
                kind["open"][key] += value
        else:
            target = closed_beds
            kind = by_kind.setdefault(row["shelter__kind"], {"open": dict(zero), "closed": 0})
            kind["closed"] += row["total"]
        for key, value in figures.items():
            target[key] += value
    return {"open": open_beds, "closed": closed_beds, "by_kind": by_kind}


def shelters_for_board(*, city: City, now: datetime, status: str) -> QuerySet:
    """A city's open (or closed) shelters with their beds
    (`shelters.selectors.shelters_with_beds`), the last time their beds or details were
    changed (`last_update`: the shelter's or any space's edit; bed counters moved by
    placements do not count), and `stale`: open and not updated for SHELTER_STALE_HOURS.
    Stale ones first (their figures need a call), then those with the most free beds
    (where to send people), then by name."""
    cutoff = now - timedelta(hours=SHELTER_STALE_HOURS)
    return (
        shelters_with_beds(Shelter.objects.filter(city=city, status=status))
        .annotate(space_update=Max("spaces__updated_at"))
        .annotate(
            last_update=Case(
                When(space_update__gt=F("updated_at"), then=F("space_update")),
                default=F("updated_at"),
            ),
        )
        .annotate(
            stale=Case(
                When(Q(status=ShelterStatus.OPEN, last_update__lt=cutoff), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-stale", "-beds_free", "name", "id")
    )


def board_shelter_counts(*, city: City, now: datetime) -> dict:
    """How many open and closed shelters a city has, and how many open ones are stale
    (no edit of the shelter or its spaces for SHELTER_STALE_HOURS): one query."""
    cutoff = now - timedelta(hours=SHELTER_STALE_HOURS)
    touched = Space.objects.filter(shelter=OuterRef("pk"), updated_at__gte=cutoff)
    return Shelter.objects.filter(city=city).aggregate(
        open=Count("pk", filter=Q(status=ShelterStatus.OPEN)),
        closed=Count("pk", filter=Q(status=ShelterStatus.CLOSED)),
        stale=Count(
            "pk",
            filter=Q(~Exists(touched), status=ShelterStatus.OPEN, updated_at__lt=cutoff),
        ),
    )


def board_waiting(*, city: City) -> list[dict]:
    """The waiting parties of a city grouped by `waiting_reason`, in the order of
    `WaitingReason`: for each, how many parties and people, and the first
    BOARD_PARTIES_PER_REASON (highest priority, then longest waiting) with their members.
    One query for the counts, one per reason (a fixed number) and one for the members,
    however many parties wait."""
    waiting = Party.objects.filter(city=city, status=PartyStatus.WAITING)
    counts = {
        row["waiting_reason"]: row
        for row in waiting.values("waiting_reason")
        .annotate(parties=Count("id"), people=Sum("size", default=0))
        .order_by()
    }
    firsts = {
        reason: list(
            waiting.filter(waiting_reason=reason).order_by("-priority", "waiting_since", "id")[
                :BOARD_PARTIES_PER_REASON
            ]
        )
        for reason in WaitingReason
    }
    prefetch_related_objects(
        [party for parties in firsts.values() for party in parties],
        Prefetch("members", queryset=PartyMember.objects.order_by("position")),
    )
    return [
        {
            "reason": reason.value,
            "label": reason.label,
            "text": BOARD_WAITING_TEXTS[reason],
            "parties_count": counts[reason]["parties"],
            "people": counts[reason]["people"],
            "parties": firsts[reason],
        }
        for reason in WaitingReason
        if reason in counts
    ]


def parties_waiting_for_reason(*, city: City, reason: str) -> QuerySet[Party]:
    """All the waiting parties of one reason, in the board's order, with their members."""
    return (
        Party.objects.filter(city=city, status=PartyStatus.WAITING, waiting_reason=reason)
        .prefetch_related(Prefetch("members", queryset=PartyMember.objects.order_by("position")))
        .order_by("-priority", "waiting_since", "id")
    )


def board_duplicates(*, city: City) -> tuple[int, list[tuple[Party, Party | None]]]:
    """Possible duplicates to review: how many open parties of the city are flagged
    (`possible_duplicate`: another open party gave the same phone when it registered or
    was corrected), and the first BOARD_DUPLICATES_SHOWN, oldest first, each beside the
    earliest other open party with the same phone digest (None if that one has closed
    since). Four queries at most."""
    flagged_all = Party.objects.filter(
        city=city, possible_duplicate=True, status__in=OPEN_PARTY_STATUSES
    )
    flagged = list(flagged_all.order_by("created_at", "id")[:BOARD_DUPLICATES_SHOWN])
    if not flagged:
        return 0, []
    digests = {party.contact_phone_digest for party in flagged if party.contact_phone_digest}
    others = list(
        Party.objects.filter(
            city=city, contact_phone_digest__in=digests, status__in=OPEN_PARTY_STATUSES
        ).order_by("created_at", "id")
    )
    prefetch_related_objects(
        [*flagged, *others], Prefetch("members", queryset=PartyMember.objects.order_by("position"))
    )
    pairs = []
    for party in flagged:
        partner = next(
            (
                other
                for other in others
                if other.contact_phone_digest == party.contact_phone_digest and other.id != party.id
            ),
            None,
        )
        pairs.append((party, partner))
    return flagged_all.count(), pairs


def board_search(*, access: Access, city: City, term: str) -> list[Party]:
    """Coordinators' search (`party.search`) within one city: the newest
    BOARD_SEARCH_SHOWN parties matching `term` (`parties_search`), with their members."""
    if not term.strip() or not access.allows("party.search"):
        return []
    parties = parties_search(access.scope(Party.objects.filter(city=city)), term)
    return list(
        parties.prefetch_related(
            Prefetch("members", queryset=PartyMember.objects.order_by("position"))
        ).order_by("-created_at", "id")[:BOARD_SEARCH_SHOWN]
    )


def spaces_for_party(*, party: Party, members: Iterable[PartyMember]) -> tuple[list, list]:
    """Where a coordinator may place a waiting party by hand: the spaces of open shelters
    of its city with enough free beds, split into those that admit it
    (`arrivals.matching.admits`: who the space admits, wheelchair access, pets), the
    tightest fit first, and those that would refuse it, each with why and whether that is
    the shelter's rule (pets) rather than the space's (space, reason, of the shelter).
    Spaces come with their shelters and `free` beds; at most 30 of each. One query."""
    composition = engine_party(party, list(members))
    admitting = engine.admitting(composition.members)
    candidates = (
        Space.objects.filter(
            shelter__city_id=party.city_id,
            shelter__status=ShelterStatus.OPEN,
            beds__gte=F("beds_held") + F("beds_occupied") + party.size,
        )
        .select_related("shelter")
        .annotate(free=F("beds") - F("beds_held") - F("beds_occupied"))
    )
    wheelchair = any("wheelchair" in member.needs for member in composition.members)
    candidates = candidates.order_by(
        *(["-wheelchair_accessible"] if wheelchair else []),
        Case(When(admits__in=admitting, then=Value(0)), default=Value(1)),
        "free",
        "shelter__name",
        "name",
    )
    fitting: list[Space] = []
    refusing: list[tuple[Space, str, bool]] = []
    for space in candidates[:400]:
        if engine.admits(engine_space(space), composition):
            if len(fitting) < 30:
                fitting.append(space)
        elif len(refusing) < 30:
            if composition.pets > 0 and not space.shelter.pets_allowed:
                refusing.append((space, _("takes no pets"), True))
            elif wheelchair and not space.wheelchair_accessible:
                refusing.append((space, _("not wheelchair accessible"), False))
            else:
                why = _("admits: %(admits)s") % {"admits": space.get_admits_display()}
                refusing.append((space, why, False))
        if len(fitting) >= 30 and len(refusing) >= 30:
            break
    return fitting, refusing
