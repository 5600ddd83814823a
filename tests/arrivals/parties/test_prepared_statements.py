"""The statements on the way of every registration (the token lookup, and the party's
one statement, which stores the idempotency key too) are prepared on PostgreSQL once per connection
(`prepared_cursor()`, config/postgresql), and nothing else is; behind a pooler in
transaction mode (the option `prepared_statements` False) nothing is."""

import copy

import pytest
from django.db import connection, transaction
from psycopg import _queries

from accounts.models import Role
from arrivals.models import Party, PartyMember
from config.postgresql import base as postgresql_base
from tests import factories

from .test_registration_cost import register, token_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def prepared_here() -> list[str]:
    """The statements prepared on this connection, as PostgreSQL lists them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def volunteer_and_city():
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=50)
    return token_client(factories.member(Role.VOLUNTEER, cities=[city])), city


@pytest.fixture
def fresh_connection():
    """A connection of its own (the settings are read when it opens)."""
    connection.close()
    saved = copy.deepcopy(connection.settings_dict)
    yield connection.settings_dict
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def test_a_registrations_statements_are_prepared_once(volunteer_and_city, fresh_connection):
    volunteer, city = volunteer_and_city

    for name in ("Aigerim", "Dana", "Saule"):
        members = [{"given_name": name, "sex": "female"}, {"given_name": "Timur"}]
        assert register(volunteer, city, members=members).status_code == 201

    statements = prepared_here()
    # Three registrations of one shape: each statement prepared once, and run by name.
    assert len(statements) == 2, statements
    token, party = statements
    assert token.startswith("SELECT t.digest") and "knox_authtoken" in token
    assert party.startswith("WITH l AS (SELECT EXISTS")
    assert 'INSERT INTO "arrivals_party"' in party
    assert 'INSERT INTO "idempotency_idempotencykey"' in party
    # The values are bound on the server, not written into the statement.
    assert "Aigerim" not in party and "$1" in party
    # ... and each party written with its own.
    names = PartyMember.objects.filter(party__city=city, position=0).values_list("given_name")
    assert sorted(name for (name,) in names) == ["Aigerim", "Dana", "Saule"]


def test_behind_a_transaction_pooler_nothing_is_prepared(volunteer_and_city, fresh_connection):
    volunteer, city = volunteer_and_city
    fresh_connection["OPTIONS"]["prepared_statements"] = False

    assert register(volunteer, city).status_code == 201
    answer = register(volunteer, city, members=[{"given_name": "Arman"}])

    assert answer.status_code == 201, answer.content
    assert prepared_here() == []
    assert Party.objects.filter(city=city).count() == 2


def test_a_rolled_back_transaction_does_not_break_the_next_registration(
    volunteer_and_city, fresh_connection
):
    """psycopg forgets a connection's prepared statements at a ROLLBACK (and deallocates
    them): the next registration prepares its statements again."""
    volunteer, city = volunteer_and_city
    assert register(volunteer, city).status_code == 201
    assert len(prepared_here()) == 2

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        Party.objects.filter(city=city).update(notes="changed, then rolled back")
        1 / 0  # noqa: B018 - any error in the transaction

    answer = register(volunteer, city, members=[{"given_name": "Arman"}])
    assert answer.status_code == 201, answer.content
    # Still two: the party's statement for two members went with the token's, and the
    # one for one member (another text) was prepared with it again.
    assert len(prepared_here()) == 2
    assert Party.objects.filter(city=city).count() == 2
    assert not Party.objects.filter(notes="changed, then rolled back").exists()


def test_a_long_statement_is_converted_once(volunteer_and_city, fresh_connection):
    """psycopg converts a statement of more than 50 parameters (`%s` to `$1`, ...) anew
    each time; the registration's (with its key's answer) has more, and its conversion
    is kept (`config.postgresql.base.PreparingCursor`)."""
    volunteer, city = volunteer_and_city
    assert register(volunteer, city).status_code == 201
    [statement] = [s for s in prepared_here() if 'INSERT INTO "arrivals_party"' in s]
    assert statement.count("$") > _queries.MAX_CACHED_STATEMENT_PARAMS
    before = postgresql_base._converted.cache_info()

    for name in ("Dana", "Saule"):
        members = [{"given_name": name, "sex": "female"}, {"given_name": "Timur"}]
        assert register(volunteer, city, members=members).status_code == 201

    after = postgresql_base._converted.cache_info()
    # The token lookup's and the registration's, each found converted.
    assert after.hits - before.hits == 4
    assert after.misses == before.misses
    names = PartyMember.objects.filter(party__city=city, position=0).values_list("given_name")
    assert {"Dana", "Saule"} <= {name for (name,) in names}
