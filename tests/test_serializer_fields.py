"""`config.fields.fields_copy`: each serializer gets its own fields, bound to it, though
they are copied shallowly from fields built once per class."""

from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from arrivals.serializers import MemberSerializer, PartySerializer
from config.fields import Serializer


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


def test_a_nested_serializer_read_unbound_still_gives_each_copy_its_own_fields():
    """What a nested serializer keeps once read (its bound fields) is never copied: were
    the declared, unbound one read (a schema generator may), each copy still binds its
    own fields to itself."""

    class Inner(Serializer):
        name = serializers.CharField()

    class Outer(Serializer):
        inner = Inner()
        many = Inner(many=True)

    declared = Outer._declared_fields
    assert declared["inner"].fields["name"].parent is declared["inner"]  # read, as a tool might
    assert declared["many"].child.fields["name"].parent is declared["many"].child
    outer = Outer(data={"inner": {"name": "Aru"}, "many": [{"name": "Bek"}]})
    assert outer.fields["inner"].fields["name"].root is outer
    assert outer.fields["many"].child.fields["name"].root is outer
    assert outer.is_valid(), outer.errors
    assert outer.validated_data == {"inner": {"name": "Aru"}, "many": [{"name": "Bek"}]}


def test_nested_members_are_validated_for_each_serializer_apart():
    def party(members):
        return PartySerializer(data={"consent": True, "members": members})

    first = party([{"given_name": "Aru", "sex": "female"}, {"given_name": "Bek"}])
    second = party([{"given_name": "", "sex": "x"}])
    assert not first.is_valid() and not second.is_valid()  # no city given: both refused
    assert "members" not in first.errors
    assert set(second.errors["members"][0]) == {"given_name", "sex"}
    third = party([{"given_name": "Dana"}])
    third.is_valid()
    assert "members" not in third.errors
    members = third.fields["members"].run_validation([{"given_name": "Dana"}])
    assert [member["given_name"] for member in members] == ["Dana"]
