"""The API's JSON parser: DRF's, hardened so that no body, however built, answers 500
and no value is read other than as it was sent.

- The body is read as UTF-8 whatever charset the request declares (JSON between systems
  is UTF-8, RFC 8259): UTF-8 text labelled `charset=latin-1` would otherwise be stored
  as mojibake, and a body that is not UTF-8 answers 400.
- A key given twice in one object answers 400 (Python's decoder keeps the last silently).
- A number too large for a float (`1e400`, read as infinity) answers 400, as do `NaN`
  and `Infinity`.
- Python's decoder raises RecursionError (not ValueError) on deep nesting, and accepts
  escaped lone surrogates (`"\\ud800"`), which are not text: they cannot be stored or
  sent back as UTF-8. Both answer 400 here, as does nesting deeper than any request
  of this API needs.
"""

import json
import math

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def _is_text(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check(data) -> None:
    """Walk the parsed body without recursion: depth and text of every key and value."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _is_text(value):
                raise ParseError(_("JSON parse error - a string is not valid Unicode text."))
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise ParseError(_("JSON parse error - nested too deeply."))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    stack.append((key, depth))
                stack.append((item, depth + 1))


def _object(pairs: list) -> dict:
    data = dict(pairs)
    if len(data) < len(pairs):
        seen = set()
        for key, _value in pairs:
            if key in seen:
                shown = key[:100] if _is_text(key) else "?"  # said in the answer: text only
                raise ParseError(
                    _("JSON parse error - “%(key)s” is given twice in one object.") % {"key": shown}
                )
            seen.add(key)
    return data


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ParseError(_("JSON parse error - a number is too large."))
    return value


def _constant(name: str):
    raise ParseError(_("JSON parse error - %(name)s is not a JSON value.") % {"name": name})


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            # A byte order mark is not JSON, but some clients send one: ignored.
            text = stream.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ParseError(_("JSON parse error - the body is not UTF-8 text.")) from error
        try:
            data = json.loads(
                text, object_pairs_hook=_object, parse_float=_number, parse_constant=_constant
            )
        except RecursionError as error:
            raise ParseError(_("JSON parse error - nested too deeply.")) from error
        except ValueError as error:
            # The decoder's own words are in English, about Python's limits: said in the
            # request's language, where the body went wrong.
            if hasattr(error, "lineno"):
                raise ParseError(
                    _("JSON parse error - not valid JSON at line %(line)s, column %(column)s.")
                    % {"line": error.lineno, "column": error.colno}
                ) from error
            raise ParseError(_("JSON parse error - the body is not valid JSON.")) from error
        _check(data)
        return data
