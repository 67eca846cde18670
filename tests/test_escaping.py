"""Every text a tenant or a customer writes comes out escaped on the core's pages: the roster, profiles,
settings, the public and portal pages (`tests.escaping_helpers` has the organization and the probes)."""

import html
import json

import pytest

from accounts.models import Organization
from accounts.tenancy import tenant
from customers.merge_services import customers_merge
from customers.models import CustomField, FieldType
from intake.models import IntakeForm
from tests.conftest import logged_in
from tests.escaping_helpers import HTMX, META, assert_escaped, evil

STAFF_PAGES = [
    "/app/evil/customers/",
    "/app/evil/customers/?filters=1",
    "/app/evil/customers/new/",
    "/app/evil/customers/{parent}/",
    "/app/evil/customers/{parent}/edit/",
    "/app/evil/customers/{parent}/activity/",
    "/app/evil/customers/{parent}/notes/",
    "/app/evil/customers/{parent}/family/",
    "/app/evil/customers/{parent}/portal/",
    "/app/evil/customers/{parent}/metrics/",
    "/app/evil/customers/{parent}/payments/",
    "/app/evil/customers/{child}/payments/",
    "/app/evil/customers/{parent}/loyalty/",
    "/app/evil/customers/{parent}/credit/",
    "/app/evil/customers/{parent}/privacy/",
    "/app/evil/customers/{parent}/privacy/erase/",
    "/app/evil/settings/privacy/",
    "/app/evil/customers/{parent}/loyalty/?start=bad&end=2026-01-01",
    "/app/evil/customers/{child}/family/",
    "/app/evil/customers/{parent}/merge/{child}/",
    "/app/evil/customers/{parent}/merge/?q=Kid",
    "/app/evil/customers/segments/",
    "/app/evil/families/",
    "/app/evil/settings/",
    "/app/evil/settings/custom-fields/",
    "/app/evil/settings/required-fields/",
    "/app/evil/settings/forms/",
    "/app/evil/settings/invites/",
    "/app/evil/settings/tags/",
    "/app/evil/settings/metrics/",
    "/app/evil/settings/packages/",
    "/app/evil/settings/audit/",
    "/app/evil/metrics/",
    "/app/evil/sales/",
    "/app/evil/reports/customers/?segment={segment}",
    "/app/evil/reports/imports/",
]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_pages_escape_what_the_tenant_wrote(tainted, page):
    url = page.format(parent=tainted["parent"].pk, child=tainted["child"].pk, segment=tainted["segment"].pk)
    assert_escaped(logged_in(tainted["owner"]).get(url), url)


def test_merge_pages_escape_both_names(tainted):
    with tenant(tainted["org"]):
        merge = customers_merge(
            survivor=tainted["parent"], merged=tainted["child"], choices={}, by=tainted["owner"]
        )
    owner = logged_in(tainted["owner"])
    for url in ("/app/evil/customers/merges/", f"/app/evil/customers/merges/{merge.pk}/undo/"):
        assert_escaped(owner.get(url), url)


def test_custom_field_edit_page_escapes_label_help_and_options(tainted):
    with tenant(tainted["org"]):
        field = CustomField.objects.get(type=FieldType.CHOICE)
    url = f"/app/evil/settings/custom-fields/{field.pk}/"
    assert_escaped(logged_in(tainted["owner"]).get(url), url)


def test_intake_form_settings_page_escapes_the_title(tainted):
    with tenant(tainted["org"]):
        form = IntakeForm.objects.get()
    url = f"/app/evil/settings/forms/{form.pk}/"
    assert_escaped(logged_in(tainted["owner"]).get(url), url)


@pytest.mark.parametrize(
    "page",
    [
        "/evil/signup/booking/",
        "/evil/signup/store/",
        "/evil/forms/guests/",
        "/evil/store/",
        "/evil/store/{package}/",
    ],
)
def test_public_pages_escape_what_the_tenant_wrote(tainted, client, page):
    url = page.format(package=tainted["package"].pk)
    assert_escaped(client.get(url), url)


@pytest.mark.parametrize(
    "page",
    [
        "/evil/account/",
        "/evil/account/family/",
        "/evil/account/family/{child}/",
        "/evil/account/payments/",
        "/evil/account/my-data/",
    ],
)
def test_portal_pages_escape_what_the_tenant_and_customers_wrote(tainted, page):
    url = page.format(child=tainted["child"].pk)
    assert_escaped(logged_in(tainted["parent_user"]).get(url), url)


def test_workspaces_page_escapes_the_organization_name(tainted):
    assert_escaped(
        logged_in(tainted["owner"]).get("/accounts/organizations/?all=1"), "/accounts/organizations/"
    )


def test_tenant_blocks_on_public_pages_sit_inside_hx_disable(tainted, client):
    """Even if an escape were missed, htmx ignores whatever sits inside an hx-disable element."""
    body = client.get("/evil/forms/guests/").content.decode()
    assert "hx-disable" in body
    assert body.index("hx-disable") < body.index(html.escape(evil("Welcome", HTMX), quote=False)[:10])


def test_htmx_evaluates_no_code_from_the_page(client, db):
    """Defence in depth behind escaping: no hx-on, js: or trigger filters; requests to our own origin only.
    (Script tags in swapped content stay allowed: the metrics tab brings its chart script; the CSP's nonce
    keeps out any inline script.)"""
    config = client.get("/accounts/login/").text.split('name="htmx-config" content=\'')[1].split("'")[0]
    settings = json.loads(config)
    assert (settings["allowEval"], settings["selfRequestsOnly"]) == (False, True)


def test_organization_name_is_escaped_in_the_page_title(tainted):
    body = logged_in(tainted["owner"]).get("/app/evil/customers/").content.decode()
    title = body.split("<title>")[1].split("</title>")[0]
    assert META not in title and "&lt;meta" in title


def test_other_organization_staff_never_see_the_probe_organization(tainted, alice, org_a):
    assert Organization.objects.filter(slug="evil").exists()
    assert logged_in(alice).get("/app/evil/customers/").status_code == 404
