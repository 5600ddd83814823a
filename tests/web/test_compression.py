"""Pages, scripts and styles go out compressed (a phone on a slow network): pages and the
service worker by GZipMiddleware, static files by WhiteNoise from the copies the
production storage compressed beforehand at collectstatic. Every file the service worker
keeps is among them."""

import gzip

import pytest
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse
from whitenoise.middleware import WhiteNoiseMiddleware

from arrivals.web_app import worker_settings

from .conftest import web_client

pytestmark = pytest.mark.django_db

PRODUCTION_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def production_static(tmp_path_factory):
    """The static files as `collectstatic` leaves them in production, and settings that
    serve them as production does (no finders, no autorefresh)."""
    root = tmp_path_factory.mktemp("static")
    settings = override_settings(
        STATIC_ROOT=root,
        STORAGES=PRODUCTION_STATIC,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    )
    with settings:
        # Only what the field app serves (the admin's and the API docs' files are many).
        call_command(
            "collectstatic",
            "--noinput",
            *("--ignore=admin", "--ignore=rest_framework", "--ignore=drf_spectacular_sidecar"),
            verbosity=0,
        )
    return settings


def test_the_files_the_worker_keeps_are_served_compressed(production_static):
    with production_static:
        whitenoise = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))
        kept = worker_settings()["precache"]
        texts = [path for path in kept if path.endswith((".js", ".css"))]
        assert len(texts) >= 4, kept
        assert all(".css" in p or ".js" in p for p in texts)
        for path in texts:
            plain = whitenoise(RequestFactory().get(path))
            assert plain.status_code == 200, path
            size = int(plain["Content-Length"])
            answer = whitenoise(RequestFactory().get(path, HTTP_ACCEPT_ENCODING="gzip, br"))
            assert answer.status_code == 200, path
            assert answer["Content-Encoding"] in {"gzip", "br"}, path
            assert "Accept-Encoding" in answer["Vary"]
            if answer["Content-Encoding"] == "gzip":
                body = b"".join(answer.streaming_content)
                assert len(gzip.decompress(body)) == size
            assert int(answer["Content-Length"]) < size * 0.6, path
            # Named by their content: a phone keeps them for a year, asks again on change.
            assert (
                "immutable" in answer["Cache-Control"]
                or "max-age=315360000" in (answer["Cache-Control"])
            ), path


@pytest.mark.parametrize("name", ["web-register", "web-offline", "service-worker", "home"])
def test_pages_and_the_worker_are_compressed(volunteer, name):
    response = web_client(volunteer).get(reverse(name), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    text = gzip.decompress(response.content)
    assert len(response.content) < len(text) * 0.7


def test_nothing_is_compressed_for_a_client_that_does_not_ask(volunteer):
    response = web_client(volunteer).get(reverse("web-register"))
    assert not response.has_header("Content-Encoding")
