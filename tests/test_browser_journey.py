"""In Chromium: sign up → create an organization → invite staff → the staff member joins from the email →
switches between organizations."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.inbox import emailed_path
from tests.test_staff import invite_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_console(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return errors


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))


def sign_up(page, *, email: str, first_name: str, fill_email: bool = True) -> None:
    if fill_email:
        page.get_by_label("Email").fill(email)
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your email")


def confirm_email(page, base_url: str, smtp_server, email: str) -> None:
    """Open the emailed confirmation link and confirm with the password chosen at sign-up."""
    message = smtp_server.wait_for(email, subject="Confirm your email address")
    page.goto(base_url + emailed_path(message, r"/accounts/signup/confirm/\S+"))
    page.get_by_label("The password you chose").fill(PASSWORD)
    page.get_by_role("button", name="Confirm and sign in").click()


def test_owner_builds_a_team_and_staff_switches_organizations(
    browser_page, browser, live_server, celery_worker, smtp_server, screenshot, org_b
):
    page = browser_page
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Create an account").click()
    sign_up(page, email="olivia@jumpzone.example", first_name="Olivia")
    confirm_email(page, live_server.url, smtp_server, "olivia@jumpzone.example")
    expect(page).to_have_url(re.compile(r"/accounts/organizations/new/$"))

    page.get_by_label("Business name").fill("Jump Zone")
    page.get_by_label("Web address").fill("admin")
    page.get_by_label("Time zone").select_option("America/Denver")
    page.get_by_label("Currency").select_option("USD")
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("reserved")
    screenshot(page, "01-organization-form-error")
    page.get_by_label("Web address").fill("jump-zone")
    page.get_by_role("button", name="Create organization").click()
    expect(page).to_have_url(re.compile(r"/app/jump-zone/customers/$"))
    expect(page.get_by_role("button", name="Switch organization")).to_contain_text("Jump Zone")
    screenshot(page, "02-app-shell")

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Staff").click()
    page.get_by_label("Email").fill("sam@jumpzone.example")
    page.get_by_label("Role").select_option("staff")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to sam@jumpzone.example")
    expect(page.locator("#invitations")).to_contain_text("sam@jumpzone.example")
    screenshot(page, "03-staff-settings")

    link = invite_link(smtp_server.wait_for("sam@jumpzone.example"))
    staff = browser.new_context().new_page()
    staff_errors = watch_console(staff)
    staff.goto(live_server.url + link)
    expect(staff.get_by_role("heading", name="Join Jump Zone")).to_be_visible()
    screenshot(staff, "04-join-invitation")
    staff.get_by_role("link", name="Create account").click()
    expect(staff.get_by_label("Email")).to_have_value("sam@jumpzone.example")
    sign_up(staff, email="sam@jumpzone.example", first_name="Sam", fill_email=False)
    confirm_email(staff, live_server.url, smtp_server, "sam@jumpzone.example")
    staff.get_by_role("button", name="Join Jump Zone").click()
    expect(staff).to_have_url(re.compile(r"/app/jump-zone/customers/$"))
    expect(staff.get_by_role("status")).to_contain_text("Welcome to Jump Zone!")
    # Staff role: no Settings or Imports in the navigation.
    expect(staff.get_by_role("navigation", name="Main")).not_to_contain_text("Settings")

    staff.get_by_role("button", name="Switch organization").click()
    staff.get_by_role("link", name="+ New organization").click()
    staff.get_by_label("Business name").fill("Sam's Studio")
    staff.get_by_label("Web address").fill("sams-studio")
    staff.get_by_role("button", name="Create organization").click()
    expect(staff.get_by_role("button", name="Switch organization")).to_contain_text("Sam's Studio")
    staff.get_by_role("button", name="Switch organization").click()
    screenshot(staff, "05-organization-switcher")
    staff.get_by_role("link", name=re.compile("Jump Zone")).click()
    expect(staff).to_have_url(re.compile(r"/app/jump-zone/customers/$"))
    expect(staff.get_by_role("button", name="Switch organization")).to_contain_text("Jump Zone")
    # The other tenant's organization is never offered.
    expect(staff.locator(".org-switcher")).not_to_contain_text(org_b.name)

    assert errors == [] and staff_errors == [], errors + staff_errors
