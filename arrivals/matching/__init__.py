"""Berth's matching engine: which waiting party goes to which space.

Pure Python over plain data (docs/matching.md): no Django, no database, no clock, no I/O. The
caller takes a snapshot of one city and passes

* ``spaces``: the spaces of the city's *open* shelters only (closed shelters are filtered out
  by the caller), each with ``beds`` = its free beds now; a space with ``beds <= 0`` takes
  nobody;
* ``parties``: the parties waiting now.

:func:`solve` answers with placements and, for every other party, the reason it was not
placed; every party appears exactly once. It maximizes the total placed weight; among answers
of that weight it prefers longest-waiting parties (``waiting_since``, then ``id``), then spaces
that leave fewer beds stranded, and it keeps wheelchair-accessible, pet-friendly,
families-only and women-and-children beds for the parties that need them while other beds fit.
The answer is deterministic: the same input gives the same output. :func:`greedy` is the
first-come first-fit baseline; :func:`violations` checks any answer against the rules.

Who a space admits (rule 3) is defined once, by :func:`admitting`: the solvers and the checker
use it, and so does :func:`admits` (which adds wheelchair access and pets), which the Django
side asks before it writes a placement. A
``women_and_children`` space takes a party only if every adult and senior in it is
``female``: an adult or senior whose sex is ``male`` or ``unspecified`` never goes there;
children and infants of any sex do.

Unplaced reasons are judged on the snapshot (see :class:`kinds.ReasonFinder`): the first of
``party_too_large`` (more members than the free beds of every space), ``no_accessible_space``,
``no_pet_friendly_space``, ``no_admitting_space``, else ``no_capacity``.
"""

from .baseline import greedy
from .checker import violations
from .engine import solve
from .model import (
    ADMITS,
    AGE_GROUPS,
    NEEDS,
    NO_ACCESSIBLE_SPACE,
    NO_ADMITTING_SPACE,
    NO_CAPACITY,
    NO_PET_FRIENDLY_SPACE,
    PARTY_TOO_LARGE,
    REASONS,
    SEX,
    Answer,
    Member,
    Party,
    Placement,
    Space,
    Unplaced,
    admits,
    admitting,
    member_weight,
    party_weight,
)
from .serialization import answer_to_json, instance_from_json, instance_to_json

__all__ = [
    "ADMITS",
    "AGE_GROUPS",
    "NEEDS",
    "NO_ACCESSIBLE_SPACE",
    "NO_ADMITTING_SPACE",
    "NO_CAPACITY",
    "NO_PET_FRIENDLY_SPACE",
    "PARTY_TOO_LARGE",
    "REASONS",
    "SEX",
    "Answer",
    "Member",
    "Party",
    "Placement",
    "Space",
    "Unplaced",
    "admits",
    "admitting",
    "answer_to_json",
    "greedy",
    "instance_from_json",
    "instance_to_json",
    "member_weight",
    "party_weight",
    "solve",
    "violations",
]
