from django import forms
from django.utils.translation import gettext_lazy as _

from shelters.models import City

from .models import ImportKind


class ImportForm(forms.Form):
    """Upload a spreadsheet to check (coordinators). The cities are the caller's."""

    city: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=City.objects.none(), label=_("City"), empty_label=None
    )
    kind = forms.ChoiceField(
        label=_("What the file holds"), choices=ImportKind.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8) or XLSX, the first row naming the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, cities, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = cities  # type: ignore[attr-defined]  # a Field, for the stubs
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in ImportKind.choices if value in kinds
        ]
