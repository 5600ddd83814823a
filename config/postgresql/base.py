"""PostgreSQL, with `prepared_cursor()` for the statements on the way of every request.

Django sends its statements with client-side binding and never prepares them (right for
the ORM, whose statements mostly differ from call to call). PostgreSQL then parses,
analyses and plans each statement anew: for the registration's one statement of party,
members, history, audit entry and ask for matching that was about 0.6 ms of the
server's CPU per registration, more than running it, and 0.25 ms for the token lookup
(measured with pg_stat_statements' plan and execution times; docs/benchmarks.md).

A cursor of `prepared_cursor()` binds its parameters on the server and prepares each
statement it runs: psycopg keeps the prepared statements of a connection by their text
(up to its `prepared_max`, 100) and runs the next one of the same text by name, with the
plan PostgreSQL keeps for it. Only statements written out once and run with different
values belong there (`arrivals.services._Registration.write`, `idempotency.services`,
`accounts.authentication.token_with_user`): their plans do not depend on the values
(inserts, and lookups by a unique key), so the generic plan PostgreSQL keeps is the plan
it would make for each call. They name their columns: a migration that adds one while
the web runs leaves them valid (PostgreSQL plans a prepared statement again when a table
it reads changes).

psycopg converts a statement's text for the server (its `%s` to `$1`, ...) each time it
runs it, and keeps the conversion only of statements under 4 KB with at most 50
parameters: the registration's statement has more, and converting it again cost about
0.4 ms of the web's CPU per registration. A prepared cursor's statements are a few texts,
each run many times: their conversions are kept (`PreparingCursor`).

Behind a pooler in transaction mode (`DATABASE_POOLER=transaction`, PgBouncer before
1.21) a prepared statement lives on one server connection while the next transaction
may run on another: the settings then set the option `prepared_statements` to False
(`DATABASES["default"]["OPTIONS"]`), and the cursor is Django's own.
"""

import functools
from typing import cast

from django.db import connection
from django.db.backends.postgresql import base, operations
from django.db.backends.utils import CursorWrapper
from psycopg import _queries

# The conversions of the statements of `prepared_cursor()`, by text: psycopg's own
# conversion (a private function of psycopg's, whose version is pinned; tested in
# tests/arrivals/parties/test_prepared_statements.py), kept for every length.
_converted = functools.lru_cache(maxsize=64)(_queries._query2pg_nocache)


class _KnownQuery(_queries.PostgresQuery):
    """A statement of `prepared_cursor()`: its conversion is kept whatever its length."""

    def convert(self, query, vars):
        if vars is None or not isinstance(query, str | bytes):
            return super().convert(query, vars)
        query = self._ensure_bytes(query)
        self.query, self._want_formats, self._order, self._parts = _converted(
            query, self._tx.encoding
        )
        self.dump(vars)


class PreparingCursor(base.ServerBindingCursor):
    """Django's cursor that binds on the server, whose statements' conversions are kept."""

    _query_cls = _KnownQuery


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # Django reads the statement as the client-binding cursor sent it; a prepared
        # one is sent by name, so it is written out here, as Django does for its own
        # server-binding option (shown in connection.queries and the debug log).
        if isinstance(cursor, base.ServerBindingCursor):
            return self.compose_sql(sql, params)
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _preparing = False

    @property
    def prepares(self) -> bool:
        return self.settings_dict["OPTIONS"].get("prepared_statements", True)

    def get_connection_params(self):
        params = super().get_connection_params()
        params.pop("prepared_statements", None)  # ours, not psycopg's
        if self.prepares:
            # psycopg prepares nothing while this is None (Django's default). At 0 it
            # prepares every statement of a cursor that binds on the server, from the
            # first: only `prepared_cursor()`'s do (Django's bind on the client, and a
            # client-binding cursor is never prepared).
            params["prepare_threshold"] = 0
        return params

    def prepared_cursor(self):
        """A cursor as `cursor()` gives (wrapped, logged and counted as Django's), whose
        statements are prepared on the server, unless the option `prepared_statements`
        is False."""
        if not self.prepares:
            return self.cursor()
        self._preparing = True
        try:
            return self.cursor()
        finally:
            self._preparing = False

    def create_cursor(self, name=None):
        if self._preparing and name is None:
            # django-stubs declare this psycopg cursor without psycopg's arguments.
            return PreparingCursor(self.connection)  # type: ignore[call-arg]
        return super().create_cursor(name)


def prepared_cursor() -> CursorWrapper:
    """`prepared_cursor()` of the default database, which must be this backend's."""
    return cast(DatabaseWrapper, connection).prepared_cursor()
