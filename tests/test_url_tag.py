"""The project's {% url %} (config/url_tag.py) writes what Django's writes, remembering what it reversed."""

import pytest
from django.template import Context, Engine, engines
from django.urls import NoReverseMatch, get_script_prefix, set_script_prefix

from config.url_tag import _reversed

DJANGOS = Engine()  # no project builtins: Django's own tag
OURS = engines["django"].engine

TEMPLATES = [
    "{% url 'customers:profile' org_slug=slug pk=pk %}",
    "{% url 'customers:profile' slug pk %}",
    "{% url name org_slug=slug %}",
    "{% url 'portal:staff_join' org_slug=slug token=token %}",
    "{% url 'portal:staff_join' org_slug=slug token=token as link %}[{{ link }}]",
    "{% url 'no:such' as missing %}[{{ missing }}]",
    "{% autoescape off %}{% url 'portal:staff_join' org_slug=slug token=token %}{% endautoescape %}",
    "{% url 'customers:profile' org_slug=slug pk=customer %}",  # an object: reversed each time
]


class Customer:
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name


@pytest.mark.parametrize("source", TEMPLATES)
def test_it_writes_what_djangos_tag_writes(source):
    context = {"slug": "alpha", "pk": 7, "name": "customers:roster", "token": "a&b'c"}
    context["customer"] = Customer("9")
    ours = OURS.from_string(source)
    for _ in range(2):  # reversed, then remembered
        assert ours.render(Context(context)) == DJANGOS.from_string(source).render(Context(context))
    # An object's text may change: it is not remembered.
    context["customer"] = Customer("10")
    assert ours.render(Context(context)) == DJANGOS.from_string(source).render(Context(context))


def test_it_remembers_within_the_key_and_nothing_across_it():
    template = OURS.from_string("{% url 'customers:profile' org_slug=slug pk=pk %}")
    assert template.render(Context({"slug": "beta", "pk": 31})) == "/app/beta/customers/31/"
    hits = _reversed.cache_info().hits
    assert template.render(Context({"slug": "beta", "pk": 31})) == "/app/beta/customers/31/"
    assert _reversed.cache_info().hits == hits + 1
    assert template.render(Context({"slug": "beta", "pk": "31"})) == "/app/beta/customers/31/"
    assert template.render(Context({"slug": "beta", "pk": 32})) == "/app/beta/customers/32/"
    with pytest.raises(NoReverseMatch):
        OURS.from_string("{% url 'no:such' %}").render(Context())
    before = get_script_prefix()
    set_script_prefix("/roster/")  # served under a path: the same link, another URL
    try:
        assert template.render(Context({"slug": "beta", "pk": 31})) == "/roster/app/beta/customers/31/"
    finally:
        set_script_prefix(before)
    assert template.render(Context({"slug": "beta", "pk": 31})) == "/app/beta/customers/31/"
