"""Serializer fields that every API input goes through: text (`config.text`) and times.

`ModelSerializer` is DRF's with these fields for a model's text and time columns: a
`CharField` becomes a `LineField`, a `TextField` a `TextField`, a `DateTimeField` an
`AwareDateTimeField`. Serializers of the apps derive from it.
"""

import copy
import re
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from config.text import line_validator, name_validator, text_validator


class _Text(serializers.CharField):
    """Text only: DRF's CharField takes a number as its text (`1e2` as "100.0"); here a
    number, like a boolean, a list or an object, answers 400."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class LineField(_Text):
    """One line of text: no control characters, line breaks or tabs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(line_validator)


class NameField(_Text):
    """A person's name: one line with something to see (`config.text.name_validator`)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(name_validator)


class TextField(_Text):
    """Free text (notes): line breaks and tabs, no other control characters."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(text_validator)


_SPACED_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}(?::?[0-9]{2})?)$")


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that says its zone (`Z` or an offset): a time without one answers
    400 rather than being read in the server's zone, which is nobody's."""

    default_error_messages = {
        "naive": _("Give the time with its zone, such as 2022-09-28T08:00:00+05:00 or …Z."),
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            # A `+` sent bare in a query string arrives as a space: "…T08:00:00 05:00" can
            # only mean +05:00.
            value = _SPACED_OFFSET.sub(r"\1+\2", value)
        return super().to_internal_value(value)

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


# The day as spreadsheets write it (`04.12.2026`), a format a DateField may take.
DOTTED_DAY_FORMAT = "%d.%m.%Y"
# The shape of a day in each format: ISO 8601 (`2026-12-04`, or `2026-12-4` as Django's
# parse_date reads it too) and the dotted one.
_DAY_SHAPES = {
    ISO_8601: re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"),
    DOTTED_DAY_FORMAT: re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{4}"),
}


class DateField(serializers.DateField):
    """A day of the calendar. A day written in a shape the field takes but that the
    calendar has not (2026-13-01, 30.02.2026) answers that there is no such day, not that
    its format is wrong (DRF's message)."""

    default_error_messages = {"no_such_day": _("There is no such day: {value}.")}

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError:
            if isinstance(value, str) and self._shaped(value.strip()):
                self.fail("no_such_day", value=value.strip())
            raise

    def _shaped(self, text: str) -> bool:
        """Whether `text` has the shape of a day in one of the formats this field takes."""
        formats = getattr(self, "input_formats", api_settings.DATE_INPUT_FORMATS)
        return any(
            _DAY_SHAPES[format].fullmatch(text) for format in formats if format in _DAY_SHAPES
        )


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with Berth's text and time fields.

    DRF builds a model serializer's fields from the model's description for each
    serializer made: a quarter of a registration's CPU, and its validators too. They depend
    only on the class (its Meta and declared fields), so they are built once per class and
    each serializer gets a copy, as DRF copies declared fields (a field is bound to one
    serializer)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: LineField,
        models.TextField: TextField,
        models.DateTimeField: AwareDateTimeField,
    }

    # Set on each class itself (read from its own __dict__: a subclass builds its own).
    _fields_built: ClassVar[dict]
    _validators_built: ClassVar[list]

    def get_fields(self):
        return fields_copy(self._built("_fields_built", super().get_fields))

    def get_validators(self):
        # The unique-together and unique-for-date validators, from the model's
        # description too (they take their serializer when called).
        return list(self._built("_validators_built", super().get_validators))

    @classmethod
    def _built(cls, name: str, build):
        built = cls.__dict__.get(name)
        if built is None:
            built = build()
            setattr(cls, name, built)
        return built


class Serializer(serializers.Serializer):
    """DRF's Serializer whose declared fields are copied by `fields_copy`."""

    def get_fields(self):
        return fields_copy(self._declared_fields)


def fields_copy(fields: dict) -> dict:
    """A serializer's own copies of unbound fields (a field is bound to one serializer).

    DRF deep-copies each field, which builds it again from its arguments: a tenth of a
    registration's CPU. Here a field is copied shallowly instead (`Field.bind` then sets
    what belongs to its serializer: name, parent, label, source; what it shares with the
    unbound field, its choices, validators and messages, is not changed by validating or
    rendering), and so is a list's `child` (a list field's or a `many=True` serializer's),
    given the copy as its parent. A nested serializer's copy builds its own fields when
    first read, bound to it, as DRF's does. A related field's `child_relation` is
    deep-copied, as DRF does.
    """
    return {name: _field_copy(field) for name, field in fields.items()}


def _field_copy(field: serializers.Field) -> serializers.Field:
    if hasattr(field, "child_relation"):
        return copy.deepcopy(field)
    # What copy.copy does for these objects (a new instance, the same attributes),
    # without its pickling protocol: a third of the copy's time.
    # Any: the stubs know no `child` on a Field, and only a serializer as a parent.
    duplicate: Any = object.__new__(type(field))
    duplicate.__dict__.update(field.__dict__)
    if isinstance(field, serializers.BaseSerializer):
        # What a serializer keeps once used (its fields, bound to it; data and errors):
        # never the unbound one's, always its own.
        for used in ("fields", "_validated_data", "_errors", "_data"):
            duplicate.__dict__.pop(used, None)
    if (child := getattr(field, "child", None)) is not None:
        # As ListField.__init__ and ListSerializer.__init__ bind it (name "", so only
        # its parent differs).
        duplicate.child = _field_copy(child)
        duplicate.child.parent = duplicate
    return duplicate
