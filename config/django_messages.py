# ruff: noqa: RUF001 - the msgids are Django's, with its typographic apostrophe
"""Django's and Django REST framework's own messages that Berth's pages and API can show,
put into Berth's catalogs.

Django ships Kazakh only in part (the login form's error, a formset's counts, a field's
length and the null character are English in Kazakh, and much of the admin). Marked here,
`make messages` extracts them into locale/*/django.po with the rest of Berth's texts,
where they get their Russian and Kazakh translations; LOCALE_PATHS comes before Django's
own catalogs, so these translations are the ones every form shows. DRF's Russian lacks a few of its
field errors, named here too. Nothing imports this module at run time: it only names the
messages (exactly as Django 5.2 and DRF 3.16 spell them).
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

MESSAGES = [
    # django.forms.fields
    gettext_noop("This field is required."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid value."),
    gettext_noop("Enter a list of values."),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    # django.core.validators
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    # django.forms.forms: a hidden field's error, shown at the top of the form
    gettext_noop("(Hidden field %(name)s) %(error)s"),
    # django.forms.formsets
    gettext_noop(
        "ManagementForm data is missing or has been tampered with. Missing fields: "
        "%(field_names)s. You may need to file a bug report if the issue persists."
    ),
    # django.db.models.fields.UUIDField (a related object's id, in the API)
    gettext_noop("“%(value)s” is not a valid UUID."),
    # django.contrib.auth.models: the username field's name, in the password check below and
    # the back office's sign-in; Django's Kazakh calls it otherwise than Berth's pages do
    gettext_noop("username"),
    # django.contrib.auth.password_validation (joining by invitation: untranslated in Kazakh)
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Your password can’t be entirely numeric."),
    # rest_framework.fields, rest_framework.serializers (untranslated in its Russian)
    gettext_noop("Invalid input."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("Datetime value out of range."),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop("This dictionary may not be empty."),
    # rest_framework.exceptions.Throttled: two texts, not a plural (hence "s" in Russian)
    gettext_noop("Expected available in {wait} second."),
    gettext_noop("Expected available in {wait} seconds."),
    # django.utils.dates: the board chart's days (`date_format(day, "D")`); Django's Kazakh
    # gives Tuesday the short form of Saturday (tests/test_translations.py)
    gettext_noop("Mon"),
    gettext_noop("Tue"),
    gettext_noop("Wed"),
    gettext_noop("Thu"),
    gettext_noop("Fri"),
    gettext_noop("Sat"),
    gettext_noop("Sun"),
]

PLURALS = [
    # django.core.validators
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    # django.forms.formsets
    ngettext_lazy(
        "Please submit at most %(num)d form.", "Please submit at most %(num)d forms.", "num"
    ),
    ngettext_lazy(
        "Please submit at least %(num)d form.", "Please submit at least %(num)d forms.", "num"
    ),
    # django.contrib.auth.password_validation
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
    # django.utils.timesince (the `timesince` filter: "waiting for 3 hours" on the board)
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
]

# The back office: Django's admin in Kazakh is English in part, and misspells a few.
ADMIN_MESSAGES = [
    gettext_noop("Skip to main content"),
    gettext_noop("View site"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Recent actions"),
    gettext_noop("My actions"),
    gettext_noop("Added:"),
    gettext_noop("Select %s to view"),
    gettext_noop("Select %s to change"),  # Django's Kazakh misspells it (үщін)
    gettext_noop("Show counts"),
    gettext_noop("Hide counts"),
    gettext_noop("Clear all filters"),
    gettext_noop("Close"),
    gettext_noop(
        "This object doesn’t have a change history. It probably wasn’t added via this admin site."
    ),
    # Russian needs these without a declined name ("Выберите группа", "успешно изменён" of
    # a feminine "группа"): Berth's Russian names the kind after a colon.
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("You may edit it again below."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("Add %s"),
    gettext_noop("Add %(name)s"),
    gettext_noop("Summary"),
    gettext_noop("Objects"),
    gettext_noop("No, take me back"),
    gettext_noop("Yes, I’m sure"),
    gettext_noop("Change"),
    gettext_noop("Change %s"),
    gettext_noop("View"),
    gettext_noop("View %s"),
    gettext_noop("Date/time"),
    gettext_noop("Sorting priority: %(priority_number)s"),
    gettext_noop("Remove from sorting"),
    gettext_noop("Toggle sorting"),
    gettext_noop("You don’t have permission to view or edit anything."),
    gettext_noop("Filter"),
    # django.db.models (a form of the back office repeating a unique name)
    gettext_noop("%(model_name)s with this %(field_labels)s already exists."),
    # django.contrib.admin.forms: a failed sign-in
    gettext_noop(
        "Please enter the correct %(username)s and password for a staff account. Note that "
        "both fields may be case-sensitive."
    ),
    # django.contrib.admin.options: an object gone, or outside the staff member's reach
    gettext_noop("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"),
    # admin/widgets/related_widget_wrapper.html: the links beside a related field
    gettext_noop("Change selected %(model)s"),
    gettext_noop("Add another %(model)s"),
    gettext_noop("Delete selected %(model)s"),
    gettext_noop("View selected %(model)s"),
    # admin/app_list.html
    gettext_noop("Models in the %(name)s application"),
    # the title of a refused form; every page's breadcrumbs and side bar
    gettext_noop("Error:"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Toggle navigation"),
    gettext_noop("Sidebar"),
    gettext_noop("Start typing to filter…"),
    gettext_noop("Filter navigation items"),
    # a list with actions (members, API keys); the start page's recent actions
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Select all objects on this page for an action"),
    gettext_noop("Changed:"),
    gettext_noop("Deleted:"),
    # django.contrib.admin.filters (API keys: revoked or not)
    gettext_noop("Empty"),
    gettext_noop("Not empty"),
    # django.contrib.admin.options: a shelter or space deleted; a member's cities chosen
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
    gettext_noop("Hold down “Control”, or “Command” on a Mac, to select more than one."),
    # django.contrib.admin.models.LogEntry: what each line of the recent actions and of an
    # object's history says was done
    gettext_noop("Added “%(object)s”."),
    gettext_noop("Changed “%(object)s” — %(changes)s"),
    gettext_noop("Deleted “%(object)s.”"),
    gettext_noop("Added {name} “{object}”."),
    gettext_noop("Added."),
    gettext_noop("Changed {fields} for {name} “{object}”."),
    gettext_noop("Changed {fields}."),
    gettext_noop("Deleted {name} “{object}”."),
    # admin/submit_line.html
    gettext_noop("Save and view"),
]

ADMIN_PLURALS = [
    # admin/change_form.html, change_list.html, login.html: above a refused form
    ngettext_lazy("Please correct the error below.", "Please correct the errors below.", "n"),
]

# django.utils.dates.MONTHS_ALT, a date's `E` ("3 декабря", "3 желтоқсан"): inside a date a
# month is lower case, which Django's Kazakh does not write.
MONTHS_IN_A_DATE = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]
