"""The web login form, with its texts in Berth's own catalogs.

Django's AuthenticationForm says "Please enter a correct %(username)s and password..."
and labels its fields from the user model; Django ships that message in neither Kazakh
nor (well) Russian. Here every text the login page shows is one of ours, so
`tests/test_translations.py` holds it to a Russian and a Kazakh translation.
"""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

REQUIRED = _("This field is required.")


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password."),
        "inactive": _("This account is switched off. Ask the coordinator of your city."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username: forms.Field = self.fields["username"]
        password: forms.Field = self.fields["password"]
        username.label = _("Username")
        password.label = _("Password")
        for field in (username, password):
            field.error_messages["required"] = REQUIRED
