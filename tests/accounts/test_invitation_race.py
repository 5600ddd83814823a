"""One invitation link opened on two phones and sent at the same moment makes one person:
the invitation's row lock (`accounts.services.invitation_accept`) lets one through."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Invitation, Membership, Role
from accounts.services import invitation_accept, invitation_create
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_accepts_at_once_make_one_member():
    city = factories.CityFactory()
    coordinator = factories.member(Role.COORDINATOR, cities=[city])
    _invitation, path = invitation_create(created_by=coordinator, city=city, role=Role.VOLUNTEER)
    token = path.split("/")[2]
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def accept(username: str) -> None:
        try:
            barrier.wait()
            invitation_accept(token=token, username=username, password="tulip-harbour-seventeen")
            outcomes.append("joined")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(f"person{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["joined", "refused", "refused", "refused"]
    assert Membership.objects.filter(user__username__startswith="person").count() == 1
    used = Invitation.objects.get()
    assert used.accepted_by is not None and used.accepted_by.username.startswith("person")
