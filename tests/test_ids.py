"""config.ids: time-ordered primary keys (version 7 UUIDs)."""

import time
import uuid

import pytest

from arrivals.models import Party, PartyMember, Placement
from config.ids import uuid7, uuid7_texts
from tests import factories


def _milliseconds() -> int:
    return time.time_ns() // 1_000_000


def test_an_id_is_a_version_7_uuid_of_its_millisecond_and_74_random_bits():
    before = _milliseconds()
    ids = [uuid7() for _ in range(1000)]
    after = _milliseconds()
    for value in ids:
        assert (value.version, value.variant) == (7, uuid.RFC_4122)
        assert before <= value.int >> 80 <= after
    random_mask = ((1 << 12) - 1) << 64 | (1 << 62) - 1  # rand_a and rand_b
    random_bits = {value.int & random_mask for value in ids}
    assert len(random_bits) == len(ids)
    # Ids of later milliseconds sort after: the index of a key grows at its right end.
    time.sleep(0.002)
    assert uuid7() > max(ids)


def test_ids_made_together_increase_in_the_order_made():
    before = _milliseconds()
    texts = uuid7_texts(300_000)  # past the counter's low 18 bits
    after = _milliseconds()
    assert texts == sorted(texts) and len(set(texts)) == len(texts)
    for text in [*texts[:1000], *texts[262_000:263_000]]:
        value = uuid.UUID(text)
        assert (str(value), value.version, value.variant) == (text, 7, uuid.RFC_4122)
        assert before <= value.int >> 80 <= after
    # The 44 bits after the counter are random.
    assert len({uuid.UUID(text).int & (1 << 44) - 1 for text in texts[:1000]}) == 1000
    assert uuid7_texts(0) == []


@pytest.mark.django_db
def test_the_rows_that_come_by_the_thousand_take_time_ordered_ids(city, shelter):
    party = factories.PartyFactory(city=city)
    space = factories.SpaceFactory(shelter=shelter)
    placement = Placement.objects.create(party=party, space=space, beds=party.size, created_by="t")
    member = PartyMember.objects.filter(party=party).first()
    for row in (party, member, placement):
        assert row.id.version == 7
    assert Party._meta.pk.default is Placement._meta.pk.default is uuid7
    # A city is made by hand, by the few: its id stays random.
    assert city.id.version == 4
