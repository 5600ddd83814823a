"""Forms of the host offer pages. They check shape only, with the API's bounds and
validators (`shelters.serializers`); the rules live in `shelters.services`."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from config.text import line_validator, text_validator

from .models import MAX_HOST_ADDRESS, MAX_HOST_BEDS, MAX_HOST_NAME, MAX_HOST_NOTES, City
from .serializers import phone_validator

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HostOfferForm(forms.Form):
    city: "forms.ModelChoiceField[City]" = forms.ModelChoiceField(
        queryset=City.objects.order_by("name"),
        label=_("City"),
        empty_label=_("Choose…"),
        error_messages={
            "required": _("Choose your city."),
            "invalid_choice": _("Choose your city from the list."),
        },
    )
    address = forms.CharField(
        label=_("Address of the apartment"),
        max_length=MAX_HOST_ADDRESS,
        validators=[line_validator],
        help_text=_("Street, house, flat."),
        error_messages={"required": _("Enter the apartment's address.")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    beds = forms.IntegerField(
        label=_("How many people can sleep there?"),
        min_value=1,
        max_value=MAX_HOST_BEDS,
        error_messages={
            "required": _("Enter how many people can sleep there."),
            "invalid": _("Enter a number, such as 3."),
            "min_value": _("At least 1 person."),
            "max_value": _("At most %(limit_value)s people."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    available_from = forms.DateField(
        label=_("Free from"), required=False, widget=DATE, help_text=_("Empty: from today.")
    )
    available_until = forms.DateField(
        label=_("Free until"),
        required=False,
        widget=DATE,
        help_text=_("Empty: until further notice. The apartment is closed after this day."),
    )
    wheelchair_accessible = forms.BooleanField(
        label=_("A wheelchair can get in (no steps, or a lift)"), required=False
    )
    pets_allowed = forms.BooleanField(label=_("Pets are welcome"), required=False)
    host_name = forms.CharField(
        label=_("Your name"),
        max_length=MAX_HOST_NAME,
        error_messages={"required": _("Enter your name (a first name is enough).")},
        validators=[line_validator],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        label=_("Your phone"),
        max_length=32,
        validators=[phone_validator],
        help_text=_("A coordinator calls you before anyone comes."),
        error_messages={"required": _("Enter your phone number.")},
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    notes = forms.CharField(
        label=_("Anything else (optional)"),
        max_length=MAX_HOST_NOTES,
        required=False,
        validators=[text_validator],
        help_text=_("Floor, lift, keys, who else lives there."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # A trap for robots: hidden from people (and from screen readers), so whoever fills
    # it is a robot (`shelters.web_views.host_offer_new`).
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.retention_days = settings.PERSONAL_DATA_RETENTION_DAYS

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean gives the cleaned data
        start, until = cleaned.get("available_from"), cleaned.get("available_until")
        if start and until and until < start:
            self.add_error("available_until", _("The end is before the start."))
        return cleaned
