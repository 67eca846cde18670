"""The organization whose every text is markup, shared by the escaping tests (`test_escaping`: the core's
pages; `test_escaping_features`: the feature apps' pages).

With htmx on the page, injected markup is an action: `<i hx-post=… hx-trigger=load>` would post with the
viewer's session and CSRF header. Each text carries three probes; no page may contain one raw."""

import html
from datetime import date

import pytest

from accounts.tenancy import tenant
from billing.credit_services import credit_issue
from billing.models import Package
from billing.services import package_save, sale_record
from customers import services
from customers.models import STAFF_AUDIENCES, Audience, FieldType, Scope, Segment
from families.services import link_add
from intake.models import IntakeForm
from invites.models import InviteSettings
from metrics.models import Metric
from metrics.services import entry_record, metric_save
from notes.services import note_add
from tags.models import Tag
from tags.services import tag_add, tag_save
from tests.conftest import make_org, make_user
from tests.custom_field_helpers import make_field
from tests.factories import customer

BOLD = "<b id=probe>"
HTMX = "<i hx-post=/evil hx-trigger=load>"
META = "<meta http-equiv=refresh content=0>"
PROBES = (BOLD, HTMX, META)


def evil(text: str, probe: str = BOLD) -> str:
    return f"{text} {probe}"


@pytest.fixture
def tainted(db):
    """An organization whose every admin-editable text, and every text its customers typed, is markup."""
    owner = make_user("mallory@evil.example")
    organization = make_org(evil("Evil Fun", META), "evil", owner)
    with tenant(organization):
        everyone = [*STAFF_AUDIENCES, Audience.CUSTOMER, Audience.GUARDIAN]
        person = {"scope": Scope.PERSON, "visible_to": everyone, "editable_by": everyone}
        allergy = make_field(
            evil("Allergies"),
            FieldType.CHOICE,
            options=[evil("Peanuts", HTMX)],
            help_text=evil("Tell us", HTMX),
            **person,
        )
        note = make_field(
            evil("Notes for the party"), FieldType.TEXT, help_text=evil("Anything", META), **person
        )
        tag = tag_save(tag=Tag(name=evil("VIP"), description=evil("Big spender", HTMX)), by=owner)
        metric = metric_save(metric=Metric(name=evil("Visits"), unit=BOLD), by=owner)
        party = package_save(
            package=Package(name=evil("Party"), description=evil("Pizza", HTMX), price=100, currency="USD"),
            by=owner,
        )
        parent_user = make_user("pat@home.example")
        parent = services.customer_create(
            data={
                "first_name": evil("Pat"),
                "last_name": evil("Parent", HTMX),
                "email": "pat@home.example",
                note.name: evil("Balloons", META),
            },
            by=owner,
            user=parent_user,
        )
        child = customer(first_name=evil("Kid"), last_name="Parent", birthday=date(2018, 5, 1))
        link_add(guardian=parent, dependant=child, relationship="parent", by=owner)
        sale_record(
            package=party, customer=child, payer=parent, method="cheque", reference=evil("No"), by=owner
        )
        credit_issue(customer=parent, amount=500, kind="goodwill", reason=evil("Sorry", HTMX), by=owner)
        tag_add(customer=parent, tag=tag, by=owner)
        entry_record(customer=parent, metric=metric, value=3, recorded_on=date(2026, 1, 5), by=owner)
        note_add(customer=parent, text=evil("Call back", HTMX), visibility="staff", pinned=True, by=owner)
        segment = Segment.objects.create(name=evil("Big spenders", HTMX), query=f"tag={tag.pk}", owner=owner)
        IntakeForm.objects.create(
            title=evil("Party guests"),
            slug="guests",
            intro=evil("Welcome", HTMX),
            is_open=True,
            fields=[{"name": "first_name", "required": True}, {"name": allergy.name, "required": False}],
        )
        invite_settings, _ = InviteSettings.objects.get_or_create()
        invite_settings.subject = evil("Hello")
        invite_settings.body = evil("Claim it: {{ link }}", HTMX)
        invite_settings.save()
    return {
        "org": organization,
        "owner": owner,
        "parent": parent,
        "child": child,
        "parent_user": parent_user,
        "package": party,
        "segment": segment,
    }


def assert_escaped(response, url):
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    body = response.content.decode()
    for probe in PROBES:
        assert probe not in body, f"{url} shows {probe!r} as markup"
    shown = {html.escape(probe, quote=quote) for probe in PROBES for quote in (False, True)}
    assert any(text in body for text in shown), f"{url} shows none of the tenant's texts"
