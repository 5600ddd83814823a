"""Every text a person reads has its Russian and Kazakh translation.

Extracts the messages of a copy of the source with `makemessages` (as `make messages`
does) and asks gettext for entries without a translation, or only a fuzzy one.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ru", "kk")
SKIP = {
    ".venv",
    ".git",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "staticfiles",
    "node_modules",
    "artifacts",
}


def _gettext(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"gettext's {tool} is not installed (apt-get install gettext)")
    return path


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    _gettext("xgettext")
    copy = tmp_path_factory.mktemp("source") / "berth"
    shutil.copytree(ROOT, copy, ignore=lambda _dir, names: [n for n in names if n in SKIP])
    subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [
            sys.executable,
            "manage.py",
            "makemessages",
            *(f"--locale={language}" for language in LANGUAGES),
            "--ignore=benchmarks",
            "--ignore=tests",
            "-v0",
        ],
        cwd=copy,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    return copy / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("which", ["--untranslated", "--only-fuzzy"])
def test_every_message_is_translated(extracted, language, which):
    catalog = extracted / language / "LC_MESSAGES" / "django.po"
    missing = subprocess.run(  # noqa: S603
        [_gettext("msgattrib"), which, "--no-wrap", str(catalog)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    messages = [line for line in missing.splitlines() if line.startswith("msgid ")]
    assert messages in ([], ['msgid ""']), f"{language} {which}: {messages}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_django_s_password_checks_speak_the_page_s_language(language):
    """Django's Kazakh leaves its password checks in English: Berth's catalog carries them
    (config/django_messages.py). A short, common, numeric password is refused in the
    language of the page."""
    from django.contrib.auth.password_validation import (
        password_validators_help_texts,
        validate_password,
    )
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(ValidationError) as english:
            validate_password("123")
        english_help = password_validators_help_texts()
    with translation.override(language):
        with pytest.raises(ValidationError) as translated:
            validate_password("123")
        translated_help = password_validators_help_texts()
    assert len(english.value.messages) == len(translated.value.messages) == 3
    for text, original in zip(translated.value.messages, english.value.messages, strict=True):
        assert text != original
        assert ("8" in text) == ("8" in original)  # the minimum length, said
    assert not set(translated_help) & set(english_help)


@pytest.mark.parametrize(
    ("language", "days"),
    [
        ("kk", ["Дс", "Сс", "Ср", "Бс", "Жм", "Сб", "Жс"]),  # noqa: RUF001
        ("ru", ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]),  # noqa: RUF001
    ],
)
def test_the_board_chart_s_days_are_named_as_people_name_them(language, days):
    """Django's Kazakh gives Tuesday the short form of Saturday: Berth's catalog names the
    days, Monday 7 December 2026 to Sunday 13th, as the chart shows them."""
    from datetime import date, timedelta

    from django.utils import translation
    from django.utils.formats import date_format

    with translation.override(language):
        shown = [date_format(date(2026, 12, 7) + timedelta(days=n), "D") for n in range(7)]
    assert shown == days


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("kk", ("4 желтоқсан 2026, 18:31", "04.12.2026 18:31", "18:31")),
        ("ru", ("4 декабря 2026 г. 18:31", "04.12.2026 18:31", "18:31")),  # noqa: RUF001
    ],
)
def test_times_are_told_on_a_24_hour_clock_day_first(language, shown):
    """Django has no Kazakh formats: without config/formats/kk the back office's lists told
    a 12-hour clock ("6:31" and the Kazakh for "p.m.") and dates month first, as English."""
    from datetime import datetime

    from django.utils import translation
    from django.utils.formats import date_format, time_format

    at = datetime(2026, 12, 4, 18, 31)
    with translation.override(language):
        told = (
            date_format(at, "DATETIME_FORMAT"),
            date_format(at, "SHORT_DATETIME_FORMAT"),
            time_format(at.time()),
        )
    assert told == shown
