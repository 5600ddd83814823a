"""The invitation pages: a coordinator makes a one-time link (and its QR code) from the
phone; the person invited opens it, chooses a username and password and is in.

Same services as the API (`accounts.services.invitation_create`, `invitation_accept`).
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from config.error_summary import error_summary
from config.exceptions import Conflict
from config.pagination import page_number
from config.qr import qr_svg

from . import selectors, services
from .access import access_for
from .forms import InvitationForm, JoinForm
from .models import Invitation, Membership

INVITATIONS_SHOWN = 20


def _invitation_form(access, data=None) -> InvitationForm:
    city_model = Invitation._meta.get_field("city").related_model
    shelter_model = Invitation._meta.get_field("shelters").related_model
    assert city_model is not None and shelter_model is not None
    cities = access.scope(city_model._default_manager.all(), "invitation.add").order_by("name")
    shelters = (
        access.scope(shelter_model._default_manager.all(), "invitation.add")
        .select_related("city")
        .order_by("city__name", "name")
    )
    return InvitationForm(data, cities=cities, shelters=shelters, auto_id="invite_%s")


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def invitations(request):
    """Make an invitation; the list of those made in the coordinator's cities."""
    access = access_for(request)
    if not access.allows("invitation.add"):
        raise PermissionDenied
    form = _invitation_form(access, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation, path = services.invitation_create(
                    created_by=request.user,
                    city=form.cleaned_data["city"],
                    role=form.cleaned_data["role"],
                    shelters=form.cleaned_data["shelters"],
                    email_or_note=form.cleaned_data["email_or_note"],
                )
            except DjangoValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except PermissionDenied:
                form.add_error("city", _("You do not coordinate this city."))
            else:
                url = request.build_absolute_uri(path)
                return render(
                    request,
                    "accounts/invitation_made.html",
                    {
                        "invitation": invitation,
                        "url": url,
                        "qr": qr_svg(url, _("QR code of the invitation link")),
                    },
                )
        status = 400
    # People with access: found by their username, a page at a time (a city may have
    # hundreds of volunteers).
    who = request.GET.get("who", "").strip()[:150]
    people = selectors.members_removable(access=access)
    if who:
        people = people.filter(user__username__icontains=who)
    members = Paginator(people, MEMBERS_PER_PAGE).get_page(
        page_number(request.GET.get("people_page"))
    )
    return render(
        request,
        "accounts/invitations.html",
        {
            "form": form,
            "error_summary": error_summary([(form, "")]),
            "invitations": selectors.invitations_listed(access=access)[:INVITATIONS_SHOWN],
            "members": members,
            "who": who,
            # The people pager's address: this page, with the search if there is one.
            "people_url": f"?{urlencode({'who': who})}" if who else "",
            "now": timezone.now(),
        },
        status=status,
    )


MEMBERS_PER_PAGE = 50


@require_http_methods(["POST"])
@login_required
def invitation_withdraw(request, invitation_id):
    """Withdraw an unused invitation from the list: its link stops working."""
    try:
        services.invitation_revoke(invitation_id=invitation_id, access=access_for(request))
    except Invitation.DoesNotExist as missing:
        raise Http404 from missing
    except Conflict as conflict:
        messages.error(request, conflict.detail)
    else:
        messages.success(request, _("Invitation withdrawn: its link no longer works."))
    return redirect("web-invitations")


@require_http_methods(["GET", "POST"])
@never_cache
def join(request, token: str):
    """Accept an invitation: no login; the link's token is the credential, used once."""
    invitation = selectors.invitation_by_token(token)
    refusal = selectors.invitation_refusal(invitation)
    if refusal is not None or invitation is None:
        return render(
            request,
            "accounts/join_gone.html",
            {"refusal": refusal},
            status=404 if invitation is None else 410,
        )
    form = JoinForm(request.POST if request.method == "POST" else None, auto_id="join_%s")
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except DjangoValidationError as error:
            if not hasattr(error, "error_dict"):
                return render(
                    request,
                    "accounts/join_gone.html",
                    {"refusal": " ".join(error.messages)},
                    status=410,
                )
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            login(request, membership.user, backend="accounts.backends.UsernameAnyCaseBackend")
            messages.success(
                request,
                _("Welcome, %(username)s. You are a %(role)s in %(city)s.")
                % {
                    "username": membership.user.get_username(),
                    "role": membership.get_role_display().lower(),
                    "city": invitation.city.name,
                },
            )
            return redirect("home")
    return render(
        request,
        "accounts/join.html",
        {
            "form": form,
            "error_summary": error_summary([(form, "")]),
            "invitation": invitation,
            "token": token,
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["POST"])
@login_required
def member_remove(request, membership_id):
    """Remove a volunteer's or manager's access to the coordinator's cities (the page asks
    first: its button is behind a "Remove access" disclosure)."""
    access = access_for(request)
    if not access.allows("membership.remove"):
        raise PermissionDenied
    membership = (
        access.scope(Membership.objects.select_related("user"), "membership.remove")
        .filter(id=membership_id)
        .first()
    )
    if membership is None:  # removed already (a second tap), or never in reach
        messages.info(request, _("This person has no access to your cities any more."))
        return redirect("web-invitations")
    services.member_remove(membership_id=membership.id, access=access)
    messages.success(
        request,
        _("%(username)s can no longer work in your cities.")
        % {"username": membership.user.get_username()},
    )
    return redirect("web-invitations")
