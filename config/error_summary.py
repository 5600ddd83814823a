"""The error summary at the top of a page whose form came back refused (the GOV.UK
pattern): every error, in the order of the page, each naming its field and linking to it.
`templates/arrivals/_error_summary.html` shows it, and `static/berth/pages.js` gives it the
focus, so it is in view and read out first; a link moves the focus to its field.
"""

from collections.abc import Iterable

from django import forms


def error_summary(parts: Iterable[tuple[forms.BaseForm, str]]) -> list[dict[str, str]]:
    """The entries ({"text", "href"}) of the summary of `parts`: each form with where it
    sits on the page ("Person 2", a space's name; "" for the page's own form). An error of
    a field reads "where, field: error" and links to the field; one of the whole form
    reads "where: error", unlinked. A label that asks a question is followed by its error
    as a sentence ("How many people can sleep there? Enter a whole number.")."""
    entries = []
    for form, where in parts:
        for error in form.non_field_errors():
            entries.append({"text": _named(where, error), "href": ""})
        for name in form.fields:  # the order of the page
            errors = form.errors.get(name, ())
            if not errors:
                continue
            field = form[name]
            if field.is_hidden:  # nothing on the page to name or link to
                named, href = where, ""
            else:
                # A label written as a sentence ("I asked … for a place.") ends without its
                # full stop before the ": error" that follows it.
                label = str(field.label or "").rstrip(".:")
                named = ", ".join(str(part) for part in (where, label) if part)
                # A group of checkboxes or radios has no element of its id: link its first.
                href = field.id_for_label or f"{field.auto_id}_0"
            for error in errors:
                entries.append({"text": _named(named, error), "href": href})
    return entries


def _named(named: str, error) -> str:
    if not named:
        return str(error)
    if named.endswith(("?", "!")):
        return f"{named} {error}"
    return f"{named}: {error}"
