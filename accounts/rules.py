"""Who may do what: the one table of actions and the roles (and API key scopes) allowed.

Every caller reads it through `accounts.access.Access.allows`: the API's permission
class (`accounts.permissions.IsMember`), the web pages, the back office
(`accounts.admin.ScopedModelAdmin`) and the services. An action is named
`<resource>.<verb>`: the resource is a model's name (`party`, `mealservice`) or an
answer that is no model (`capacity`, `mealsreport`); `view`, `add`, `change` and
`delete` are the usual verbs, anything else an action of its own (`party.check_in`).

A rule says which roles may act, and which API key scope lets an integration act too.
Where the action is on an object, the object must also be within the caller's reach
(`Access.scope`). A superuser may do everything; an action not in the table, nobody.
"""

from dataclasses import dataclass

from .models import Role, Scope

COORDINATOR = frozenset({Role.COORDINATOR})
CITY_STAFF = frozenset({Role.COORDINATOR, Role.VOLUNTEER})
# Those who run shelters: they edit shelters, spaces and meals, and work in the back
# office (`accounts.services.member_create` makes them staff users).
SHELTER_STAFF = frozenset({Role.COORDINATOR, Role.SHELTER_MANAGER})
EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class Rule:
    roles: frozenset = frozenset()
    scope: str | None = None  # the API key scope that also grants it; None: no key may


SUPERUSERS = Rule()  # no role: only a superuser

RULES: dict[str, Rule] = {
    # Cities: an administrator (superuser) makes and renames them.
    "city.view": Rule(EVERYONE, Scope.CAPACITY_READ),
    "city.add": SUPERUSERS,
    "city.change": SUPERUSERS,
    "city.delete": SUPERUSERS,
    # ... but a coordinator keeps the phone volunteers call up to date in their cities
    # (`shelters.services.city_update`: CITY_COORDINATOR_FIELDS only).
    "city.coordinator_phone": Rule(COORDINATOR),
    "capacity.view": Rule(CITY_STAFF, Scope.CAPACITY_READ),
    "shelter.view": Rule(EVERYONE, Scope.CAPACITY_READ),
    "shelter.add": Rule(COORDINATOR),
    "shelter.change": Rule(SHELTER_STAFF),
    "shelter.delete": Rule(COORDINATOR),
    "space.view": Rule(EVERYONE, Scope.CAPACITY_READ),
    "space.add": Rule(SHELTER_STAFF),
    "space.change": Rule(SHELTER_STAFF),
    "space.delete": Rule(SHELTER_STAFF),
    # Parties: city staff register; shelter staff check in and out (a manager only a
    # party placed at their shelter: the party's reach); only coordinators cancel.
    "party.view": Rule(EVERYONE, Scope.PARTIES_READ),
    "party.add": Rule(CITY_STAFF, Scope.PARTIES_WRITE),
    "party.check_in": Rule(SHELTER_STAFF),
    "party.check_out": Rule(SHELTER_STAFF),
    # At the door: correcting who actually came before checking a held party in
    # (`arrivals.services.party_update(on_arrival=True)`), and "did not come", which
    # releases the hold (`arrivals.services.placement_cancel` with the caller's access).
    "party.arrival_correct": Rule(SHELTER_STAFF),
    "party.no_show": Rule(SHELTER_STAFF),
    "party.cancel": Rule(COORDINATOR),
    "party.history": Rule(COORDINATOR),
    # Correcting a waiting or held party: coordinators, and the volunteer who registered
    # it for 24 hours (`arrivals.services.party_update`, under the party's lock).
    "party.change": Rule(CITY_STAFF),
    # Listing every party in reach; the others (volunteers) list only the parties they
    # registered, and find any of their cities' by code (`arrivals.selectors.parties_listed`).
    "party.list_all": Rule(SHELTER_STAFF, Scope.PARTIES_READ),
    # `?search=` by code, names and phone, and seeing `possible_duplicate` (whether another
    # open registration gave the same phone): coordinators only, so that registering is no
    # way to learn who else arrived.
    "party.search": Rule(COORDINATOR),
    "party.possible_duplicate": Rule(COORDINATOR),
    # The city board (`arrivals.web_board`): beds by kind and shelter, the waiting by
    # reason, duplicates to review, search, capacity over time.
    "board.view": Rule(COORDINATOR),
    # Family names and phone: coordinators of the party's city, managers of the
    # shelter it is placed at now (`arrivals.services.parties_personal_data_show`).
    "party.personal_data": Rule(SHELTER_STAFF),
    "placement.view": Rule(EVERYONE, Scope.PARTIES_READ),
    "placement.add": Rule(COORDINATOR),
    "placement.cancel": Rule(COORDINATOR),
    "matchingrun.view": Rule(CITY_STAFF),
    "matchingrun.add": Rule(CITY_STAFF),
    # Meals: an integration that records servings finds the services it records at.
    "mealservice.view": Rule(EVERYONE, Scope.MEALS_WRITE),
    "mealservice.add": Rule(SHELTER_STAFF),
    "mealservice.change": Rule(SHELTER_STAFF),
    "mealservice.delete": Rule(SHELTER_STAFF),
    # Managers plan meals at their shelters; at a point (a station, a crossing) only
    # coordinators do (`meals.services.meal_service_create`).
    "mealservice.add_at_point": Rule(COORDINATOR),
    "mealservice.servings": Rule(EVERYONE, Scope.MEALS_WRITE),
    # Taking a serving back: who recorded it, within minutes; staff who may change the
    # service, at any time (`meals.services.serving_may_take_back`).
    "mealservice.serving_take_back": Rule(EVERYONE, Scope.MEALS_WRITE),
    "mealschedule.view": Rule(EVERYONE),
    "mealschedule.add": Rule(SHELTER_STAFF),
    "mealschedule.change": Rule(SHELTER_STAFF),
    "mealschedule.delete": Rule(SHELTER_STAFF),
    "mealsreport.view": Rule(COORDINATOR),
    # People and keys: coordinators, in their cities; roles change by a superuser.
    "membership.view": Rule(COORDINATOR),
    "membership.add": Rule(COORDINATOR),
    "membership.change": SUPERUSERS,
    "membership.delete": SUPERUSERS,
    "membership.me": Rule(EVERYONE),
    # Lifting a member's sign-in lockout (`accounts.services.member_login_unlock`).
    "membership.unlock": Rule(COORDINATOR),
    # Taking a volunteer's or manager's access to one's cities away
    # (`accounts.services.member_remove`).
    "membership.remove": Rule(COORDINATOR),
    "apikey.view": Rule(COORDINATOR),
    "apikey.add": Rule(COORDINATOR),
    "apikey.revoke": Rule(COORDINATOR),
    # One-time invitation links to join a city in a role (`accounts.services.invitation_create`).
    "invitation.view": Rule(COORDINATOR),
    "invitation.add": Rule(COORDINATOR),
    "invitation.revoke": Rule(COORDINATOR),
    # Webhooks of a city: its coordinators subscribe, read the delivery log, redeliver,
    # enable again what a day of failures disabled, and delete.
    "webhook.view": Rule(COORDINATOR),
    "webhook.add": Rule(COORDINATOR),
    "webhook.delete": Rule(COORDINATOR),
    "webhook.deliveries": Rule(COORDINATOR),
    "webhook.redeliver": Rule(COORDINATOR),
    "webhook.enable": Rule(COORDINATOR),
    # Spreadsheets of a city (spreadsheets/): its coordinators upload, check and import
    # shelters, registers of arrivals and host offers, and export parties (names and
    # phones only when asked, and audited: `party.personal_data` decides whose),
    # placements and capacity history.
    "importjob.view": Rule(COORDINATOR),
    "importjob.add": Rule(COORDINATOR),
    "importjob.confirm": Rule(COORDINATOR),
    "partiesexport.view": Rule(COORDINATOR),
    "placementsexport.view": Rule(COORDINATOR),
    "capacityexport.view": Rule(COORDINATOR),
    # Residents' offers of apartments: anyone sends one, signed in or not (the view lets
    # anonymous senders in and limits each address: `shelters.throttling`); the
    # coordinators of its city read it, the host's name and phone with it (audited:
    # `shelters.services.host_offers_personal_data_show`), and accept or decline it.
    "hostoffer.add": Rule(EVERYONE),
    "hostoffer.view": Rule(COORDINATOR),
    "hostoffer.personal_data": Rule(COORDINATOR),
    "hostoffer.accept": Rule(COORDINATOR),
    "hostoffer.decline": Rule(COORDINATOR),
    "auditentry.view": SUPERUSERS,
}
