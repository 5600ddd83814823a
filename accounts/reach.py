"""How a model's rows are placed in the cities and shelters that roles cover.

A model whose rows belong to a city (and perhaps a shelter) declares it once, as a
class attribute `reach = Reach(...)`; `accounts.access.Access.scope` filters any
queryset of it by that declaration. A model without one is reached by superusers
only. This module imports nothing of Berth, so any app's models may use it.
"""

from dataclasses import dataclass

from django.db.models import Q


@dataclass(frozen=True)
class Reach:
    """Lookups from a model to the city and the shelter its rows are at.

    - `city`: a lookup to the row's city, or several (a row is in each city any of
      them leads to). Coordinators, volunteers and API keys reach the rows of their
      cities; so do shelter managers where `shelter` is empty (their shelters' cities).
    - `shelter`: a lookup to the shelter a row is at: a shelter manager reaches the
      rows at their shelters.
    - `present` and `seen`: where a row is at a shelter only under a condition on the
      same related rows (a party is at the shelter of its held or checked-in
      placement), `present` is that condition, asked of what a manager acts on, and
      `seen` the wider one asked of what a manager reads (a party they checked out
      stays readable there).

    Lookups that cross a many-valued relation are answered without repeating rows.
    """

    city: str | tuple[str, ...]
    shelter: str = ""
    present: Q | None = None
    seen: Q | None = None

    @property
    def cities(self) -> tuple[str, ...]:
        return (self.city,) if isinstance(self.city, str) else tuple(self.city)
