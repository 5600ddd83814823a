"""The matching engine (see docs/matching.md and the package docstring).

How :func:`solve` works, pure Python, deterministic (it counts steps, never time):

1. Parties become ``(size, weight, admits mask, wheelchair, pets)``; spaces fall into at most
   16 classes ``(admits, wheelchair, pets)``.
2. Plan: a fractional relaxation over party types x (class, space size) is solved exactly by
   augmenting paths, densest types first (weight per bed). It says how many parties of each
   type go to each class, so that, e.g., women go to the women-and-children wing and leave the
   general hall to the families who could go nowhere else.
3. Construct: densest parties first (larger first among equals, then longest waiting), each to
   a space of a class its type was planned for. Among spaces it prefers, in order: wasting no
   feature it does not need (wheelchair access, pets), filling a space exactly, leaving at
   least ROOMY beds, leaving few beds; then the more restricted ``admits``; then input order.
4. Improve until nothing changes: place waiting parties directly or by moving placed parties
   to other spaces (they stay placed); move placed parties out of spaces that waiting parties
   want; re-fill single spaces by a knapsack over their parties and the waiting ones.
   Small instances (up to EXACT_PARTIES parties) also get a branch and bound over the whole
   instance and over small groups of spaces, each cut at a fixed number of nodes.
5. Among parties of equal size and weight, the longest waiting are the ones placed.

Every step that changes the answer raises its weight (or, in 5, keeps it), so it ends; the
last round checks every waiting party against the final free beds, so no unplaced party fits
a space that admits it.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence

from .answer import build_answer, check_ids, queue_order
from .kinds import (
    ANYONE,
    FAMILIES,
    MEN_ONLY,
    WOMEN_AND_CHILDREN,
    Kind,
    PartyInfo,
    SpaceClass,
    classify,
    space_class,
)
from .model import Answer, Party, Space
from .search import improve_exactly

#: A space left with at least this many free beds after a placement still has room for a
#: typical family: placing there strands nothing.
ROOMY = 4
#: Spaces with up to this many free beds are planned by their exact size.
SMALL_SPACE = 12
#: Instances with at most this many parties and spaces with free beds get a branch and
#: bound of EXACT_NODES nodes, and of GROUP_NODES nodes for small groups of spaces.
EXACT_PARTIES = 400
EXACT_SPACES = 60
EXACT_NODES = 3_000
#: Groups of spaces re-solved exactly on small instances: beds in all, nodes each.
GROUP_BEDS = 40
GROUP_NODES = 2_000
MAX_GROUPS = 1_500


class _Pool:
    """The spaces of one class with free beds, by number of free beds."""

    __slots__ = ("buckets", "vals")

    def __init__(self) -> None:
        self.vals: list[int] = []  # distinct free-bed counts present, ascending
        self.buckets: dict[int, list[int]] = {}  # free beds -> space indices, ascending

    def add(self, j: int, free: int) -> None:
        if free <= 0:
            return
        bucket = self.buckets.get(free)
        if bucket is None:
            self.buckets[free] = [j]
            insort(self.vals, free)
        else:
            insort(bucket, j)

    def remove(self, j: int, free: int) -> None:
        if free <= 0:
            return
        bucket = self.buckets[free]
        if len(bucket) == 1:
            del self.buckets[free]
            del self.vals[bisect_left(self.vals, free)]
        else:
            del bucket[bisect_left(bucket, j)]


class _State:
    def __init__(self, spaces: Sequence[Space], info: list[PartyInfo], rank: list[int]) -> None:
        self.spaces = spaces
        self.info = info
        self.rank = rank
        self.n = len(info)
        self.free = [max(s.beds, 0) for s in spaces]
        self.where = [-1] * self.n
        self.occupants: list[list[int]] = [[] for _ in spaces]
        class_ids: dict[SpaceClass, int] = {}
        self.space_cls: list[int] = []
        for s in spaces:
            key = space_class(s)
            c = class_ids.get(key)
            if c is None:
                c = class_ids[key] = len(class_ids)
            self.space_cls.append(c)
        self.classes: list[SpaceClass] = list(class_ids)
        self.pools = [_Pool() for _ in self.classes]
        for j, f in enumerate(self.free):
            self.pools[self.space_cls[j]].add(j, f)
        self._admits_rank = self._rank_admits()
        self._kind_groups: dict[Kind, list[list[tuple[int, int]]]] = {}
        self.locked = -1
        self._fitting: dict[int, list[int]] = {}
        self.beds = list(self.free)
        self.class_spaces: list[list[int]] = [[] for _ in self.classes]
        for j, f in enumerate(self.free):
            if f > 0:
                self.class_spaces[self.space_cls[j]].append(j)
        # Per class: (size, mask, wheel, pets) of the parties placed there -> how many.
        self.class_occ: list[dict[tuple[int, int, bool, bool], int]] = [{} for _ in self.classes]

    # -- preferences ---------------------------------------------------------------------
    def _rank_admits(self) -> dict[int, int]:
        """Order in which a party tries the admits values it satisfies: the most restricted
        first. ``families`` and ``women_and_children`` are not nested; the one whose beds are
        less sought after (demand over capacity) comes first."""
        demand = {FAMILIES: 0, WOMEN_AND_CHILDREN: 0}
        capacity = {FAMILIES: 0, WOMEN_AND_CHILDREN: 0}
        for size, _, mask, _, _ in self.info:
            for bit in demand:
                if mask & bit:
                    demand[bit] += size
        for j, f in enumerate(self.free):
            bit = self.classes[self.space_cls[j]][0]
            if bit in capacity:
                capacity[bit] += f
        pressure = {
            bit: (demand[bit] / capacity[bit]) if capacity[bit] else float("inf") for bit in demand
        }
        first, second = sorted(demand, key=lambda b: (pressure[b], b))
        return {first: 0, second: 1, MEN_ONLY: 2, ANYONE: 3}

    def kind_groups(self, mask: int, wheel: bool, pets: bool) -> list[list[tuple[int, int]]]:
        """The classes a party of this kind fits, grouped by how many features it would waste
        (wheelchair access it does not need, pets it does not have), fewest first."""
        key = (mask, wheel, pets)
        groups = self._kind_groups.get(key)
        if groups is None:
            by_waste: dict[int, list[tuple[int, int]]] = {}
            for c, (bit, c_wheel, c_pets) in enumerate(self.classes):
                if not (mask & bit) or (wheel and not c_wheel) or (pets and not c_pets):
                    continue
                waste = (c_wheel and not wheel) + (c_pets and not pets)
                by_waste.setdefault(waste, []).append((c, self._admits_rank[bit]))
            groups = [sorted(by_waste[w], key=lambda x: (x[1], x[0])) for w in sorted(by_waste)]
            self._kind_groups[key] = groups
        return groups

    def choose(self, i: int, below: list[int] | None = None, limit: int = 0) -> int:
        """The best space for party ``i`` among those with room now, or -1. With ``below``,
        only classes ``c`` with ``below[c] < limit``."""
        size, _, mask, wheel, pets = self.info[i]
        pools = self.pools
        for group in self.kind_groups(mask, wheel, pets):
            best = None
            for c, crank in group:
                if below is not None and below[c] >= limit:
                    continue
                pool = pools[c]
                bucket = pool.buckets.get(size)
                if bucket is not None:
                    cand = (0, crank, 0, bucket[0])
                else:
                    vals = pool.vals
                    k = bisect_left(vals, size + ROOMY)
                    if k < len(vals):
                        v = vals[k]
                        cand = (1, crank, v, pool.buckets[v][0])
                    else:
                        k = bisect_left(vals, size + 1)
                        if k == len(vals):
                            continue
                        v = vals[k]
                        cand = (2, crank, v, pool.buckets[v][0])
                if best is None or cand < best:
                    best = cand
            if best is not None:
                return best[3]
        return -1

    # -- moves ---------------------------------------------------------------------------
    def _set_free(self, j: int, new: int) -> None:
        if j != self.locked:
            pool = self.pools[self.space_cls[j]]
            pool.remove(j, self.free[j])
            pool.add(j, new)
        self.free[j] = new

    def place(self, i: int, j: int) -> None:
        info = self.info[i]
        self._set_free(j, self.free[j] - info[0])
        self.where[i] = j
        self.occupants[j].append(i)
        occ = self.class_occ[self.space_cls[j]]
        key = (info[0], info[2], info[3], info[4])
        occ[key] = occ.get(key, 0) + 1

    def unplace(self, i: int) -> None:
        j = self.where[i]
        info = self.info[i]
        self._set_free(j, self.free[j] + info[0])
        self.where[i] = -1
        self.occupants[j].remove(i)
        occ = self.class_occ[self.space_cls[j]]
        key = (info[0], info[2], info[3], info[4])
        left = occ[key] - 1
        if left:
            occ[key] = left
        else:
            del occ[key]

    def lock(self, j: int) -> None:
        """Take space ``j`` out of its pool: :meth:`choose` will not offer it."""
        self.pools[self.space_cls[j]].remove(j, self.free[j])
        self.locked = j

    def unlock(self) -> None:
        j = self.locked
        self.locked = -1
        self.pools[self.space_cls[j]].add(j, self.free[j])

    # -- phases --------------------------------------------------------------------------
    def plan(self) -> dict[PartyInfo, dict[int, int]]:
        """How many parties of each type (``info`` tuple) go to each space class.

        A fractional relaxation solved exactly: beds are pooled per class and per space size
        (spaces up to SMALL_SPACE beds by their exact size, larger ones together), parties are
        divisible. Types are served densest first, each by augmenting paths that may move
        earlier types to other classes (a greedy that is optimal for this transportation
        problem, whose profit depends on the type alone). Parties are then rounded down.
        """
        info = self.info
        counts: dict[PartyInfo, int] = {}
        for x in info:
            counts[x] = counts.get(x, 0) + 1
        node_ids: dict[tuple[int, int], int] = {}
        node_cls: list[int] = []
        node_band: list[int] = []
        node_max: list[int] = []
        left: list[int] = []
        for j, f in enumerate(self.free):
            if f <= 0:
                continue
            key = (self.space_cls[j], f if f <= SMALL_SPACE else SMALL_SPACE + 1)
            v = node_ids.get(key)
            if v is None:
                v = node_ids[key] = len(node_cls)
                node_cls.append(key[0])
                node_band.append(key[1])
                node_max.append(0)
                left.append(0)
            left[v] += f
            node_max[v] = max(node_max[v], f)
        class_nodes: dict[int, list[int]] = {}
        for v, c in enumerate(node_cls):
            class_nodes.setdefault(c, []).append(v)
        fits: dict[PartyInfo, list[int]] = {}
        for t in counts:
            size, _, mask, wheel, pets = t
            nodes: list[int] = []
            for group in self.kind_groups(mask, wheel, pets):
                ranked = []
                for c, crank in group:
                    for v in class_nodes.get(c, ()):
                        band = node_band[v]
                        if node_max[v] < size:
                            continue
                        fit = 0 if band == size else 1 if band >= size + ROOMY else 2
                        ranked.append((fit, crank, band, v))
                nodes.extend(v for *_, v in sorted(ranked))
            fits[t] = nodes
        flow: list[dict[PartyInfo, int]] = [{} for _ in node_cls]
        for t in sorted(counts, key=lambda t: (-t[1] / t[0], -t[0], t)):
            supply = counts[t] * t[0]
            while supply > 0:
                path = self._augmenting_path(t, fits, flow, left)
                if path is None:
                    break
                end, steps = path
                push = min(supply, left[end])
                for v, _w, moved in steps:
                    push = min(push, flow[v][moved])
                left[end] -= push
                supply -= push
                for v, w, moved in steps:
                    flow[v][moved] -= push
                    flow[w][moved] = flow[w].get(moved, 0) + push
                first = steps[0][0] if steps else end
                flow[first][t] = flow[first].get(t, 0) + push
        shares: dict[PartyInfo, dict[int, float]] = {}
        for v, amounts in enumerate(flow):
            c = node_cls[v]
            for t, people in amounts.items():
                if people >= t[0]:
                    per_class = shares.setdefault(t, {})
                    per_class[c] = per_class.get(c, 0.0) + people / t[0]
        return {
            t: {c: int(share + 1e-9) for c, share in per_class.items()}
            for t, per_class in shares.items()
        }

    @staticmethod
    def _augmenting_path(
        t: PartyInfo,
        fits: dict[PartyInfo, list[int]],
        flow: list[dict[PartyInfo, int]],
        left: list[int],
    ) -> tuple[int, list[tuple[int, int, PartyInfo]]] | None:
        """Breadth first from type ``t`` to a node with beds left, through nodes whose placed
        types could move: ``(end node, [(from node, to node, moved type), ...])``."""
        parent: dict[int, tuple[int, PartyInfo] | None] = {}
        queue: list[int] = []
        for v in fits[t]:
            if v not in parent:
                parent[v] = None
                queue.append(v)
        k = 0
        while k < len(queue):
            v = queue[k]
            k += 1
            if left[v] > 0:
                steps = []
                step = parent[v]
                while step is not None:
                    u, moved = step
                    steps.append((u, v, moved))
                    v = u
                    step = parent[v]
                steps.reverse()
                return queue[k - 1], steps
            for moved, amount in flow[v].items():
                if amount <= 0:
                    continue
                for w in fits[moved]:
                    if w not in parent:
                        parent[w] = (v, moved)
                        queue.append(w)
        return None

    def construct(self) -> None:
        """Densest parties first (weight per bed), larger first among equals, then longest
        waiting; each into the space chosen by :meth:`choose` within the classes the plan
        gives its type; those the plan leaves out come last, wherever they fit."""
        info = self.info
        rank = self.rank
        order = sorted(
            range(self.n), key=lambda i: (-info[i][1] / info[i][0], -info[i][0], rank[i])
        )
        quota = self.plan()
        n_classes = len(self.classes)
        later = []
        closed_by_type: dict[PartyInfo, list[int]] = {}
        for i in order:
            t = info[i]
            per_class = quota.get(t)
            if not per_class:
                later.append(i)
                continue
            closed = closed_by_type.get(t)
            if closed is None:
                closed = [0 if per_class.get(c, 0) > 0 else 1 for c in range(n_classes)]
                closed_by_type[t] = closed
            j = self.choose(i, closed, 1)
            if j < 0:
                later.append(i)
                continue
            self.place(i, j)
            c = self.space_cls[j]
            per_class[c] -= 1
            if per_class[c] <= 0:
                closed[c] = 1
                if all(closed):
                    del quota[t]
        # Free beds only go down here: once a party of some kind finds no room, no party of
        # that kind at least as large will.
        failed: dict[Kind, int] = {}
        for i in later:
            size, _, mask, wheel, pets = info[i]
            kind = (mask, wheel, pets)
            if size >= failed.get(kind, 1 << 30):
                continue
            j = self.choose(i)
            if j < 0:
                failed[kind] = size
            else:
                self.place(i, j)

    # -- improvement -----------------------------------------------------------------------
    def improve(self, max_rounds: int = 20) -> None:
        """Raise the placed weight, then honour the waiting order among equals.

        Each step either places one more party (moving others, who stay placed) or swaps a
        space's parties for waiting ones of higher total weight, so the weight only rises and
        the loop ends. The last round changes nothing, so every waiting party was checked
        against the final free beds.
        """
        for _ in range(max_rounds):
            changed = self.insert_pass()
            if self.consolidate():
                changed = self.insert_pass() or changed
            changed = self.swap_pass() or changed
            if not changed:
                break
        if self.n <= EXACT_PARTIES and len(self.class_spaces_all()) <= EXACT_SPACES:
            # Small instances: branch and bound over everything, then over small groups of
            # spaces (all pairs and triples of few beds), until nothing improves.
            improved = self.reoptimize(None, EXACT_NODES)
            for _ in range(max_rounds):
                waiting = self.waiting_by_kind()
                for group in self.neighbourhoods():
                    if self.reoptimize(group, GROUP_NODES, waiting):
                        improved = True
                        waiting = self.waiting_by_kind()
                if not improved:
                    break
                improved = False
                for _ in range(max_rounds):
                    changed = self.insert_pass()
                    changed = self.swap_pass() or changed
                    if not changed:
                        break
        self.fairness_pass()

    def class_spaces_all(self) -> list[int]:
        """The spaces with free beds."""
        return [j for j in range(len(self.beds)) if self.beds[j] > 0]

    def neighbourhoods(self) -> list[list[int]]:
        """Pairs and triples of spaces with at most GROUP_BEDS beds in all (the first
        MAX_GROUPS of them, in space order)."""
        spaces = [j for j in range(len(self.beds)) if self.beds[j] > 0]
        beds = self.beds
        groups = []
        for x, a in enumerate(spaces):
            for y in range(x + 1, len(spaces)):
                b = spaces[y]
                if beds[a] + beds[b] > GROUP_BEDS:
                    continue
                groups.append([a, b])
                for z in range(y + 1, len(spaces)):
                    c = spaces[z]
                    if beds[a] + beds[b] + beds[c] <= GROUP_BEDS:
                        groups.append([a, b, c])
                if len(groups) >= MAX_GROUPS:
                    return groups[:MAX_GROUPS]
        return groups

    def fitting(self, i: int) -> list[int]:
        """Every space party ``i`` may go to (ignoring other parties), best first."""
        found = self._fitting.get(i)
        if found is None:
            size, _, mask, wheel, pets = self.info[i]
            found = []
            for group in self.kind_groups(mask, wheel, pets):
                ranked = []
                for c, crank in group:
                    for j in self.class_spaces[c]:
                        if self.beds[j] >= size:
                            ranked.append((crank, j))
                found.extend(j for _, j in sorted(ranked))
            self._fitting[i] = found
        return found

    def _fitting_in(self, kind: tuple[int, int, bool, bool], group: list[int]) -> list[int]:
        """Positions in ``group`` of the spaces a party of this (size, mask, wheel, pets) may
        go to, best first (the order of :meth:`fitting`)."""
        size, mask, wheel, pets = kind
        ranked = []
        for k, j in enumerate(group):
            if self.beds[j] < size:
                continue
            bit, c_wheel, c_pets = self.classes[self.space_cls[j]]
            if not (mask & bit) or (wheel and not c_wheel) or (pets and not c_pets):
                continue
            waste = (c_wheel and not wheel) + (c_pets and not pets)
            ranked.append((waste, self._admits_rank[bit], j, k))
        ranked.sort()
        return [k for *_, k in ranked]

    def waiting_by_kind(self) -> dict[tuple[int, int, bool, bool], list[int]]:
        """Waiting parties by (size, mask, wheel, pets)."""
        found: dict[tuple[int, int, bool, bool], list[int]] = {}
        for i in range(self.n):
            if self.where[i] < 0:
                size, _, mask, wheel, pets = self.info[i]
                found.setdefault((size, mask, wheel, pets), []).append(i)
        return found

    def reoptimize(
        self,
        group: list[int] | None,
        budget: int,
        waiting: dict[tuple[int, int, bool, bool], list[int]] | None = None,
    ) -> bool:
        """Branch and bound over the parties of ``group`` (all spaces when None) and the
        waiting parties that fit it (``waiting``: :meth:`waiting_by_kind`, when known);
        applied when it finds a heavier answer."""
        info = self.info
        rank = self.rank
        if group is None:
            local = {j: j for j in range(len(self.beds))}
            fitting = {}
            for i in range(self.n):
                spaces = self.fitting(i)
                if spaces:
                    fitting[i] = spaces
        else:
            local = {j: k for k, j in enumerate(group)}
            fitting = {}
            for kind, members in (waiting or self.waiting_by_kind()).items():
                spaces = self._fitting_in(kind, group)
                if spaces:
                    for i in members:
                        fitting[i] = spaces
            if not fitting:
                return False
            for j in group:
                for i in self.occupants[j]:
                    size, _, mask, wheel, pets = info[i]
                    fitting[i] = self._fitting_in((size, mask, wheel, pets), group)
        if group is not None:
            # Only waiting parties can add weight; skip when none fits or the beds of the
            # group, filled densest first, would not weigh more than they do now.
            if all(self.where[i] >= 0 for i in fitting):
                return False
            held = sum(info[i][1] for i in fitting if self.where[i] >= 0)
            items: dict[tuple[int, int], int] = {}
            for i in fitting:
                items[info[i][:2]] = items.get(info[i][:2], 0) + 1
            if _fractional_bound(items, sum(self.beds[j] for j in group)) < held + 1:
                return False
        order = sorted(
            fitting, key=lambda i: (-info[i][1] / info[i][0], -info[i][0], info[i], rank[i])
        )
        if group is None:
            space_key, free = self.space_cls, self.beds
        else:
            space_key = [self.space_cls[j] for j in group]
            free = [self.beds[j] for j in group]
        current = sum(info[i][1] for i in order if self.where[i] >= 0)
        found, _ = improve_exactly(
            sizes=[info[i][0] for i in order],
            weights=[info[i][1] for i in order],
            types=[(info[i], tuple(fitting[i])) for i in order],
            candidates=[fitting[i] for i in order],
            space_key=space_key,
            free=free,
            incumbent=current,
            budget=budget,
        )
        if found is None:
            return False
        back = list(local)  # local index -> space
        for i in order:
            if self.where[i] >= 0:
                self.unplace(i)
        for i, j in zip(order, found, strict=True):
            if j >= 0:
                self.place(i, back[j])
        return True

    def _density_order(self, parties: Iterable[int]) -> list[int]:
        info = self.info
        rank = self.rank
        return sorted(parties, key=lambda i: (-info[i][1] / info[i][0], -info[i][0], rank[i]))

    def room_for(self, mask: int, wheel: bool, pets: bool) -> int:
        """The most free beds of one space a party of this kind fits (locked space excluded)."""
        best = 0
        pools = self.pools
        for group in self.kind_groups(mask, wheel, pets):
            for c, _ in group:
                vals = pools[c].vals
                if vals and vals[-1] > best:
                    best = vals[-1]
        return best

    def consolidate(self) -> bool:
        """Move placed parties out of spaces that waiting parties want into spaces with room
        that they want less (``want`` of a class: weight of the waiting parties it admits)."""
        info = self.info
        classes = self.classes
        want = [0] * len(classes)
        kinds: dict[Kind, int] = {}
        for i in range(self.n):
            if self.where[i] < 0:
                kind = info[i][2:]
                kinds[kind] = kinds.get(kind, 0) + info[i][1]
        if not kinds:
            return False
        for c, (bit, c_wheel, c_pets) in enumerate(classes):
            for (mask, wheel, pets), weight in kinds.items():
                if (mask & bit) and (c_wheel or not wheel) and (c_pets or not pets):
                    want[c] += weight
        if not any(self.pools[c].vals for c in range(len(classes))):
            return False
        moved = False
        rank = self.rank
        pools = self.pools
        for c in sorted(range(len(classes)), key=lambda c: (-want[c], c)):
            if not want[c]:
                break
            # The most beds free in a class wanted less, per kind of party placed here.
            room: dict[Kind, int] = {}
            for _size, mask, wheel, pets in self.class_occ[c]:
                kind = (mask, wheel, pets)
                if kind in room:
                    continue
                best = 0
                for t, (bit, t_wheel, t_pets) in enumerate(classes):
                    vals = pools[t].vals
                    if (
                        vals
                        and want[t] < want[c]
                        and (mask & bit)
                        and (t_wheel or not wheel)
                        and (t_pets or not pets)
                    ):
                        best = max(best, vals[-1])
                room[kind] = best
            if not any(room.values()):
                continue
            for a in self.class_spaces[c]:
                movable = [x for x in self.occupants[a] if info[x][0] <= room[info[x][2:]]]
                if not movable:
                    continue
                for x in sorted(movable, key=lambda x: (-info[x][0], rank[x])):
                    b = self.choose(x, want, want[c])
                    if b >= 0:
                        self.unplace(x)
                        self.place(x, b)
                        moved = True
        return moved

    def insert_pass(self) -> bool:
        """Place waiting parties, densest first: directly, or by moving parties out of a space
        into other spaces with room."""
        info = self.info
        waiting = self._density_order(i for i in range(self.n) if self.where[i] < 0)
        failed: dict[Kind, int] = {}
        changed = False
        for u in waiting:
            size, _, mask, wheel, pets = info[u]
            kind = (mask, wheel, pets)
            if size >= failed.get(kind, 1 << 30):
                continue
            j = self.choose(u)
            if j >= 0:
                self.place(u, j)
                changed = True
            elif self.insert_by_moving(u):
                changed = True
            else:
                failed[kind] = size
        return changed

    def insert_by_moving(self, u: int) -> bool:
        info = self.info
        free = self.free
        size, _, mask, wheel, pets = info[u]
        room_cache: dict[Kind, int] = {}

        def room(kind: Kind) -> int:
            r = room_cache.get(kind)
            if r is None:
                r = room_cache[kind] = self.room_for(*kind)
            return r

        for group in self.kind_groups(mask, wheel, pets):
            for c, _ in group:
                if not any(k[0] <= room(k[1:]) for k in self.class_occ[c]):
                    continue
                for a in self.class_spaces[c]:
                    need = size - free[a]
                    if need <= 0 or self.beds[a] < size:
                        continue
                    movable = 0
                    for x in self.occupants[a]:
                        xs, _, xm, xw, xp = info[x]
                        if xs <= room((xm, xw, xp)):
                            movable += xs
                    if movable >= need and self.make_room(u, a):
                        return True
        return False

    def make_room(self, u: int, a: int) -> bool:
        """Move parties out of ``a`` into other spaces until ``u`` fits ``a``, and place ``u``;
        or change nothing and answer False."""
        info = self.info
        rank = self.rank
        free = self.free
        size = info[u][0]
        self.lock(a)
        need = size - free[a]
        occ = self.occupants[a]
        enough = sorted(
            (x for x in occ if info[x][0] >= need), key=lambda x: (info[x][0], -rank[x])
        )
        short = sorted((x for x in occ if info[x][0] < need), key=lambda x: (-info[x][0], -rank[x]))
        moved = []
        for x in enough + short:
            b = self.choose(x)
            if b < 0:
                continue
            self.unplace(x)
            self.place(x, b)
            moved.append(x)
            if free[a] >= size:
                break
        if free[a] >= size:
            self.place(u, a)
            self.unlock()
            return True
        for x in reversed(moved):
            self.unplace(x)
            self.place(x, a)
        self.unlock()
        return False

    def swap_pass(self) -> bool:
        """For each space, the heaviest mix of its parties and waiting ones that fits it (a
        knapsack); applied where it weighs more than what the space holds."""
        info = self.info
        rank = self.rank
        classes = self.classes
        waiting: dict[Kind, dict[tuple[int, int], list[int]]] = {}
        for i in range(self.n):
            if self.where[i] < 0:
                size, weight, mask, wheel, pets = info[i]
                waiting.setdefault((mask, wheel, pets), {}).setdefault((size, weight), []).append(i)
        if not waiting:
            return False
        # Per class: (size, weight) of the waiting parties it admits -> how many.
        class_items: list[dict[tuple[int, int], int]] = [{} for _ in classes]
        kind_classes: dict[Kind, list[int]] = {}
        for kind, groups in waiting.items():
            mask, wheel, pets = kind
            fit = kind_classes[kind] = [
                c
                for c, (bit, c_wheel, c_pets) in enumerate(classes)
                if (mask & bit) and (c_wheel or not wheel) and (c_pets or not pets)
            ]
            for members in groups.values():
                members.sort(key=rank.__getitem__)
            for c in fit:
                items = class_items[c]
                for key, members in groups.items():
                    items[key] = items.get(key, 0) + len(members)
        changed = False
        for a in range(len(self.spaces)):
            beds = self.beds[a]
            waiting_items = class_items[self.space_cls[a]]
            if beds <= 0 or not waiting_items:
                continue
            best_waiting = 0.0
            for (size, weight), count in waiting_items.items():
                if count and size <= beds:
                    best_waiting = max(best_waiting, weight / size)
            if not best_waiting:
                continue
            mix: dict[tuple[int, int], int] = {}
            current = 0
            least = float("inf")
            for x in self.occupants[a]:
                key = info[x][:2]
                mix[key] = mix.get(key, 0) + 1
                current += key[1]
                least = min(least, key[1] / key[0])
            # A full space whose parties are all at least as dense as any waiting party
            # cannot weigh more.
            if not self.free[a] and best_waiting <= least:
                continue
            for key, count in waiting_items.items():
                if count and key[0] <= beds:
                    mix[key] = mix.get(key, 0) + count
            if _fractional_bound(mix, beds) < current + 1:
                continue
            counts, value = _knapsack(mix, beds)
            if value <= current:
                continue
            self._apply_mix(a, counts, waiting, class_items, kind_classes)
            changed = True
        return changed

    def _apply_mix(
        self,
        a: int,
        counts: dict[tuple[int, int], int],
        waiting: dict[Kind, dict[tuple[int, int], list[int]]],
        class_items: list[dict[tuple[int, int], int]],
        kind_classes: dict[Kind, list[int]],
    ) -> None:
        info = self.info
        rank = self.rank
        bit, c_wheel, c_pets = self.classes[self.space_cls[a]]
        keep: dict[tuple[int, int], int] = dict(counts)
        evict = []
        for x in sorted(self.occupants[a], key=rank.__getitem__):
            key = info[x][:2]
            if keep.get(key, 0) > 0:
                keep[key] -= 1
            else:
                evict.append(x)
        for x in evict:
            self.unplace(x)
        for key, missing in keep.items():
            for _ in range(missing):
                best: list[int] | None = None
                best_kind: Kind | None = None
                for kind, groups in waiting.items():
                    mask, wheel, pets = kind
                    if not (mask & bit) or (wheel and not c_wheel) or (pets and not c_pets):
                        continue
                    members = groups.get(key)
                    if members and (best is None or rank[members[0]] < rank[best[0]]):
                        best = members
                        best_kind = kind
                # The knapsack counted these waiting parties: one of this key is there.
                assert best is not None and best_kind is not None
                u = best.pop(0)
                for c in kind_classes[best_kind]:
                    class_items[c][key] -= 1
                self.place(u, a)
        for x in evict:
            size, weight, mask, wheel, pets = info[x]
            kind = (mask, wheel, pets)
            key = (size, weight)
            insort(waiting.setdefault(kind, {}).setdefault(key, []), x, key=rank.__getitem__)
            fit = kind_classes.get(kind)
            if fit is None:
                fit = kind_classes[kind] = [
                    c
                    for c, (c_bit, cw, cp) in enumerate(self.classes)
                    if (mask & c_bit) and (cw or not wheel) and (cp or not pets)
                ]
            for c in fit:
                class_items[c][key] = class_items[c].get(key, 0) + 1

    def fairness_pass(self, scan: int = 64) -> None:
        """Among parties of the same size and weight, the longest waiting are the ones placed:
        a waiting party takes the place of a later one whose space admits it."""
        info = self.info
        rank = self.rank
        placed: dict[tuple[int, int], list[int]] = {}
        waiting: dict[tuple[int, int], list[int]] = {}
        for i in range(self.n):
            (placed if self.where[i] >= 0 else waiting).setdefault(info[i][:2], []).append(i)
        for key, ws in waiting.items():
            ps = placed.get(key)
            if not ps:
                continue
            ps.sort(key=lambda i: -rank[i])  # latest first
            ws.sort(key=rank.__getitem__)
            for u in ws:
                _, _, mask, wheel, pets = info[u]
                for k in range(min(scan, len(ps))):
                    p = ps[k]
                    if rank[p] < rank[u]:
                        break
                    bit, c_wheel, c_pets = self.classes[self.space_cls[self.where[p]]]
                    if (mask & bit) and (c_wheel or not wheel) and (c_pets or not pets):
                        j = self.where[p]
                        self.unplace(p)
                        self.place(u, j)
                        del ps[k]
                        break


def _fractional_bound(items: dict[tuple[int, int], int], beds: int) -> float:
    """The LP bound of a knapsack: densest first, the last item split."""
    bound = 0.0
    for (size, weight), count in sorted(items.items(), key=lambda kv: -kv[0][1] / kv[0][0]):
        take = min(count, beds // size)
        bound += take * weight
        beds -= take * size
        if take < count and beds > 0:
            bound += beds * weight / size
            break
    return bound


def _knapsack(
    items: dict[tuple[int, int], int], beds: int
) -> tuple[dict[tuple[int, int], int], int]:
    """Bounded knapsack by dynamic programming: (counts per (size, weight), total weight)."""
    pieces = []
    for (size, weight), count in sorted(items.items()):
        count = min(count, beds // size)
        k = 1
        while count > 0:
            m = min(k, count)
            pieces.append((size, weight, m))
            count -= m
            k *= 2
    best = [0] * (beds + 1)
    rows = []
    for size, weight, m in pieces:
        s = size * m
        w = weight * m
        row = bytearray(beds + 1)
        for c in range(beds, s - 1, -1):
            v = best[c - s] + w
            if v > best[c]:
                best[c] = v
                row[c] = 1
        rows.append(row)
    counts: dict[tuple[int, int], int] = {}
    c = beds
    for (size, weight, m), row in zip(reversed(pieces), reversed(rows), strict=True):
        if row[c]:
            counts[(size, weight)] = counts.get((size, weight), 0) + m
            c -= size * m
    return counts, best[beds]


def solve(*, spaces: Sequence[Space], parties: Sequence[Party]) -> Answer:
    """Place ``parties`` into ``spaces`` (see the package docstring)."""
    check_ids(spaces, parties)
    # Parties of the same people are classified once. The snapshot gives them one tuple
    # of members (arrivals.selectors: a national run's 25,000 parties share about 1,600),
    # known here by its identity, a cheaper key than its value: every party, and so its
    # tuple, lives through the call, so no identity is reused within it.
    classified: dict[tuple[int, int], PartyInfo] = {}
    info = []
    for party in parties:
        key = (id(party.members), party.pets)
        found = classified.get(key)
        if found is None:
            found = classified[key] = classify(party)
        info.append(found)
    order = queue_order(parties)
    rank = [0] * len(parties)
    for r, i in enumerate(order):
        rank[i] = r
    state = _State(spaces, info, rank)
    state.construct()
    state.improve()
    return build_answer(spaces=spaces, parties=parties, order=order, where=state.where, info=info)
