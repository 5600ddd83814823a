"""With the broker down, writes still answer and are kept once; matching catches up later."""

from contextlib import contextmanager

import pytest

from accounts.models import Role
from arrivals.models import MatchingRun, Party, PartyStatus, RunStatus
from arrivals.services import NEVER_SENT
from config.celery import app as celery_app
from tests import factories
from tests.arrivals.workflow.conftest import _reset_broker_pools
from tests.conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def _broker_down():
    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",  # nothing listens on port 1
    )
    _reset_broker_pools()
    try:
        yield
    finally:
        _reset_broker_pools()
        celery_app.conf.update(saved)


@pytest.fixture
def broker_down():
    with _broker_down():
        yield


def _register(client, city, name: str):
    return client.post(
        "/api/v1/parties/",
        {"city": str(city.id), "consent": True, "members": [{"given_name": name}]},
        format="json",
    )


def test_registration_answers_201_once_while_the_broker_is_down(broker_down):
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=5)
    volunteer = client_for(factories.member(Role.VOLUNTEER, cities=[city]))
    answer = volunteer.post(
        "/api/v1/parties/",
        {"city": str(city.id), "consent": True, "members": [{"given_name": "Arman"}]},
        format="json",
    )
    assert answer.status_code == 201
    assert Party.objects.count() == 1
    assert Party.objects.get().status == PartyStatus.WAITING
    # The ask is recorded; the timer sends it again when the broker is back.
    assert MatchingRun.objects.filter(city=city, status=RunStatus.QUEUED).count() == 1


def test_a_run_whose_sending_failed_is_sent_by_the_next_registration():
    """Not a minute later by the timer: the next ask in the city sends it at once."""
    city = factories.CityFactory()
    factories.SpaceFactory(shelter=factories.ShelterFactory(city=city), beds=5)
    volunteer = client_for(factories.member(Role.VOLUNTEER, cities=[city]))
    with _broker_down():
        assert _register(volunteer, city, "Arman").status_code == 201
    run = MatchingRun.objects.get(city=city)
    assert (run.status, run.enqueued_at) == (RunStatus.QUEUED, NEVER_SENT)

    # The broker is back (tasks run in-process here): the next registration sends the run.
    assert _register(volunteer, city, "Dana").status_code == 201

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.enqueued_at > NEVER_SENT
    assert set(Party.objects.values_list("status", flat=True)) == {PartyStatus.PLACED}
