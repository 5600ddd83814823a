"""The kitchens' pages: today's services of a shelter or a point, servings recorded once per
key, schedules edited in place, the day's report with its CSV; who may see and do what
(accounts.rules: everyone of a city records servings, shelter staff edit schedules of their
shelters, coordinators read the report)."""

import re
import uuid
import zoneinfo
from datetime import datetime, time

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from arrivals import services as arrivals
from arrivals.models import Placement
from meals.models import MealSchedule, MealService, Serving
from tests import factories

from .conftest import web_client

pytestmark = pytest.mark.django_db


def today_at(city, hour: int, minute: int = 0) -> datetime:
    tz = zoneinfo.ZoneInfo(city.timezone)
    return datetime.combine(timezone.localtime(timezone.now(), tz).date(), time(hour, minute), tz)


def service_at(*, shelter=None, city=None, location="", meal="lunch", hour=13, **fields):
    return MealService.objects.create(
        city=city or shelter.city,
        shelter=shelter,
        location=location,
        meal=meal,
        starts_at=today_at(city or shelter.city, hour),
        created_by="test",
        **fields,
    )


def served(service) -> int:
    return sum(Serving.objects.filter(service=service).values_list("portions", flat=True))


@pytest.fixture
def lunch(shelter, space):
    party = factories.PartyFactory(
        city=shelter.city,
        members=[{"given_name": "A", "diet": ["halal"]}, {"given_name": "B", "diet": []}],
    )
    placement = arrivals.placement_create(party_id=party.id, space_id=space.id, actor="test")
    # Placed since the day began: there at 13:00, whether the page is asked before the
    # lunch (the people there now) or after it (the people there when it started).
    Placement.objects.filter(id=placement.id).update(created_at=today_at(shelter.city, 0))
    return service_at(shelter=shelter, planned_portions=40)


@pytest.fixture
def point_meal(city):
    return service_at(city=city, location="Syrym border crossing", meal="hot_meal", hour=9)


def test_the_kitchens_start_page_lists_today_s_places(volunteer, lunch, point_meal):
    page = web_client(volunteer).get(reverse("web-kitchen"))
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("web-kitchen-shelter", args=[lunch.shelter_id]) in text
    assert "Syrym border crossing" in text
    assert reverse("web-kitchen-report") not in text  # coordinators only


def test_a_shelter_s_services_with_planned_forecast_diets_and_served(volunteer, lunch):
    Serving.objects.create(service=lunch, portions=3, recorded_by="x")
    page = web_client(volunteer).get(reverse("web-kitchen-shelter", args=[lunch.shelter_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Lunch · 13:00" in text
    assert '<b class="num">40</b><span>planned</span>' in text
    assert '<b class="num">2</b><span>forecast</span>' in text
    assert "Halal: 1" in text
    assert '<b class="num" data-served>3</b>' in text
    assert f'data-api="/api/v1/meal-services/{lunch.id}/servings/"' in text
    for quick in ("+1", "+5", "+10"):
        assert f">{quick}</button>" in text


def test_a_point_s_services(volunteer, point_meal, city):
    url = reverse("web-kitchen-point", args=[city.id]) + "?location=Syrym+border+crossing"
    page = web_client(volunteer).get(url)
    assert page.status_code == 200
    assert b"Hot meal" in page.content
    assert (
        web_client(volunteer).get(reverse("web-kitchen-point", args=[city.id])).status_code == 404
    )


def test_a_serving_without_javascript_is_recorded_once_per_key(volunteer, lunch):
    client = web_client(volunteer)
    url = reverse("web-kitchen-serve", args=[lunch.id])
    key = uuid.uuid4().hex
    first = client.post(url, {"add": "5", "key": key})
    assert first.status_code == 302
    again = client.post(url, {"add": "5", "key": key})  # the same form sent twice
    assert again.status_code == 302
    assert served(lunch) == 5
    client.post(url, {"add": "number", "portions": "12", "key": uuid.uuid4().hex})
    assert served(lunch) == 17
    reused = client.post(url, {"add": "10", "key": key})
    assert reused.status_code == 409
    assert served(lunch) == 17


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"add": "number", "portions": "0"}, 400, "greater than or equal to 1"),
        ({"add": "number", "portions": "abc"}, 400, "Enter a whole number"),
        ({"add": "number", "portions": ""}, 400, "Enter how many portions"),
        ({"add": "number", "portions": "10001"}, 400, "less than or equal to 10000"),
        ({"add": "7"}, 400, "Choose +1, +5, +10"),
        ({"add": "1", "key": ""}, 400, "This field is required"),
    ],
)
def test_bad_servings_come_back_in_place(volunteer, lunch, data, status, error):
    data = {"key": uuid.uuid4().hex, **data}
    response = web_client(volunteer).post(reverse("web-kitchen-serve", args=[lunch.id]), data)
    assert response.status_code == status
    text = response.content.decode()
    assert "There is a problem" in text and error in text
    if data.get("portions"):
        assert f'value="{data["portions"]}"' in text
    assert served(lunch) == 0


def test_volunteers_and_managers_record_where_they_work(
    volunteer, manager, other_manager, other_volunteer, lunch, point_meal
):
    for user in (volunteer, manager):
        url = reverse("web-kitchen-serve", args=[lunch.id])
        assert web_client(user).post(url, {"add": "1", "key": uuid.uuid4().hex}).status_code == 302
    assert served(lunch) == 2
    # Another shelter's manager and another city's volunteer do not reach it.
    for user in (other_manager, other_volunteer):
        url = reverse("web-kitchen-serve", args=[lunch.id])
        assert web_client(user).post(url, {"add": "1", "key": uuid.uuid4().hex}).status_code == 404
        shelter_page = reverse("web-kitchen-shelter", args=[lunch.shelter_id])
        assert web_client(user).get(shelter_page).status_code == 404
    # A manager reaches no point (points have no shelter).
    point = reverse("web-kitchen-serve", args=[point_meal.id])
    assert web_client(manager).post(point, {"add": "1", "key": "k"}).status_code == 404
    assert served(lunch) == 2
    assert web_client().get(reverse("web-kitchen")).status_code == 302  # to the login page


def test_a_manager_edits_their_shelter_s_schedule(manager, shelter):
    client = web_client(manager)
    url = reverse("web-kitchen-schedule", args=[shelter.id])
    page = client.get(url)
    assert page.status_code == 200
    # The zone as people read it (Asia/Oral is UTC+5 all year).
    assert f"times in {shelter.city.name} (UTC+05:00)" in page.content.decode()
    added = client.post(
        url, {"action": "add", "meal": "breakfast", "time": "08:00", "planned_portions": "30"}
    )
    assert added.status_code == 302
    entry = MealSchedule.objects.get(shelter=shelter)
    assert (entry.meal, entry.time, entry.planned_portions) == ("breakfast", time(8), 30)
    changed = client.post(
        url,
        {
            "action": "save",
            "entry": entry.id,
            "meal": "breakfast",
            "time": "08:30",
            "planned_portions": "",
        },
    )
    assert changed.status_code == 302
    entry.refresh_from_db()
    assert (entry.time, entry.planned_portions) == (time(8, 30), None)
    # The same meal at the same time again: refused in place, the typed values kept.
    clash = client.post(url, {"action": "add", "meal": "breakfast", "time": "08:30"})
    assert clash.status_code == 409
    assert b"already has this meal at this time" in clash.content
    assert b'value="08:30"' in clash.content
    bad = client.post(url, {"action": "add", "meal": "feast", "time": "25:00"})
    assert bad.status_code == 400
    assert b"There is a problem" in bad.content
    assert client.post(url, {"action": "delete", "entry": entry.id}).status_code == 302
    assert not MealSchedule.objects.filter(shelter=shelter).exists()
    assert client.post(url, {"action": "delete", "entry": "nonsense"}).status_code == 302
    assert client.post(url, {"action": "burn"}).status_code == 302


def test_who_may_edit_a_schedule(volunteer, other_manager, coordinator, other_coordinator, shelter):
    url = reverse("web-kitchen-schedule", args=[shelter.id])
    assert web_client(volunteer).get(url).status_code == 403
    assert web_client(other_manager).get(url).status_code == 404
    assert web_client(other_coordinator).get(url).status_code == 404
    assert web_client(coordinator).get(url).status_code == 200


def test_the_day_s_report_and_its_csv(coordinator, lunch, point_meal, city):
    Serving.objects.create(service=lunch, portions=7, recorded_by="x", diet={"halal": 1})
    client = web_client(coordinator)
    page = client.get(reverse("web-kitchen-report"), {"city": city.id})
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 meal services" in text
    assert "Syrym border crossing" in text
    assert "<b>served 7</b>" in text
    assert "13:00 · Lunch" in text  # in the city's time
    day = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(city.timezone)).date()
    csv_link = f"/api/v1/meals/report/?city={city.id}&amp;date={day.isoformat()}&amp;format=csv"
    assert csv_link in text
    csv = client.get(csv_link.replace("&amp;", "&"))
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert "Syrym border crossing" in csv.content.decode("utf-8-sig")
    bad = client.get(reverse("web-kitchen-report"), {"city": city.id, "date": "1900-01-01"})
    assert bad.status_code == 400
    assert b"There is a problem" in bad.content
    assert client.get(reverse("web-kitchen-report"), {"city": "x"}).status_code == 404


def test_only_coordinators_read_the_report(volunteer, manager, other_coordinator, city):
    url = reverse("web-kitchen-report")
    assert web_client(volunteer).get(url).status_code == 403
    assert web_client(manager).get(url).status_code == 403
    assert web_client(other_coordinator).get(url, {"city": city.id}).status_code == 404


def test_the_home_page_links_the_kitchens(volunteer, manager):
    for user in (volunteer, manager):
        assert reverse("web-kitchen").encode() in web_client(user).get(reverse("home")).content


def test_a_shelter_manager_is_a_manager_of_one_shelter(city, lunch):
    """The manager of another shelter of the same city sees none of this shelter's meals."""
    elsewhere = factories.member(
        Role.SHELTER_MANAGER, shelters=[factories.ShelterFactory(city=city, name="School 5")]
    )
    page = web_client(elsewhere).get(reverse("web-kitchen")).content.decode()
    assert reverse("web-kitchen-shelter", args=[lunch.shelter_id]) not in page


def test_no_input_answers_500(manager, coordinator, volunteer, lunch, placed_party, space):
    """Garbage to every page of these apps answers 4xx (or the page again), never 500."""
    placement = placed_party.placements.get()
    garbage = [
        {},
        {"add": "x" * 5000, "key": "\x00", "portions": "9" * 400},
        {"members-TOTAL_FORMS": "abc", "check_in": "1"},
        {"members-TOTAL_FORMS": "999999", "members-INITIAL_FORMS": "-1"},
        {"beds": "1e9", "version": "-5", "confirmed": "maybe"},
        {"status": "closed", "version": "1", "reason": "\x07" * 400},
        {"action": "save", "entry": "'; drop table", "time": "99:99", "meal": "x"},
    ]
    posts = [
        (volunteer, reverse("web-kitchen-serve", args=[lunch.id])),
        (manager, reverse("web-kitchen-schedule", args=[lunch.shelter_id])),
        (manager, reverse("web-party-arrival", args=[placed_party.id])),
        (manager, reverse("web-space-beds", args=[space.id])),
        (manager, reverse("web-shelter-status", args=[space.shelter_id])),
        (manager, reverse("web-placement-no-show", args=[placement.id])),
        (manager, reverse("web-party-check-out", args=[placed_party.id])),
    ]
    for user, url in posts:
        client = web_client(user)
        for data in garbage:
            assert client.post(url, data).status_code < 500, (url, data)
    client = web_client(coordinator)
    for query in ({"city": "x"}, {"date": "2026-13-45"}, {"date": "9999-01-01"}, {"city": ""}):
        assert client.get(reverse("web-kitchen-report"), query).status_code < 500
    point = reverse("web-kitchen-point", args=[lunch.city_id])
    assert client.get(point, {"location": "\x00" * 500}).status_code < 500


# --- Planning on the day ------------------------------------------------------------------


def test_a_plan_changed_in_another_tab_is_not_overwritten(manager, coordinator, lunch):
    url = reverse("web-kitchen-plan", args=[lunch.id])
    page = web_client(manager).get(reverse("web-kitchen-shelter", args=[lunch.shelter_id]))
    assert 'name="seen" value="40"' in page.content.decode()
    # The coordinator plans 60 from a page showing 40; then the manager, from one too.
    assert (
        web_client(coordinator).post(url, {"planned_portions": "60", "seen": "40"}).status_code
        == 302
    )
    refused = web_client(manager).post(url, {"planned_portions": "45", "seen": "40"})
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "Someone else changed the plan meanwhile" in text and "The plan is now: 60." in text
    assert 'value="45"' in text and 'name="seen" value="60"' in text
    lunch.refresh_from_db()
    assert lunch.planned_portions == 60
    # Sent again from the page as it came back: saved.
    assert (
        web_client(manager).post(url, {"planned_portions": "45", "seen": "60"}).status_code == 302
    )
    lunch.refresh_from_db()
    assert lunch.planned_portions == 45
    # "No plan" seen is the empty field.
    web_client(manager).post(url, {"planned_portions": "", "seen": "45"})
    lunch.refresh_from_db()
    assert lunch.planned_portions is None
    assert web_client(manager).post(url, {"use_forecast": "1", "seen": ""}).status_code == 302
    lunch.refresh_from_db()
    assert lunch.planned_portions == 2


def test_the_manager_plans_from_who_is_there(manager, volunteer, lunch):
    url = reverse("web-kitchen-plan", args=[lunch.id])
    page = web_client(manager).get(reverse("web-kitchen-shelter", args=[lunch.shelter_id]))
    assert url in page.content.decode() and "Plan the forecast: 2" in page.content.decode()
    # The forecast as it is: the 2 people held here.
    done = web_client(manager).post(url, {"use_forecast": "1"}, follow=True)
    assert "Lunch: 2 portions planned." in done.content.decode()
    lunch.refresh_from_db()
    assert lunch.planned_portions == 2
    # A number typed.
    assert web_client(manager).post(url, {"planned_portions": "35"}).status_code == 302
    lunch.refresh_from_db()
    assert lunch.planned_portions == 35
    # Refused in place, with the number kept, and nothing changed.
    for bad in ("-1", "abc", "100001"):
        refused = web_client(manager).post(url, {"planned_portions": bad})
        assert refused.status_code == 400
        assert f'value="{bad}"' in refused.content.decode()
        assert "There is a problem" in refused.content.decode()
    lunch.refresh_from_db()
    assert lunch.planned_portions == 35
    # Volunteers record servings; they do not plan.
    assert web_client(volunteer).post(url, {"planned_portions": "1"}).status_code == 403
    page = web_client(volunteer).get(reverse("web-kitchen-shelter", args=[lunch.shelter_id]))
    assert url not in page.content.decode()


def test_a_meal_nobody_scheduled_is_added_for_today(manager, volunteer, shelter, lunch):
    url = reverse("web-kitchen-add", args=[shelter.id])
    done = web_client(manager).post(
        url, {"meal": "hot_meal", "time": "02:00", "planned_portions": "30"}, follow=True
    )
    assert "Hot meal at 02:00 added." in done.content.decode()
    added = MealService.objects.get(shelter=shelter, meal="hot_meal")
    assert added.starts_at == today_at(shelter.city, 2)
    assert (added.planned_portions, added.created_by) == (30, manager.username)
    # The same meal at the same time again: told at the time, nothing added.
    again = web_client(manager).post(url, {"meal": "hot_meal", "time": "02:00"})
    assert again.status_code == 409
    assert 'href="#add_time"' in again.content.decode()
    bad = web_client(manager).post(url, {"meal": "feast", "time": "25:61"})
    assert bad.status_code == 400
    assert MealService.objects.filter(shelter=shelter).count() == 2
    assert web_client(volunteer).post(url, {"meal": "snack", "time": "03:00"}).status_code == 403


def test_coordinators_add_a_meal_at_a_point(coordinator, volunteer, city, point_meal):
    url = reverse("web-kitchen-add-point", args=[city.id])
    body = {"location": "Syrym border crossing", "meal": "snack", "time": "23:30"}
    assert web_client(volunteer).post(url, body).status_code == 403
    assert web_client(coordinator).post(url, body).status_code == 302
    added = MealService.objects.get(location="Syrym border crossing", meal="snack")
    assert added.starts_at == today_at(city, 23, 30) and added.shelter is None


def test_the_last_serving_is_taken_back_on_the_page_and_a_second_tap_says_so(volunteer, lunch):
    client = web_client(volunteer)
    page_url = reverse("web-kitchen-shelter", args=[lunch.shelter_id])
    assert 'data-take-back data-action="' in client.get(page_url).content.decode()
    serve = reverse("web-kitchen-serve", args=[lunch.id])
    client.post(serve, {"add": "1", "key": uuid.uuid4().hex})
    client.post(serve, {"add": "10", "key": uuid.uuid4().hex})
    mistake = Serving.objects.get(portions=10)
    Serving.objects.create(service=lunch, portions=7, recorded_by="someone else")
    text = client.get(page_url).content.decode()
    take_back = reverse("web-kitchen-take-back", args=[lunch.id, mistake.id])
    assert f'action="{take_back}"' in text
    assert "Your last serving here: +10 at" in text

    answer = client.post(take_back, follow=True)
    assert answer.redirect_chain[-1][0].endswith(f"#service-{lunch.id}")
    assert "Lunch: 10 portions taken back." in answer.content.decode()
    assert served(lunch) == 8
    # The one before is now the last: taken back the same way; someone else's never shown.
    text = answer.content.decode()
    first = Serving.objects.get(portions=1)
    assert reverse("web-kitchen-take-back", args=[lunch.id, first.id]) in text
    assert "+7" not in text

    again = client.post(take_back, follow=True)
    assert "This serving was taken back already." in again.content.decode()
    assert served(lunch) == 8


def test_a_serving_of_another_person_or_past_the_window_is_not_taken_back(
    volunteer, manager, lunch
):
    other = Serving.objects.create(service=lunch, portions=7, recorded_by="someone else")
    url = reverse("web-kitchen-take-back", args=[lunch.id, other.id])
    answer = web_client(volunteer).post(url, follow=True)
    assert "Only who recorded a serving may take it back, within 15 minutes" in (
        answer.content.decode()
    )
    assert served(lunch) == 7
    # The shelter's manager corrects the count.
    web_client(manager).post(url)
    assert served(lunch) == 0


def test_a_serving_out_of_reach_is_not_found(other_volunteer, lunch):
    mine = other_volunteer.username
    serving = Serving.objects.create(service=lunch, portions=3, recorded_by=mine)
    url = reverse("web-kitchen-take-back", args=[lunch.id, serving.id])
    assert web_client(other_volunteer).post(url).status_code == 404
    assert web_client(other_volunteer).get(url).status_code == 405
    assert served(lunch) == 3


def test_a_meal_still_being_served_after_midnight_stays_on_the_pages(volunteer, shelter, city):
    """At 00:20 the 23:30 hot meal is still being served (SERVICE_LENGTH after its start):
    it stays on the kitchen's pages, its day shown, and servings are recorded at it; the
    21:00 dinner, over, is gone with the day."""
    tz = zoneinfo.ZoneInfo(city.timezone)

    def local(text):
        return datetime.fromisoformat(text).replace(tzinfo=tz)

    def add(meal, when, **place):
        return MealService.objects.create(
            city=city, meal=meal, starts_at=local(when), created_by="test", **place
        )

    dinner = add("dinner", "2030-12-04 21:00", shelter=shelter)
    late = add("hot_meal", "2030-12-04 23:30", shelter=shelter)
    snack = add("snack", "2030-12-05 00:10", shelter=shelter)
    at_point = add("hot_meal", "2030-12-04 23:00", location="Syrym border crossing")
    with time_machine.travel(local("2030-12-05 00:20"), tick=False):
        client = web_client(volunteer)
        text = client.get(reverse("web-kitchen-shelter", args=[shelter.id])).content.decode()
        assert f'id="service-{late.id}"' in text
        assert "Hot meal · 23:30, 4 December</h2>" in text
        assert f'id="service-{snack.id}"' in text and "Snack · 00:10</h2>" in text
        assert f'id="service-{dinner.id}"' not in text
        start = client.get(reverse("web-kitchen")).content.decode()
        assert "Syrym border crossing" in start  # its 23:00 meal is still being served
        point = client.get(
            reverse("web-kitchen-point", args=[city.id]) + "?location=Syrym+border+crossing"
        ).content.decode()
        assert f'id="service-{at_point.id}"' in point
        answer = client.post(
            reverse("web-kitchen-serve", args=[late.id]), {"add": "5", "key": uuid.uuid4().hex}
        )
        assert answer.status_code == 302
        assert served(late) == 5
    with time_machine.travel(local("2030-12-05 01:10"), tick=False):  # the point's is over
        assert "Syrym border crossing" not in client.get(reverse("web-kitchen")).content.decode()


def _page_key(response) -> str:
    hidden = r'<input type="hidden" name="key" value="([^"]*)">'
    keys = re.findall(hidden, response.content.decode())
    assert len(keys) == 1
    return keys[0]


def test_try_again_after_a_reused_key_records_the_serving(volunteer, lunch):
    """Without JavaScript, a form sent again from an old page (Back) with another number
    is refused; the page it comes back on carries a new key, so "Try again" records it."""
    client = web_client(volunteer)
    url = reverse("web-kitchen-serve", args=[lunch.id])
    key = uuid.uuid4().hex
    assert client.post(url, {"add": "1", "key": key}).status_code == 302
    refused = client.post(url, {"add": "number", "portions": "12", "key": key})
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "already sent with another number" in text
    assert 'value="12"' in text  # what was typed stays
    fresh = _page_key(refused)
    assert fresh and fresh != key
    assert served(lunch) == 1
    again = client.post(url, {"add": "number", "portions": "12", "key": fresh})
    assert again.status_code == 302
    assert served(lunch) == 13


@pytest.mark.parametrize("key", ["ключ", ""])
def test_a_form_with_a_bad_key_comes_back_with_a_good_one(volunteer, lunch, key):
    client = web_client(volunteer)
    url = reverse("web-kitchen-serve", args=[lunch.id])
    refused = client.post(url, {"add": "5", "key": key})
    assert refused.status_code in {400, 409}
    assert served(lunch) == 0
    fresh = _page_key(refused)
    assert fresh and fresh != key
    assert client.post(url, {"add": "5", "key": fresh}).status_code == 302
    assert served(lunch) == 5


def test_the_same_meal_added_twice_at_a_point_is_refused_at_its_time(coordinator, city):
    """Added twice (a double tap, a second coordinator), the point's meal is planned once:
    the second comes back with the error at its time, what was typed kept."""
    client = web_client(coordinator)
    url = reverse("web-kitchen-add-point", args=[city.id])
    body = {"location": "КПП Сырым", "meal": "hot_meal", "time": "06:30", "planned_portions": "200"}
    assert client.post(url, body).status_code == 302
    again = client.post(url, {**body, "location": " кпп сырым "})
    assert again.status_code == 409
    text = again.content.decode()
    assert 'href="#add_time"' in text
    assert "This point already has this meal at this time." in text
    assert 'value="06:30"' in text and 'value="200"' in text
    assert MealService.objects.filter(location__iexact="КПП Сырым").count() == 1
    report = client.get(reverse("web-kitchen-report"), {"city": city.id}).content.decode()
    assert "1 meal service" in report
    assert '<b class="num">200</b><span>planned</span>' in report
