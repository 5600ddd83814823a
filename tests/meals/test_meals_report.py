"""GET /api/v1/meals/report/?city=&date=: per service planned, forecast and served with
diets, the day's totals, and the same as CSV."""

import csv
import io

import pytest
import time_machine

from accounts.access import system_access
from arrivals import services as arrivals
from arrivals.models import Diet
from meals.models import Serving
from tests import factories
from tests.conftest import client_for

from .conftest import REPORT, at, meal_service, party_of, place

pytestmark = pytest.mark.django_db

DIET_LABELS = dict(Diet.choices)


@pytest.fixture
def day(city, shelter, space, other_city):
    """May 1st: a family of three checked in since 07:00; breakfast (planned 3, four
    served), lunch (three served), a hot meal at the station (planned 100, sixty served).
    A service of the next day and one in another city stay out of the report."""
    family = party_of(city, ["halal"], ["vegetarian", "gluten_free"], ["infant_formula"])
    with time_machine.travel(at(city, "2030-05-01 07:00"), tick=False):
        place(family, space)
        arrivals.party_check_in(party_id=family.id, access=system_access("manager"))
    breakfast = meal_service(
        shelter=shelter,
        meal="breakfast",
        starts_at=at(city, "2030-05-01 08:00"),
        planned_portions=3,
    )
    lunch = meal_service(shelter=shelter, meal="lunch", starts_at=at(city, "2030-05-01 13:00"))
    station = meal_service(
        city=city,
        location='=HYPERLINK("http://x")',
        meal="hot_meal",
        starts_at=at(city, "2030-05-01 15:00"),
        planned_portions=100,
    )
    meal_service(shelter=shelter, meal="breakfast", starts_at=at(city, "2030-05-02 08:00"))
    meal_service(city=other_city, location="Port", starts_at=at(city, "2030-05-01 12:00"))
    for service, portions, diet in [
        (breakfast, 2, {"halal": 1}),
        (breakfast, 2, {"vegetarian": 1}),
        (lunch, 3, {"infant_formula": 1}),
        (station, 60, {"halal": 10}),
    ]:
        Serving.objects.create(service=service, portions=portions, diet=diet, recorded_by="v")
    return {"breakfast": breakfast, "lunch": lunch, "station": station}


def get_report(client, city, **params):
    query = {"city": str(city.id), "date": "2030-05-01", **params}
    with time_machine.travel(at(city, "2030-05-02 12:00"), tick=False):
        return client.get(REPORT, query)


def test_report_gives_each_service_and_the_days_totals(coordinator_client, city, day):
    response = get_report(coordinator_client, city)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    report = response.json()
    assert report["city"] == str(city.id)
    assert report["date"] == "2030-05-01"
    rows = [
        (
            s["id"],
            s["local_time"],
            s["planned_portions"],
            s["forecast_portions"],
            s["served_portions"],
        )
        for s in report["services"]
    ]
    assert rows == [
        (str(day["breakfast"].id), "08:00", 3, 3, 4),
        (str(day["lunch"].id), "13:00", None, 3, 3),
        (str(day["station"].id), "15:00", 100, None, 60),
    ]
    breakfast = report["services"][0]
    assert breakfast["forecast_basis"] == "at_start"
    assert breakfast["diet_forecast"] == {
        "vegetarian": 1,
        "halal": 1,
        "gluten_free": 1,
        "lactose_free": 0,
        "infant_formula": 1,
    }
    assert breakfast["served_diet"]["halal"] == breakfast["served_diet"]["vegetarian"] == 1
    assert breakfast["over_served"] is True
    assert report["services"][2]["over_served"] is False
    assert report["totals"] == {
        "services": 3,
        "planned_portions": 103,
        "forecast_portions": 6,
        "served_portions": 67,
        "diet_forecast": {
            "vegetarian": 2,
            "halal": 2,
            "gluten_free": 2,
            "lactose_free": 0,
            "infant_formula": 2,
        },
        "served_diet": {
            "vegetarian": 1,
            "halal": 11,
            "gluten_free": 0,
            "lactose_free": 0,
            "infant_formula": 1,
        },
    }


def parse_csv(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="meals-2030-05-01.csv"'
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def number(cell: str):
    return None if cell == "" else int(cell)


@pytest.mark.parametrize("how", ["format", "accept"])
def test_csv_says_what_the_json_says(coordinator_client, city, day, how):
    report = get_report(coordinator_client, city).json()
    if how == "format":
        response = get_report(coordinator_client, city, format="csv")
    else:
        with time_machine.travel(at(city, "2030-05-02 12:00"), tick=False):
            response = coordinator_client.get(
                REPORT, {"city": str(city.id), "date": "2030-05-01"}, HTTP_ACCEPT="text/csv"
            )
    rows = parse_csv(response)
    assert len(rows) == len(report["services"]) + 1
    *service_rows, total = rows
    for row, service in zip(service_rows, report["services"], strict=True):
        assert row["Time"] == service["local_time"]
        assert number(row["Planned"]) == service["planned_portions"]
        assert number(row["Forecast"]) == service["forecast_portions"]
        assert number(row["Served"]) == service["served_portions"]
        for diet, label in DIET_LABELS.items():
            forecast = (service["diet_forecast"] or {}).get(diet)
            assert number(row[f"Forecast: {label}"]) == forecast
            assert number(row[f"Served: {label}"]) == service["served_diet"][diet]
    assert [row["Place"] for row in service_rows] == [
        city.shelters.get().name,
        city.shelters.get().name,
        '\'=HYPERLINK("http://x")',  # a spreadsheet must not run it
    ]
    assert [row["Meal"] for row in service_rows] == ["Breakfast", "Lunch", "Hot meal"]
    assert total["Place"] == "Total"
    totals = report["totals"]
    assert number(total["Planned"]) == totals["planned_portions"] == 103
    assert number(total["Forecast"]) == totals["forecast_portions"] == 6
    assert number(total["Served"]) == totals["served_portions"] == 67
    for diet, label in DIET_LABELS.items():
        assert number(total[f"Forecast: {label}"]) == totals["diet_forecast"][diet]
        assert number(total[f"Served: {label}"]) == totals["served_diet"][diet]
    # The totals row adds up the rows above it.
    assert number(total["Served"]) == sum(number(row["Served"]) for row in service_rows)


def test_empty_day_has_zero_totals(coordinator_client, city):
    response = coordinator_client.get(REPORT, {"city": str(city.id), "date": "2031-01-01"})
    assert response.status_code == 200
    assert response.data["services"] == []
    assert response.data["totals"]["served_portions"] == 0
    rows = list(
        csv.reader(
            io.StringIO(
                coordinator_client.get(
                    REPORT, {"city": str(city.id), "date": "2031-01-01", "format": "csv"}
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert len(rows) == 2  # header and totals


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2030-05-01"}, "city"),
        ({"city": "CITY"}, "date"),
        ({"city": "CITY", "date": "2030-02-30"}, "date"),
        ({"city": "CITY", "date": "01.05.2030"}, "date"),
        ({"city": "CITY", "date": "0001-01-01"}, "date"),
        ({"city": "not-a-uuid", "date": "2030-05-01"}, "city"),
    ],
)
@pytest.mark.parametrize("as_csv", [False, True])
def test_bad_query_answers_400_in_json(coordinator_client, city, params, field, as_csv):
    query = {name: str(city.id) if value == "CITY" else value for name, value in params.items()}
    if as_csv:
        query["format"] = "csv"
    response = coordinator_client.get(REPORT, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()
    assert "Content-Disposition" not in response


def test_report_is_for_the_citys_coordinators(
    city, day, other_coordinator_client, volunteer_client, manager_client, anonymous
):
    query = {"city": str(city.id), "date": "2030-05-01"}
    response = other_coordinator_client.get(REPORT, {**query, "format": "csv"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert other_coordinator_client.get(REPORT, query).status_code == 404
    assert volunteer_client.get(REPORT, query).status_code == 403
    assert manager_client.get(REPORT, query).status_code == 403
    assert anonymous.get(REPORT, query).status_code == 401
    superuser = factories.UserFactory(is_superuser=True)
    assert client_for(superuser).get(REPORT, query).status_code == 200


def test_a_day_the_calendar_has_not_is_said_so(coordinator_client, city):
    response = coordinator_client.get(REPORT, {"city": str(city.id), "date": "2030-02-30"})
    assert response.status_code == 400
    assert "There is no such day: 2030-02-30." in str(response.json())
