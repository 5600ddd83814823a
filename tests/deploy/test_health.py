"""GET /healthz: open to anyone, cheap, and says which part failed."""

import pytest
from django.db import OperationalError

import config.health

pytestmark = pytest.mark.django_db


class BrokenConnection:
    def cursor(self):
        raise OperationalError("could not connect to server")


class BrokenCache:
    def set(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    get = delete = set


class ForgetfulCache:
    def set(self, *args, **kwargs):
        pass

    def get(self, *args, **kwargs):
        return None

    def delete(self, *args, **kwargs):
        pass


def test_healthy_answers_200_without_credentials(anonymous):
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


def test_head_is_answered(anonymous):
    assert anonymous.head("/healthz").status_code == 200


def test_database_down_answers_503_naming_it(anonymous, monkeypatch):
    monkeypatch.setattr(config.health, "connection", BrokenConnection())
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "ok"}


def test_cache_down_answers_503_naming_it(anonymous, monkeypatch):
    monkeypatch.setattr(config.health, "cache", BrokenCache())
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}


def test_cache_that_keeps_nothing_is_an_error(anonymous, monkeypatch):
    monkeypatch.setattr(config.health, "cache", ForgetfulCache())
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "error"


def test_failure_details_stay_out_of_the_answer(anonymous, monkeypatch):
    monkeypatch.setattr(config.health, "connection", BrokenConnection())
    monkeypatch.setattr(config.health, "cache", BrokenCache())
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "error"}
    assert b"redis" not in response.content
    assert b"connect" not in response.content


def test_writes_are_refused(anonymous):
    assert anonymous.post("/healthz", {}, format="json").status_code == 405
