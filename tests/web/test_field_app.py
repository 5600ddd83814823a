"""The installable field app as the server serves it: the service worker, the manifest,
the offline page, the session probe, compressed pages, and the registration page's hooks
for static/berth/register.js. In a real browser: tests/browser/."""

import gzip
import json

import pytest
from django.urls import reverse

from arrivals.web_app import APP_STATIC

from .conftest import web_client

pytestmark = pytest.mark.django_db


def test_service_worker_is_served_from_the_root_with_its_settings():
    response = web_client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    first_line, code = response.content.decode().split("\n", 1)
    settings = json.loads(first_line.removeprefix("self.BERTH = ").removesuffix(";"))
    assert settings["shell"] == "/register/"
    assert settings["offline"] == "/offline/"
    assert "/manifest.webmanifest" in settings["precache"]
    assert all(f"/static/{path}" in settings["precache"] for path in APP_STATIC)
    assert len(settings["version"]) == 16
    assert "addEventListener('fetch'" in code


def test_the_worker_version_follows_the_files_it_keeps(monkeypatch):
    from arrivals import web_app

    before = web_app.worker_settings()["version"]
    real = web_app._static_bytes
    monkeypatch.setattr(
        web_app, "_static_bytes", lambda path: real(path) + (b"/**/" if "app.js" in path else b"")
    )
    assert web_app.worker_settings()["version"] != before


def test_every_kept_file_exists():
    from django.contrib.staticfiles import finders

    for path in APP_STATIC:
        assert finders.find(path), path


def test_manifest():
    response = web_client().get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/register/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    assert manifest["lang"] == "ru"
    assert "Регистрируйте" in manifest["description"]


def test_offline_page_needs_no_login():
    response = web_client().get("/offline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Registering arrivals works without the network." in html
    # Every language is in it: kept once, it is shown in the one chosen since.
    assert html.count("data-offline=") == 3 and "Желі жоқ" in html


def test_session_probe(volunteer):
    anonymous = web_client().get("/app/session/")
    assert anonymous.json() == {"authenticated": False, "user": None}
    assert "csrftoken" in anonymous.cookies
    assert "no-store" in anonymous["Cache-Control"]
    logged_in = web_client(volunteer).get("/app/session/")
    assert logged_in.json() == {"authenticated": True, "user": volunteer.username}


def test_pages_are_compressed(volunteer):
    response = web_client(volunteer).get(reverse("web-register"), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.content).decode()
    assert "data-field-form" in html
    assert len(response.content) < len(html) / 3


def test_every_page_links_the_app(volunteer):
    text = web_client(volunteer).get(reverse("home")).content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in text
    assert 'data-worker="/sw.js"' in text
    assert f'data-user="{volunteer.username}"' in text
    assert "/static/berth/app.js" in text
    assert "<script>" not in text and "style=" not in text  # the CSP allows no inline code
    assert "data-logout" in text and "__n__" in text  # the warning before unsent data goes


def test_register_page_carries_the_outbox_and_a_row_template(volunteer):
    text = web_client(volunteer).get(reverse("web-register")).content.decode()
    assert 'id="outbox"' in text
    assert '<template id="member-template">' in text
    assert 'name="members-__prefix__-given_name"' in text
    assert "Person __num__" in text
    assert "/static/berth/register.js" in text
    # Messages of the script come translated from the page.
    ru = web_client(volunteer).get(reverse("web-register"), HTTP_ACCEPT_LANGUAGE="ru")
    assert "Ждёт отправки" in ru.content.decode()
    assert "Отправлено: код __code__" in ru.content.decode()
