"""The host offer pages: a public one where a resident offers an apartment (no login),
and the coordinators' list of offers, where they call the host and accept or decline.

They use the same services, selectors and per-address limit as the API.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import Access, access_for
from config.error_summary import error_summary
from config.exceptions import Conflict
from config.qr import qr_svg

from . import selectors, services
from .forms import HostOfferForm
from .models import HOST_OFFER_FIELDS, City, HostOffer, HostOfferStatus
from .throttling import client_ident, host_offer_allowed

# The list's tabs, in this order (their labels are the statuses', translated lazily).
STATUS_TABS = HostOfferStatus.choices


def _tel(phone: str) -> str:
    """A phone as a tel: link takes it: its digits, and a leading +."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if phone.strip().startswith("+") else digits


@require_http_methods(["GET", "POST"])
@never_cache
def host_offer_new(request):
    """Offer an apartment: no login, a few offers per address an hour; a robot that fills
    the hidden field is shown the thanks and nothing is stored."""
    status, wait = 200, 0
    if request.method == "POST":
        form = HostOfferForm(request.POST)
        if form.is_valid():
            ident = client_ident(request)
            data = {name: form.cleaned_data.get(name) for name in HOST_OFFER_FIELDS}
            try:
                # A robot (the hidden field filled) is shown the thanks; nothing is stored.
                services.host_offer_submit(
                    data=data,
                    client_ident=ident,
                    allowed=lambda: host_offer_allowed(ident=ident),
                    robot=bool(form.cleaned_data.get("website", "").strip()),
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except services.HostOfferLimit as limit:
                wait = limit.wait
                form.add_error(
                    None,
                    _("Too many offers from this connection. Try again in %(minutes)s minutes.")
                    % {"minutes": max(1, round(wait / 60))},
                )
                status = 429
            else:
                return redirect("host-offer-thanks")
        if status == 200:
            status = 400
    else:
        city = request.GET.get("city")
        if not city:  # a service of one city: that city, not a choice to make first
            only = list(City.objects.values_list("id", flat=True)[:2])
            city = only[0] if len(only) == 1 else None
        form = HostOfferForm(initial={"city": city} if city else None)
    response = render(
        request,
        "shelters/host_offer_new.html",
        {"form": form, "error_summary": error_summary([(form, "")])},
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


@require_GET
def host_offer_thanks(request):
    return render(request, "shelters/host_offer_thanks.html")


def _access(request, action: str) -> Access:
    access = access_for(request)
    if not access.allows(action):
        raise PermissionDenied
    return access


@require_GET
@login_required
@never_cache
def host_offers(request):
    """The offers of the coordinator's cities, by status (new first), with the host's
    name and phone to call (shown through the audited personal-data service)."""
    access = _access(request, "hostoffer.view")
    current = request.GET.get("status") or HostOfferStatus.NEW
    if current not in HostOfferStatus.values:
        current = HostOfferStatus.NEW
    listed = selectors.host_offers_listed(access=access)
    counts = {status: listed.filter(status=status).count() for status, _label in STATUS_TABS}
    offers = list(listed.filter(status=current)[:100])
    shown = services.host_offers_personal_data_show(access=access, offers=offers)
    for offer in offers:
        offer.shown = offer.id in shown  # type: ignore[attr-defined]  # for the template
        offer.tel = _tel(offer.contact_phone) if offer.contact_phone else ""  # type: ignore[attr-defined]
    tabs = [
        {"status": status, "label": label, "count": counts[status], "current": status == current}
        for status, label in STATUS_TABS
    ]
    return render(
        request,
        "shelters/host_offers.html",
        {
            "offers": offers,
            "tabs": tabs,
            "current": current,
            "several_cities": len(access.city_ids) != 1,
        },
    )


def _refused(request, error: Exception):
    if isinstance(error, Conflict):
        messages.error(request, str(error.detail))
    else:
        messages.error(request, _("The offer does not exist."))
    return redirect("web-host-offers")


@require_POST
@login_required
@never_cache
def host_offer_accept(request, offer_id):
    """Accept: the apartment's shelter, and the host's one-time invitation link shown
    here (with its QR code), once."""
    _access(request, "hostoffer.accept")
    try:
        accepted = services.host_offer_accept(offer_id=offer_id, by=request.user)
    except (Conflict, HostOffer.DoesNotExist) as error:
        return _refused(request, error)
    url = request.build_absolute_uri(accepted.invitation_path)
    return render(
        request,
        "shelters/host_offer_accepted.html",
        {
            "accepted": accepted,
            "invitation_url": url,
            "qr": qr_svg(url, _("QR code of the invitation link")),
        },
        status=201,
    )


@require_POST
@login_required
@never_cache
def host_offer_decline(request, offer_id):
    _access(request, "hostoffer.decline")
    try:
        services.host_offer_decline(offer_id=offer_id, by=request.user)
    except (Conflict, HostOffer.DoesNotExist) as error:
        return _refused(request, error)
    messages.success(request, _("The offer was declined."))
    return redirect("web-host-offers")
