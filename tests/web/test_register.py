"""The registration form: members, matching, the code and where to go; bad input."""

import re
import uuid

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from arrivals.models import Party, PartyMember
from tests import factories

from .conftest import web_client

pytestmark = pytest.mark.django_db


def form_data(city, members=None, /, **overrides) -> dict:
    members = members if members is not None else [{"given_name": "Aigerim"}]
    data = {
        "city": str(city.id),
        "registration_point": "Syrym border crossing",
        "contact_phone": "",
        "languages": ["ru"],
        "other_languages": "",
        "pets": "0",
        "nights_needed": "3",
        "notes": "",
        "consent": "on",
        "form_token": uuid.uuid4().hex,
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "30",
    }
    for index, member in enumerate(members):
        prefix = f"members-{index}-"
        data[prefix + "given_name"] = member.get("given_name", "")
        data[prefix + "family_name"] = member.get("family_name", "")
        # A row left untouched sends no sex; a filled one says "prefers not to say" unless told.
        data[prefix + "sex"] = member.get("sex", "unspecified" if member else "")
        data[prefix + "age_group"] = member.get("age_group", "adult")
        if member.get("needs"):
            data[prefix + "needs"] = member["needs"]
        if member.get("diet"):
            data[prefix + "diet"] = member["diet"]
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def selected(text: str, name: str) -> list[str]:
    """The values of the options selected in the <select> called `name`."""
    select = re.search(rf'<select name="{name}".*?</select>', text, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)" selected>', select.group())


def field_html(text: str, name: str) -> str:
    """The field block (label, input, help, errors) that holds the input called `name`."""
    start = text.rindex('<div class="field', 0, text.index(f'name="{name}"'))
    return text[start : text.index("</div>", start)]


def test_form_preselects_the_only_city(volunteer, city):
    page = web_client(volunteer).get(reverse("web-register"))
    assert page.status_code == 200
    assert f'<option value="{city.id}" selected>'.encode() in page.content
    assert b'name="members-0-given_name"' in page.content
    assert b"30 days" in page.content  # the retention period, in the consent line


def test_quick_size_shows_that_many_rows(volunteer):
    page = web_client(volunteer).get(reverse("web-register") + "?people=4")
    assert b'name="members-3-given_name"' in page.content
    assert b'name="members-4-given_name"' not in page.content
    for bad in ("abc", "-3", "1000"):
        assert web_client(volunteer).get(f"/register/?people={bad}").status_code == 200


def test_registration_places_the_party_and_shows_where_to_go(
    volunteer, city, space, django_capture_on_commit_callbacks
):
    client = web_client(volunteer)
    members = [
        {
            "given_name": "Aigerim",
            "family_name": "Nurlanova",
            "sex": "female",
            "needs": ["pregnant"],
            "diet": ["halal", "vegetarian"],
        },
        {"given_name": "Timur", "sex": "male", "age_group": "child", "diet": ["halal"]},
        {"given_name": "Ainur", "sex": "female", "age_group": "infant", "diet": ["infant_formula"]},
    ]
    data = form_data(city, members, contact_phone="+7 701 555 12 34", other_languages="uz, kk")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web-register"), data)
    party = Party.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web-party", args=[party.id])
    assert party.size == 3
    assert party.created_by == volunteer
    assert party.languages == ["ru", "uz", "kk"]
    assert party.nights_needed == 3
    assert party.registration_point == "Syrym border crossing"
    stored = list(PartyMember.objects.filter(party=party).order_by("position"))
    assert [m.given_name for m in stored] == ["Aigerim", "Timur", "Ainur"]
    assert stored[0].family_name == "Nurlanova"
    assert stored[0].needs == ["pregnant"]
    assert set(stored[0].diet) == {"vegetarian", "halal"}
    assert stored[1].age_group == "child"
    assert stored[2].diet == ["infant_formula"]

    page = client.get(response["Location"])
    assert page.status_code == 200
    party.refresh_from_db()
    assert party.status == "placed"
    text = page.content.decode()
    assert f'<span class="code">{party.code}</span>' in text
    assert "Cinema Park" in text
    assert "Dostyk Avenue 190" in text
    assert "Auditorium 1" in text
    assert "Beds held until" in text
    # A volunteer sees given names, never family names or the phone.
    assert "Aigerim" in text
    assert "Nurlanova" not in text
    assert "555" not in text


def test_registration_without_free_beds_says_waiting(
    volunteer, city, django_capture_on_commit_callbacks
):
    client = web_client(volunteer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web-register"), form_data(city), follow=True)
    assert response.status_code == 200
    assert "Waiting — we will find a bed" in response.content.decode()
    assert Party.objects.get().status == "waiting"


def test_the_same_form_sent_twice_registers_once(volunteer, city):
    client = web_client(volunteer)
    data = form_data(city)
    first = client.post(reverse("web-register"), data)
    second = client.post(reverse("web-register"), data)
    assert Party.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_same_token_with_other_details_is_refused(volunteer, city):
    client = web_client(volunteer)
    data = form_data(city)
    client.post(reverse("web-register"), data)
    again = client.post(reverse("web-register"), {**data, "notes": "changed"})
    assert again.status_code == 200
    assert b"sent before" in again.content
    assert Party.objects.count() == 1
    assert data["form_token"].encode() not in again.content  # a new token to send again


def test_add_and_remove_member_rows_without_javascript(volunteer, city):
    client = web_client(volunteer)
    data = form_data(city, [{"given_name": "Aigerim", "sex": "female"}], add_member="1")
    added = client.post(reverse("web-register"), data)
    assert added.status_code == 200
    text = added.content.decode()
    assert 'name="members-1-given_name"' in text
    assert 'value="Aigerim"' in text
    assert 'class="errorlist"' not in text  # the empty new row is not an error yet
    assert Party.objects.count() == 0

    two = form_data(city, [{"given_name": "Aigerim"}, {"given_name": "Timur"}], remove_member="0")
    removed = client.post(reverse("web-register"), two)
    text = removed.content.decode()
    assert 'name="members-1-given_name"' not in text
    assert 'value="Timur"' in text
    assert 'value="Aigerim"' not in text
    assert Party.objects.count() == 0


def test_sex_is_asked_with_nothing_chosen_in_advance(volunteer, city):
    page = web_client(volunteer).get(reverse("web-register") + "?people=2").content.decode()
    for row in (0, 1):
        assert selected(page, f"members-{row}-sex") == [""]
        sex = field_html(page, f"members-{row}-sex")
        assert '<option value="unspecified">Prefers not to say</option>' in sex
        assert f'aria-describedby="id_members-{row}-sex_helptext"' in sex
        assert f'id="id_members-{row}-sex_helptext">Ask every adult and senior.</p>' in sex
    # A row added without JavaScript asks too; the choice made above it is kept.
    data = form_data(city, [{"given_name": "Aigerim", "sex": "male"}], add_member="1")
    added = web_client(volunteer).post(reverse("web-register"), data).content.decode()
    assert selected(added, "members-0-sex") == ["male"]
    assert selected(added, "members-1-sex") == [""]


@pytest.mark.parametrize("age_group", ["adult", "senior"])
def test_an_adult_or_senior_without_a_sex_is_refused_at_their_sex_field(volunteer, city, age_group):
    members = [
        {"given_name": "Aigerim", "family_name": "Nurlanova", "sex": "female"},
        {"given_name": "Sam", "family_name": "Petrov", "sex": "", "age_group": age_group},
    ]
    response = web_client(volunteer).post(reverse("web-register"), form_data(city, members))
    assert response.status_code == 200
    assert Party.objects.count() == 0
    text = response.content.decode()
    error = "Choose female, male or &quot;Prefers not to say&quot; for every adult and senior."
    # Beside the field, and in the summary at the top, naming the person and the field.
    assert text.count(error) == 2
    assert f'<a href="#id_members-1-sex">Person 2, Sex: {error}</a>' in text
    assert error in field_html(text, "members-1-sex")
    assert "has-error" in field_html(text, "members-1-sex")
    assert "has-error" not in field_html(text, "members-0-sex")
    # What was typed and chosen is kept.
    for value in ("Aigerim", "Nurlanova", "Sam", "Petrov"):
        assert f'value="{value}"' in text
    assert selected(text, "members-0-sex") == ["female"]
    assert selected(text, "members-1-sex") == [""]
    assert selected(text, "members-1-age_group") == [age_group]


def test_a_label_written_as_a_sentence_loses_its_full_stop_in_the_summary(volunteer, city):
    response = web_client(volunteer).post(reverse("web-register"), form_data(city, consent=None))
    summary = response.content.decode().split('class="error-summary"')[1].split("</div>")[0]
    link = re.search(r'<a href="#id_consent">([^<]*)</a>', summary).group(1)
    assert ".:" not in link and ": " in link


def test_prefers_not_to_say_is_a_choice_that_registers(volunteer, city):
    members = [{"given_name": "Sam", "sex": "unspecified", "age_group": "senior"}]
    response = web_client(volunteer).post(reverse("web-register"), form_data(city, members))
    assert response.status_code == 302
    assert Party.objects.get().members.get().sex == "unspecified"


def test_children_and_infants_may_be_left_without_a_sex(volunteer, city):
    members = [
        {"given_name": "Aigerim", "sex": "female"},
        {"given_name": "Timur", "sex": "", "age_group": "child"},
        {"given_name": "Ainur", "sex": "", "age_group": "infant"},
    ]
    response = web_client(volunteer).post(reverse("web-register"), form_data(city, members))
    assert response.status_code == 302
    stored = Party.objects.get().members.order_by("position")
    assert list(stored.values_list("sex", flat=True)) == ["female", "unspecified", "unspecified"]


def test_a_row_left_empty_is_an_error_not_a_person_dropped(volunteer, city):
    client = web_client(volunteer)
    data = form_data(city, [{"given_name": "Aigerim"}, {}, {}])
    response = client.post(reverse("web-register"), data)
    assert response.status_code == 200
    assert not Party.objects.exists()
    text = response.content.decode()
    assert 'value="Aigerim"' in text
    assert "has-error" in field_html(text, "members-1-given_name")
    assert "has-error" in field_html(text, "members-2-given_name")
    assert "has-error" not in field_html(text, "members-0-given_name")


@pytest.mark.parametrize(
    "overrides",
    [
        {"consent": None},
        {"members-0-given_name": ""},
        {"members-0-given_name": "x" * 101},
        {"members-0-sex": "robot"},
        {"members-0-needs": ["flying"]},
        {"pets": "11"},
        {"pets": "-1"},
        {"nights_needed": "0"},
        {"nights_needed": "abc"},
        {"contact_phone": "call me"},
        {"other_languages": "Russian!!"},
        {"notes": "n" * 1001},
        {"city": "not-a-uuid"},
        {"city": str(uuid.uuid4())},
        {"members-TOTAL_FORMS": "abc"},
        {"members-TOTAL_FORMS": None},
        {"members-TOTAL_FORMS": "0"},
        {"members-TOTAL_FORMS": "31"},
        {"form_token": None},
        {"form_token": "\x00bad"},
        # Control characters, refused as by the API (arrivals.serializers validators).
        {"members-0-given_name": "Ai\x08gerim"},
        {"members-0-given_name": "\x1b[31mAigerim"},
        {"members-0-family_name": "Nurlanova\x07"},
        {"members-0-given_name": "Aigerim\nNurlanova"},
        {"notes": "\x1b[31mred"},
        {"notes": "ring\x07"},
        {"registration_point": "Syrym\x08"},
    ],
)
def test_bad_input_rerenders_with_errors_and_creates_nothing(volunteer, city, overrides):
    response = web_client(volunteer).post(reverse("web-register"), form_data(city, **overrides))
    assert response.status_code == 200
    assert b'class="error-summary"' in response.content  # every error, a field's beside it too
    assert Party.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("members-0-given_name", "Ai\x08gerim"),
        ("members-0-given_name", "\x1b[31mAigerim"),
        ("members-0-family_name", "Nurlanova\x07"),
        ("notes", "\x1b[31mred"),
        ("notes", "ring\x07"),
    ],
)
def test_control_characters_are_refused_like_the_api(volunteer, city, field, value):
    page = web_client(volunteer).post(reverse("web-register"), form_data(city, **{field: value}))
    text = page.content.decode()
    assert page.status_code == 200
    if field == "notes":
        assert "The text cannot hold control characters." in text
    else:
        assert "A name cannot hold control characters or line breaks." in text
    assert Party.objects.count() == 0
    # The API refuses the same value.
    api = APIClient()
    api.force_authenticate(volunteer)
    body = {
        "city": str(city.id),
        "consent": True,
        "members": [{"given_name": "Aigerim"}],
    }
    if field == "notes":
        body["notes"] = value
    else:
        body["members"][0][field.removeprefix("members-0-")] = value
    assert api.post("/api/v1/parties/", body, format="json").status_code == 400
    assert Party.objects.count() == 0


def test_what_the_api_accepts_in_names_and_notes_the_form_accepts(volunteer, city):
    # Right-to-left marks, the zero-width joiner of emoji, combining marks; line breaks in notes.
    given = "\u200fمريم\u200f"
    family = "Nu\u0301rlanova"
    notes = "Needs a ground floor.\r\nArrives\twith a cat 🐈\u200d⬛"
    data = form_data(city, [{"given_name": given, "family_name": family}], notes=notes, pets="1")
    response = web_client(volunteer).post(reverse("web-register"), data)
    assert response.status_code == 302
    party = Party.objects.get()
    member = party.members.get()
    assert (member.given_name, member.family_name) == (given, family)
    assert party.notes == notes


def test_too_many_members_is_refused(volunteer, city):
    members = [{"given_name": f"P{n}"} for n in range(31)]
    response = web_client(volunteer).post(reverse("web-register"), form_data(city, members))
    assert response.status_code == 200
    assert Party.objects.count() == 0


def test_city_outside_scope_is_refused(volunteer, other_city):
    response = web_client(volunteer).post(reverse("web-register"), form_data(other_city))
    assert response.status_code == 200
    assert b'class="errorlist"' in response.content
    assert Party.objects.count() == 0


def test_coordinator_with_two_cities_chooses(db):
    from accounts.models import Role

    first, second = factories.CityFactory(), factories.CityFactory()
    coordinator = factories.member(Role.COORDINATOR, cities=[first, second])
    client = web_client(coordinator)
    page = client.get(reverse("web-register"))
    assert f'value="{second.id}"'.encode() in page.content
    response = client.post(reverse("web-register"), form_data(second))
    assert response.status_code == 302
    assert Party.objects.get().city == second
    # The next form remembers the city and the registration point.
    again = client.get(reverse("web-register"))
    assert f'<option value="{second.id}" selected>'.encode() in again.content
    assert b"Syrym border crossing" in again.content


def consent_text(page) -> str:
    text = page.content.decode()
    start = text.index('<p class="help" id="consent-text">')
    return text[start : text.index("</p>", start)]


def test_consent_text_says_who_sees_what_and_for_how_long(volunteer):
    shown = consent_text(web_client(volunteer).get(reverse("web-register")))
    assert "Coordinators and their shelter see them" not in shown  # the old, narrower claim
    assert (
        "Given names and notes are seen by the volunteers and coordinators of this city, "
        "by the shelter they are placed in and by partner systems allowed to read "
        "registrations; family names and the phone only by the city's coordinators and "
        "the managers of that shelter." in shown
    )
    assert "erased 30 days after they leave or the registration is cancelled" in shown


@override_settings(PERSONAL_DATA_RETENTION_DAYS=1)
def test_consent_text_follows_the_retention_setting(volunteer):
    shown = consent_text(web_client(volunteer).get(reverse("web-register")))
    assert "erased 1 day after they leave" in shown


def test_consent_text_matches_what_each_role_sees(volunteer, coordinator, city):
    """What the consent text promises: every volunteer of the city sees given names and
    notes (also of parties others registered), family names and the phone only coordinators."""
    party = factories.PartyFactory(
        city=city,
        contact_phone="+7 701 555 12 34",
        notes="Needs a ground floor",
        members=[{"given_name": "Aigerim", "family_name": "Nurlanova"}],
    )
    url = reverse("web-party", args=[party.id])
    seen_by_volunteer = web_client(volunteer).get(url).content.decode()
    assert "Aigerim" in seen_by_volunteer
    assert "Needs a ground floor" in seen_by_volunteer
    assert "Nurlanova" not in seen_by_volunteer
    assert "555 12 34" not in seen_by_volunteer
    seen_by_coordinator = web_client(coordinator).get(url).content.decode()
    assert "Nurlanova" in seen_by_coordinator
    assert "555 12 34" in seen_by_coordinator


def test_the_summary_lists_errors_in_the_order_of_the_page(volunteer, city):
    # The people come first on the page, then the details and the consent.
    members = [
        {"given_name": "Aigerim", "family_name": "Nurlanova", "sex": "female"},
        {"given_name": "", "family_name": "", "sex": "male"},
    ]
    response = web_client(volunteer).post(
        reverse("web-register"), form_data(city, members, consent=None, pets="99")
    )
    summary = response.content.decode().split('class="error-summary"')[1].split("</div>")[0]
    links = re.findall(r'<a href="#id_([\w-]+)">', summary)
    assert links == ["members-1-given_name", "pets", "consent"]


def test_asking_for_more_people_than_a_party_holds_says_so(volunteer):
    page = web_client(volunteer).get(reverse("web-register"), {"people": "35"}).content.decode()
    assert "A party has at most 30 people: register a bigger group as more than one party." in page
    assert 'name="members-29-given_name"' in page and 'name="members-30-given_name"' not in page


def test_other_languages_are_typed_by_name_or_code_in_any_page_language(volunteer, city):
    data = form_data(city, other_languages="Uzbek, немецкий; өзбек тілі, tt, Tatar")
    response = web_client(volunteer).post(reverse("web-register"), data)
    assert response.status_code == 302
    assert Party.objects.get().languages == ["ru", "uz", "de", "tt"]
    with translation.override("ru"):
        page = web_client(volunteer).get(response["Location"], HTTP_ACCEPT_LANGUAGE="ru")
    assert "Русский, Узбекский, Немецкий, Татарский" in page.content.decode()


def test_ten_languages_fit_by_their_longest_names(volunteer, city):
    names = ", ".join(
        f"{name} язык"
        for name in [
            "азербайджанский",
            "туркменский",
            "таджикский",
            "узбекский",
            "киргизский",
            "белорусский",
            "башкирский",
            "татарский",
            "чеченский",
        ]
    )
    data = form_data(city, other_languages=names)  # Russian ticked: ten in all
    response = web_client(volunteer).post(reverse("web-register"), data)
    assert response.status_code == 302
    assert Party.objects.get().languages == [
        "ru",
        "az",
        "tk",
        "tg",
        "uz",
        "ky",
        "be",
        "ba",
        "tt",
        "ce",
    ]


def test_a_language_neither_named_nor_a_code_is_told_at_its_field_and_kept(volunteer, city):
    data = form_data(city, other_languages="Uzbek, Klingonese")
    response = web_client(volunteer).post(reverse("web-register"), data)
    assert response.status_code == 200
    text = response.content.decode()
    message = (
        "We do not know the language “Klingonese”: write its name, such as Uzbek, or its "
        "code, such as uz."
    )
    assert text.count(message) == 2  # at the field, and in the summary at the top
    assert 'value="Uzbek, Klingonese"' in text
    assert Party.objects.count() == 0
