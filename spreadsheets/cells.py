"""The one guard of every exported cell against formula injection.

A spreadsheet program runs a cell whose text starts with `=`, `+`, `-` or `@` (and, in
some, after a tab or a carriage return) as a formula: a name typed as
`=HYPERLINK("http://evil", "click")` would run on the coordinator's machine. Every
export (CSV and XLSX, `spreadsheets.exports`, and the meals report's CSV) writes each
text cell through `cell_safe`, which prefixes such a text with `'` so that it is shown
as typed and never run. Control characters (but line breaks and tabs) are replaced by
U+FFFD (`config.text.neutralise`): text stored before they were refused must not reach
the file either (an escape sequence in a CSV moves the cursor of the terminal that
prints it; XLSX cannot hold them at all).
"""

from config.text import neutralise

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value):
    """`value` as an exported cell: numbers, booleans, dates and None as they are; text
    that a spreadsheet would take for a formula, prefixed with `'`."""
    if not isinstance(value, str):
        return value
    value = neutralise(value)
    if value.startswith(FORMULA_START):
        return f"'{value}"
    return value
