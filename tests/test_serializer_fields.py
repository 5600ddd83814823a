"""`config.fields.fields_copy`: each serializer gets its own fields, bound to it, though
they are copied shallowly from fields built once per class."""

from rest_framework.test import APIRequestFactory

from arrivals.serializers import MemberSerializer, PartySerializer


def test_each_serializer_has_its_own_fields_bound_to_it():
    first, second = PartySerializer(), PartySerializer()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other, name
        assert field.parent is first and other.parent is second, name
        assert field.field_name == other.field_name == name
    # A field holding another is deep-copied: the member fields inside are bound to
    # this serializer's own list, and reach its context.
    members, others = first.fields["members"], second.fields["members"]
    assert members.child is not others.child
    assert members.child.parent is members
    assert members.child.fields["given_name"].root is first
    languages = first.fields["languages"]
    assert languages.child is not second.fields["languages"].child
    assert languages.child.parent is languages


def test_a_fields_context_is_its_own_serializers():
    request = APIRequestFactory().get("/")
    with_context = PartySerializer(context={"request": request})
    PartySerializer(context={})  # a second one, made after, changes nothing of the first
    assert with_context.fields["members"].child.fields["sex"].context["request"] is request


def test_validation_keeps_no_state_between_serializers():
    """Errors and values of one serializer do not leak into the next one's shared parts."""
    bad = MemberSerializer(data={"given_name": "", "sex": "x"})
    assert not bad.is_valid()
    assert set(bad.errors) == {"given_name", "sex"}
    good = MemberSerializer(data={"given_name": "Aru", "sex": "female"})
    assert good.is_valid(), good.errors
    assert good.validated_data["sex"] == "female"
    assert good.validated_data["age_group"] == "adult"
