"""SQLite, the development database (`make run`), with a LIKE that ignores case in every
alphabet, as PostgreSQL's does.

SQLite's own LIKE folds only ASCII letters: a coordinator's search for "мадина" did not
find "Мадина" (`icontains`, `iexact` and `contains` are all LIKE on SQLite). Here LIKE is
SQLite's `like()` function replaced by one in Python (SQLite lets a connection do that),
with the same `%`, `_` and ESCAPE, comparing case-insensitively in Unicode.
"""

import functools
import re

from django.db.backends.sqlite3 import base


@functools.lru_cache(maxsize=512)
def _pattern(pattern: str, escape: str | None) -> re.Pattern:
    parts, chars = [], iter(pattern)
    for char in chars:
        if escape and char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def like(pattern, value, escape=None):
    if pattern is None or value is None:
        return None
    return _pattern(str(pattern), escape).fullmatch(str(value)) is not None


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        for arity in (2, 3):
            connection.create_function("like", arity, like, deterministic=True)
        return connection
