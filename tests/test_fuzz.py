"""Fuzzing: every form and JSON endpoint of the URL resolver gets generated values (unicode, control
characters and NUL, markup, very long text, wrong types, missing and repeated keys) from every role: owner,
admin, staff, an anonymous visitor, a customer with a portal login, and the owner of the other organization.
Whatever arrives: no server error, the other organization's rows stay exactly as they were, and markup never
reaches a page unescaped. Each example runs in a transaction that is rolled back, so every example starts
from the same two organizations (built by the demo's own loaders)."""

import copy
import json
import os
import time
import traceback
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tenancy import tenant
from customers.models import Activity
from families import services as family_services
from families.models import GuardianPermission, Relationship
from tags.models import Tag
from tests import fuzz_inputs, fuzz_routes, fuzz_world
from tests.conftest import logged_in
from tests.factories import customer

MEMBERS = {"owner", "admin", "staff"}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 4))  # per role and endpoint the role may use
REFUSED_EXAMPLES = 1  # per role and endpoint the role is refused
REFUSALS = {302, 400, 401, 403, 404, 405}
ID_PARAMETERS = {"pk", "note_pk", "tag_pk", "job_id", "change_pk"}
API_DOCUMENTS = {"api:openapi-json", "api:openapi-view"}  # public, no key needed
cases = 0


@pytest.fixture
def worlds(alice, bob, org_a, org_b):
    ours = fuzz_world.build_world(org_a, alice, seed=0, prefix="alpha")
    theirs = fuzz_world.build_world(org_b, bob, seed=1, prefix="beta")
    return ours, theirs


@dataclass
class Run:
    pool: list[str]  # ids, tokens and emails of both organizations, to put in any field
    showcase: list[tuple[Client, str]]  # pages showing what tenants and customers typed, with who looks
    failures: list[str] = field(default_factory=list)


def api_headers(role: str, ours, theirs) -> dict:
    keys = {"owner": ours.api_secret, "other": theirs.api_secret, "anonymous": None}
    key = keys.get(role, "rk_not-a-key")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}


def discover(clients: dict, routes: list, ours) -> dict[str, list[fuzz_inputs.Form]]:
    """The forms of every page, by the path they send to: the staff pages as the owner, the customer pages
    as the customer with a login and as an anonymous visitor."""
    forms: dict[str, list[fuzz_inputs.Form]] = {}
    for route in routes:
        public = route.name.startswith(("portal:", "accounts:"))
        for role in ("customer", "anonymous") if public else ("owner",):
            url = route.url(ours.organization.slug, ours)
            response = clients[role].get(url)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                for form in fuzz_inputs.page_forms(url, response.content.decode()):
                    forms.setdefault(form.action, []).append(form)
    return forms


def assert_escaped(response, what: str) -> None:
    if response["Content-Type"].startswith("text/html"):
        found = fuzz_inputs.unescaped_markup(response.content.decode(errors="replace"))
        assert not found, f"{what}: unescaped markup {found}"


def send(client, form: fuzz_inputs.Form, url: str, values: dict, headers: dict):
    if form.method == "json":
        return client.post(url, json.dumps(values), content_type="application/json", **headers)
    if form.method == "get":
        return client.get(url, {k: v for k, v in values.items() if not isinstance(v, bytes)}, **headers)
    files = {k: fuzz_inputs.upload(v) if isinstance(v, bytes) else v for k, v in values.items()}
    return client.post(url, files, **headers)


def fuzz_endpoint(client, url: str, forms: list, *, run_with, headers, examples, check) -> None:
    """Send `examples` generated submissions of the endpoint's forms; after one that was taken, look at the
    page it leads to and at one of the pages that show what tenants and customers typed."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def run(data):
        global cases
        form = data.draw(st.sampled_from(forms), label="form")
        values = data.draw(
            fuzz_inputs.JSON_BODIES if form.method == "json" else fuzz_inputs.form_data(form, run_with.pool),
            label="values",
        )
        extra = {"HTTP_HX_REQUEST": "true"} if data.draw(st.booleans(), label="htmx") else {}
        viewer, page = data.draw(st.sampled_from(run_with.showcase), label="then shown on")
        cookies = copy.deepcopy(client.cookies)  # a log-out or log-in in the example must not outlive it
        try:
            with transaction.atomic():
                written = fuzz_world.rows_written()
                response = send(client, form, url, values, headers | extra)
                assert response.status_code < 500, f"{form.method.upper()} {url}: {response.status_code}"
                assert_escaped(response, f"{form.method.upper()} {url}")
                location = urlsplit(response.get("Location", "")).path
                if response.status_code in (301, 302, 303) and location.startswith("/"):
                    follow = client.get(response["Location"])
                    assert follow.status_code < 500, f"{url} → {location}: {follow.status_code}"
                    assert_escaped(follow, f"{url} → {location}")
                if form.method != "get" and response.status_code < 400:
                    shown = viewer.get(page)
                    assert shown.status_code < 500, f"{url}, then {page}: {shown.status_code}"
                    assert_escaped(shown, f"{url}, then {page}")
                check(response, wrote=fuzz_world.rows_written() != written)
                transaction.set_rollback(True)
        finally:
            client.cookies = cookies
            fuzz_world.cache_forget()
            cases += 1

    try:
        run()
    except Exception as error:  # every endpoint gets its turn; the failures are listed at the end
        run_with.failures.append("".join(traceback.format_exception_only(error))[:3000])


def test_generated_input_never_crashes_crosses_organizations_or_reaches_a_page_unescaped(
    worlds, capsys, quiet_refusals
):
    started = time.monotonic()
    ours, theirs = worlds
    slug = ours.organization.slug
    clients = {role: logged_in(ours.users[role]) for role in ("owner", "admin", "staff", "customer")}
    clients |= {"anonymous": Client(), "other": logged_in(theirs.users["owner"])}
    routes = fuzz_routes.routes()
    forms = discover(clients, routes, ours)
    before = {"ours": fuzz_world.fingerprint(ours), "theirs": fuzz_world.fingerprint(theirs)}
    staff_pages = [f"/app/{slug}/customers/new/", f"/app/{slug}/customers/{ours.ids['customer']}/"]
    staff_pages += [f"/app/{slug}/customers/{ours.ids['customer']}/edit/", f"/app/{slug}/customers/"]
    run_with = Run(
        pool=fuzz_routes.id_pool(ours, theirs),
        showcase=[(clients["owner"], page) for page in staff_pages]
        + [(clients["staff"], f"/app/{slug}/customers/{ours.ids['customer']}/")]
        + [(clients["anonymous"], f"/{slug}/forms/{ours.ids['form_slug']}/")]
        + [(clients["anonymous"], f"/{slug}/signup/booking/")]
        + [(clients["customer"], f"/{slug}/account/")]
        + [(clients["customer"], f"/{slug}/account/family/{ours.ids['dependant']}/")],
    )

    def unchanged(*guarded: str, refused: bool):
        def check(response, *, wrote: bool):
            worlds_by_name = {"ours": ours, "theirs": theirs}
            for name in guarded if wrote else ():  # no row written, no fingerprint changed
                assert fuzz_world.fingerprint(worlds_by_name[name]) == before[name], f"{name} changed"
            if refused:
                assert response.status_code in REFUSALS, f"not refused: {response.status_code}"

        return check

    for route in routes:
        url = route.url(slug, ours)
        endpoint_forms = fuzz_inputs.endpoint_forms(route, url, forms)
        api = route.name.startswith("api:")
        for role, client in clients.items():
            if api:  # the key decides the organization: ours for the owner, theirs for the other owner
                guarded = {"owner": ("theirs",), "other": ("ours",)}.get(role, ("ours", "theirs"))
                refused = role not in ("owner", "other") and route.name not in API_DOCUMENTS
            else:
                refused = url.startswith(f"/app/{slug}/") and role not in MEMBERS
                guarded = ("ours", "theirs") if refused else ("theirs",)
            fuzz_endpoint(
                client,
                url,
                endpoint_forms,
                run_with=run_with,
                headers=api_headers(role, ours, theirs) if api else {},
                examples=REFUSED_EXAMPLES if refused else EXAMPLES,
                check=unchanged(*guarded, refused=refused),
            )
        if ID_PARAMETERS & set(route.parameters):
            # The other organization's ids in our URLs: refused, and nothing of theirs changes.
            for role in ("customer",) if route.name.startswith("portal:") else ("owner",):
                fuzz_endpoint(
                    clients[role],
                    route.url(slug, theirs),
                    endpoint_forms,
                    run_with=run_with,
                    headers=api_headers(role, ours, theirs) if api else {},
                    examples=REFUSED_EXAMPLES,
                    check=unchanged("theirs", refused=True),
                )
    with capsys.disabled():
        print(f"\nfuzz: {cases} cases on {len(routes)} URLs in {time.monotonic() - started:.0f} s")
    assert not run_with.failures, "\n\n".join(run_with.failures)


def test_a_nul_character_in_a_form_or_query_is_refused_not_a_server_error(alice_client, org_a):
    """Found by the fuzzing above: PostgreSQL text cannot hold NUL, and the tag box sent it to a query."""
    with tenant(org_a):
        person = customer()
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/{person.pk}/tags/add/", {"name": ["Fuzz", "\x00"]}
    )
    assert response.status_code == 400
    assert alice_client.get(f"/app/{org_a.slug}/customers/", {"tag": "1\x00"}).status_code == 400
    with tenant(org_a):
        assert not Tag.objects.exists()


def test_a_guardian_link_with_every_permission_is_saved_and_logged_in_full(alice_client, org_a):
    """Found by the fuzzing above: the activity line naming every permission outgrew its 200 characters."""
    with tenant(org_a):
        parent = customer(first_name="Maximiliana", last_name="Featherstonehaugh-Worthington")
        child = customer(first_name="Bartholomew", last_name="Featherstonehaugh-Worthington")
        link = family_services.link_add(
            guardian=child, dependant=parent, relationship=Relationship.OTHER, by=None
        )
    data = {"relationship": "parent", "is_primary": "on", "permissions": list(GuardianPermission.values)}
    assert alice_client.post(f"/app/{org_a.slug}/families/links/{link.pk}/", data).status_code in (200, 302)
    with tenant(org_a):
        detail = Activity.objects.filter(customer=parent).latest("id").detail
    assert detail.startswith("Guardian link with Bartholomew") and detail.endswith(
        "Receive their notifications"
    )
