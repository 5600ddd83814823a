"""Depth-first branch and bound for small instances, within a fixed number of nodes.

Deterministic: it counts nodes, never time. It only looks for answers strictly heavier than
the one it is given, so it can stop anywhere and keep what it has.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence


class _Budget(Exception):
    pass


def improve_exactly(
    *,
    sizes: Sequence[int],
    weights: Sequence[int],
    types: Sequence[object],
    candidates: Sequence[Sequence[int]],
    space_key: Sequence[object],
    free: Sequence[int],
    incumbent: int,
    budget: int,
) -> tuple[list[int] | None, bool]:
    """Parties ``0..n-1``, given densest first with equal types next to each other;
    ``candidates[k]``: the spaces party ``k`` may go to, in order of preference. Spaces with
    equal ``space_key`` (class) and equal free beds are interchangeable.

    Returns (space per party or -1 for the best answer heavier than ``incumbent``, or None;
    whether the search finished, i.e. proved the best answer optimal).
    """
    n = len(sizes)
    prefix_size = [0] * (n + 1)
    prefix_weight = [0] * (n + 1)
    for k in range(n):
        prefix_size[k + 1] = prefix_size[k] + sizes[k]
        prefix_weight[k + 1] = prefix_weight[k] + weights[k]
    free = list(free)
    capacity = sum(f for f in free if f > 0)
    assign = [-1] * n
    best: list[int] | None = None
    best_weight = incumbent
    nodes = 0
    seen: dict[tuple[int, tuple[tuple[object, int], ...]], int] = {}
    same_as_previous = [k > 0 and types[k] == types[k - 1] for k in range(n)]

    # Prefix sums of sizes and weights over the parties that may go to space j and have at
    # most L members (a space with L free beds takes no larger party below this node).
    fits_at: list[set[int]] = [set() for _ in free]
    for k in range(n):
        for j in candidates[k]:
            fits_at[j].add(k)
    largest = max(sizes, default=0)
    prefixes: dict[tuple[int, int], tuple[list[int], list[int]]] = {}

    def prefix(j: int, limit: int) -> tuple[list[int], list[int]]:
        key = (j, limit)
        found = prefixes.get(key)
        if found is None:
            ps = [0] * (n + 1)
            pw = [0] * (n + 1)
            members = fits_at[j]
            for k in range(n):
                ok = k in members and sizes[k] <= limit
                ps[k + 1] = ps[k] + (sizes[k] if ok else 0)
                pw[k + 1] = pw[k] + (weights[k] if ok else 0)
            found = prefixes[key] = (ps, pw)
        return found

    used_spaces = [j for j in range(len(free)) if fits_at[j]]

    def fill(ps: list[int], pw: list[int], k: int, cap: int) -> float:
        # Densest first from party k on, the last party split.
        m = bisect_right(ps, ps[k] + cap) - 1
        value: float = pw[m] - pw[k]
        if m < n:
            rest = cap - (ps[m] - ps[k])
            # Party m is the next that counts here (ps grows at m); split it.
            value += rest * weights[m] / sizes[m] if ps[m + 1] > ps[m] else 0
        return value

    def bound(k: int, cap: int) -> float:
        # Densest first into all the free beds; or each space on its own, a party counted
        # in every space it could go to. Both relax the problem; the smaller holds.
        everywhere = fill(prefix_size, prefix_weight, k, cap)
        apart = 0.0
        for j in used_spaces:
            f = free[j]
            if f > 0:
                apart += fill(*prefix(j, min(f, largest)), k, f)
                if apart >= everywhere:
                    return everywhere
        return apart

    def dfs(k: int, weight: int, cap: int) -> None:
        nonlocal nodes, best, best_weight
        nodes += 1
        if nodes > budget:
            raise _Budget
        if k == n:
            if weight > best_weight:
                best_weight = weight
                best = list(assign)
            return
        if weight + bound(k, cap) < best_weight + 1:
            return
        # Reaching the same free beds again (up to equal spaces) with no more weight is useless.
        state = (k, tuple(sorted(zip(space_key, free, strict=False))))
        if seen.get(state, -1) >= weight:
            return
        seen[state] = weight
        size = sizes[k]
        # Among equal parties the placed ones come first.
        if not (same_as_previous[k] and assign[k - 1] < 0):
            tried = set()
            for j in candidates[k]:
                f = free[j]
                if f < size:
                    continue
                key = (space_key[j], f)
                if key in tried:
                    continue
                tried.add(key)
                free[j] = f - size
                assign[k] = j
                dfs(k + 1, weight + weights[k], cap - size)
                free[j] = f
            assign[k] = -1
        dfs(k + 1, weight, cap)

    try:
        dfs(0, 0, capacity)
    except _Budget:
        return best, False
    return best, True
