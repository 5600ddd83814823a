"""The shelter manager's pages: their shelter at a glance, beds, check-in with a correction
of who came, check-out with a confirmation, "did not come", open and close.

Thin over the same services as the API (`shelters.services.space_update`,
`shelter_update`; `arrivals.services.party_update`, `party_check_in`, `party_check_out`,
`placement_cancel`). A refused form comes back on the same page, never a redirect that
loses it: the typed values kept, each error next to its field and in a summary at the top
that takes the focus (the GOV.UK pattern), answered 400 (bad input) or 409 (refused by the
current state). These pages live in `arrivals` because they show parties as well as beds.
"""

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.error_summary import error_summary
from config.exceptions import Conflict, PreconditionFailed
from shelters import services as shelter_services
from shelters.models import Shelter, ShelterStatus, Space
from shelters.selectors import shelters_with_beds, space_beds_change_is_large

from . import selectors, services
from .forms import MemberFormSet, ShelterStatusForm, SpaceBedsForm
from .models import (
    ACTIVE_PLACEMENT,
    MAX_MEMBERS,
    Diet,
    Need,
    Party,
    PartyStatus,
    Placement,
    PlacementStatus,
)
from .web_views import (
    MEMBERS_PREFIX,
    _access,
    _correction_initial,
    _hide_family_names,
    _member_rows,
    _rows_changed,
    party_error_summary,
)


@dataclass
class Bar:
    """The widths (in hundredths of the bar) of a space's occupied, held and free beds."""

    occupied: float
    held: float
    free: float

    @property
    def held_x(self) -> float:
        return self.occupied

    @property
    def free_x(self) -> float:
        return self.occupied + self.held


def _bar(space: Space) -> Bar:
    if space.beds <= 0:
        return Bar(0, 0, 0)
    unit = 100 / space.beds
    return Bar(
        round(space.beds_occupied * unit, 2),
        round(space.beds_held * unit, 2),
        round(max(space.beds_free, 0) * unit, 2),
    )


def _counts(values, choices) -> list[str]:
    """'Wheelchair: 2', one per value, in the choices' order."""
    counter = Counter(values)
    return [
        _("%(what)s: %(count)s") % {"what": label, "count": counter[value]}
        for value, label in choices.choices
        if counter[value]
    ]


def _beds_form(space: Space, data=None) -> SpaceBedsForm:
    return SpaceBedsForm(
        data,
        initial={"beds": space.beds, "version": space.version},
        auto_id=f"space_{space.id.hex}_%s",
    )


def _status_form(shelter: Shelter, data=None) -> ShelterStatusForm:
    return ShelterStatusForm(
        data, initial={"version": shelter.version}, auto_id="shelter_status_%s"
    )


def _manager_shelter(access, shelter_id):
    return get_object_or_404(
        shelters_with_beds(access.scope(Shelter.objects.all(), "shelter.change")).select_related(
            "city"
        ),
        id=shelter_id,
    )


def _shelter_page(
    request,
    access,
    shelter,
    *,
    bound_space_id=None,
    beds_form=None,
    status_form=None,
    confirm=None,
    status=200,
):
    """The page of a shelter; a form refused (or a change to confirm) is shown bound, in its
    place, with the error summary (or the question) at the top."""
    spaces = []
    summary_forms = []
    for space in shelter.spaces.order_by("name", "id"):
        form = beds_form if space.id == bound_space_id else _beds_form(space)
        if form.errors:
            summary_forms.append((form, space.name))
        spaces.append({"space": space, "form": form, "bar": _bar(space)})
    status_form = status_form or _status_form(shelter)
    if status_form.errors:
        summary_forms.append((status_form, ""))
    placements = (
        access.scope(Placement.objects.all())
        .filter(space__shelter=shelter, status__in=ACTIVE_PLACEMENT)
        .select_related("party", "space")
        .prefetch_related("party__members")
        .order_by("held_until", "space__name", "created_at")
    )
    expected, inside = [], []
    for placement in placements:
        party = placement.party
        members = list(party.members.all())
        row = {
            "placement": placement,
            "party": party,
            # Given names only (as volunteers see them): to find a family at the door.
            "names": [member.given_name for member in members],
            "needs": _counts([n for m in members for n in m.needs], Need),
            "diets": _counts([d for m in members for d in m.diet], Diet),
        }
        if placement.status == PlacementStatus.HELD:
            expected.append(row)
        else:
            inside.append(row)
    return render(
        request,
        "arrivals/shelter.html",
        {
            "access": access,
            "shelter": shelter,
            "spaces": spaces,
            "expected": expected,
            "inside": inside,
            "is_open": shelter.status == ShelterStatus.OPEN,
            "status_form": status_form,
            "error_summary": error_summary(summary_forms),
            "confirm": confirm,
            "may_correct": access.allows("party.arrival_correct"),
            "fingerprint": _shelter_fingerprint(shelter.id),
        },
        status=status,
    )


@require_GET
@login_required
@never_cache
def shelter_detail(request, shelter_id):
    access = _access(request, "shelter.change")
    return _shelter_page(request, access, _manager_shelter(access, shelter_id))


def _shelter_fingerprint(shelter_id) -> str:
    """What the shelter page shows, as one short digest: who is expected and inside, the
    spaces' beds and counters, the shelter's state. Nothing personal."""
    digest = hashlib.sha256()
    rows = [
        *Placement.objects.filter(space__shelter_id=shelter_id, status__in=ACTIVE_PLACEMENT)
        .order_by("id")
        .values_list("id", "status", "beds", "party__revision"),
        *Space.objects.filter(shelter_id=shelter_id)
        .order_by("id")
        .values_list("id", "beds", "beds_held", "beds_occupied", "version"),
        *Shelter.objects.filter(id=shelter_id).values_list("status", "version"),
    ]
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest()[:16]


@require_GET
@login_required
@never_cache
def shelter_state(request, shelter_id):
    """What the shelter page polls (static/berth/shelter.js): its fingerprint, which
    changes when someone is placed here, arrives, leaves, or the beds change."""
    access = _access(request, "shelter.change")
    shelter = get_object_or_404(
        access.scope(Shelter.objects.all(), "shelter.change"), id=shelter_id
    )
    return JsonResponse({"fingerprint": _shelter_fingerprint(shelter.id)})


def _refusal_text(error: Exception) -> str:
    if isinstance(error, PreconditionFailed):
        return _(
            "Changed by someone else in the meantime: the page now shows the current numbers. "
            "Check them and save again."
        )
    if isinstance(error, Conflict):
        return str(error.detail)
    if isinstance(error, DjangoValidationError):
        return " ".join(error.messages)
    return _("The change conflicts with the current state. Try again.")


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def space_beds(request, space_id):
    """Change a space's beds. A large change (`space_beds_change_is_large`) is asked about
    first; a refused one comes back in place with the typed number."""
    access = _access(request, "space.change")
    space = get_object_or_404(
        access.scope(Space.objects.select_related("shelter"), "space.change"), id=space_id
    )
    shelter_url = reverse("web-shelter", args=[space.shelter_id])
    if request.method == "GET":  # the page's own URL, e.g. after changing the language
        return HttpResponseRedirect(f"{shelter_url}#space-{space.id}")
    shelter = _manager_shelter(access, space.shelter_id)
    form = _beds_form(space, request.POST)

    def again(status, confirm=None):
        return _shelter_page(
            request,
            access,
            shelter,
            bound_space_id=space.id,
            beds_form=form,
            confirm=confirm,
            status=status,
        )

    if not form.is_valid():
        if "version" in form.errors:
            form.errors.pop("version")
            form.add_error(
                "beds", _("The form is out of date. Reload the page and enter your change again.")
            )
        return again(400)
    beds = form.cleaned_data["beds"]
    if not form.cleaned_data["confirmed"] and space_beds_change_is_large(
        before=space.beds, after=beds
    ):
        return again(
            200,
            confirm={
                "space": space,
                "before": space.beds,
                "after": beds,
                "version": form.cleaned_data["version"],
                "field": form["beds"].id_for_label,
            },
        )
    try:
        shelter_services.space_update(
            space_id=space.id, data={"beds": beds}, expected_version=form.cleaned_data["version"]
        )
    except (Conflict, PreconditionFailed, DjangoValidationError, IntegrityError) as error:
        if isinstance(error, PreconditionFailed):
            # The typed number stays; the next save is against what the page now shows.
            space.refresh_from_db()
            data = request.POST.copy()
            data["version"] = str(space.version)
            form.data = data
        form.add_error("beds", _refusal_text(error))
        return again(409)
    messages.success(
        request,
        ngettext("%(space)s: %(beds)s bed saved.", "%(space)s: %(beds)s beds saved.", beds)
        % {"space": space.name, "beds": beds},
    )
    return HttpResponseRedirect(f"{shelter_url}#space-{space.id}")


def _status_already(request, shelter):
    if shelter.status == ShelterStatus.OPEN:
        messages.info(request, _("The shelter was already opened by someone else."))
    else:
        messages.info(request, _("The shelter was already closed by someone else."))
    return redirect("web-shelter", shelter_id=shelter.id)


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def shelter_status(request, shelter_id):
    """Open or close the shelter, with the reason the coordinators see (`status_reason`)."""
    access = _access(request, "shelter.change")
    shelter = _manager_shelter(access, shelter_id)
    if request.method == "GET":
        return redirect("web-shelter", shelter_id=shelter.id)
    if request.POST.get("status") == shelter.status:  # a page from before someone else did it
        return _status_already(request, shelter)
    form = _status_form(shelter, request.POST)
    if not form.is_valid():
        return _shelter_page(request, access, shelter, status_form=form, status=400)
    new_status = form.cleaned_data["status"]
    try:
        shelter_services.shelter_update(
            shelter_id=shelter.id,
            data={"status": new_status, "status_reason": form.cleaned_data["reason"].strip()},
            expected_version=form.cleaned_data["version"],
        )
    except PreconditionFailed:
        shelter = _manager_shelter(access, shelter_id)
        if shelter.status == new_status:  # someone else did it in the meantime
            return _status_already(request, shelter)
        # What was typed stays; the next send is against the shelter as it is now.
        data = request.POST.copy()
        data["version"] = str(shelter.version)
        form = _status_form(shelter, data)
        form.is_valid()
        form.add_error(
            "reason",
            _(
                "Someone else changed this shelter in the meantime. Check the page, then "
                "send again."
            ),
        )
        return _shelter_page(request, access, shelter, status_form=form, status=409)
    except (Conflict, DjangoValidationError, IntegrityError) as error:
        form.add_error("reason", _refusal_text(error))
        shelter = _manager_shelter(access, shelter_id)
        return _shelter_page(request, access, shelter, status_form=form, status=409)
    if new_status == ShelterStatus.OPEN:
        messages.success(request, _("The shelter is open: new people can be placed here."))
    else:
        messages.success(
            request, _("The shelter is closed: nobody new is placed here; people inside stay.")
        )
        expected = Placement.objects.filter(
            space__shelter=shelter, status=PlacementStatus.HELD
        ).count()
        if expected:
            messages.warning(
                request,
                ngettext(
                    "%(count)s party on its way here is still expected: check it in when it "
                    "comes, or ask a coordinator to place it elsewhere.",
                    "%(count)s parties on their way here are still expected: check them in "
                    "when they come, or ask a coordinator to place them elsewhere.",
                    expected,
                )
                % {"count": expected},
            )
    return redirect("web-shelter", shelter_id=shelter.id)


# --- Arrivals and departures -------------------------------------------------------------


def _safe_next(request, target: str, fallback: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _party_here(access, party_id, rule: str) -> tuple[Party, Placement]:
    """The party (404 outside the caller's reach) and its active placement (404 if none)."""
    party = get_object_or_404(
        selectors.parties_for_display(access.scope(Party.objects.all(), rule)), id=party_id
    )
    placement = selectors.party_current_placement(party)
    if placement is None or placement.status not in ACTIVE_PLACEMENT:
        raise Party.DoesNotExist
    return party, placement


def _arrival_page(request, access, party, placement, formset, personal, *, errors=(), status=200):
    return render(
        request,
        "arrivals/arrival.html",
        {
            "access": access,
            "party": party,
            "placement": placement,
            "formset": _hide_family_names(formset, personal),
            "personal": personal,
            "error_summary": party_error_summary(None, formset, errors=errors),
            "max_members": MAX_MEMBERS,
        },
        status=status,
    )


def _placement_shown(request, access, party_id) -> Placement | None:
    """The placement a check-in form showed (its `placement` field), if it was the party's
    and is within the caller's reach; None otherwise."""
    try:
        shown_id = uuid.UUID(request.POST.get("placement", ""))
    except ValueError:
        return None
    return (
        access.scope(Placement.objects.select_related("party", "space"))
        .filter(id=shown_id, party_id=party_id)
        .first()
    )


def _placement_moved(request, party):
    """Back to the party's check-in page, which shows where it is held now."""
    messages.error(
        request,
        _(
            "%(code)s's beds moved elsewhere since the page was opened. Nobody was checked "
            "in: see where they are expected now."
        )
        % {"code": party.code},
    )
    return redirect("web-party-arrival", party_id=party.id)


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def party_arrival(request, party_id):
    """At the door: who actually came (the members, corrected in place), then check in.

    A correction goes through `services.party_update(on_arrival=True)` (the same rules as
    the API's: a held placement that still fits is kept with its beds following the new
    size, one that no longer fits is released), then `services.party_check_in`.
    """
    access = _access(request, "party.check_in")
    try:
        party, placement = _party_here(access, party_id, "party.check_in")
    except (Party.DoesNotExist, Http404) as missing:
        # Sent from a page opened before the party left this shelter's reach (did not
        # come and placed elsewhere, moved by a coordinator): back to the shelter it showed.
        shown = _placement_shown(request, access, party_id)
        if shown is not None:
            messages.error(
                request,
                _("%(code)s has no beds held here any more. Nobody was checked in.")
                % {"code": shown.party.code},
            )
            return redirect("web-shelter", shelter_id=shown.space.shelter_id)
        if isinstance(missing, Http404):
            raise
        messages.error(request, _("This party has no beds held here any more."))
        return redirect("home")
    shelter_url = reverse("web-shelter", args=[placement.space.shelter_id])
    if party.status != PartyStatus.PLACED:
        messages.info(request, _("%(code)s is already checked in.") % {"code": party.code})
        return HttpResponseRedirect(shelter_url)
    personal = bool(services.parties_personal_data_show(access=access, parties=[party]))
    if request.method == "GET":
        _initial, rows = _correction_initial(party, personal)
        return _arrival_page(request, access, party, placement, _member_rows(rows), personal)

    if request.POST.get("placement") != str(placement.id):
        # The page was for beds given back since (did not come, expired) and the party is
        # held elsewhere now: nothing is done, and the page shows where.
        return _placement_moved(request, party)
    changed = _rows_changed(request.POST)
    if changed is not None:
        return _arrival_page(request, access, party, placement, _member_rows(changed), personal)
    formset = _hide_family_names(MemberFormSet(request.POST, prefix=MEMBERS_PREFIX), personal)
    if not formset.is_valid():
        return _arrival_page(request, access, party, placement, formset, personal, status=400)
    members = []
    for member_form in formset.forms:
        if member_form.cleaned_data:
            member = member_form.member()
            if not personal:
                del member["family_name"]  # kept as it is
            members.append(member)
    try:
        if access.allows("party.arrival_correct", party):
            party = services.party_update(
                party_id=party.id, access=access, members=members, on_arrival=True
            )
        if party.status == PartyStatus.WAITING:
            messages.error(
                request,
                _(
                    "%(code)s corrected, but no space of this shelter fits them now: they "
                    "wait again and will be placed elsewhere."
                )
                % {"code": party.code},
            )
            return HttpResponseRedirect(shelter_url)
        held = selectors.party_current_placement(party)
        assert held is not None  # placed: held somewhere
        if held.id != placement.id:  # moved to another space of this shelter at the door
            messages.info(
                request,
                _("%(space)s was too small for them as they came: they go to %(other)s.")
                % {"space": placement.space.name, "other": held.space.name},
            )
        services.party_check_in(party_id=party.id, access=access, placement_id=held.id)
    except (Conflict, IntegrityError) as error:
        if getattr(error, "code", None) == "placement_changed":
            return _placement_moved(request, party)
        return _arrival_page(
            request,
            access,
            party,
            placement,
            formset,
            personal,
            errors=[_refusal_text(error)],
            status=409,
        )
    messages.success(request, _("%(code)s checked in.") % {"code": party.code})
    return HttpResponseRedirect(shelter_url)


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def party_check_out(request, party_id):
    """Check-out frees the party's beds at once: the page asks first (GET, or a POST
    without `confirm`), and checks out on "Yes" (a POST with `confirm=yes`)."""
    access = _access(request, "party.check_out")
    # Looked up among the parties the caller sees, not only those they may check out: a
    # party that has left (a second tap, the back button) is told so, not a 404.
    party = get_object_or_404(
        access.scope(Party.objects.all(), "party.view").select_related("city"), id=party_id
    )
    fallback = reverse("web-party", args=[party.id])
    placement = selectors.party_current_placement(party)
    if placement is not None and placement.status in ACTIVE_PLACEMENT:
        fallback = reverse("web-shelter", args=[placement.space.shelter_id])
    asked = request.POST.get("next") or request.GET.get("next", "")
    next_url = _safe_next(request, asked, fallback)
    already = _("%(code)s has already checked out.") % {"code": party.code}
    if party.status == PartyStatus.DEPARTED:  # a second tap, another tab, the back button
        messages.info(request, already)
        return HttpResponseRedirect(next_url)
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        if party.status != PartyStatus.CHECKED_IN:
            messages.error(request, _("%(code)s is not checked in.") % {"code": party.code})
            return HttpResponseRedirect(next_url)
        return render(
            request,
            "arrivals/check_out.html",
            {"access": access, "party": party, "placement": placement, "next": next_url},
        )
    try:
        services.party_check_out(party_id=party.id, access=access)
    except (Conflict, IntegrityError) as error:
        party.refresh_from_db(fields=["status"])
        if party.status == PartyStatus.DEPARTED:  # by another tap in the meantime
            messages.info(request, already)
        else:
            messages.error(request, _refusal_text(error))
    else:
        messages.success(
            request, _("%(code)s checked out. Their beds are free.") % {"code": party.code}
        )
    return HttpResponseRedirect(next_url)


@require_POST
@login_required
def placement_no_show(request, placement_id):
    """ "Did not come": the held beds are freed and the party waits again
    (`services.placement_cancel` with the caller's access: `party.no_show`)."""
    access = _access(request, "party.no_show")
    placement = get_object_or_404(
        access.scope(Placement.objects.select_related("party", "space"), "party.no_show"),
        id=placement_id,
    )
    shelter_url = reverse("web-shelter", args=[placement.space.shelter_id])
    if placement.status != PlacementStatus.HELD:
        messages.info(
            request, _("%(code)s has no beds held here any more.") % {"code": placement.party.code}
        )
        return HttpResponseRedirect(shelter_url)
    try:
        services.placement_cancel(
            placement_id=placement.id,
            actor=access.username,
            reason=_("did not come"),
            access=access,
        )
    except (Conflict, IntegrityError) as error:
        messages.error(request, _refusal_text(error))
    else:
        messages.success(
            request,
            ngettext(
                "%(code)s did not come: %(beds)s bed is free again.",
                "%(code)s did not come: %(beds)s beds are free again.",
                placement.beds,
            )
            % {"code": placement.party.code, "beds": placement.beds},
        )
    return HttpResponseRedirect(shelter_url)
