"""Forms of the web pages. They check shape only; the rules live in the services.

The registration fields take the API's bounds and validators (`arrivals.serializers`):
the web accepts no name or note the API would refuse.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from config.text import line_validator, name_validator, text_validator
from shelters.models import MAX_BEDS, MAX_STATUS_REASON, City, ShelterStatus

from .languages import KNOWN, language_code
from .matching.model import GROWN_AGE_GROUPS
from .models import (
    MAX_LANGUAGES,
    MAX_MEMBERS,
    MAX_NAME,
    MAX_NIGHTS,
    MAX_NOTES,
    MAX_PETS,
    AgeGroup,
    Diet,
    Need,
    Sex,
    code_from_typed,
)
from .serializers import phone_validator

# The languages people arriving in Uralsk spoke most; others go in "other languages".
LANGUAGE_CHOICES = [(code, KNOWN[code][0]) for code in ("ru", "kk", "en", "uk")]

# Sex is asked, never assumed: nothing is chosen in advance, and "prefers not to say" is a
# choice like the others. Who a women-and-children space admits depends on the sex of the
# adults and seniors (GROWN_AGE_GROUPS), so for them a choice is required; a child or an
# infant left without one is recorded as unspecified.
SEX_CHOICES = [
    ("", _("Choose…")),
    (Sex.FEMALE, Sex.FEMALE.label),
    (Sex.MALE, Sex.MALE.label),
    (Sex.UNSPECIFIED, _("Prefers not to say")),
]


LANGUAGE_UNKNOWN = _(
    "We do not know the language “%(value)s”: write its name, such as Uzbek, or its code, "
    "such as uz."
)


class PartyForm(forms.Form):
    city: "forms.ModelChoiceField[City]" = forms.ModelChoiceField(
        queryset=None, label=_("City"), empty_label=None
    )
    registration_point = forms.CharField(
        label=_("Registration point"),
        max_length=200,
        required=False,
        validators=[line_validator],
        help_text=_("Where you are: a border crossing, the station, ..."),
    )
    contact_phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=32,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages they speak"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_languages = forms.CharField(
        label=_("Other languages"),
        # Room for MAX_LANGUAGES names ("азербайджанский язык, ..."), not only codes: the
        # page's input takes no more than this as it is typed.
        max_length=MAX_LANGUAGES * 30,
        required=False,
        validators=[line_validator],
        help_text=_("Names or codes, separated by commas, for example: Uzbek, de"),
    )
    pets = forms.IntegerField(
        label=_("Pets"),
        min_value=0,
        max_value=MAX_PETS,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    nights_needed = forms.IntegerField(
        label=_("Nights needed"),
        min_value=1,
        max_value=MAX_NIGHTS,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=MAX_NOTES,
        required=False,
        validators=[text_validator],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    consent = forms.BooleanField(
        label=_("They agree that we store this to find them a bed."),
        required=True,
        error_messages={"required": _("Ask for consent first: without it we cannot register.")},
    )
    # A fresh token per form: a form sent twice (a double tap, a retry on a bad
    # network) registers the party once.
    form_token = forms.CharField(
        widget=forms.HiddenInput, max_length=64, validators=[line_validator]
    )

    def __init__(self, *args, cities, **kwargs):
        super().__init__(*args, **kwargs)
        city = self.fields["city"]
        assert isinstance(city, forms.ModelChoiceField)
        city.queryset = cities
        self.retention_days = settings.PERSONAL_DATA_RETENTION_DAYS

    def clean_other_languages(self):
        raw = self.cleaned_data.get("other_languages", "")
        codes = []
        for part in raw.replace(";", ",").split(","):
            typed = part.strip()
            if not typed:
                continue
            code = language_code(typed)  # a code as the API stores it
            if code is None:
                raise forms.ValidationError(
                    LANGUAGE_UNKNOWN, code="language", params={"value": typed}
                )
            codes.append(code)
        return codes

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean gives the cleaned data
        languages = list(
            dict.fromkeys([*cleaned.get("languages", []), *cleaned.get("other_languages", [])])
        )
        if len(languages) > MAX_LANGUAGES:
            self.add_error(
                "other_languages",
                _("At most %(max)s languages.") % {"max": MAX_LANGUAGES},
            )
        cleaned["all_languages"] = languages
        return cleaned


class PartyCorrectionForm(PartyForm):
    """A correction (`arrivals.services.party_update`): the registration form's fields of
    PARTY_EDITABLE_FIELDS, with its validation. The phone is there only for those who may
    see it (left out, it stays as it is)."""

    REGISTRATION_ONLY = ("city", "registration_point", "consent", "form_token")

    def __init__(self, *args, show_phone: bool, **kwargs):
        super().__init__(*args, cities=City.objects.none(), **kwargs)
        for name in self.REGISTRATION_ONLY:
            del self.fields[name]
        if not show_phone:
            del self.fields["contact_phone"]


class MemberForm(forms.Form):
    given_name = forms.CharField(
        label=_("Given name or alias"),
        max_length=MAX_NAME,
        validators=[name_validator],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    family_name = forms.CharField(
        label=_("Family name (optional)"),
        max_length=MAX_NAME,
        required=False,
        validators=[name_validator],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=SEX_CHOICES,
        required=False,
        help_text=_("Ask every adult and senior."),
    )
    age_group = forms.ChoiceField(label=_("Age"), choices=AgeGroup.choices, initial=AgeGroup.ADULT)
    needs = forms.MultipleChoiceField(
        label=_("Needs"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    diet = forms.MultipleChoiceField(
        label=_("Diet"),
        choices=Diet.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean gives the cleaned data
        if not cleaned.get("sex"):
            if cleaned.get("age_group") in GROWN_AGE_GROUPS:
                self.add_error(
                    "sex",
                    _('Choose female, male or "Prefers not to say" for every adult and senior.'),
                )
            else:
                cleaned["sex"] = Sex.UNSPECIFIED
        return cleaned

    def member(self) -> dict:
        data = self.cleaned_data
        return {
            "given_name": data["given_name"],
            "family_name": data.get("family_name") or None,
            "sex": data["sex"],
            "age_group": data["age_group"],
            "needs": list(dict.fromkeys(data.get("needs", []))),
            "diet": list(dict.fromkeys(data.get("diet", []))),
        }


class MemberRows(forms.BaseFormSet):
    """The people of a party, a form each. Every row sent is a person: one left blank is
    an error at its fields (fill it in or remove it), never dropped without a word from a
    party whose count the volunteer chose (Django's formsets let extra rows be empty)."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "empty_permitted": False}


MemberFormSet = forms.formset_factory(
    MemberForm,
    formset=MemberRows,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_MEMBERS,
    validate_max=True,
    absolute_max=MAX_MEMBERS,
)


class FindForm(forms.Form):
    code = forms.CharField(
        label=_("Party code"),
        max_length=20,
        validators=[line_validator],
        widget=forms.TextInput(
            attrs={
                "autocapitalize": "characters",
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "code-input",
            }
        ),
    )

    def clean_code(self):
        return code_from_typed(self.cleaned_data["code"])


class SpaceBedsForm(forms.Form):
    beds = forms.IntegerField(
        label=_("Beds in this space"),
        min_value=0,
        max_value=MAX_BEDS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    # Set by the page's "Yes, save" after it asked about a large change
    # (`shelters.selectors.space_beds_change_is_large`).
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ShelterStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ShelterStatus.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    reason = forms.CharField(
        label=_("Reason (the coordinators see it)"),
        max_length=MAX_STATUS_REASON,
        required=False,
        validators=[line_validator],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean gives the cleaned data
        reason = cleaned.get("reason", "")
        if (
            cleaned.get("status") == ShelterStatus.CLOSED
            and "reason" not in self.errors
            and not reason.strip()
        ):
            self.add_error("reason", _("Say why the shelter closes: the coordinators see it."))
        return cleaned


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), max_length=500, required=False, validators=[line_validator]
    )
