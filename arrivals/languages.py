"""The languages a party speaks, as a volunteer writes them on the web pages: a name in
English, Russian or Kazakh, the language's own name, or a code (`uz`, `de`), whatever
the page's language. The API takes and gives codes only (BCP 47, as `Party.languages`
stores them); the pages turn the names typed into those codes, on the server
(`arrivals.forms.PartyForm`) and in the phone's browser before the outbox sends a
registration (`static/berth/register.js`, from `typed_names()`), and show the codes as
names (`language_name`). A code, however it comes (the API, the web form, the phone),
is stored as `normal_code` writes it.
"""

import functools
import re

from django.utils import translation
from django.utils.translation import gettext_lazy as _

# A language code as the API takes it (`arrivals.serializers.LanguagesField`): BCP 47's
# shape, a language and at most three subtags, in MAX_CODE characters at most.
# register.js has the same (`LANGUAGE`, `MAX_CODE`).
CODE_PATTERN = r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}"
MAX_CODE = 16
_CODE = re.compile(CODE_PATTERN)

# The languages people arriving in Kazakhstan from Russia may speak, with each one's own
# name (not translated): beyond these, a language is given by its code.
KNOWN = {
    "ru": (_("Russian"), "русский"),
    "kk": (_("Kazakh"), "қазақ"),
    "en": (_("English"), "english"),
    "uk": (_("Ukrainian"), "українська"),
    "be": (_("Belarusian"), "беларуская"),
    "tt": (_("Tatar"), "татар"),
    "ba": (_("Bashkir"), "башҡорт"),
    "ce": (_("Chechen"), "нохчийн"),
    "cv": (_("Chuvash"), "чӑваш"),
    "uz": (_("Uzbek"), "o'zbek"),
    "tg": (_("Tajik"), "тоҷикӣ"),
    "ky": (_("Kyrgyz"), "кыргыз"),
    "tk": (_("Turkmen"), "türkmen"),
    "az": (_("Azerbaijani"), "azərbaycan"),
    "hy": (_("Armenian"), "հայերեն"),
    "ka": (_("Georgian"), "ქართული"),
    "mn": (_("Mongolian"), "монгол"),
    "de": (_("German"), "deutsch"),
    "fr": (_("French"), "français"),
    "es": (_("Spanish"), "español"),
    "it": (_("Italian"), "italiano"),
    "pl": (_("Polish"), "polski"),
    "tr": (_("Turkish"), "türkçe"),
    "fa": (_("Persian"), "فارسی"),
    "ar": (_("Arabic"), "العربية"),
    "he": (_("Hebrew"), "עברית"),
    "zh": (_("Chinese"), "中文"),
    "ko": (_("Korean"), "한국어"),
    "ja": (_("Japanese"), "日本語"),
}

# Page languages whose names of KNOWN are looked up, whichever page is shown.
NAMED_IN = ("en", "ru", "kk")

# "Russian language", "узбекский язык", "өзбек тілі": the word "language" is dropped.
_LANGUAGE_WORD = re.compile(r"\s+(language|язык|тілі|tili)$")
# Uzbek's turned comma (U+02BB), the apostrophe letter and the typographic one, and a
# backquote, as the plain apostrophe: "o'zbek" however typed.
_APOSTROPHES = re.compile("[\u02bb\u02bc\u2019`]")


def _key(text: str) -> str:
    """Spaces, case and apostrophes folded, as register.js folds them (`languageKey`)."""
    folded = _APOSTROPHES.sub("'", " ".join(text.split()).lower())
    return _LANGUAGE_WORD.sub("", folded)


@functools.cache
def typed_names() -> dict[str, str]:
    """Each name a volunteer may type (folded as `_key` folds it), with its code."""
    names: dict[str, str] = {}
    for code, (name, own) in KNOWN.items():
        names[_key(own)] = code
        for language in NAMED_IN:
            with translation.override(language):
                names[_key(str(name))] = code
    return names


def normal_code(code: str) -> str:
    """A code as `Party.languages` stores it, as the API always has: the language (before
    the first `-`) in lower case, the rest as given ("RU" is "ru", "ZH-Hant" "zh-Hant").
    register.js does the same (`normalCode`) before the outbox sends a code."""
    language, dash, rest = code.partition("-")
    return language.lower() + dash + rest


def language_code(typed: str) -> str | None:
    """The code of a language as a volunteer may type it, by its name or its code (as
    `normal_code` writes it); None for what is neither."""
    code = typed_names().get(_key(typed))
    if code is not None:
        return code
    if len(typed) <= MAX_CODE and _CODE.fullmatch(typed):
        return normal_code(typed)
    return None


def language_name(code: str) -> str:
    """A code's name in the page's language; the code itself for a language not known."""
    known = KNOWN.get(code)
    return str(known[0]) if known else code
