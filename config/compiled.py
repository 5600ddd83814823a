"""A list's SQL compiled once for each distinct input, and run on each request.

Building a queryset through the ORM (scope, annotations, filters, `.values()`, the page's
window and slice) and compiling it to SQL is work that gives the same text and parameters
for the same inputs. For the page of shelters that volunteers' phones ask again and again
it was about a third of the request's CPU (issue 13: a page of 50 in under 5 ms).

`CompiledRows(key, build)` stands for the `.values()` rows of the queryset that `build()`
returns. `key` must hold every input `build` reads (the caller's reach, the checked
filters): `page(bottom, size, annotate)` then compiles a page of it once per key and
bounds, keeps the statement in a bounded cache of this process, and runs it. The rows are
read anew on every call: what is kept is how to ask, never what was answered.
`CountedPaginator` (config/pagination.py) pages a `CompiledRows` as it pages a queryset.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

#: Statements kept by this process, the least recently used dropped first: a key is a
#: caller's reach, filters and page, and a city's volunteers share theirs.
CACHE_SIZE = 512


@dataclass(frozen=True)
class _Compiled:
    """A `.values()` queryset as SQL: its text, parameters, column names and the
    converters Django applies to its values (`SQLCompiler.apply_converters`)."""

    using: str
    sql: str | None  # None: a query that can match nothing (`.none()`, `__in=[]`)
    params: tuple
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple, Any], ...]

    @classmethod
    def of(cls, queryset: QuerySet) -> _Compiled:
        query = queryset.query
        compiler = query.get_compiler(queryset.db)
        # The columns' names as `ValuesIterable` reads them.
        if query.selected:
            names = tuple(query.selected)
        else:
            names = (*query.extra_select, *query.values_select, *query.annotation_select)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return cls(queryset.db, None, (), names, ())
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(fields).items()
        )
        return cls(queryset.db, sql, tuple(params), names, converters)

    def rows(self) -> list[dict]:
        if self.sql is None:
            return []
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            rows = cursor.fetchall()
        if self.converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for position, functions, expression in self.converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
        names = self.names
        return [dict(zip(names, row, strict=False)) for row in rows]


_lock = threading.Lock()
_cache: OrderedDict[Hashable, _Compiled] = OrderedDict()


def _compiled(key: Hashable, build: Callable[[], QuerySet]) -> _Compiled:
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    compiled = _Compiled.of(build())  # outside the lock: a race compiles it twice, the same
    with _lock:
        _cache[key] = compiled
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return compiled


def cache_clear() -> None:
    """Forget every statement kept (for tests that change what a key builds)."""
    with _lock:
        _cache.clear()


class CompiledRows:
    """The `.values()` rows of `build()`, whose pages are compiled once per `key`.

    `key` must determine `build()`'s SQL entirely: two calls whose inputs differ in
    anything `build` reads must have different keys."""

    def __init__(self, key: Hashable, build: Callable[[], QuerySet]) -> None:
        self.key = key
        self.build = build

    def page(
        self, bottom: int, size: int, annotate: Callable[[QuerySet], QuerySet] = lambda q: q
    ) -> list[dict]:
        """Rows `bottom` to `bottom + size` of `annotate(build())`. `annotate` is part of
        the statement kept: it must be the same function for the same key (a module's
        function, not a new lambda with other values)."""
        key = (self.key, bottom, size, annotate)
        return _compiled(key, lambda: annotate(self.build())[bottom : bottom + size]).rows()

    def count(self) -> int:
        return self.build().count()

    def __getitem__(self, item: slice) -> list[dict]:
        # Django's Paginator.page slices its list (after counting, for `?page=last`).
        return list(self.build()[item])
