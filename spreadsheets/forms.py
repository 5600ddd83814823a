from django import forms
from django.conf import settings
from django.utils.translation import gettext
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
        allow_empty_file=True,  # refused by the reader, as the API refuses it
        help_text=_("CSV (UTF-8) or XLSX, the first row naming the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, cities, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        # The page's script refuses a file over the limit before sending it, next to the
        # field (static/berth/upload.js): sent, a body that large is answered 413 unread.
        self.fields["file"].widget.attrs.update(
            {
                "data-max-bytes": str(settings.SPREADSHEET_MAX_BYTES),
                "data-too-big": gettext("The file is too big: at most %(size)s MB.")
                % {"size": settings.SPREADSHEET_MAX_BYTES // (1024 * 1024)},
            }
        )
        self.fields["city"].queryset = cities  # type: ignore[attr-defined]  # a Field, for the stubs
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in ImportKind.choices if value in kinds
        ]
