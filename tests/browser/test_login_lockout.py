"""The web login after too many wrong passwords, on a phone: the form again, saying why
and for how long (429 with Retry-After), the right password refused until the lockout
ends; no serious or critical axe-core violation, no sideways scroll."""

from pathlib import Path

import pytest

from accounts.models import Role
from tests import factories

from .conftest import locked, screenshot

pytestmark = pytest.mark.browser

AXE_RUN = (Path(__file__).parent / "scripts" / "axe.js").read_text()


def test_a_locked_out_login_says_why_on_a_phone(phone, server, settings, axe_source):
    settings.LOGIN_FAILURES_ACCOUNT_ADDRESS = 3
    locked(lambda: factories.member(Role.VOLUNTEER, username="aigerim"))
    page = phone.new_page()
    statuses = []
    for password in ("guess-1", "guess-2", "guess-3", factories.PASSWORD):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "aigerim")
        page.fill("input[name=password]", password)
        with (
            page.expect_navigation(),
            page.expect_response(lambda r: r.request.method == "POST") as answer,
        ):
            page.locator("form[data-login] button[type=submit]").click()
        page.wait_for_load_state("load")
        statuses.append((answer.value.status, answer.value.headers.get("retry-after")))
    assert [status for status, _wait in statuses] == [200, 200, 429, 429]
    assert all(int(wait) > 0 for status, wait in statuses if status == 429)
    text = page.locator("form[data-login]").inner_text()
    assert "Too many failed sign-ins" in text and "coordinator" in text
    assert page.input_value("input[name=username]") == "aigerim"  # typed value kept
    screenshot(page, "en-login-locked-out")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), "the page scrolls sideways"
    page.evaluate(axe_source)
    assert page.evaluate(AXE_RUN) == []
