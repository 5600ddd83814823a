"""Writes of members, invitations and API keys. Every function here is atomic."""

import secrets
from collections.abc import Iterable
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from config.exceptions import Conflict

from .access import Access, access_for_user
from .authentication import PREFIX_LENGTH, api_key_digest
from .login_limits import attempt_key
from .models import INVITATION_HOURS, ApiKey, Invitation, Membership, Role
from .rules import SHELTER_STAFF
from .selectors import invitation_digest, invitation_refusal


@transaction.atomic
def member_create(
    *, username: str, password: str, role: str, cities: Iterable = (), shelters: Iterable = ()
) -> Membership:
    """Make a person with a role. Raises django ValidationError by field (a weak password).

    Coordinators and shelter managers (`accounts.rules.SHELTER_STAFF`) get `is_staff`
    so they can use the admin, where they see only what the API lets them see.
    """
    user_model = get_user_model()
    user = user_model(username=username, is_staff=role in SHELTER_STAFF)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    membership = Membership.objects.create(user=user, role=role)
    membership.cities.set(cities)
    membership.shelters.set(shelters)
    return membership


@transaction.atomic
def membership_save(*, membership: Membership) -> None:
    """A membership as a superuser edited it in the back office, with the back office
    (`is_staff`) opened or closed for its role as `member_create` does: coordinators and
    shelter managers, nobody else (a superuser keeps it)."""
    membership.save()
    user = membership.user
    staff = user.is_superuser or membership.role in SHELTER_STAFF
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


@transaction.atomic
def auth_token_issue(*, user) -> tuple[AuthToken, str]:
    """A new token for `Authorization: Token <token>`, one for each sign-in (so a phone
    that logs out ends only its own). Returns the stored row (its digest and `expiry`)
    and the token itself, which is not stored and cannot be shown again.

    The person's expired tokens are deleted, and beyond `BERTH_TOKENS_PER_PERSON` live
    ones, those that would end first.
    """
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lte=now).delete()
    keep = settings.BERTH_TOKENS_PER_PERSON - 1
    surplus = list(
        AuthToken.objects.filter(user=user)
        .order_by("-expiry", "-created")
        .values_list("digest", flat=True)[keep:]
    )
    if surplus:
        AuthToken.objects.filter(digest__in=surplus).delete()
    return AuthToken.objects.create(user=user)


@transaction.atomic
def auth_token_end(*, token: AuthToken) -> None:
    """Logout: the token stops working at once."""
    AuthToken.objects.filter(digest=token.digest).delete()


@transaction.atomic
def auth_tokens_end_all(*, user) -> int:
    """End every token of a person: logout everywhere, and a password change
    (`accounts.signals`). Returns how many ended."""
    ended, _rows = AuthToken.objects.filter(user=user).delete()
    return ended


@transaction.atomic
def sign_in_records_purge() -> int:
    """Delete the tokens that have ended (a token found expired is deleted when it is
    shown, and a person's at their next sign-in; this catches the rest) and the counted
    sign-in failures older than the lockout (django-axes drops them only as it counts
    new ones). Returns the number of rows deleted."""
    now = timezone.now()
    tokens, _rows = AuthToken.objects.filter(expiry__lte=now).delete()
    cool_off = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    failures, _rows = AccessAttempt.objects.filter(attempt_time__lte=now - cool_off).delete()
    return tokens + failures


@transaction.atomic
def member_login_unlock(*, membership: Membership, by) -> int:
    """A coordinator's reset of the sign-in limit (`accounts.login_limits`): every counted
    failure of the member's username, from any address, is forgotten, so the right
    password works at once. An address's failures for other accounts still count.
    `by` must be allowed `membership.unlock` on the member: PermissionDenied otherwise.
    Returns the number of attempt rows removed."""
    if not access_for_user(by).allows("membership.unlock", membership):
        raise PermissionDenied(_("Only a coordinator of the member's cities unlocks sign-in."))
    removed, _rows = AccessAttempt.objects.filter(
        username=attempt_key(membership.user.get_username())
    ).delete()
    return removed


@transaction.atomic
def member_remove(*, membership_id, access: Access) -> Membership:
    """A coordinator takes a volunteer's or shelter manager's access to their cities away,
    at once: the member's cities among the coordinator's, and the shelters in them, are
    removed (a member who also works elsewhere keeps the rest). A member left with no
    city and no shelter is signed out everywhere: their account is made inactive (their
    sessions stop working) and their tokens end. A coordinator's access is an
    administrator's to change (`membership.change`), and nobody removes their own.
    PermissionDenied if `access` may not remove this member."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(id=membership_id)
    )
    if not access.allows("membership.remove", membership):
        raise PermissionDenied(_("You may not remove this member."))
    if membership.user_id == access.user_id:
        raise PermissionDenied(_("You cannot remove your own access."))
    if membership.role == Role.COORDINATOR and not access.is_superuser:
        raise PermissionDenied(_("A coordinator's access is changed by an administrator."))
    cities = [
        city
        for city in membership.cities.all()
        if access.is_superuser or city.id in access.city_ids
    ]
    shelters = [
        shelter
        for shelter in membership.shelters.all()
        if access.is_superuser or shelter.city_id in access.city_ids
    ]
    membership.cities.remove(*cities)
    membership.shelters.remove(*shelters)
    if not membership.cities.exists() and not membership.shelters.exists():
        user = membership.user
        user.is_active = False
        user.save(update_fields=["is_active"])
        auth_tokens_end_all(user=user)
    return membership


@transaction.atomic
def api_key_create(
    *, name: str, scopes: list[str], created_by, cities: Iterable | None = None
) -> tuple:
    """Make a key; returns (ApiKey, the key in clear). The clear key is never stored.

    The maker must be allowed to make keys (`apikey.add`) and the key acts in `cities`,
    all within the maker's reach; with none (None), in every city of the maker's. An
    empty list of cities is refused (ValidationError): a key for no city is a mistake, not
    a key for every city. Raises PermissionDenied where the maker may not.
    """
    cities = None if cities is None else list(cities)
    if cities is not None and not cities:
        raise ValidationError({"cities": [_("Name at least one city, or leave cities out.")]})
    access = access_for_user(created_by)
    city_model = ApiKey._meta.get_field("cities").related_model
    theirs = access.scope(city_model._default_manager.all(), "apikey.add")
    city_ids = {city.pk for city in cities or ()} or set(theirs.values_list("pk", flat=True))
    if not access.allows("apikey.add") or theirs.filter(pk__in=city_ids).count() != len(city_ids):
        raise PermissionDenied(_("Only a coordinator makes API keys, for cities they coordinate."))
    while True:
        key = secrets.token_urlsafe(32)
        prefix = key[:PREFIX_LENGTH]
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    api_key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        digest=api_key_digest(key),
        scopes=sorted(set(scopes)),
        created_by=created_by,
    )
    api_key.cities.set(city_ids)
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


@transaction.atomic
def invitation_revoke(*, invitation_id, access: Access) -> Invitation:
    """Withdraw an invitation before it is used: its link stops working at once. Asking
    again changes nothing. The caller must be allowed `invitation.revoke` in its city
    (PermissionDenied); a used invitation answers Conflict("invitation_used"): the person
    has joined, and is switched off on the members' page instead."""
    invitation = Invitation.objects.select_for_update().get(id=invitation_id)
    if not access.allows("invitation.revoke", invitation):
        raise PermissionDenied
    if invitation.accepted_at is not None:
        raise Conflict(
            "invitation_used",
            _("This invitation has been used already; switch the member off instead."),
        )
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def invitation_create(
    *, created_by, city, role: str, shelters: Iterable = (), email_or_note: str = ""
) -> tuple[Invitation, str]:
    """A one-time link to join `city` in `role` (a shelter manager: of `shelters`, all of
    that city), working for INVITATION_HOURS. Returns the saved invitation and the link's
    path (`/join/<token>/`); only the token's digest is stored, so the path is shown once.

    The maker must be allowed to invite (`invitation.add`) in that city: PermissionDenied
    otherwise. A wrong role or shelters raise a ValidationError by field.
    """
    access = access_for_user(created_by)
    if city is None or not access.allows("invitation.add", city):
        raise PermissionDenied(_("Only a coordinator of the city invites people to it."))
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose a role.")]})
    shelters = list(shelters)
    if role == Role.SHELTER_MANAGER:
        if not shelters:
            raise ValidationError(
                {"shelters": [_("A shelter manager needs at least one shelter.")]}
            )
        if any(shelter.city_id != city.pk for shelter in shelters):
            raise ValidationError({"shelters": [_("Choose shelters of the invitation's city.")]})
    elif shelters:
        raise ValidationError({"shelters": [_("Only a shelter manager is given shelters.")]})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation(
        digest=invitation_digest(token),
        city=city,
        role=role,
        email_or_note=" ".join(email_or_note.split()),
        created_by=created_by,
        expires_at=now + timedelta(hours=INVITATION_HOURS),
    )
    invitation.full_clean(exclude=["digest", "created_by", "city"])
    invitation.save()
    invitation.shelters.set(shelters)
    return invitation, reverse("join", kwargs={"token": token})


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str) -> Membership:
    """Make the person an invitation asks for, once: the invitation is locked, checked
    (`invitation_refusal`: not used, not expired, its maker still a coordinator of the
    city) and marked used together with the new member. Holds the invitation's row lock.

    Raises ValidationError: by field for the username and password, without a field when
    the link no longer works.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("city", "created_by")
        .filter(digest=invitation_digest(token))
        .first()
    )
    refusal = invitation_refusal(invitation)
    if refusal is not None or invitation is None:
        raise ValidationError(refusal or "", code="invitation_gone")
    user_model = get_user_model()
    username = username.strip()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": [_("A user with that username already exists.")]})
    shelters = list(invitation.shelters.all())
    if invitation.role == Role.SHELTER_MANAGER and not shelters:
        raise ValidationError(
            _("The shelters of this invitation are gone. Ask the coordinator for a new one."),
            code="invitation_gone",
        )
    membership = member_create(
        username=username,
        password=password,
        role=invitation.role,
        cities=[] if invitation.role == Role.SHELTER_MANAGER else [invitation.city],
        shelters=shelters,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = membership.user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership
