"""Every bound of the contract answers 400 with field errors; no input, however
malformed, answers 500 or leaves a row behind."""

import json

import pytest

from arrivals.models import Party, PartyEvent, PartyMember
from idempotency.models import IdempotencyKey
from privacy.models import AuditEntry

from .conftest import PARTIES, body

pytestmark = pytest.mark.django_db


def counts():
    return (
        Party.objects.count(),
        PartyMember.objects.count(),
        PartyEvent.objects.count(),
        AuditEntry.objects.count(),
        IdempotencyKey.objects.count(),
    )


def member(**fields):
    return {"given_name": "Dana", **fields}


def post_rejected(client, data, *, status=400):
    before = counts()
    if isinstance(data, dict):
        response = client.post(PARTIES, data, format="json")
    else:
        response = client.post(PARTIES, data, content_type="application/json")
    assert response.status_code == status, response.content
    assert counts() == before
    return response


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"members": []}, "members"),
        ({"members": [member() for _ in range(31)]}, "members"),
        ({"members": [member(given_name="x" * 101)]}, "members"),
        ({"members": [member(family_name="x" * 101)]}, "members"),
        ({"members": [member(given_name="")]}, "members"),
        ({"members": [member(given_name="   ")]}, "members"),
        ({"members": [{"family_name": "Only"}]}, "members"),
        ({"members": [member(given_name=None)]}, "members"),
        # Numbers are not text: DRF would store 1e2 as "100.0".
        ({"members": [member(given_name=100.0)]}, "members"),
        ({"members": [member(given_name=5)]}, "members"),
        ({"members": [member(given_name=True)]}, "members"),
        ({"contact_phone": 77011234567}, "contact_phone"),
        ({"notes": 0.1}, "notes"),
        ({"languages": [7]}, "languages"),
        ({"notes": "x" * 1001}, "notes"),
        ({"pets": 11}, "pets"),
        ({"pets": -1}, "pets"),
        ({"nights_needed": 0}, "nights_needed"),
        ({"nights_needed": 366}, "nights_needed"),
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"consent": "yes"}, "consent"),
        ({"consent": 1}, "consent"),
        ({"members": [member(sex="other")]}, "members"),
        ({"members": [member(age_group="teen")]}, "members"),
        ({"members": [member(needs=["jetpack"])]}, "members"),
        ({"members": [member(diet=["carnivore"])]}, "members"),
        ({"languages": ["Russian language"]}, "languages"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"contact_phone": "1" * 40}, "contact_phone"),
        ({"registration_point": "x" * 201}, "registration_point"),
        ({"city": "not-a-uuid"}, "city"),
        ({"city": "00000000-0000-0000-0000-000000000000"}, "city"),
        ({"city": None}, "city"),
    ],
)
def test_bounds_answer_400_with_field_errors(volunteer_client, city, overrides, field):
    response = post_rejected(volunteer_client, body(city, **overrides))
    assert field in response.json()


@pytest.mark.parametrize("missing", ["consent", "members", "city"])
def test_required_fields(volunteer_client, city, missing):
    data = body(city)
    del data[missing]
    response = post_rejected(volunteer_client, data)
    assert missing in response.json()


def test_the_bounds_themselves_are_accepted(volunteer_client, city):
    data = body(
        city,
        members=[member(given_name="x" * 100, family_name="y" * 100) for _ in range(30)],
        notes="n" * 1000,
        pets=10,
        nights_needed=365,
    )
    response = volunteer_client.post(PARTIES, data, format="json")
    assert response.status_code == 201, response.content
    assert response.data["size"] == 30
    party = Party.objects.get(id=response.data["id"])
    assert (party.size, party.pets, party.nights_needed) == (30, 10, 365)
    assert party.members.count() == 30

    data = body(city, pets=0, nights_needed=1, members=[member()])
    assert volunteer_client.post(PARTIES, data, format="json").status_code == 201


def test_only_given_name_is_required(volunteer_client, city):
    data = {"city": str(city.id), "consent": True, "members": [{"given_name": "Mo"}]}
    response = volunteer_client.post(PARTIES, data, format="json")
    assert response.status_code == 201, response.content
    party = Party.objects.get(id=response.data["id"])
    assert party.contact_phone is None
    assert party.contact_phone_digest == ""
    assert (party.pets, party.nights_needed, party.notes, party.languages) == (0, 1, "", [])
    member_row = party.members.get()
    assert (member_row.family_name, member_row.sex, member_row.age_group) == (
        None,
        "unspecified",
        "adult",
    )


@pytest.mark.parametrize(
    "name",
    [
        "עדי",  # Hebrew, right to left
        "\u202bAli\u202c",  # a right-to-left embedding (an override is refused)
        "Zoë 👶🏽",  # emoji with a skin-tone modifier
        "Zoe\u0308",  # e + combining diaeresis
        "Ҡаҙаҡ",
        "李小龍",
        "ﷺ",
    ],
)
def test_unusual_but_valid_names_are_kept_exactly(coordinator_client, city, name):
    data = body(city, members=[member(given_name=name, family_name=name)])
    response = coordinator_client.post(PARTIES, data, format="json")
    assert response.status_code == 201, response.content
    assert response.data["members"][0]["given_name"] == name
    assert response.data["members"][0]["family_name"] == name
    stored = PartyMember.objects.get(party_id=response.data["id"])
    assert (stored.given_name, stored.family_name) == (name, name)


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"not json",
        b'{"city": "x",}',
        b"",
        b"\xff\xfe\x00",
        b'{"consent": NaN}',
        b'{"pets": Infinity}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"pets": 1' + b"0" * 5000 + b"}",
    ],
    ids=[
        "unclosed",
        "text",
        "trailing-comma",
        "empty",
        "not-utf8",
        "nan",
        "infinity",
        "deep-lists",
        "deep-objects",
        "5000-digit-number",
    ],
)
def test_malformed_json_answers_400(volunteer_client, raw):
    before = counts()
    response = volunteer_client.post(PARTIES, raw, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert counts() == before


@pytest.mark.parametrize(
    "data",
    [
        [],
        [{"given_name": "A"}],
        "party",
        42,
        None,
        True,
    ],
)
def test_a_body_that_is_not_an_object_answers_400(volunteer_client, data):
    response = post_rejected(volunteer_client, json.dumps(data))
    assert response.json()


def test_wrong_content_type_answers_415(volunteer_client, city):
    before = counts()
    response = volunteer_client.post(PARTIES, {"city": str(city.id)}, format="multipart")
    assert response.status_code == 415
    assert counts() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"members": "Dana"},
        {"members": {"given_name": "Dana"}},
        {"members": [None]},
        {"members": [["Dana"]]},
        {"members": [member(needs=None)]},
        {"members": [member(needs=[None])]},
        {"members": [member(needs="medical")]},
        {"members": [member(diet=[{"vegetarian": True}])]},
        {"members": [member(given_name={"first": "Dana"})]},
        {"members": [member(given_name=["Dana"])]},
        {"members": [member(sex=None)]},
        {"members": None},
        {"languages": None},
        {"languages": "ru"},
        {"languages": [None]},
        {"languages": [["ru"]]},
        {"pets": "many"},
        {"pets": 2.5},
        {"pets": True},
        {"pets": None},
        {"pets": 10**100},
        {"pets": -(10**100)},
        {"pets": 1e308},
        {"nights_needed": 10**100},
        {"nights_needed": [3]},
        {"notes": {"text": "hi"}},
        {"notes": None},
        {"contact_phone": ["+77011234567"]},
        {"city": {"id": "x"}},
        {"city": [1]},
        {"city": 10**100},
        {"city": True},
        {"registration_point": None},
    ],
)
def test_wrong_types_answer_400(volunteer_client, city, overrides):
    response = post_rejected(volunteer_client, body(city, **overrides))
    assert set(response.json()) & set(overrides)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ("Dana", ["Give the members as a list."]),
        ([], ["List at least one person."]),
        (
            [member()] * 31,
            ["A party has at most 30 people: register a bigger group as more than one party."],
        ),
        ([None], [{"non_field_errors": ["This field may not be null."]}]),
        (
            [member(), 7, {}],
            [
                {},
                {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]},
                {"given_name": ["This field is required."]},
            ],
        ),
    ],
    ids=["not-a-list", "empty", "too-many", "null", "mixed"],
)
def test_members_errors_have_the_documented_shape(volunteer_client, city, members, expected):
    # docs/api-reference.md: messages for the list itself, one object per member otherwise.
    response = post_rejected(volunteer_client, body(city, members=members))
    assert response.json()["members"] == expected


@pytest.mark.parametrize(
    "overrides",
    [
        {"members": [member(given_name="Da\x00na")]},
        {"members": [member(family_name="Nu\x00r")]},
        {"notes": "a\x00b"},
        {"registration_point": "\x00"},
        {"contact_phone": "+7701\x001234567"},
        {"languages": ["r\x00u"]},
        {"members": [member(given_name="Da\x07na")]},  # control characters in a name
        {"members": [member(given_name="Da\nna")]},
    ],
)
def test_null_bytes_surrogates_and_control_characters_answer_400(volunteer_client, city, overrides):
    response = post_rejected(volunteer_client, body(city, **overrides))
    assert set(response.json()) & set(overrides)


@pytest.mark.parametrize(
    "raw",
    [
        '"members": [{"given_name": "\\ud800"}]',
        '"members": [{"given_name": "A", "family_name": "x\\udfff"}]',
        '"notes": "\\udbff", "members": [{"given_name": "A"}]',
        '"\\ud800": 1, "members": [{"given_name": "A"}]',
    ],
    ids=["given-name", "family-name", "notes", "key"],
)
def test_lone_surrogates_are_not_text_and_answer_400(volunteer_client, city, raw):
    data = f'{{"city": "{city.id}", "consent": true, {raw}}}'
    response = post_rejected(volunteer_client, data.encode())
    assert "Unicode" in response.json()["detail"]


def test_a_valid_surrogate_pair_is_an_emoji(coordinator_client, city):
    pair = "\\ud83d\\ude00"  # escaped, as a JSON encoder writes an emoji
    data = f'{{"city": "{city.id}", "consent": true, "members": [{{"given_name": "{pair}"}}]}}'
    response = coordinator_client.post(PARTIES, data, content_type="application/json")
    assert response.status_code == 201, response.content
    assert PartyMember.objects.get(party_id=response.data["id"]).given_name == "\U0001f600"


@pytest.mark.parametrize("charset", ["latin-1", "cp1251", "utf-16"])
def test_a_body_is_read_as_utf8_whatever_charset_it_declares(coordinator_client, city, charset):
    data = json.dumps(body(city, members=[{"given_name": "Élène Дана"}]), ensure_ascii=False)
    response = coordinator_client.post(
        PARTIES, data.encode(), content_type=f"application/json; charset={charset}"
    )
    assert response.status_code == 201, response.content
    assert PartyMember.objects.get(party_id=response.data["id"]).given_name == "Élène Дана"


def test_a_body_that_is_not_utf8_answers_400(volunteer_client, city):
    data = json.dumps(body(city, members=[{"given_name": "Élène"}]), ensure_ascii=False)
    response = post_rejected(volunteer_client, data.encode("latin-1"))
    assert "UTF-8" in response.json()["detail"]


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ('"pets": 1, "pets": 5', "“pets” is given twice"),
        ('"members": [{"given_name": "A", "given_name": "B"}]', "“given_name” is given twice"),
        ('"members": [{"given_name": "A"}], "nights_needed": 1e400', "too large"),
        ('"members": [{"given_name": "A"}], "pets": NaN', "NaN is not a JSON value"),
        ('"members": [{"given_name": "A"}], "pets": -Infinity', "-Infinity is not"),
    ],
    ids=["key-twice", "nested-key-twice", "overflow", "nan", "infinity"],
)
def test_a_value_json_does_not_say_once_answers_400(volunteer_client, city, raw, said):
    data = f'{{"city": "{city.id}", "consent": true, {raw}}}'
    if '"members"' not in raw:
        data = data[:-1] + ', "members": [{"given_name": "A"}]}'
    response = post_rejected(volunteer_client, data.encode())
    assert said in response.json()["detail"]


def test_nesting_deeper_than_any_request_needs_answers_400(volunteer_client, city):
    data = body(city)
    deep = "x"
    for _ in range(40):
        deep = [deep]
    data["whatever"] = deep
    response = post_rejected(volunteer_client, data)
    assert "nested" in response.json()["detail"]


def test_newlines_in_notes_are_fine(volunteer_client, city):
    response = volunteer_client.post(
        PARTIES, body(city, notes="line 1\nline 2\ttab"), format="json"
    )
    assert response.status_code == 201
    assert Party.objects.get(id=response.data["id"]).notes == "line 1\nline 2\ttab"


def test_unknown_fields_are_ignored_and_read_only_fields_cannot_be_forced(volunteer_client, city):
    data = body(
        city,
        status="checked_in",
        code="AAAAAA",
        size=99,
        priority=99,
        possible_duplicate=True,
        id="00000000-0000-0000-0000-000000000001",
        whatever={"deep": [1, 2]},
    )
    response = volunteer_client.post(PARTIES, data, format="json")
    assert response.status_code == 201
    party = Party.objects.get(id=response.data["id"])
    assert str(party.id) != "00000000-0000-0000-0000-000000000001"
    assert party.status == "waiting"
    assert party.code != "AAAAAA"
    assert (party.size, party.priority, party.possible_duplicate) == (2, 4, False)


def test_repeated_needs_and_languages_are_folded(volunteer_client, city):
    data = body(
        city,
        languages=["ru", "ru", "kk"],
        members=[member(needs=["medical", "medical"], diet=["halal", "halal"])],
    )
    response = volunteer_client.post(PARTIES, data, format="json")
    assert response.status_code == 201
    assert response.data["languages"] == ["ru", "kk"]
    stored = PartyMember.objects.get(party_id=response.data["id"])
    assert (stored.needs, stored.diet) == (["medical"], ["halal"])


def test_the_language_limit_counts_the_codes_kept_not_their_repeats(volunteer_client, city):
    codes = ["ru", "RU", "kk", "en", "de", "fr", "uz", "ky", "tg", "tk", "az", "hy"]
    refused = post_rejected(volunteer_client, body(city, languages=codes))  # 11 languages
    assert "languages" in refused.json()
    response = volunteer_client.post(PARTIES, body(city, languages=codes[:-1] * 5), format="json")
    assert response.status_code == 201, response.content
    assert response.data["languages"] == [code for code in codes[:-1] if code != "RU"]
    post_rejected(volunteer_client, body(city, languages=["ru"] * 101))


def test_a_huge_body_answers_4xx(volunteer_client, city):
    data = body(city, notes="x" * 3_000_000)
    before = counts()
    response = volunteer_client.post(PARTIES, data, format="json")
    assert 400 <= response.status_code < 500
    assert counts() == before


def test_language_codes_are_taken_in_any_case(volunteer_client, city):
    response = volunteer_client.post(
        "/api/v1/parties/",
        {
            "city": str(city.id),
            "consent": True,
            "languages": ["RU", "kk", "ru", "en-GB", "zh-Hant-TW"],
            "members": [{"given_name": "Aliya"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["languages"] == ["ru", "kk", "en-GB", "zh-Hant-TW"]
