"""Languages typed by name on the web pages (arrivals.languages): every name a page shows,
in English, Russian and Kazakh, and each language's own name, is read back as its code.
A code typed is stored as the API stores it, whichever way it comes in."""

import pytest
from django.utils import translation

from arrivals.languages import KNOWN, NAMED_IN, language_code, language_name, normal_code
from arrivals.models import Party

from .conftest import PARTIES, body


@pytest.mark.parametrize("language", NAMED_IN)
def test_every_name_shown_is_read_back_as_its_code(language):
    for code, (_name, own) in KNOWN.items():
        with translation.override(language):
            shown = language_name(code)
        assert language_code(shown) == code, (language, code, shown)
        assert language_code(own) == code


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Uzbek", "uz"),
        ("  uzbek  ", "uz"),
        ("узбекский", "uz"),
        ("Узбекский язык", "uz"),
        ("өзбек тілі", "uz"),
        ("o\u02bbzbek", "uz"),  # with the turned comma Uzbek writes
        ("O'zbek tili", "uz"),
        ("German language", "de"),
        ("Deutsch", "de"),
        ("Белорусский", "be"),
        ("Қазақ", "kk"),
    ],
)
def test_a_name_as_volunteers_type_it(typed, code):
    assert language_code(typed) == code


@pytest.mark.parametrize(
    "typed",
    ["Klingon", "", "язык", "u", "uz-", "uz_UZ", "abc-abcdefgh-abcd", " uz", "uz\n"],
)
def test_what_is_neither_a_name_we_know_nor_a_code_is_none(typed):
    assert language_code(typed) is None


# A code typed, and the code stored: the language in lower case, the rest as typed, as the
# API has always stored it.
TYPED_CODES = [
    ("kk", "kk"),
    ("KK", "kk"),
    ("uz", "uz"),
    ("zh-Hant", "zh-Hant"),
    ("ZH-hant", "zh-hant"),
    ("ZH-Hant-TW", "zh-Hant-TW"),
    ("En-GB", "en-GB"),
    ("abc-abcdefgh-abc", "abc-abcdefgh-abc"),  # 16 characters, the most a code has
]


@pytest.mark.parametrize(("typed", "code"), TYPED_CODES)
def test_a_code_typed_is_read_as_the_api_stores_it(typed, code):
    assert language_code(typed) == normal_code(typed) == code
    assert normal_code(code) == code  # stored once, stored the same again


@pytest.mark.parametrize(("typed", "code"), TYPED_CODES)
def test_the_api_stores_a_code_as_typed_codes_are_read(volunteer_client, city, typed, code):
    response = volunteer_client.post(PARTIES, body(city, languages=[typed]), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["languages"] == [code]
    assert Party.objects.get().languages == [code]


def test_a_code_is_shown_by_its_name_in_the_page_s_language():
    with translation.override("ru"):
        assert language_name("uz") == "Узбекский"
    with translation.override("kk"):
        assert language_name("uz") == "Өзбек тілі"
    assert language_name("xx") == "xx"  # not known: the code itself
