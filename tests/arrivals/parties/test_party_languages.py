"""Languages typed by name on the web pages (arrivals.languages): every name a page shows,
in English, Russian and Kazakh, and each language's own name, is read back as its code."""

import pytest
from django.utils import translation

from arrivals.languages import KNOWN, NAMED_IN, language_code, language_name


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


@pytest.mark.parametrize("typed", ["uz", "Klingon", "", "язык"])
def test_what_is_no_name_we_know_is_none(typed):
    assert language_code(typed) is None


def test_a_code_is_shown_by_its_name_in_the_page_s_language():
    with translation.override("ru"):
        assert language_name("uz") == "Узбекский"
    with translation.override("kk"):
        assert language_name("uz") == "Өзбек тілі"
    assert language_name("xx") == "xx"  # not known: the code itself
