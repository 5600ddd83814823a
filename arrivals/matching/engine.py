"""The matching engine (see MATCHING.md and the package docstring)."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence

from .answer import build_answer, check_ids, queue_order
from .kinds import ANYONE, FAMILIES, MEN_ONLY, WOMEN_AND_CHILDREN, classify, space_class
from .model import Answer, Party, Space

#: A space left with at least this many free beds after a placement still has room for a
#: typical family: placing there strands nothing.
ROOMY = 4


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
    def __init__(self, spaces: Sequence[Space], info: list, rank: list[int]) -> None:
        self.spaces = spaces
        self.info = info
        self.rank = rank
        self.n = len(info)
        self.free = [max(s.beds, 0) for s in spaces]
        self.where = [-1] * self.n
        self.occupants: list[list[int]] = [[] for _ in spaces]
        class_ids: dict[tuple[int, bool, bool], int] = {}
        self.space_cls: list[int] = []
        for s in spaces:
            key = space_class(s)
            c = class_ids.get(key)
            if c is None:
                c = class_ids[key] = len(class_ids)
            self.space_cls.append(c)
        self.classes = list(class_ids)
        self.pools = [_Pool() for _ in self.classes]
        for j, f in enumerate(self.free):
            self.pools[self.space_cls[j]].add(j, f)
        self._admits_rank = self._rank_admits()
        self._kind_groups: dict[tuple[int, bool, bool], list[list[tuple[int, int]]]] = {}
        self.locked = -1
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
    def construct(self) -> None:
        """Densest parties first (weight per bed), larger first among equals, then longest
        waiting; each into the space chosen by :meth:`choose`."""
        info = self.info
        rank = self.rank
        order = sorted(
            range(self.n), key=lambda i: (-info[i][1] / info[i][0], -info[i][0], rank[i])
        )
        # Free beds only go down here: once a party of some kind finds no room, no party of
        # that kind at least as large will.
        failed: dict[tuple[int, bool, bool], int] = {}
        for i in order:
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
        self.fairness_pass()

    def _density_order(self, parties) -> list[int]:
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
        kinds: dict[tuple[int, bool, bool], int] = {}
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
        for c in sorted(range(len(classes)), key=lambda c: (-want[c], c)):
            if not want[c]:
                break
            for a in self.class_spaces[c]:
                for x in sorted(self.occupants[a], key=lambda x: (-info[x][0], x)):
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
        failed: dict[tuple[int, bool, bool], int] = {}
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
        room_cache: dict[tuple[int, bool, bool], int] = {}

        def room(kind: tuple[int, bool, bool]) -> int:
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
        waiting: dict[tuple[int, bool, bool], dict[tuple[int, int], list[int]]] = {}
        for i in range(self.n):
            if self.where[i] < 0:
                size, weight, mask, wheel, pets = info[i]
                waiting.setdefault((mask, wheel, pets), {}).setdefault((size, weight), []).append(i)
        if not waiting:
            return False
        for groups in waiting.values():
            for members in groups.values():
                members.sort(key=rank.__getitem__)
        changed = False
        for a in range(len(self.spaces)):
            beds = self.beds[a]
            if beds <= 0:
                continue
            bit, c_wheel, c_pets = self.classes[self.space_cls[a]]
            items: dict[tuple[int, int], int] = {}
            current = 0
            for x in self.occupants[a]:
                key = info[x][:2]
                items[key] = items.get(key, 0) + 1
                current += key[1]
            best_waiting = 0.0
            for (mask, wheel, pets), groups in waiting.items():
                if not (mask & bit) or (wheel and not c_wheel) or (pets and not c_pets):
                    continue
                for key, members in groups.items():
                    if members and key[0] <= beds:
                        items[key] = items.get(key, 0) + len(members)
                        best_waiting = max(best_waiting, key[1] / key[0])
            if not best_waiting or _fractional_bound(items, beds) <= current:
                continue
            counts, value = _knapsack(items, beds)
            if value <= current:
                continue
            self._apply_mix(a, counts, waiting)
            changed = True
        return changed

    def _apply_mix(self, a, counts, waiting) -> None:
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
                best = None
                for (mask, wheel, pets), groups in waiting.items():
                    if not (mask & bit) or (wheel and not c_wheel) or (pets and not c_pets):
                        continue
                    members = groups.get(key)
                    if members and (best is None or rank[members[0]] < rank[best[0]]):
                        best = members
                u = best.pop(0)
                self.place(u, a)
        for x in evict:
            size, weight, mask, wheel, pets = info[x]
            members = waiting.setdefault((mask, wheel, pets), {}).setdefault((size, weight), [])
            members.append(x)
            members.sort(key=rank.__getitem__)

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


def _knapsack(items: dict[tuple[int, int], int], beds: int) -> tuple[dict, int]:
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
    info = [classify(p) for p in parties]
    order = queue_order(parties)
    rank = [0] * len(parties)
    for r, i in enumerate(order):
        rank[i] = r
    state = _State(spaces, info, rank)
    state.construct()
    state.improve()
    return build_answer(spaces=spaces, parties=parties, order=order, where=state.where, info=info)
