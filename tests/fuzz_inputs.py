"""The fuzz test's input (tests/test_fuzz.py): the forms each page offers, generated values to fill them
with, and the markup that must never reach a page unescaped."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

from tests.fuzz_routes import Route

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
