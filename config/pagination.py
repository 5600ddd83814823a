"""The one pagination of every list: `{"count", "next", "previous", "results"}`.

`?page=` and `?page_size=` are checked like any other parameter: a value that is not a
whole number of at least 1 (or, for `page`, `last`) answers `400 {"page": [...]}` (or
`page_size`), never a 404 or a value silently ignored. A `page_size` above the maximum
is cut to it; a page past the last one answers 404.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MESSAGE = _("A whole number of at least 1.")


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
