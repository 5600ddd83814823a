"""The one pagination of every list: `{"count", "next", "previous", "results"}`.

`?page=` and `?page_size=` are checked like any other parameter: a value that is not a
whole number of at least 1 (or, for `page`, `last`) answers `400 {"page": [...]}` (or
`page_size`), never a 404 or a value silently ignored. A `page_size` above the maximum
is cut to it; a page past the last one answers 404.
"""

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from .compiled import CompiledRows

MESSAGE = _("A whole number of at least 1.")


def page_number(raw: str | None) -> int:
    """A web page's `?page=`-like parameter: a number from 1 (anything else is the first
    page; Django's paginator shows the last for a number past it)."""
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


def _at_least_one(request, name: str) -> int | None:
    """The query parameter `name` as an int of at least 1; None when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ValidationError({name: [MESSAGE]})
    return int(text)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            _at_least_one(request, self.page_query_param)  # before the page is looked up
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        size = _at_least_one(request, self.page_size_query_param)
        if size is None:
            return self.page_size
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = str(
                    _("Number of results per page: 1 to %(max)s (default %(default)s).")
                    % {"max": self.max_page_size, "default": self.page_size}
                )
        return parameters


# A page starting further than this is not looked for with its count (the database's
# OFFSET is a 64-bit number): Django's paginator counts first, and answers 404.
MAX_OFFSET = 2**62


def _counted(rows: QuerySet) -> QuerySet:
    return rows.annotate(**{CountedPaginator.COUNTED: Window(Count("*"))})


class CountedPaginator(Paginator):
    """Django's paginator over a `config.compiled.CompiledRows`, reading the count with
    the page: the page's query carries `COUNT(*) OVER ()`, so a list costs one query
    instead of a `COUNT` and then the page (which, over grouped rows, is a second full
    query), and that query is compiled once per caller's reach, filters and page. Only
    when a page past the first comes back empty (a page past the last) is the count
    asked for on its own."""

    COUNTED = "_counted"

    def page(self, number):
        if "count" in self.__dict__:  # counted already (`?page=last` asks first)
            return super().page(number)
        listed: CompiledRows = self.object_list  # type: ignore[assignment]
        number = int(number)  # DRF's pagination gives a page number checked by Pagination
        bottom = max(number - 1, 0) * self.per_page
        if bottom > MAX_OFFSET:  # past any list, and past what OFFSET takes: counted first
            return super().page(number)
        rows = listed.page(bottom, self.per_page, _counted)
        # `count` is a cached_property of Paginator: what the query said is kept as it.
        # An empty first page is an empty list; only a page past the last asks.
        if rows:
            self.__dict__["count"] = rows[0][self.COUNTED]
        else:
            self.__dict__["count"] = 0 if bottom == 0 else listed.count()
        for row in rows:
            del row[self.COUNTED]
        number = self.validate_number(number)  # an empty page past the last: 404
        return Page(rows, number, self)


class CountedPagination(Pagination):
    """`Pagination` with the count read in the page's query (`CountedPaginator`), for
    lists given as `config.compiled.CompiledRows`."""

    django_paginator_class = CountedPaginator
