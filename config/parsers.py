"""The API's JSON parser: DRF's, hardened so that no body, however built, answers 500.

Python's decoder raises RecursionError (not ValueError) on deep nesting, and accepts
escaped lone surrogates (`"\\ud800"`), which are not text: they cannot be stored or
sent back as UTF-8. Both answer 400 here, as does nesting deeper than any request
of this API needs.
"""

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


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("JSON parse error - nested too deeply.")) from error
        except ParseError as error:
            # DRF's detail carries the decoder's own words (in English, about Python's
            # limits): said in the request's language, where the body went wrong.
            cause = error.__cause__ or error.__context__
            if isinstance(cause, ValueError) and hasattr(cause, "lineno"):
                raise ParseError(
                    _("JSON parse error - not valid JSON at line %(line)s, column %(column)s.")
                    % {"line": cause.lineno, "column": cause.colno}
                ) from error
            raise ParseError(_("JSON parse error - the body is not valid JSON.")) from error
        _check(data)
        return data
