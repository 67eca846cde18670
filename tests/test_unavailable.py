"""The 503 page while PostgreSQL or Redis is away, checked in-process with the test client and the browser
(`accounts/unavailable.py`); `test_chaos` stops the real servers under load."""

import time

import pytest
from django.conf import settings
from django.test import Client, override_settings
from playwright.sync_api import expect

from accounts.unavailable import UNAVAILABLE, server_error
from tests.conftest import logged_in
from tests.test_api import make_key
from tests.test_browser_journey import log_in
from tests.test_chaos import SLOWEST_ANSWER_SECONDS

NO_REDIS = {alias: {**cache, "LOCATION": "redis://127.0.0.1:1/0"} for alias, cache in settings.CACHES.items()}


def test_a_page_without_redis_answers_the_503_page_not_a_traceback(alice, org_a):
    client = logged_in(alice)
    client.raise_request_exception = False
    with override_settings(CACHES=NO_REDIS):
        started = time.monotonic()
        response = client.get(f"/app/{org_a.slug}/customers/")
    assert time.monotonic() - started < SLOWEST_ANSWER_SECONDS
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert UNAVAILABLE in response.text and "Traceback" not in response.text
    assert "no-store" in response["Cache-Control"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_signed_in_person_sees_the_503_page_while_redis_is_away(
    browser_page, live_server, org_a, alice, screenshot
):
    page = browser_page
    log_in(page, live_server.url, alice.email)
    with override_settings(CACHES=NO_REDIS):
        response = page.goto(f"{live_server.url}/app/{org_a.slug}/customers/")
        assert response.status == 503
        expect(page.get_by_role("heading", level=1)).to_have_text(UNAVAILABLE)
        screenshot(page, "chaos-503")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")


def test_the_api_answers_a_json_problem_when_a_service_is_away(alice, org_a):
    key = make_key(org_a, alice, ["customers:read"])
    client = Client(raise_request_exception=False)
    with override_settings(CACHES=NO_REDIS):  # the API's rate limit counts calls in Redis
        response = client.get("/api/v1/customers/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json() == {"detail": UNAVAILABLE}


def test_other_errors_keep_the_500_page(rf):
    try:
        raise ValueError("a bug, not an outage")
    except ValueError:
        response = server_error(rf.get("/app/alpha/customers/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
