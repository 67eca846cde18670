"""The roster's filter panel is drawn in Python (customers/plain_widgets.py): the same markup Django's widget
templates write, for every kind of filter, selected values and user text included."""

from django.forms.renderers import DjangoTemplates
from django.http import QueryDict

from accounts.tenancy import tenant
from customers.filters import CustomerFilter
from customers.models import Customer, FieldType
from customers.plain_widgets import PlainWidgets
from tags.models import Tag
from tests.custom_field_helpers import make_field, option_id


def test_panel_widgets_match_djangos_templates(org_a, alice_client):
    with tenant(org_a):
        sizes = make_field('<b>Size</b> "x"', FieldType.CHOICE, options=["S & M", "<i>L</i>"])
        make_field("Member", FieldType.YES_NO)
        make_field("Joined", FieldType.DATE)
        make_field("Visits", FieldType.NUMBER)
        make_field("Notes", FieldType.TEXT)
        vip = Tag.objects.create(name="<VIP>")
        params = QueryDict(mutable=True)
        params.setlist(f"cf_{sizes.pk}", [str(option_id(sizes, "S & M"))])
        params.update({"tag": str(vip.pk), "created_after": "2025-01-02", "has_email": "true"})
        params.update({"status": "all", "birthday_month": "3", "letter": "s"})
        panels = [CustomerFilter(params, queryset=Customer.objects.all(), audience="owner") for _ in "ab"]
        plain, django = (panel.form for panel in panels)
        django.renderer = DjangoTemplates()
        assert isinstance(plain.renderer, PlainWidgets)
        assert len(plain.fields) >= 15
        for name in plain.fields:
            assert str(plain[name]) == str(django[name]), name
            for ours, theirs in zip(plain[name], django[name], strict=True):
                assert ours.tag() == theirs.tag(), name
    assert "&lt;b&gt;Size" in str(plain[f"cf_{sizes.pk}"].label) or "<b>" not in str(plain[f"cf_{sizes.pk}"])
    assert "checked" in str(plain["tag"]) and "&lt;VIP&gt;" in str(plain["tag"])
