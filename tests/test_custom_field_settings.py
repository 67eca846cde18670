"""Custom field settings: admins define fields and their options (staff may not), retire, restore and
reorder them, and each gets its row in the required fields grid."""

from accounts.tenancy import tenant
from customers import services
from customers.fields import customer_fields
from customers.models import CustomField
from tests.custom_field_helpers import BASE, SETTINGS, edit_url
from tests.factories import customer


def test_grid_gets_a_row_per_custom_field_and_locks_staff_only_ones_online(alice_client, org_a, fields):
    grid = alice_client.get(f"/app/{org_a.slug}/settings/required-fields/").text
    assert 'aria-label="Allergies, Online Booking, Required"' in grid
    assert 'aria-label="T-shirt size, Online Booking, Required"' not in grid
    assert "Staff-only field" in grid
    response = alice_client.post(
        f"/app/{org_a.slug}/settings/required-fields/",
        {f"rule:{fields['size'].name}:online_store": "required"},
    )
    assert "Nothing was saved." in response.text
    alice_client.post(
        f"/app/{org_a.slug}/settings/required-fields/", {f"rule:{fields['size'].name}:staff": "required"}
    )
    with tenant(org_a):
        jane = customer()
    response = alice_client.post(edit_url(org_a, jane.pk), BASE)
    assert "This field is required." in response.text


def test_retired_fields_disappear_and_keep_their_values(alice_client, org_a, fields):
    with tenant(org_a):
        jane = customer()
        services.customer_update(customer=jane, data={fields["allergies"].name: "Peanuts"}, by=None)
    settings = SETTINGS.format(slug=org_a.slug)
    alice_client.post(f"{settings}{fields['allergies'].pk}/retire/")
    profile = f"/app/{org_a.slug}/customers/{jane.pk}/"
    assert "Peanuts" not in alice_client.get(profile).text
    assert "Allergies" in alice_client.get(settings).text  # listed as retired
    alice_client.post(edit_url(org_a, jane.pk), BASE | {"city": "Provo"})  # saving the form keeps it
    alice_client.post(f"{settings}{fields['allergies'].pk}/restore/")
    assert "Peanuts" in alice_client.get(profile).text


def test_admins_define_fields_with_options_and_staff_may_not(alice_client, carol_client, org_a):
    settings = SETTINGS.format(slug=org_a.slug)
    assert "No custom fields yet" in alice_client.get(settings).text
    data = {
        "label": "Favourite colour",
        "type": "choice",
        "scope": "person",
        "visible_to": ["staff", "customer"],
        "editable_by": ["staff", "customer"],
        "key": "favourite-colour",
        "options-TOTAL_FORMS": "3",
        "options-INITIAL_FORMS": "0",
        "options-0-label": "Red",
        "options-1-label": "Blue",
        "options-2-label": "",
    }
    response = alice_client.post(f"{settings}new/", data)
    assert response.status_code == 302, response.text
    with tenant(org_a):
        field = CustomField.objects.get()
        assert field.key == "favourite_colour"
        assert field.visible_to == ["owner", "staff", "customer"]  # owners always
        assert [o.label for o in field.options.all()] == ["Red", "Blue"]
        red, blue = field.options.all()
    assert carol_client.get(settings).status_code == 403
    assert carol_client.post(f"{settings}new/", data).status_code == 403
    # Roster scope cannot be shown to the customer; editors must see it.
    bad = data | {"scope": "roster", "label": "Other"}
    assert "staff only" in alice_client.post(f"{settings}new/", bad).text
    bad = data | {"visible_to": ["staff"], "editable_by": ["staff", "customer"], "label": "Other"}
    assert "must also be able to see it" in alice_client.post(f"{settings}new/", bad).text
    # An option in use cannot be deleted, only retired; reordering by position.
    with tenant(org_a):
        jane = customer()
        services.customer_update(customer=jane, data={field.name: red.pk}, by=None)
    edit = data | {
        "options-TOTAL_FORMS": "2",
        "options-INITIAL_FORMS": "2",
        "options-0-id": red.pk,
        "options-0-label": "Red",
        "options-0-position": "1",
        "options-0-DELETE": "on",
        "options-1-id": blue.pk,
        "options-1-label": "Blue",
        "options-1-position": "0",
    }
    assert (
        "is chosen by 1: retire it instead of deleting."
        in alice_client.post(f"{settings}{field.pk}/", edit).text
    )
    edit.pop("options-0-DELETE")
    edit["options-0-retired"] = "on"
    assert alice_client.post(f"{settings}{field.pk}/", edit).status_code == 302
    with tenant(org_a):
        assert [(o.label, o.retired_at is not None) for o in field.options.all()] == [
            ("Blue", False),
            ("Red", True),
        ]
    form = alice_client.get(edit_url(org_a, jane.pk)).text
    assert ">Red</option>" in form  # still offered to the one who has it
    with tenant(org_a):
        other = customer(first_name="Otto")
    assert ">Red</option>" not in alice_client.get(edit_url(org_a, other.pk)).text


def test_fields_reorder_everywhere(alice_client, org_a, fields):
    settings = SETTINGS.format(slug=org_a.slug)
    with tenant(org_a):
        order = [field.custom.pk for field in customer_fields() if field.custom]
    moved = order[:]
    moved.remove(fields["visits"].pk)
    moved.insert(0, fields["visits"].pk)  # as a drag to the top posts it
    alice_client.post(settings, {"field": moved}, headers={"HX-Request": "true"})
    alice_client.post(settings, {"field": moved, "move": f"{fields['allergies'].pk}:up"})  # the keyboard way
    with tenant(org_a):
        names = [field.label for field in customer_fields() if field.custom]
    assert names[:3] == ["Visits", "Allergies", "T-shirt size"]
    with tenant(org_a):
        jane = customer()
    form = alice_client.get(edit_url(org_a, jane.pk)).text
    assert form.index("Visits") < form.index("Allergies") < form.index("T-shirt size")
