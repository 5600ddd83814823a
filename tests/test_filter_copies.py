"""`config.filters.FilterSet`: each filter set gets its own filters and each form its own
fields, though they are copied shallowly (`_Filters`, `_FormFields`)."""

from django.http import QueryDict

from shelters.filters import ShelterFilter
from shelters.models import Shelter


def filter_set(query: str) -> ShelterFilter:
    return ShelterFilter(QueryDict(query), Shelter.objects.all())


def test_each_filter_set_has_its_own_filters_bound_to_it():
    first, second = filter_set("kind=gym"), filter_set("kind=cinema")
    for name, filter_ in first.filters.items():
        other = second.filters[name]
        assert filter_ is not other, name
        assert filter_.parent is first and other.parent is second, name
        assert filter_ is not ShelterFilter.base_filters[name]
    # A `method=` filter calls the method of its own filter set, not of the first made.
    method_filter = second.filters["has_free_beds"]
    assert method_filter.filter.f is method_filter
    assert method_filter.filter.method.__self__ is second


def test_each_form_checks_its_own_values_with_its_own_fields():
    good, bad = filter_set("kind=gym&has_free_beds=true"), filter_set("kind=castle")
    assert good.form.fields is not bad.form.fields
    assert good.form.fields["kind"] is not bad.form.fields["kind"]
    assert good.form.is_valid(), good.form.errors
    assert not bad.form.is_valid()
    assert set(bad.form.errors) == {"kind"}
    assert good.form.cleaned_data["kind"] == "gym"
    assert good.form.cleaned_data["has_free_beds"] is True
    # The shared form class was built once, and still is what each form is made from.
    assert type(good.form) is type(bad.form)
