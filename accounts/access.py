"""What a caller may see and do: computed once per request from its role or API key.

Every view asks `access_for(request)` and scopes its querysets with the selectors in
`accounts.selectors`; nothing is visible by default.
"""

from dataclasses import dataclass

from .models import ApiKey, Role

INTEGRATION = "integration"


@dataclass(frozen=True)
class Access:
    user_id: int | None
    username: str
    role: str | None
    is_superuser: bool
    city_ids: frozenset
    shelter_ids: frozenset
    scopes: frozenset | None = None  # None for people; an API key's scopes otherwise

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_integration(self) -> bool:
        return self.role == INTEGRATION

    def manages_shelter(self, shelter_id) -> bool:
        """May edit the shelter's spaces and see the personal data of parties placed there."""
        if self.is_superuser:
            return True
        if self.role == Role.SHELTER_MANAGER:
            return shelter_id in self.shelter_ids
        return False

    def sees_personal_data_in_city(self, city_id) -> bool:
        return self.is_superuser or (self.is_coordinator and city_id in self.city_ids)


NOBODY = Access(None, "", None, False, frozenset(), frozenset())


def access_for_user(user) -> Access:
    """What a person may see and do, outside a request too (the admin, commands)."""
    if not user or not user.is_authenticated:
        return NOBODY
    if user.is_superuser:
        return Access(user.pk, user.get_username(), None, True, frozenset(), frozenset())
    membership = getattr(user, "membership", None)
    if membership is None:
        return Access(user.pk, user.get_username(), None, False, frozenset(), frozenset())
    shelters = list(membership.shelters.values_list("id", "city_id"))
    shelter_ids = frozenset(shelter_id for shelter_id, _ in shelters)
    if membership.role == Role.SHELTER_MANAGER:
        city_ids = frozenset(city_id for _, city_id in shelters)
    else:
        city_ids = frozenset(membership.cities.values_list("id", flat=True))
    return Access(user.pk, user.get_username(), membership.role, False, city_ids, shelter_ids)


def _access_for_key(key: ApiKey) -> Access:
    """A key acts in its cities, as far as its maker still coordinates them: a key
    outlives neither its maker's role nor their cities."""
    cities = frozenset(key.cities.values_list("id", flat=True))
    maker = access_for_user(key.created_by)
    if not maker.is_superuser:
        cities &= maker.city_ids if maker.is_coordinator else frozenset()
    return Access(
        key.created_by_id,
        f"api-key:{key.name}",
        INTEGRATION,
        False,
        cities,
        frozenset(),
        frozenset(key.scopes),
    )


def access_for(request) -> Access:
    cached = getattr(request, "_berth_access", None)
    if cached is not None:
        return cached
    auth = getattr(request, "auth", None)
    access = _access_for_key(auth) if isinstance(auth, ApiKey) else access_for_user(request.user)
    request._berth_access = access
    return access
