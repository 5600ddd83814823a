# ruff: noqa: RUF001 - the msgids are Django's, with its typographic apostrophe
"""Django's password checks speak through its own catalog, whose Kazakh leaves them
untranslated: a new volunteer joining in Kazakh was told in English that their password
was too short. Marked here, they are in Berth's catalog (locale/), which Django reads
before its own (LOCALE_PATHS), with their Kazakh and Russian. The msgids must stay
exactly Django's (django/contrib/auth/password_validation.py);
tests/test_translations.py checks that each is translated."""

from django.utils.translation import gettext_noop, ngettext_lazy

PASSWORD_TEXTS = (
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Your password can’t be entirely numeric."),
)
