"""The exact optimum (or an upper bound) of a matching instance, with SciPy's MILP (HiGHS).

Integer program over party *types* x spaces: ``x[t, j]`` parties of type ``t`` in space ``j``,
``sum_j x[t, j] <= count[t]``, ``sum_t size[t] x[t, j] <= beds[j]``, maximize
``sum weight[t] x[t, j]``. A type is (size, weight, the set of spaces that admit it), so two
parties of one type are interchangeable. Who a space admits is asked of the engine's own rule
(``arrivals.matching.admits``), so the optimum follows the rules the engine is held to: a
``women_and_children`` space takes no party with an adult or senior who is not female. Needs
numpy and scipy (the ``bench`` extra).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from arrivals.matching import Party, Space, admits, party_weight


@dataclass(frozen=True)
class ExactResult:
    optimal: bool
    value: int  # best integer answer found
    bound: int  # optimum when optimal, else HiGHS's dual (upper) bound, rounded down
    seconds: float
    types: int
    variables: int


def party_types(
    spaces: Sequence[Space], parties: Sequence[Party]
) -> list[tuple[int, int, int, list[int]]]:
    """(size, weight, count, indices of the spaces that admit the type) per type."""
    groups: dict[tuple, list[Party]] = {}
    for party in parties:
        members = party.members
        key = (
            len(members),
            party_weight(party),
            party.pets > 0,
            tuple(sorted((m.sex, m.age_group, "wheelchair" in m.needs) for m in members)),
        )
        groups.setdefault(key, []).append(party)
    by_type: dict[tuple, list[int]] = {}
    for key, members in groups.items():
        sample = members[0]
        fits = tuple(j for j, s in enumerate(spaces) if s.beds >= key[0] and admits(s, sample))
        t = (key[0], key[1], fits)
        by_type[t] = by_type.get(t, [0])
        by_type[t][0] += len(members)
    return [(size, weight, count[0], list(fits)) for (size, weight, fits), count in by_type.items()]


def solve_exact(
    spaces: Sequence[Space], parties: Sequence[Party], *, time_limit: float = 120.0
) -> ExactResult:
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    start = time.perf_counter()
    types = party_types(spaces, parties)
    rows, cols, vals, cost, upper = [], [], [], [], []
    n_types = len(types)
    var = 0
    for t, (size, weight, count, fits) in enumerate(types):
        for j in fits:
            rows += [t, n_types + j]
            cols += [var, var]
            vals += [1.0, float(size)]
            cost.append(-float(weight))
            upper.append(float(min(count, spaces[j].beds // size)))
            var += 1
    if var == 0:
        return ExactResult(True, 0, 0, time.perf_counter() - start, n_types, 0)
    matrix = coo_matrix((vals, (rows, cols)), shape=(n_types + len(spaces), var)).tocsr()
    rhs = np.array([float(c) for _, _, c, _ in types] + [float(max(s.beds, 0)) for s in spaces])
    result = milp(
        c=np.array(cost),
        integrality=np.ones(var),
        bounds=Bounds(np.zeros(var), np.array(upper)),
        constraints=LinearConstraint(matrix, -np.inf, rhs),
        options={"time_limit": time_limit, "disp": False, "mip_rel_gap": 0.0},
    )
    seconds = time.perf_counter() - start
    value = int(round(-result.fun)) if result.x is not None else 0
    optimal = result.status == 0
    if optimal:
        bound = value
    else:
        dual = getattr(result, "mip_dual_bound", None)
        bound = int(np.floor(-dual + 1e-6)) if dual is not None and np.isfinite(dual) else -1
    return ExactResult(optimal, value, bound, seconds, n_types, var)
