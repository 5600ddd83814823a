"""Serializer fields that every API input goes through: text (`config.text`) and times.

`ModelSerializer` is DRF's with these fields for a model's text and time columns: a
`CharField` becomes a `LineField`, a `TextField` a `TextField`, a `DateTimeField` an
`AwareDateTimeField`. Serializers of the apps derive from it.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.text import line_validator, text_validator


class LineField(serializers.CharField):
    """One line of text: no control characters, line breaks or tabs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(line_validator)


class TextField(serializers.CharField):
    """Free text (notes): line breaks and tabs, no other control characters."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(text_validator)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that says its zone (`Z` or an offset): a time without one answers
    400 rather than being read in the server's zone, which is nobody's."""

    default_error_messages = {
        "naive": _("Give the time with its zone, such as 2022-09-28T08:00:00+05:00 or …Z."),
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with Berth's text and time fields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: LineField,
        models.TextField: TextField,
        models.DateTimeField: AwareDateTimeField,
    }
