"""The coordinator's city board: the city on one screen, phone first.

Beds by shelter kind and by shelter (only open shelters count as free; closed ones
apart; shelters nobody updated for 12 hours flagged), the waiting grouped by why they
wait with what can be done (place by hand, correct, cancel), possible duplicates side by
side (merge or keep), search, and a chart of the last days drawn on the server as SVG.

The page reads a constant number of queries whatever the size of the city (a test counts
them); everything it does goes through the services the API uses.
"""

import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import Access, access_for
from config.exceptions import Conflict
from config.pagination import page_number
from shelters.models import City, ShelterKind, ShelterStatus, Space

from . import selectors, services
from .models import Need, Party, PartyStatus, WaitingReason, choice_labels

SHELTERS_PER_PAGE = 25
PARTIES_PER_PAGE = 25
CHART_DAYS = 7
MAX_SEARCH = 100


def _access(request, action: str) -> Access:
    access = access_for(request)
    if not access.allows(action):
        raise PermissionDenied
    return access


def _board_url(city: City, anchor: str = "") -> str:
    return f"{reverse('web-board')}?city={city.pk}{'#' + anchor if anchor else ''}"


def _cities(access: Access, raw: str | None) -> tuple[City | None, list[City]]:
    """The city asked for (?city=<id>, within reach: else 404), or the caller's first; and
    the caller's cities (one query)."""
    cities = list(access.scope(City.objects.all(), "board.view").order_by("name"))
    if not raw:
        return (cities[0] if cities else None), cities
    try:
        wanted = uuid.UUID(raw)
    except ValueError as error:
        raise Http404 from error
    for city in cities:
        if city.pk == wanted:
            return city, cities
    raise Http404


class _Counted(Paginator):
    """A paginator told its count (counted with others in one query)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # the cached_property, set


_PLACEHOLDER = str(uuid.UUID(int=0))


def _links(name: str):
    """`reverse(name, args=[id])` for many ids at the cost of one reverse()."""
    template = reverse(name, args=[_PLACEHOLDER])
    return lambda object_id: template.replace(_PLACEHOLDER, str(object_id))


def _party_rows(parties) -> list[dict]:
    """What the board shows of each party, with its links, computed once (a page lists
    many: a template that follows relations and reverses URLs per row is slow)."""
    party_url, edit_url = _links("web-party"), _links("web-party-edit")
    cancel_url, place_url = _links("web-party-cancel"), _links("web-board-place")
    rows = []
    for party in parties:
        members = list(party.members.all())
        needs = sorted({need for member in members for need in member.needs})
        rows.append(
            {
                "party": party,
                "names": ", ".join(member.given_name or "—" for member in members),
                "needs": choice_labels(Need, needs),
                "url": party_url(party.id),
                "edit_url": edit_url(party.id),
                "cancel_url": cancel_url(party.id),
                "place_url": place_url(party.id),
            }
        )
    return rows


# --- The chart ------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    key: str  # the CSS class of its line (static/berth/board.css)
    label: str
    values: list[tuple[datetime, int]]


CHART_W, CHART_H = 360, 180
PAD_L, PAD_R, PAD_T, PAD_B = 34, 8, 10, 22
GAP = timedelta(minutes=90)  # a line is broken where snapshots are missing for longer


def _nice_max(value: int) -> int:
    """A round top for the y axis, at least `value`: 1, 2, 5, 10, 20, 50, 100, ..."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def capacity_chart(*, series: list[Series], since: datetime, until: datetime, tz) -> SafeString:
    """An SVG line chart of the series over [since, until]: day lines with weekday labels
    (in the city's time zone), 0 and a round maximum on the y axis. Plain SVG, no script
    and no style attribute (the CSP allows neither inline); the colours are classes."""
    top = _nice_max(max((value for s in series for _at, value in s.values), default=0))
    span = (until - since).total_seconds() or 1.0
    inner_w, inner_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B

    def x(at: datetime) -> float:
        return round(PAD_L + inner_w * (at - since).total_seconds() / span, 1)

    def y(value: int) -> float:
        return round(PAD_T + inner_h * (1 - value / top), 1)

    parts = [
        f'<line class="axis" x1="{PAD_L}" y1="{y(0)}" x2="{CHART_W - PAD_R}" y2="{y(0)}"/>',
        f'<line class="grid" x1="{PAD_L}" y1="{y(top)}" x2="{CHART_W - PAD_R}" y2="{y(top)}"/>',
        f'<text class="tick" x="{PAD_L - 4}" y="{y(0) + 4}" text-anchor="end">0</text>',
        f'<text class="tick" x="{PAD_L - 4}" y="{y(top) + 4}" text-anchor="end">'
        f"{escape(number_format(top))}</text>",
    ]
    day = timezone.localtime(since, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    day += timedelta(days=1)
    while day < until:
        left = x(day)
        parts.append(
            f'<line class="grid" x1="{left}" y1="{PAD_T}" x2="{left}" y2="{y(0)}"/>'
            f'<text class="tick" x="{left + 2}" y="{CHART_H - 6}">'
            f"{escape(date_format(day, 'D'))}</text>"
        )
        day += timedelta(days=1)  # wall-clock arithmetic: the next local midnight
    for one in series:
        runs: list[list[str]] = []
        previous = None
        for at, value in one.values:
            if previous is None or at - previous > GAP:
                runs.append([])
            runs[-1].append(f"{x(at)},{y(value)}")
            previous = at
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle class="{one.key}" cx="{cx}" cy="{cy}" r="2"/>')
            else:
                parts.append(f'<polyline class="{one.key}" points="{" ".join(run)}"/>')
    title = _("Free beds and waiting people over the last %(days)s days") % {"days": CHART_DAYS}
    description = " ".join(
        _("%(label)s: now %(now)s, highest %(high)s, lowest %(low)s.")
        % {
            "label": one.label,
            "now": one.values[-1][1],
            "high": max(value for _at, value in one.values),
            "low": min(value for _at, value in one.values),
        }
        for one in series
        if one.values
    ) or _("No figures recorded yet: they are written every hour.")
    return mark_safe(  # noqa: S308 (numbers and escaped texts only)
        f'<svg class="chart" viewBox="0 0 {CHART_W} {CHART_H}" role="img" '
        f'aria-labelledby="chart-title chart-desc" focusable="false">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(description)}</desc>{"".join(parts)}</svg>'
    )


def _chart_context(city: City, now: datetime, live: tuple[int, int]) -> dict:
    """The chart of the hourly snapshots, ending at `live` (free beds in open shelters,
    people waiting, as the board counts them now): its "now" is the headline's."""
    since = now - timedelta(days=CHART_DAYS)
    snapshots = list(
        selectors.capacity_history(city=city, since=since, until=now).values_list(
            "at", "beds_free_open", "waiting_people"
        )
    )
    if snapshots:
        snapshots.append((now, *live))
    series = [
        Series("free", _("Free beds (open shelters)"), [(at, free) for at, free, _w in snapshots]),
        Series("waiting", _("People waiting"), [(at, waiting) for at, _f, waiting in snapshots]),
    ]
    # The last figures of each day, as a table for those who cannot see the chart.
    tz = city_timezone(city)
    days: dict = {}
    for at, free, waiting in snapshots:
        days[timezone.localtime(at, tz).date()] = (free, waiting)
    return {
        "chart": capacity_chart(series=series, since=since, until=now, tz=tz),
        "chart_series": series,
        "chart_days": sorted(days.items(), reverse=True),
        "chart_empty": not snapshots,
    }


def city_timezone(city: City):
    try:
        return zoneinfo.ZoneInfo(city.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


# --- The board ------------------------------------------------------------------------


def _kinds(beds: dict) -> list[dict]:
    rows = []
    for kind in ShelterKind:
        figures = beds["by_kind"].get(kind.value)
        if figures is None:
            continue
        open_beds = figures["open"]
        total = open_beds["total"] or 1
        rows.append(
            {
                "label": kind.label,
                "open": open_beds,
                "closed": figures["closed"],
                "bar": {
                    "occupied": round(100 * open_beds["occupied"] / total, 2),
                    "held": round(100 * open_beds["held"] / total, 2),
                    "held_x": round(100 * open_beds["occupied"] / total, 2),
                },
            }
        )
    return rows


@require_GET
@login_required
@never_cache
def board(request):
    access = _access(request, "board.view")
    city, cities = _cities(access, request.GET.get("city"))
    if city is None:
        return render(request, "arrivals/board.html", {"city": None})
    now = timezone.now()
    search = request.GET.get("search", "").strip()[:MAX_SEARCH].replace("\x00", "")
    beds = selectors.board_beds(city=city)
    open_shelters = selectors.shelters_for_board(city=city, now=now, status=ShelterStatus.OPEN)
    closed_shelters = selectors.shelters_for_board(city=city, now=now, status=ShelterStatus.CLOSED)
    counts = selectors.board_shelter_counts(city=city, now=now)
    waiting = selectors.board_waiting(city=city)
    duplicates_count, duplicates = selectors.board_duplicates(city=city)
    reason = request.GET.get("reason", "")
    reason_page, reason_rows = None, []
    if reason in WaitingReason.values:
        reason_page = Paginator(
            selectors.parties_waiting_for_reason(city=city, reason=reason), PARTIES_PER_PAGE
        ).get_page(page_number(request.GET.get("reason_page")))
        reason_rows = _party_rows(reason_page.object_list)
    else:
        reason = ""
    context = {
        "city": city,
        "cities": cities,
        "now": now,
        "beds": beds,
        "kinds": _kinds(beds),
        "shelters": _Counted(open_shelters, SHELTERS_PER_PAGE, count=counts["open"]).get_page(
            page_number(request.GET.get("page"))
        ),
        "stale_count": counts["stale"],
        "stale_hours": selectors.SHELTER_STALE_HOURS,
        "closed_shelters": _Counted(
            closed_shelters, SHELTERS_PER_PAGE, count=counts["closed"]
        ).get_page(page_number(request.GET.get("closed_page"))),
        "waiting": [{**group, "rows": _party_rows(group["parties"])} for group in waiting],
        "shelter_url": _links("web-shelter")(_PLACEHOLDER).removesuffix(f"{_PLACEHOLDER}/"),
        "reason": reason,
        "reason_label": WaitingReason(reason).label if reason else "",
        "reason_page": reason_page,
        "reason_rows": reason_rows,
        "duplicates": duplicates,
        "duplicates_count": duplicates_count,
        "search": search,
        "results": selectors.board_search(access=access, city=city, term=search),
        "board_url": _board_url(city),
        **_chart_context(
            city, now, (beds["open"]["free"], sum(group["people"] for group in waiting))
        ),
    }
    return render(request, "arrivals/board.html", context)


# --- Placing by hand --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def party_place(request, party_id):
    """Place a waiting party by hand, or move one whose beds are held: the spaces that
    admit it first (tightest fit), then those with the beds that would refuse it, and
    why. The same service as `POST /api/v1/placements/`
    (`arrivals.services.placement_create`), which frees the beds a moved party held."""
    access = _access(request, "placement.add")
    party = get_object_or_404(
        access.scope(Party.objects.select_related("city"), "placement.add"), id=party_id
    )
    status = 200
    if request.method == "POST":
        moving = party.status == PartyStatus.PLACED
        try:
            space_id = uuid.UUID(request.POST.get("space", ""))
            placement = services.placement_create(
                party_id=party.id,
                space_id=space_id,
                actor=access.username,
                reason=_("moved by hand from the city board")
                if moving
                else _("placed by hand from the city board"),
            )
        except ValueError:
            messages.error(request, _("Choose a space."))
            status = 400
        except Space.DoesNotExist:
            messages.error(request, _("That space no longer exists. Choose another."))
            status = 409
        except (Conflict, IntegrityError) as error:
            detail = error.detail if isinstance(error, Conflict) else None
            messages.error(request, str(detail or _("The change conflicts. Try again.")))
            status = 409
        else:
            where = {
                "code": party.code,
                "shelter": placement.space.shelter.name,
                "space": placement.space.name,
            }
            if moving:
                messages.success(
                    request,
                    _(
                        "%(code)s moves to %(shelter)s, %(space)s. Their beds are held there; "
                        "those they held before are free."
                    )
                    % where,
                )
                return redirect("web-party", party_id=party.id)
            messages.success(
                request,
                _("%(code)s is placed in %(shelter)s, %(space)s. Their beds are held.") % where,
            )
            return HttpResponseRedirect(_board_url(party.city, "waiting"))
        party.refresh_from_db()
    members = list(party.members.order_by("position"))
    held = selectors.party_current_placement(party) if party.status == PartyStatus.PLACED else None
    fitting, refusing = (
        selectors.spaces_for_party(party=party, members=members)
        if party.status in services.PLACEABLE_STATUSES
        else ([], [])
    )
    if held is not None:  # its own space is where it is, not where to move it
        fitting = [space for space in fitting if space.id != held.space_id]
        refusing = [
            (space, why, of_shelter)
            for space, why, of_shelter in refusing
            if space.id != held.space_id
        ]
    return render(
        request,
        "arrivals/board_place.html",
        {
            "party": party,
            "members": members,
            "held": held,
            "fitting": fitting,
            "refusing": refusing,
            "board_url": _board_url(party.city, "waiting"),
        },
        status=status,
    )


# --- Duplicates -------------------------------------------------------------------------


@require_POST
@login_required
@never_cache
def party_duplicate(request, party_id):
    """Merge a possible duplicate into the other party (it is cancelled, its history says
    into which), or keep it (the flag is cleared)."""
    access = _access(request, "party.possible_duplicate")
    party = get_object_or_404(access.scope(Party.objects.select_related("city")), id=party_id)
    choice = request.POST.get("choice")
    try:
        if choice == "merge":
            try:
                keep_id = uuid.UUID(request.POST.get("keep", ""))
            except ValueError as error:
                raise Http404 from error
            kept = get_object_or_404(access.scope(Party.objects.all()), id=keep_id)
            services.party_duplicate_merge(party_id=party.id, keep_id=kept.id, access=access)
            messages.success(
                request,
                _("%(code)s is cancelled as a duplicate of %(kept)s.")
                % {"code": party.code, "kept": kept.code},
            )
        elif choice == "keep":
            services.party_duplicate_keep(party_id=party.id, access=access)
            messages.success(
                request, _("%(code)s is kept as a party of its own.") % {"code": party.code}
            )
        else:
            messages.error(request, _("Choose to merge or to keep."))
    except Conflict as error:
        messages.error(request, str(error.detail))
    except IntegrityError:
        messages.error(request, _("The change conflicts. Try again."))
    return HttpResponseRedirect(_board_url(party.city, "duplicates"))
