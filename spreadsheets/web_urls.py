"""The coordinators' spreadsheet pages (spreadsheets/web_views.py), under /imports/."""

from django.urls import path

from . import web_views

urlpatterns = [
    path("imports/", web_views.imports, name="web-imports"),
    path("imports/<uuid:job_id>/", web_views.import_job, name="web-import"),
    path("imports/<uuid:job_id>/confirm/", web_views.import_confirm, name="web-import-confirm"),
]
