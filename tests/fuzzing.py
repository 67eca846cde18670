"""Helpers of the fuzz test (tests/test_fuzz.py): two small organizations built by the demo loaders, every
URL of the resolver filled with real ids, the forms each page offers, generated values, and a fingerprint of
an organization's rows to prove a request left them alone."""

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import Membership, Organization, Role, User
from accounts.tenancy import tenant
from api.services import key_create
from customers import services as customer_services
from customers.demo import demo_custom_fields, demo_customers
from customers.intake import intake_submit
from customers.models import (
    BulkOperation,
    Customer,
    CustomField,
    IntakeForm,
    PendingChange,
    Segment,
)
from families import services as family_services
from families.demo import demo_families
from families.models import AffiliatedOrganization, Affiliation, Relationship
from imports.demo import demo_import
from imports.models import ImportJob
from metrics.demo import demo_metrics
from metrics.models import Metric, MetricEntry
from notes import services as note_services
from notes.demo import demo_notes
from notes.models import Visibility
from portal import services as portal_services
from tags import services as tag_services
from tags.demo import demo_tags
from tags.models import Tag
from tests.conftest import make_member, make_user
from tests.test_tenant_wall import tenant_models

# Markup a tenant or a visitor may type; the raw marker must never reach an HTML page unescaped.
MARKUP = {
    '<b id="fz">x</b>': '<b id="fz">',
    '<span hx-post="/fz" hx-trigger="load">': '<span hx-post="/fz"',
    '<meta http-equiv="refresh" content="0;url=/fz">': '<meta http-equiv="refresh" content="0;url=/fz">',
    '"><img src=x id=fz>': "<img src=x id=fz>",
    "javascript:fz()": 'href="javascript:fz',
}


def unescaped_markup(html: str) -> list[str]:
    return [marker for marker in MARKUP.values() if marker in html]


# ---------------------------------------------------------------------------------------------- the world


@dataclass
class World:
    organization: Organization
    ids: dict[str, int | str]  # a row of every kind (and links with their tokens), by what it is
    users: dict[str, User]  # by role: owner, admin, staff, and the customer with a portal login
    emails: list[str]
    api_secret: str


def build_world(organization: Organization, owner, *, seed: int, prefix: str) -> World:
    """A small organization with a row of every kind, built by the demo's loaders and the services."""
    staff = make_member(organization, Role.STAFF, f"staff@{prefix}.example")
    admin = make_member(organization, Role.ADMIN, f"admin@{prefix}.example")
    portal_user = make_user(f"pat@{prefix}.example")
    with tenant(organization):
        customers = Customer.objects.bulk_create(demo_customers(count=24, seed=seed))
        demo_custom_fields(customers, seed=seed)
        demo_families(customers, seed=seed)
        demo_tags(customers, seed=seed)
        demo_notes(customers, [owner, staff], seed=seed)
        demo_metrics(customers, seed=seed)
        demo_import(by=owner)
        pat = customer_services.customer_create(
            data={"first_name": "Pat", "last_name": "Fuzz", "email": f"pat@{prefix}.example"}, by=owner
        )
        Customer.objects.filter(pk=pat.pk).update(user=portal_user)
        kid = customer_services.customer_create(data={"first_name": "Kid", "last_name": "Fuzz"}, by=owner)
        link = family_services.link_add(
            guardian=pat, dependant=kid, relationship=Relationship.PARENT, by=None
        )
        invited = customer_services.customer_create(
            data={"first_name": "Ivy", "last_name": "Fuzz", "email": f"ivy@{prefix}.example"}, by=owner
        )
        claim = portal_services.invite_send(customer=invited, by=owner)
        owner_membership = Membership.objects.get(user=owner)
        invitation = account_services.staff_invite(
            email=f"invitee@{prefix}.example", role=Role.STAFF, by=owner_membership
        )
        main = next(person for person in customers if person.email)
        intake = IntakeForm.objects.get()
        intake_submit(intake=intake, data={"email": main.email, "first_name": "Changed", "last_name": "Fuzz"})
        note = note_services.note_add(
            customer=main, text="Fuzz note", visibility=Visibility.STAFF, pinned=True, by=owner
        )
        tag = Tag.objects.order_by("pk").first()
        tag_services.tag_add(customer=main, tag=tag, by=owner)
        segment = Segment.objects.create(name="Fuzz segment", query="q=a", owner=owner)
        bulk = BulkOperation.objects.create(
            action=BulkOperation.Action.ARCHIVE, customer_ids=[customers[-1].pk], total=1, created_by=owner
        )
        api_key, secret = key_create(name="Fuzz", scopes=["imports"], by=owner)
        ids = {
            "customer": main.pk,
            "change": PendingChange.objects.get(customer=main, field="first_name").pk,
            "note": note.pk,
            "tag": tag.pk,
            "custom_field": CustomField.objects.order_by("pk").first().pk,
            "intake_form": intake.pk,
            "form_slug": intake.slug,
            "membership": Membership.objects.get(user=staff).pk,
            "invitation": invitation.pk,
            "staff_token": account_services.staff_invitation_issue_token(invitation=invitation),
            "claim_token": portal_services.invite_issue_token(invite=claim, reminder=False),
            "segment": segment.pk,
            "bulk": bulk.pk,
            "link": link.pk,
            "dependant": kid.pk,
            "affiliation": Affiliation.objects.order_by("pk").first().pk,
            "affiliated": AffiliatedOrganization.objects.order_by("pk").first().pk,
            "import_job": ImportJob.objects.order_by("pk").first().pk,
            "api_key": api_key.pk,
            "metric": Metric.objects.order_by("pk").first().pk,
            "metric_entry": MetricEntry.objects.order_by("pk").first().pk,
            "uidb64": urlsafe_base64_encode(force_bytes(portal_user.pk)),
            "reset_token": default_token_generator.make_token(portal_user),
        }
    return World(
        organization,
        ids,
        users={"owner": owner, "admin": admin, "staff": staff, "customer": portal_user},
        emails=[owner.email, admin.email, staff.email, portal_user.email, invited.email],
        api_secret=secret,
    )


# ------------------------------------------------------------------------------------------------ the URLs

# Which object of the world fills each path parameter, by URL name (default: the customer for `pk`).
PARAMETERS = {
    "staff:membership_role": {"pk": "membership"},
    "staff:membership_remove": {"pk": "membership"},
    "staff:invitation_resend": {"pk": "invitation"},
    "staff:invitation_revoke": {"pk": "invitation"},
    "portal:staff_join": {"token": "staff_token"},
    "portal:claim": {"token": "claim_token"},
    "portal:family_member": {"pk": "dependant"},
    "portal:intake_form": {"form_slug": "form_slug"},
    "portal:intake_thanks": {"form_slug": "form_slug"},
    "accounts:password_reset_confirm": {"uidb64": "uidb64", "token": "reset_token"},
    "customers:bulk_progress": {"pk": "bulk"},
    "customers:segment_count": {"pk": "segment"},
    "customers:segment_delete": {"pk": "segment"},
    "customer_settings:custom_field_edit": {"pk": "custom_field"},
    "customer_settings:custom_field_retire": {"pk": "custom_field"},
    "customer_settings:custom_field_restore": {"pk": "custom_field"},
    "customer_settings:intake_form_edit": {"pk": "intake_form"},
    "families:link_edit": {"pk": "link"},
    "families:link_remove": {"pk": "link"},
    "families:affiliation_remove": {"pk": "affiliation"},
    "families:organization": {"pk": "affiliated"},
    "tag_settings:edit": {"pk": "tag"},
    "tag_settings:merge": {"pk": "tag"},
    "tag_settings:delete": {"pk": "tag"},
    "api_keys:revoke": {"pk": "api_key"},
    "metric_settings:edit": {"pk": "metric"},
    "metric_settings:archive": {"pk": "metric"},
    "metric_settings:restore": {"pk": "metric"},
    "profile_metrics:correct": {"pk": "metric_entry"},
    "metrics:report": {"pk": "metric"},
    "metrics:distribution_csv": {"pk": "metric"},
    "metrics:trend_csv": {"pk": "metric"},
    "metrics:values_csv": {"pk": "metric"},
}
NAMESPACE_PK = {"imports": "import_job"}
COMMON = {
    "note_pk": "note",
    "tag_pk": "tag",
    "change_pk": "change",
    "job_id": "import_job",
    "pk": "customer",
    "uidb64": "uidb64",
    "token": "claim_token",  # a link of another kind must be refused like an unknown one
}
FIXED = {"file_format": "csv", "channel_slug": "booking"}
SKIPPED = {"admin"}  # the platform admin is Django's own, for superusers only


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    parameters: tuple[str, ...]

    def url(self, slug: str, world: World) -> str:
        def value(match):
            parameter = match.group(1)
            if parameter == "org_slug":
                return slug
            if parameter in FIXED:
                return FIXED[parameter]
            namespace = self.name.split(":")[0]
            key = (
                PARAMETERS.get(self.name, {}).get(parameter)
                or (parameter == "pk" and NAMESPACE_PK.get(namespace))
                or COMMON.get(parameter)
            )
            assert key, f"{self.name}: say in tests/fuzzing.py which object fills <{parameter}>"
            return str(world.ids[key])

        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, self.route)


def routes() -> list[Route]:
    """Every URL of the resolver with its namespaced name (regex patterns of Django's admin left out)."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                if pattern.namespace not in SKIPPED:
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
                yield Route(route, name, tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)))

    return list(walk(get_resolver().url_patterns, "", ""))


# ----------------------------------------------------------------------------------------------- the forms


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name → values the page offers
    kinds: dict[str, str] = field(default_factory=dict)  # name → input type, "select" or "textarea"
    files: set[str] = field(default_factory=set)


class FormParser(HTMLParser):
    """The forms of a page: action (or hx-post / hx-get), method, and every named control with the
    values the page offers for it (options, checkbox values, current text)."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.by_id: dict[str, Form] = {}
        self.current: Form | None = None
        self.controls: list[tuple] = []  # (form id, name, value, kind, enclosing form), resolved at close
        self.select: str | None = None  # the open <select> or <textarea> and the form it names
        self.textarea: str | None = None
        self.owner: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form":
            action = attrs.get("hx-post") or attrs.get("hx-get") or attrs.get("action") or self.page_url
            posts = "hx-post" in attrs or (
                "hx-get" not in attrs and attrs.get("method", "").lower() == "post"
            )
            method = "post" if posts else "get"
            self.current = Form(urlsplit(action).path or self.page_url, method)
            self.forms.append(self.current)
            if attrs.get("id"):
                self.by_id[attrs["id"]] = self.current
            return
        name = attrs.get("name")
        if tag in ("input", "select", "textarea", "button") and name and name != "csrfmiddlewaretoken":
            kind = attrs.get("type", "text").lower()
            value = attrs.get("value", "on" if kind in ("checkbox", "radio") else "")
            kind = tag if tag in ("select", "textarea") else kind
            self._add(attrs.get("form"), name, None if kind == "file" else value, kind)
            self.select = name if tag == "select" else None
            self.textarea = name if tag == "textarea" else None
            self.owner = attrs.get("form")
        elif tag == "option" and self.select:
            self._add(self.owner, self.select, attrs.get("value", ""), "select")

    def handle_data(self, data):
        if self.textarea:
            self._add(self.owner, self.textarea, data, "textarea")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag in ("select", "textarea"):
            self.select = self.textarea = None

    def _add(self, form_id, name, value, kind):
        self.controls.append((form_id, name, value, kind, self.current))

    def close(self):
        super().close()
        for form_id, name, value, kind, current in self.controls:
            form = self.by_id.get(form_id) if form_id else current
            if form is None:
                continue
            form.kinds.setdefault(name, kind)
            if value is None:
                form.files.add(name)
                continue
            values = form.fields.setdefault(name, [])
            if value not in values:
                values.append(value)


def page_forms(url: str, html: str) -> list[Form]:
    parser = FormParser(url)
    parser.feed(html)
    parser.close()
    return parser.forms


def endpoint_forms(route: Route, url: str, forms: dict[str, list[Form]]) -> list[Form]:
    """The forms that send to `url`; an endpoint no page has a form for gets bare GET and POST requests
    (the JSON API gets JSON bodies) with generated keys."""
    if route.name.startswith("api:"):
        return [Form(url, "json"), Form(url, "get")]
    return forms.get(url) or [Form(url, "post"), Form(url, "get")]


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("fuzz.csv", content, content_type="text/csv")


def id_pool(*worlds: World) -> list[str]:
    """Ids, tokens and emails of both organizations: what a form must refuse when they are not its own."""
    return sorted(
        {str(value) for world in worlds for value in world.ids.values()}
        | {email for world in worlds for email in world.emails}
    )


# ------------------------------------------------------------------------------------- generated values

LONG = st.sampled_from([1_000, 10_000, 100_000]).map(lambda size: "Ω" * size)
CONTROL = st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x1F), min_size=1, max_size=4)
ODD_NUMBERS = st.sampled_from(
    ["-1", "0", "1e309", "NaN", "inf", "-0", "99999999999999999999", "1.5", "0x10", "٣", "１２"]
)
ODD_DATES = st.sampled_from(["2024-02-30", "0001-01-01", "9999-12-31", "31/12/2020", "2020-13-01", "today"])


def text_values(extra: list[str]) -> st.SearchStrategy[str]:
    """Text a person (or a script) may type: anything unicode, control characters with NUL, markup, very
    long text, numbers and dates that don't parse, and ids or emails of either organization."""
    return st.one_of(
        st.text(max_size=20),
        CONTROL.map(lambda chars: f"a{chars}b"),
        st.just("\x00"),
        st.sampled_from(list(MARKUP)),
        LONG,
        ODD_NUMBERS,
        ODD_DATES,
        st.sampled_from(extra),
    )


TYPED = {
    "email": "fuzz@example.com",
    "date": "2015-06-01",
    "number": "3",
    "tel": "312-555-0100",
    "phone": "312-555-0100",
    "password": "Correct-horse-battery-9",
    "url": "https://example.com/",
}
HONEYPOTS = {"website"}  # the intake form's trap for bots: a person leaves it empty
STRAY_KEYS = st.sampled_from(["x", "id", "pk", "organization", "organization_id", "role", "\x00"])
CSV_FILES = st.sampled_from(
    [
        b"first_name,last_name,email\nAna,Lee,ana@example.com\n",
        b'<b id="fz">x</b>,last_name\n<span hx-post="/fz" hx-trigger="load">,Lee\n',
        b"\xff\xfe\x00\x00garbage",
        b"",
    ]
)


def plausible(form: Form, name: str) -> st.SearchStrategy:
    """What a person filling the form in would send: a value the page offers (the current text, an
    option), or a typical value for the input's type; several boxes of a checkbox group."""
    offered = [value for value in form.fields[name] if value.strip()]
    kind = form.kinds.get(name, "text")
    if name in HONEYPOTS:
        return st.just("")
    kind = next((typed for typed in ("email", "phone") if typed in name), kind)
    if kind == "checkbox" and len(offered) > 1:
        return st.lists(st.sampled_from(offered), unique=True)
    if offered:
        return st.sampled_from(offered)
    return st.just(TYPED.get(kind, "Fuzz"))


@st.composite
def form_data(draw, form: Form, extra: list[str]) -> dict:
    """A plausible submission of the form with a few controls given generated values, a few left out,
    one repeated, and stray keys; files are a small CSV (with markup in it), bytes or text."""
    data = {name: draw(plausible(form, name)) for name in sorted(form.fields)}
    if data:
        names = st.sampled_from(sorted(data))
        for name in draw(st.sets(names, max_size=3)):
            data[name] = draw(text_values(extra))
        for name in draw(st.sets(names, max_size=2)):
            del data[name]
        for name in draw(st.sets(names, max_size=1)):
            data[name] = [data.get(name, ""), draw(text_values(extra))]
    data |= draw(st.dictionaries(STRAY_KEYS, text_values(extra), max_size=2))
    for name in sorted(form.files):
        data[name] = draw(st.one_of(CSV_FILES, st.binary(max_size=100), text_values(extra)))
    return data


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    text_values(["x@example.com"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
)
CUSTOMER_KEYS = ["first_name", "last_name", "email", "phone", "birthday", "tags", "note", "marketing_opt_in"]
JSON_BODIES = st.one_of(
    st.lists(st.dictionaries(st.sampled_from(CUSTOMER_KEYS) | st.text(max_size=8), JSON_VALUES, max_size=6)),
    JSON_VALUES,
)


# ------------------------------------------------------------------------------------------- fingerprints


def fingerprint(world: World) -> str:
    """A digest of every row the organization owns, its own row and its people's logins."""
    digest = "md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), ''))"
    tables = [model._meta.db_table for model in tenant_models()]
    query = " UNION ALL ".join(
        [f"SELECT '{table}', {digest} FROM \"{table}\" t" for table in tables]  # noqa: S608 (our own names)
        + [
            f"SELECT 'users', {digest} FROM accounts_user t WHERE id = ANY(%s)",  # noqa: S608
            f"SELECT 'organization', {digest} FROM accounts_organization t WHERE id = %s",  # noqa: S608
        ]
    )
    with tenant(world.organization), connection.cursor() as cursor:
        cursor.execute(query, [[user.pk for user in world.users.values()], world.organization.pk])
        rows = sorted(cursor.fetchall())
    return hashlib.md5(repr(rows).encode(), usedforsecurity=False).hexdigest()


def cache_forget() -> None:
    """Drop the application's cached entries (rate counters, field registries): the example's rows were
    rolled back, so must be what it cached. Sessions (another key prefix) stay."""
    client = cache._cache.get_client(None, write=True)
    keys = list(client.scan_iter(match=":*"))
    if keys:
        client.delete(*keys)
