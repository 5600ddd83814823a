"""Forms of the invitation pages. They check shape only; the rules live in the services."""

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from config.text import line_validator

from .models import Role

MAX_NOTE = 200


def natural_key(text: str) -> list:
    """For sorting names as people count: "№ 2" before "№ 10"."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


class _NaturalOrder(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        shelters = sorted(
            self.queryset, key=lambda one: (natural_key(one.city.name), natural_key(one.name))
        )
        for shelter in shelters:
            yield self.choice(shelter)


class ShelterChoiceField(forms.ModelMultipleChoiceField):
    """Shelters by city, then by name as people count (a database sorts "№ 10" before
    "№ 2")."""

    iterator = _NaturalOrder

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.city.name})"


class InvitationForm(forms.Form):
    """Whom to invite: city, role, the shelters of a manager, a note to remember them by.
    `city` and `shelters` offer only what the coordinator reaches (set by the view)."""

    city: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=None, label=_("City"), empty_label=None
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (Role.VOLUNTEER, Role.VOLUNTEER.label),
            (Role.SHELTER_MANAGER, Role.SHELTER_MANAGER.label),
            (Role.COORDINATOR, Role.COORDINATOR.label),
        ],
        widget=forms.RadioSelect,
        initial=Role.VOLUNTEER,
    )
    shelters: "ShelterChoiceField" = ShelterChoiceField(
        queryset=None,
        label=_("Shelters (for a shelter manager)"),
        required=False,
        help_text=_("Only for a shelter manager: the shelters they will run."),
        widget=forms.CheckboxSelectMultiple,
    )
    email_or_note = forms.CharField(
        label=_("For whom (optional)"),
        max_length=MAX_NOTE,
        required=False,
        help_text=_("A name or an e-mail to remember whom the link is for. Nothing is sent."),
        validators=[line_validator],
    )

    def __init__(self, *args, cities, shelters, **kwargs):
        super().__init__(*args, **kwargs)
        city, shelter_field = self.fields["city"], self.fields["shelters"]
        assert isinstance(city, forms.ModelChoiceField)
        assert isinstance(shelter_field, forms.ModelMultipleChoiceField)
        city.queryset = cities
        shelter_field.queryset = shelters


class JoinForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only. You log in with it."),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        help_text=_("At least 8 characters, not a common word, not like your username."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        for validator in get_user_model()._meta.get_field("username").validators:
            validator(value)
        return value

    def clean(self):
        data = super().clean() or {}
        if (
            data.get("password")
            and data.get("password_again") is not None
            and data["password"] != data["password_again"]
        ):
            self.add_error("password_again", _("The two passwords differ. Type them again."))
        return data
