"""The web pages: phone-sized, thin, on the same services and selectors as the API.

Every page needs a session login. Each asks the caller's access, as the API does
(`accounts.access.Access`): a role that may not use a page gets 403, objects outside
the caller's reach answer 404.
"""

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import Access, access_for
from config.error_summary import error_summary
from config.exceptions import Conflict, PreconditionFailed
from config.qr import qr_svg
from idempotency.services import InvalidKey, KeyReused, idempotent
from shelters.models import City, Shelter, ShelterStatus
from shelters.selectors import shelters_with_beds

from . import selectors, services
from .forms import (
    LANGUAGE_CHOICES,
    LANGUAGE_UNKNOWN,
    CancelForm,
    FindForm,
    MemberForm,
    MemberFormSet,
    PartyCorrectionForm,
    PartyForm,
)
from .languages import language_name, typed_names
from .models import (
    ACTIVE_PLACEMENT,
    CODE_LENGTH,
    MAX_LANGUAGES,
    MAX_MEMBERS,
    TOO_MANY_MEMBERS,
    WAITING_REASON_TEXTS,
    WAITING_REASONS_CALL_COORDINATOR,
    Party,
    PartyStatus,
)
from .serializers import SLIP_STATUSES

MEMBERS_PREFIX = "members"
QUICK_SIZES = range(1, 7)


def _access(request, action: str) -> Access:
    """The caller's access; PermissionDenied (403) when it may not do `action` at all."""
    access = access_for(request)
    if not access.allows(action):
        raise PermissionDenied
    return access


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _report_failure(request, error: Exception) -> None:
    """A refused change becomes a message on the page, never a 500."""
    if isinstance(error, PreconditionFailed):
        messages.error(
            request,
            _(
                "Changed by someone else in the meantime. Reload: the page now shows the current "
                "numbers; enter your change again."
            ),
        )
    elif isinstance(error, Conflict):
        messages.error(request, str(error.detail))
    elif isinstance(error, DjangoValidationError):
        messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("The change conflicts with the current state. Try again."))


# --- Home ------------------------------------------------------------------------------


def _beds_of(shelters) -> dict:
    """The beds of some shelters (`shelters_with_beds` rows), added up."""
    beds = {"total": 0, "occupied": 0, "held": 0, "free": 0}
    for shelter in shelters:
        beds["total"] += shelter.beds_total
        beds["occupied"] += shelter.beds_occupied
        beds["held"] += shelter.beds_held
        beds["free"] += shelter.beds_free
    return beds


@require_GET
@login_required
@never_cache
def home(request):
    access = access_for(request)
    context: dict[str, object] = {"access": access}
    shelters_reached = access.scope(Shelter.objects.all())
    if access.allows("party.add"):
        cities = []
        for city in access.scope(City.objects.all()).order_by("name"):
            shelters = list(
                shelters_with_beds(shelters_reached.filter(city=city)).order_by(
                    "status", "-beds_free", "name"
                )
            )
            cities.append(
                {
                    "city": city,
                    "capacity": selectors.city_capacity(city=city),
                    "shelters": shelters,
                    # Only open shelters' beds can be given: the headline and its line are
                    # theirs; closed shelters' beds are said apart.
                    "open_beds": _beds_of(x for x in shelters if x.status == ShelterStatus.OPEN),
                    "closed_beds": _beds_of(x for x in shelters if x.status != ShelterStatus.OPEN),
                }
            )
        context["cities"] = cities
        context["may_register"] = True
        context["may_open_shelters"] = access.allows("shelter.add")
        context["may_view_board"] = access.allows("board.view")
        # Their last registrations, with given names, status and why those waiting wait.
        context["recent"] = _with_waiting_reasons(
            selectors.parties_for_display(
                access.scope(Party.objects.all()).filter(created_by_id=access.user_id)
            ).order_by("-created_at")[:RECENT_SHOWN]
        )
        context["find_form"] = FindForm(auto_id="home_%s")
    elif access.allows("shelter.change"):  # a shelter manager
        context["may_manage_shelters"] = True
        context["shelters"] = (
            shelters_with_beds(shelters_reached).order_by("name").prefetch_related("spaces")
        )
        context["find_form"] = FindForm(auto_id="home_%s")
    return render(request, "arrivals/home.html", context)


RECENT_SHOWN = 8


def _with_waiting_reasons(parties) -> list:
    """The parties, each with `waiting_reason_text` (None unless waiting)."""
    parties = list(parties)
    for party in parties:
        party.waiting_reason_text = (
            WAITING_REASON_TEXTS.get(party.waiting_reason)
            if party.status == PartyStatus.WAITING
            else None
        )
    return parties


# --- Registration ---------------------------------------------------------------------


def _posted_values(form, data) -> dict:
    """What the form's fields hold in `data`, as initial values (no validation, no errors)."""
    return {
        name: field.widget.value_from_datadict(data, {}, form.add_prefix(name))
        for name, field in form.fields.items()
    }


class _RowsFormSet(MemberFormSet):  # type: ignore[valid-type,misc]  # made by formset_factory
    """Member rows re-shown after 'add a person' or 'remove': every row stays optional
    but the first, as on a fresh form."""

    def initial_form_count(self):
        return 0


def _member_rows(rows: list[dict]):
    """An unbound member formset showing `rows` (initial values), at least one row."""
    rows = rows[:MAX_MEMBERS] or [{}]
    formset_class = type("MemberRows", (_RowsFormSet,), {"extra": len(rows) - 1, "min_num": 1})
    return formset_class(prefix=MEMBERS_PREFIX, initial=rows)


def _rows_changed(data) -> list[dict] | None:
    """The member rows after "+ Add a person" or "Remove" (without JavaScript), or None
    when the form was submitted to be saved."""
    if "add_member" not in data and "remove_member" not in data:
        return None
    rows = _posted_rows(data)
    if "add_member" in data and len(rows) < MAX_MEMBERS:
        rows.append({})
    if "remove_member" in data:
        try:
            index = int(data["remove_member"])
        except ValueError:
            index = -1
        if 0 <= index < len(rows) and len(rows) > 1:
            rows.pop(index)
    return rows


def _posted_rows(data) -> list[dict]:
    try:
        total = int(data.get(f"{MEMBERS_PREFIX}-TOTAL_FORMS", "1"))
    except (TypeError, ValueError):
        total = 1
    total = max(1, min(total, MAX_MEMBERS))
    return [
        _posted_values(MemberForm(prefix=f"{MEMBERS_PREFIX}-{index}"), data)
        for index in range(total)
    ]


def party_error_summary(form, formset, *, errors=()) -> list[dict]:
    """The error summary of a party's page: `errors` of the whole page (a refusal of the
    service), the formset's own, then each field's in the order of the page (the people,
    then the details), a person's named as "Person 2, Age"."""
    parts = [
        (member, _("Person %(number)s") % {"number": number})
        for number, member in enumerate(formset.forms, 1)
    ]
    parts += [(form, "")] if form is not None else []
    whole = [{"text": str(error), "href": ""} for error in [*errors, *formset.non_form_errors()]]
    return whole + error_summary(parts)


def _register_page(request, access, form, formset, *, fresh=False):
    return render(
        request,
        "arrivals/register.html",
        {
            "access": access,
            "form": form,
            "formset": formset,
            "error_summary": party_error_summary(form, formset),
            "quick_sizes": QUICK_SIZES,
            "max_members": MAX_MEMBERS,
            "max_languages": MAX_LANGUAGES,
            "language_names": typed_names(),
            # The form's own message, for register.js to fill in.
            "language_unknown": LANGUAGE_UNKNOWN % {"value": "__value__"},
            "has_cities": form.fields["city"].queryset.exists(),
            "fresh": fresh,
            "party_statuses": PartyStatus.choices,
        },
    )


def _fresh_token() -> str:
    return uuid.uuid4().hex


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def register(request):
    access = _access(request, "party.add")
    cities = access.scope(City.objects.all()).order_by("name")

    if request.method == "GET":
        try:
            asked = int(request.GET.get("people", "1"))
        except ValueError:
            asked = 1
        size = max(1, min(asked, MAX_MEMBERS))
        initial = {"form_token": _fresh_token(), "pets": 0, "nights_needed": 1}
        remembered = request.session.get("web_registration", {})
        city_ids = list(cities.values_list("id", flat=True)[:2])
        if len(city_ids) == 1:
            initial["city"] = city_ids[0]
        elif remembered.get("city"):
            initial["city"] = remembered["city"]
        initial["registration_point"] = remembered.get("registration_point", "")
        form = PartyForm(cities=cities, initial=initial)
        if asked > MAX_MEMBERS:
            messages.warning(request, str(TOO_MANY_MEMBERS).format(max_length=MAX_MEMBERS))
        return _register_page(request, access, form, _member_rows([{}] * size), fresh=True)

    data = request.POST
    rows = _rows_changed(data)
    if rows is not None:
        form = PartyForm(cities=cities, initial=_posted_values(PartyForm(cities=cities), data))
        return _register_page(request, access, form, _member_rows(rows))

    form = PartyForm(data, cities=cities)
    formset = MemberFormSet(data, prefix=MEMBERS_PREFIX)
    form_valid = form.is_valid()
    formset_valid = formset.is_valid()
    if not (form_valid and formset_valid):
        return _register_page(request, access, form, formset)

    cleaned = form.cleaned_data
    members = [member_form.member() for member_form in formset.forms if member_form.cleaned_data]
    fields = {
        "city": cleaned["city"],
        "members": members,
        "consent": cleaned["consent"],
        "registration_point": cleaned["registration_point"],
        "contact_phone": cleaned["contact_phone"] or None,
        "languages": cleaned["all_languages"],
        "pets": cleaned["pets"],
        "nights_needed": cleaned["nights_needed"],
        "notes": cleaned["notes"],
    }

    def party_page(party) -> tuple[int, dict]:
        return 201, {"id": str(party.id)}

    def work(claim):
        party = services.party_register(
            actor_id=access.user_id, actor=access.username, claim=claim, answer=party_page, **fields
        )
        return party_page(party)

    try:
        answer = idempotent(
            owner=f"user:{access.user_id}",
            scope="web.parties.create",
            key=cleaned["form_token"],
            payload={**fields, "city": str(cleaned["city"].id)},
            work=work,
            stores_answer=True,
        )
    except KeyReused:
        form.add_error(
            None, _("This form was sent before with other details. Check them and send again.")
        )
    except InvalidKey:
        form.add_error(None, _("The form is out of date. Check the details and send again."))
    except Conflict as error:
        form.add_error(None, str(error.detail))
    else:
        request.session["web_registration"] = {
            "city": str(cleaned["city"].id),
            "registration_point": cleaned["registration_point"],
        }
        messages.success(request, _("Registered."))
        return redirect("web-party", party_id=answer.body["id"])
    # Nothing was registered: the form comes back, with its error and a new token.
    assert isinstance(form.data, QueryDict)  # the POST it was bound to
    form.data = form.data.copy()
    form.data["form_token"] = _fresh_token()
    return _register_page(request, access, form, formset)


# --- Parties ---------------------------------------------------------------------------


@require_GET
@login_required
@never_cache
def party_detail(request, party_id):
    access = _access(request, "party.view")
    party = get_object_or_404(
        selectors.parties_for_display(access.scope(Party.objects.all())), id=party_id
    )
    placement = selectors.party_current_placement(party)
    members = list(party.members.all())
    personal = bool(services.parties_personal_data_show(access=access, parties=[party]))
    context = {
        "access": access,
        "party": party,
        "members": members,
        "placement": placement,
        "active_placement": placement
        if placement and placement.status in ACTIVE_PLACEMENT
        else None,
        "personal": personal,
        "may_check_in": party.status == PartyStatus.PLACED
        and access.allows("party.check_in", party),
        "may_check_out": party.status == PartyStatus.CHECKED_IN
        and access.allows("party.check_out", party),
        "may_cancel": party.status in (PartyStatus.WAITING, PartyStatus.PLACED)
        and access.allows("party.cancel", party),
        "may_open_shelter": placement is not None
        and access.allows("shelter.change", placement.space.shelter),
        "cancel_form": CancelForm(),
        "languages": [language_name(code) for code in party.languages],
        "may_register": access.allows("party.add"),
        "waiting": party.status == PartyStatus.WAITING,
        # A departed or cancelled (a merged) party is no longer anyone's duplicate.
        "show_possible_duplicate": access.allows("party.possible_duplicate")
        and party.status not in services.CLOSED_STATUSES,
        "may_edit": _may_edit(access, party, placement),
        # Placed by hand from the city board (`web_board.party_place`): a waiting party,
        # or moved, a placed one (its beds held, not yet checked in).
        "may_place": party.status in services.PLACEABLE_STATUSES
        and access.allows("placement.add", party),
    }
    if party.status == PartyStatus.WAITING:
        context["waiting_reason_text"] = WAITING_REASON_TEXTS.get(party.waiting_reason)
        if party.waiting_reason in WAITING_REASONS_CALL_COORDINATOR:
            context["coordinator_phone"] = party.city.coordinator_phone
    if party.status in SLIP_STATUSES and context["active_placement"]:
        slip_url = request.build_absolute_uri(reverse("web-slip", args=[party.slip_token]))
        context["slip_url"] = slip_url
        context["slip_qr"] = qr_svg(slip_url, _("QR code of this slip's link"))
    return render(request, "arrivals/party.html", context)


def _may_edit(access: Access, party: Party, placement) -> bool:
    """Whether the page offers a correction (the service decides again, under the lock)."""
    return (
        access.allows("party.change", party)
        and selectors.party_correctable(party, placement)
        and selectors.party_correction_refusal(access=access, party=party, now=timezone.now())
        is None
    )


# The party actions of the pages: the action each asks of the access (its rule is in
# `accounts.rules`) and the service that does it (and checks it on the party).
PARTY_ACTIONS: dict[str, tuple[str, Callable[..., Party]]] = {
    "check-in": ("party.check_in", services.party_check_in),
    "cancel": ("party.cancel", services.party_cancel),
}


def _action_done_message(action: str, party: Party) -> str:
    if action == "check-in":
        return _("%(code)s checked in.") % {"code": party.code}
    return _("%(code)s cancelled.") % {"code": party.code}


@require_POST
@login_required
def party_action(request, party_id, action):
    rule, service = PARTY_ACTIONS[action]
    access = _access(request, rule)
    party = get_object_or_404(access.scope(Party.objects.all()), id=party_id)
    kwargs = {}
    if action == "cancel":
        form = CancelForm(request.POST)
        kwargs["reason"] = form.cleaned_data["reason"] if form.is_valid() else ""
    elif "placement" in request.POST:  # the held beds the page showed (check-in)
        kwargs["placement_id"] = request.POST["placement"]
    try:
        # PermissionDenied (403) where the caller may not do it to this party (a manager:
        # not placed at their shelter), checked by the service under the party's lock.
        service(party_id=party.id, access=access, **kwargs)
    except (Conflict, IntegrityError) as error:
        _report_failure(request, error)
    else:
        messages.success(request, _action_done_message(action, party))
    return HttpResponseRedirect(_next_url(request, reverse("web-party", args=[party.id])))


@require_GET
@login_required
@never_cache
def find(request):
    access = _access(request, "party.view")
    form = FindForm(request.GET or None)
    form.fields["code"].widget.attrs["autofocus"] = True
    not_found = None
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"]
        party = access.scope(Party.objects.all()).filter(code=code).first()
        if party is not None:
            return redirect("web-party", party_id=party.id)
        # Said back as typed: the code read from it may mix two alphabets.
        not_found = form.data["code"].strip()
    return render(
        request,
        "arrivals/find.html",
        {"access": access, "form": form, "not_found": not_found, "code_length": CODE_LENGTH},
    )


# --- Corrections -----------------------------------------------------------------------


@require_GET
@login_required
@never_cache
def party_state(request, party_id):
    """What the party page polls while the party waits (static/berth/party.js): its status
    and waiting reason, nothing personal (so nothing to audit)."""
    access = _access(request, "party.view")
    party = get_object_or_404(access.scope(Party.objects.all()), id=party_id)
    return JsonResponse(
        {
            "status": party.status,
            "waiting_reason": party.waiting_reason if party.status == PartyStatus.WAITING else None,
        }
    )


def _correction_initial(party: Party, personal: bool) -> tuple[dict, list[dict]]:
    ticked = {code for code, _name in LANGUAGE_CHOICES}
    initial = {
        "languages": [code for code in party.languages if code in ticked],
        "other_languages": ", ".join(
            language_name(code) for code in party.languages if code not in ticked
        ),
        "pets": party.pets,
        "nights_needed": party.nights_needed,
        "notes": party.notes,
    }
    if personal:
        initial["contact_phone"] = party.contact_phone or ""
    rows = [
        {
            "given_name": member.given_name,
            "family_name": (member.family_name or "") if personal else "",
            "sex": member.sex,
            "age_group": member.age_group,
            "needs": list(member.needs),
            "diet": list(member.diet),
        }
        for member in party.members.all()
    ]
    return initial, rows


def _hide_family_names(formset, personal: bool):
    """A caller who may not see family names gets no family name field (and so keeps the
    names the party has: `services.party_update`)."""
    if not personal:
        for member_form in formset.forms:
            member_form.fields.pop("family_name", None)
    return formset


def _edit_page(request, access, party, form, formset, personal):
    return render(
        request,
        "arrivals/party_edit.html",
        {
            "access": access,
            "party": party,
            "form": form,
            "formset": _hide_family_names(formset, personal),
            "error_summary": party_error_summary(form, formset),
            "max_members": MAX_MEMBERS,
            "personal": personal,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def party_edit(request, party_id):
    """Correct a waiting or held party: the same service as `PATCH /api/v1/parties/{id}/`
    (`services.party_update`), the registration's forms."""
    access = _access(request, "party.change")
    party = get_object_or_404(
        selectors.parties_for_display(access.scope(Party.objects.all(), "party.change")),
        id=party_id,
    )
    refusal = selectors.party_correction_refusal(access=access, party=party, now=timezone.now())
    if refusal is not None:
        raise PermissionDenied(refusal)
    if not selectors.party_correctable(party, selectors.party_current_placement(party)):
        messages.error(
            request, _("Only a waiting party, or one whose beds are held, can be corrected.")
        )
        return redirect("web-party", party_id=party.id)
    personal = bool(services.parties_personal_data_show(access=access, parties=[party]))

    if request.method == "GET":
        initial, rows = _correction_initial(party, personal)
        form = PartyCorrectionForm(initial=initial, show_phone=personal)
        return _edit_page(request, access, party, form, _member_rows(rows), personal)

    data = request.POST
    changed_rows = _rows_changed(data)
    if changed_rows is not None:
        blank = PartyCorrectionForm(show_phone=personal)
        form = PartyCorrectionForm(initial=_posted_values(blank, data), show_phone=personal)
        return _edit_page(request, access, party, form, _member_rows(changed_rows), personal)

    form = PartyCorrectionForm(data, show_phone=personal)
    formset = _hide_family_names(MemberFormSet(data, prefix=MEMBERS_PREFIX), personal)
    form_valid = form.is_valid()
    formset_valid = formset.is_valid()
    if not (form_valid and formset_valid):
        return _edit_page(request, access, party, form, formset, personal)
    cleaned = form.cleaned_data
    members = []
    for member_form in formset.forms:
        if member_form.cleaned_data:
            member = member_form.member()
            if not personal:
                del member["family_name"]  # kept as it is
            members.append(member)
    fields = {
        "languages": cleaned["all_languages"],
        "pets": cleaned["pets"],
        "nights_needed": cleaned["nights_needed"],
        "notes": cleaned["notes"],
    }
    if personal:
        fields["contact_phone"] = cleaned["contact_phone"] or None
    try:
        services.party_update(party_id=party.id, access=access, members=members, **fields)
    except (Conflict, IntegrityError) as error:
        form.add_error(
            None,
            str(getattr(error, "detail", ""))
            or _("The change conflicts with the current state. Try again."),
        )
        return _edit_page(request, access, party, form, formset, personal)
    messages.success(request, _("%(code)s corrected.") % {"code": party.code})
    return redirect("web-party", party_id=party.id)
