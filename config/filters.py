"""The filter backend of every list: django-filter's, with empty values refused.

django-filter reads `?city=` (a parameter sent without a value) as no filter at all. For
a filter that names an id, a choice, a number, a date or a yes/no, that is a client's
mistake silently ignored: it answers `400 {"city": [...]}` instead. Free-text filters
(`code`, `search`) keep an empty value as "no filter". A yes/no filter takes `true`,
`false`, `1` or `0` only (django-filter ignores any other value). The query parameters
read by a serializer rather than a filter set (`QuerySerializer`) follow the same rules.
"""

import copy
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django_filters import BooleanFilter, CharFilter, MultipleChoiceFilter, utils
from django_filters import rest_framework as filters
from django_filters.filters import FilterMethod, QuerySetRequestMixin
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

EMPTY = _("Give a value, or leave the parameter out.")
ONCE = _("Give this parameter once.")
NOT_BOOLEAN = _("Use true or false.")
BOOLEANS = {"true", "false", "1", "0"}


class _Filters(dict):
    """A filter set's `base_filters`, which django-filter deep-copies for each filter set
    made, to give each copy its filter set and model: copies of the filters' choices,
    lookups and arguments, which no request changes (50 of the 65 µs of making a filter
    set). Each filter is copied shallowly here instead; a `method=` filter's caller is made
    again, so that it calls the method of its own filter set."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, filter_ in self.items():
            duplicate = copy.copy(filter_)
            if isinstance(filter_.__dict__.get("filter"), FilterMethod):
                duplicate.filter = FilterMethod(duplicate)
            copies[name] = duplicate
        return copies


class _FormFields(dict):
    """A filter set's form class's `base_fields`, which Django deep-copies for each form
    (widgets, choices and all: 60 µs of a list request). A filter form's fields are not
    changed for a request (nothing here sets their choices, querysets or widget
    attributes), so each form gets shallow copies: its own dict of fields, to order or
    bind, sharing what they hold."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(field) for name, field in self.items()}


class FilterSet(filters.FilterSet):
    """The filter set of every list: django-filter's, with its form class made once per
    filter set, not again on every request (django-filter builds a new class, and a form
    field for every filter, each time: about a tenth of a short list's time).

    The form class holds the fields of the filters of its first request, which is right
    only for fields that do not depend on the request: a filter over a queryset given as
    a function of the request (`ModelChoiceFilter(queryset=callable)`) is refused. (Each
    form still checks its own request's values, with its own copies of the fields.) The
    filters and the form's fields are copied shallowly for each request (`_Filters`,
    `_FormFields`).
    """

    @classmethod
    def get_filters(cls):
        return _Filters(super().get_filters())

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            for name, filter_ in self.filters.items():
                if isinstance(filter_, QuerySetRequestMixin) and callable(filter_.queryset):
                    raise ImproperlyConfigured(
                        f"{cls.__name__}.{name}: a filter whose field depends on the request "
                        "cannot share its form class; build its form on each request."
                    )
            form_class = super().get_form_class()
            form_class.base_fields = _FormFields(form_class.base_fields)
            cls._form_class = form_class  # a race builds it twice, the same
        return form_class


def parameters_check(params, named: Iterable[tuple[str, bool, bool, bool]]) -> None:
    """The rules of query parameters, for the filters and `QuerySerializer`: `named` gives
    each parameter as (name, free text?, yes/no?, several values?). One sent without a
    value answers 400 naming it, unless it is free text; one that takes a single value
    answers 400 if sent twice (`?status=open&status=closed`: django-filter would keep the
    last); a yes/no takes `true`, `false`, `1` or `0` only (django-filter reads any other
    value, `null`, `yes`, as no filter at all; DRF takes `yes` and `on` too)."""
    getlist = getattr(params, "getlist", lambda name: [params[name]])
    errors = {}
    for name, free_text, boolean, multiple in named:
        if name not in params:
            continue
        values = [str(value) for value in getlist(name)]
        if len(values) > 1 and not multiple:
            errors[name] = [ONCE]
        elif not free_text and not all(value.strip() for value in values):
            errors[name] = [EMPTY]
        elif boolean and any(value.strip().lower() not in BOOLEANS for value in values):
            errors[name] = [NOT_BOOLEAN]
    if errors:
        raise ValidationError(errors)


class FilterBackend(filters.DjangoFilterBackend):
    filterset_base = FilterSet  # also under the filter sets made from `filterset_fields`

    def checked_filterset(self, request, queryset, view):
        """The view's filter set over `queryset` with its parameters checked (400 if one
        is not valid), before it filters anything: its `form.cleaned_data` is then what
        `filter_queryset` filters by. None if the view has no filter set."""
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None and not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        return filterset

    def filter_queryset(self, request, queryset, view):
        filterset = self.checked_filterset(request, queryset, view)
        return queryset if filterset is None else filterset.qs

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            parameters_check(
                request.query_params,
                (
                    (
                        name,
                        isinstance(field, CharFilter),
                        isinstance(field, BooleanFilter),
                        isinstance(field, MultipleChoiceFilter),
                    )
                    for name, field in filterset.filters.items()
                ),
            )
        return filterset


class QuerySerializer(serializers.Serializer):
    """A serializer of query parameters, with the filters' rules (`parameters_check`)."""

    def to_internal_value(self, data):
        parameters_check(
            data,
            (
                (
                    name,
                    isinstance(field, serializers.CharField),
                    isinstance(field, serializers.BooleanField),
                    isinstance(field, serializers.ListField | serializers.MultipleChoiceField),
                )
                for name, field in self.fields.items()
                if not field.read_only
            ),
        )
        return super().to_internal_value(data)
