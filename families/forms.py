from django import forms

from customers.forms import CustomerForm
from customers.models import Customer
from customers.rules import Channel, channel_rules
from families.models import (
    AffiliatedOrganization,
    Affiliation,
    AffiliationRole,
    GuardianLink,
    GuardianPermission,
    Relationship,
)

# A guest family member is asked only for these, each as the Staff Portal column says (names are always
# required). What else the Staff Portal requires (email, phone…) is not asked of a guest: the profile asks
# for it the first time someone edits the guest's full details.
GUEST_FIELDS = ("first_name", "last_name", "birthday", "gender")


def guest_form(data=None, *, audience: str, initial=None) -> CustomerForm:
    staff = channel_rules(Channel.STAFF)
    rules = {name: staff[name] for name in GUEST_FIELDS}
    return CustomerForm(data, audience=audience, rules=rules, prefix="guest", initial=initial)


class LinkForm(forms.Form):
    """Who the new person is to this customer, and whether they are someone already on the roster."""

    direction = forms.ChoiceField(
        choices=[("dependant", "Someone they look after"), ("guardian", "A guardian of theirs")],
        widget=forms.RadioSelect,
        initial="dependant",
        label="Add",
    )
    mode = forms.ChoiceField(
        choices=[("new", "New guest member (name and birthday only)"), ("existing", "Someone on the roster")],
        widget=forms.RadioSelect,
        initial="new",
        label="Who",
    )
    person = forms.ModelChoiceField(queryset=Customer.objects.unscoped().none(), required=False)
    relationship = forms.ChoiceField(choices=Relationship.choices, initial=Relationship.PARENT)
    is_primary = forms.BooleanField(required=False, label="Primary guardian")

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Customer.objects.exclude(pk=customer.pk)

    def clean(self):
        data = super().clean()
        if data.get("mode") == "existing" and not data.get("person"):
            self.add_error("person", "Search for the person and choose them.")
        if data.get("mode") == "new" and data.get("direction") == "guardian":
            self.add_error("mode", "A guardian is someone on the roster: search for them, or add them first.")
        return data


class LinkEditForm(forms.ModelForm):
    permissions = forms.MultipleChoiceField(
        choices=GuardianPermission.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="This guardian may",
    )

    class Meta:
        model = GuardianLink
        fields = ["relationship", "is_primary", "permissions"]


class AffiliatedOrganizationForm(forms.ModelForm):
    class Meta:
        model = AffiliatedOrganization
        fields = ["name", "kind", "contact_name", "email", "phone", "address", "notes"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2}), "notes": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if AffiliatedOrganization.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("There is already an organization with this name.")
        return name


class AffiliationForm(forms.ModelForm):
    affiliated = forms.ModelChoiceField(
        queryset=AffiliatedOrganization.objects.unscoped().none(), label="Organization"
    )

    class Meta:
        model = Affiliation
        fields = ["affiliated", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affiliated"].queryset = AffiliatedOrganization.objects.order_by("name")
        self.fields["role"].choices = AffiliationRole.choices
