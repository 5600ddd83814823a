"""The filter backend of every list: django-filter's, with empty values refused.

django-filter reads `?city=` (a parameter sent without a value) as no filter at all. For
a filter that names an id, a choice, a number, a date or a yes/no, that is a client's
mistake silently ignored: it answers `400 {"city": [...]}` instead. Free-text filters
(`code`, `search`) keep an empty value as "no filter". A yes/no filter takes `true`,
`false`, `1` or `0` only (django-filter ignores any other value).
"""

from django.utils.translation import gettext_lazy as _
from django_filters import BooleanFilter, CharFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

EMPTY = _("Give a value, or leave the parameter out.")
NOT_BOOLEAN = _("Use true or false.")
BOOLEANS = {"true", "false", "1", "0"}


class FilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            params = request.query_params
            empty = [
                name
                for name, field in filterset.filters.items()
                if not isinstance(field, CharFilter)
                and name in params
                and not any(value.strip() for value in params.getlist(name))
            ]
            errors = {name: [EMPTY] for name in empty}
            for name, field in filterset.filters.items():
                # django-filter reads any other value (`null`, `yes`) as no filter at all.
                refused = [v for v in params.getlist(name) if v.strip().lower() not in BOOLEANS]
                if isinstance(field, BooleanFilter) and name not in errors and refused:
                    errors[name] = [NOT_BOOLEAN]
            if errors:
                raise ValidationError(errors)
        return filterset
