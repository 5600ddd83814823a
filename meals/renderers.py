"""The meals report as CSV, for the city's spreadsheet: one row per service and a
totals row. Chosen with `?format=csv` or `Accept: text/csv`."""

import csv
import io

from django.utils.translation import gettext as _
from rest_framework.renderers import BaseRenderer

from arrivals.models import Diet
from spreadsheets.cells import cell_safe

from .models import Meal


def _text(value) -> str:
    """A text cell, guarded against formula injection as every export's cells are."""
    return cell_safe("" if value is None else str(value))


def _number(value) -> str:
    return "" if value is None else str(value)


def report_rows(report: dict) -> list[list[str]]:
    diets = [(diet, label) for diet, label in Diet.choices]
    header = [
        _("Date"),
        _("Time"),
        _("Place"),
        _("Meal"),
        _("Planned"),
        _("Forecast"),
        _("Served"),
        *[_("Forecast: %(diet)s") % {"diet": label} for _diet, label in diets],
        *[_("Served: %(diet)s") % {"diet": label} for _diet, label in diets],
        _("Over served"),
    ]
    rows = [header]
    meals = dict(Meal.choices)
    for service in report["services"]:
        forecast = service["diet_forecast"] or {}
        rows.append(
            [
                str(report["date"]),
                service["local_time"],
                _text(service["place"]),
                str(meals.get(service["meal"], service["meal"])),
                _number(service["planned_portions"]),
                _number(service["forecast_portions"]),
                _number(service["served_portions"]),
                *[_number(forecast.get(diet)) for diet, _label in diets],
                *[_number(service["served_diet"].get(diet)) for diet, _label in diets],
                _("yes") if service["over_served"] else _("no"),
            ]
        )
    totals = report["totals"]
    rows.append(
        [
            str(report["date"]),
            "",
            _("Total"),
            "",
            _number(totals["planned_portions"]),
            _number(totals["forecast_portions"]),
            _number(totals["served_portions"]),
            *[_number(totals["diet_forecast"].get(diet)) for diet, _label in diets],
            *[_number(totals["served_diet"].get(diet)) for diet, _label in diets],
            "",
        ]
    )
    return rows


class MealsReportCsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        buffer = io.StringIO()
        # The byte-order mark makes spreadsheet programs read Cyrillic names right.
        buffer.write("\ufeff")
        csv.writer(buffer).writerows(
            [[cell_safe(cell) for cell in row] for row in report_rows(data)]
        )
        return buffer.getvalue().encode(self.charset)
