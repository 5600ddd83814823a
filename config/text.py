"""Text that people type: the one check of every text field, in the API and the forms.

A control character (Unicode category Cc: NUL, ESC, BEL, backspace, DEL, the C1 range...)
is never part of a name, an address or a note. It forges lines in logs, moves the cursor
of a terminal that prints the CSV, and breaks the spreadsheets coordinators open. So:

- one line (`line_validator`): names, addresses, reasons, codes: no control character at
  all, line breaks and tabs included;
- free text (`text_validator`): notes: line breaks (`\\n`, and `\\r` as part of `\\r\\n`,
  which browsers send from a text area) and tabs are allowed, nothing else.

Lone surrogates (Cs) are refused too: they are not text and cannot be stored as UTF-8.
The line and paragraph separators (U+2028, U+2029) are line breaks: refused in one line,
allowed in free text. Format characters (Cf) stay: right-to-left marks and the
zero-width joiner of emoji sequences are part of real names; but not the bidirectional
overrides (U+202D, U+202E), which show the text after them reversed.

Serializers get them through `config.fields` (`LineField`, `TextField`, and its
`ModelSerializer`, which maps a model's `CharField` to `LineField` and `TextField` to
`TextField`); forms name them as validators; the back office gets them through
`accounts.admin.ScopedModelAdmin`. tests/security/test_input.py checks that no text field
the API reads is left without one of them.
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

CODE = "control_characters"
LINE_MESSAGE = _("The text cannot hold control characters or line breaks.")
NAME_MESSAGE = _("A name cannot hold control characters or line breaks.")
INVISIBLE_NAME_MESSAGE = _("A name needs at least one letter or sign that can be seen.")
TEXT_MESSAGE = _("The text cannot hold control characters.")

# A carriage return is allowed only as half of a line break.
_LONE_CR = re.compile(r"\r(?!\n)")


# Refused with the control characters: the line and paragraph separators (Zl, Zp: line
# breaks by another name), and the bidirectional overrides, which turn the text after them
# around on screen ("Trojan source"); the marks and isolates real names use stay.
_REFUSED_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")
_BIDI_OVERRIDES = "\u202d\u202e"
# What free text allows besides: its line breaks and tabs.
TEXT_ALLOWED = "\n\r\t\u2028\u2029"


def has_control_characters(value: str, *, allowed: str = "") -> bool:
    """Control characters (Cc), lone surrogates (Cs), line or paragraph separators and
    bidirectional overrides, other than those in `allowed`."""
    if value.isprintable():  # the common case, in C
        return False
    return any(
        (unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in _BIDI_OVERRIDES)
        and ch not in allowed
        for ch in value
    )


def line_validator(value: str) -> None:
    """One line of text: no control character, no line break, no tab."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(LINE_MESSAGE, code=CODE)


# Shown, these are blank: format characters (zero-width, direction marks) and separators.
_INVISIBLE = frozenset(("Cf", "Zs", "Zl", "Zp"))


def has_nothing_visible(value: str) -> bool:
    """Only format characters and spaces: shown, it is blank."""
    if value.isprintable():  # the common case, in C: no Cf and no separator but " "
        return not value.strip(" ")
    return all(unicodedata.category(ch) in _INVISIBLE for ch in value)


def name_validator(value: str) -> None:
    """A person's name: one line, with the message saying so, and something to see (a
    name of zero-width characters alone shows as blank on every list)."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(NAME_MESSAGE, code=CODE)
    if isinstance(value, str) and value and has_nothing_visible(value):
        raise ValidationError(INVISIBLE_NAME_MESSAGE, code="invisible")


def text_validator(value: str) -> None:
    """Free text: line breaks and tabs allowed, other control characters not."""
    if isinstance(value, str) and (
        has_control_characters(value, allowed=TEXT_ALLOWED) or _LONE_CR.search(value)
    ):
        raise ValidationError(TEXT_MESSAGE, code=CODE)


def neutralise(value: str) -> str:
    """`value` with every control character but line breaks and tabs replaced by U+FFFD:
    for text written out (a CSV) that may predate the validators."""
    if not has_control_characters(value, allowed="\n\t"):
        return value
    return "".join(
        "\ufffd" if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" else ch
        for ch in value
    )


class FormLineField(forms.CharField):
    """A form's one-line text field."""

    default_validators = [line_validator]


class FormTextField(forms.CharField):
    """A form's free text field."""

    default_validators = [text_validator]


VALIDATORS = (line_validator, name_validator, text_validator)


def text_validator_for(db_field):
    """The validator for a model field's values: one line for a `CharField`, free text
    for a `TextField`, None for other fields."""
    if isinstance(db_field, models.TextField):
        return text_validator
    if isinstance(db_field, models.CharField):
        return line_validator
    return None
