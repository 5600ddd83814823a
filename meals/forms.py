"""Forms of the kitchen pages. They check shape only; the rules live in `meals.services`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_PLANNED_PORTIONS, MAX_SERVING_PORTIONS, Meal

# The quick buttons of a meal service (and "a number", typed).
QUICK_PORTIONS = (1, 5, 10)


class ServingForm(forms.Form):
    """Portions served: a quick button (`add` = 1, 5 or 10) or a typed number (`add` =
    "number" and `portions`). `key` is the Idempotency-Key the page (or the phone) made."""

    add = forms.CharField(max_length=10)
    portions = forms.IntegerField(
        label=_("Portions"),
        min_value=1,
        max_value=MAX_SERVING_PORTIONS,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    key = forms.CharField(max_length=255, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean gives the cleaned data
        add = cleaned.get("add")
        if add in {str(n) for n in QUICK_PORTIONS}:
            cleaned["count"] = int(add)
        elif add == "number":
            if cleaned.get("portions") is None and "portions" not in self.errors:
                self.add_error("portions", _("Enter how many portions were served."))
            cleaned["count"] = cleaned.get("portions")
        else:
            raise forms.ValidationError(_("Choose +1, +5, +10 or enter a number."))
        return cleaned


def planned_portions_field(label) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_PLANNED_PORTIONS,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class MealTimeForm(forms.Form):
    """A meal at a time of the day, with its planned portions: an entry of a shelter's
    daily schedule, or a meal added for today that no schedule made (a hot meal for a
    bus at 02:00)."""

    meal = forms.ChoiceField(label=_("Meal"), choices=Meal.choices)
    time = forms.TimeField(
        label=_("Time"),
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    planned_portions = planned_portions_field(_("Planned portions (optional)"))


class PlanForm(forms.Form):
    """A service's planned portions, changed on the day: a number typed, or the forecast
    taken as it is (`use_forecast`). Empty: no plan."""

    planned_portions = planned_portions_field(_("Planned portions"))
    # The plan the page showed ("" for none): a plan changed since is not overwritten.
    seen = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)


class ReportForm(forms.Form):
    date = forms.DateField(
        label=_("Day"), input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"})
    )
