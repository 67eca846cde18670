"""Forms of classes: a course's settings, a recurring schedule, and registering at the desk or online."""

from django import forms
from django.utils import timezone

from accounts.forms import unique_name
from accounts.money import to_major, to_minor
from billing.forms import money_field
from billing.models import Package, PackageKind, Visibility
from bookings.class_services import MAX_WEEKS
from bookings.models import Course, PaidWith, Room, Weekday
from customers.models import Customer
from waivers.models import WaiverTemplate


class CourseForm(forms.ModelForm):
    """A course; the drop-in price is typed in major units (12.50) and kept in minor units."""

    price_amount = money_field(
        "Drop-in price (paid with credit)",
        minimum="0",
        required=False,
        help_text="One session paid from the customer's credit. Empty: sessions are not paid with credit.",
        min_value="A price can't be negative.",
    )
    room = forms.ModelChoiceField(queryset=None, required=False, empty_label="No room")
    term_package = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Not sold by the term",
        label="Term package",
        help_text="Buying it in the online store registers for every session still to come. "
        "Give it the same capacity as the class.",
    )
    passes = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Class passes accepted",
        help_text="A registration with a pass takes one visit, punched when the customer checks in.",
    )

    waivers = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Waivers needed",
        help_text="Signed for each one who comes (Settings → Waivers); staff see who is missing one.",
    )

    class Meta:
        model = Course
        fields = [
            "name",
            "description",
            "instructor",
            "room",
            "capacity",
            "min_age",
            "max_age",
            "term_package",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"capacity": "Places in each session."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(archived_at=None)
        self.fields["passes"].queryset = Package.objects.filter(kind=PackageKind.CLASS_PASS, archived_at=None)
        self.fields["term_package"].queryset = Package.objects.filter(
            kind=PackageKind.ONE_TIME, archived_at=None
        ).exclude(visibility=Visibility.BOOKING)
        self.fields["waivers"].queryset = WaiverTemplate.objects.filter(archived_at=None)
        if self.instance.pk:
            self.initial["passes"] = list(self.instance.passes.all())
            self.initial["waivers"] = list(self.instance.waivers.all())
            if self.instance.session_price is not None:
                self.initial["price_amount"] = to_major(self.instance.session_price)
        self.order_fields(["name", "description", "instructor", "room", "capacity", "min_age", "max_age"])

    def clean_name(self):
        return unique_name(self, "Another class has this name (archived ones included).")

    def clean(self):
        data = super().clean()
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", "The oldest age can't be under the youngest.")
        return data

    def save(self, commit=True):
        course = super().save(commit=False)
        amount = self.cleaned_data.get("price_amount")
        course.session_price = None if amount is None else to_minor(amount)
        return course


class ScheduleForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple, label="On"
    )
    starts = forms.TimeField(
        label="Starts at", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    minutes = forms.IntegerField(label="Minutes", min_value=5, max_value=24 * 60, initial=60)
    first_date = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    weeks = forms.IntegerField(label="Weeks", min_value=1, max_value=MAX_WEEKS, initial=8)

    def clean_first_date(self):
        first = self.cleaned_data["first_date"]
        if first < timezone.localdate():
            raise forms.ValidationError("Start from today or later.")
        return first


STAFF_PAYMENTS = [
    (PaidWith.PASS, "Class pass"),
    (PaidWith.CREDIT, "Credit"),
    (PaidWith.DESK, "Pay on arrival"),
]


class StaffRegisterForm(forms.Form):
    """At the desk: the customer picked from a search, and how the place is paid."""

    customer = forms.ModelChoiceField(
        queryset=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Find the customer and pick them.", "invalid_choice": "Pick a customer."},
    )
    paid_with = forms.ChoiceField(
        choices=STAFF_PAYMENTS,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=PaidWith.PASS,
        label="Paid with",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(archived_at=None)


class PortalRegisterForm(forms.Form):
    """Online: for whom (themselves or someone they may book for), and a pass they hold or credit."""

    for_whom = forms.TypedChoiceField(coerce=int, label="Who is coming")
    paid_with = forms.ChoiceField(
        choices=[(PaidWith.PASS, "A class pass"), (PaidWith.CREDIT, "My credit")],
        widget=forms.RadioSelect,
        label="Pay with",
    )

    def __init__(self, *args, people: list[Customer], credit: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not credit:  # the course takes no drop-ins paid with credit
            self.fields["paid_with"].choices = self.fields["paid_with"].choices[:1]
        self.fields["paid_with"].initial = PaidWith.PASS
        self.people = {person.pk: person for person in people}
        self.fields["for_whom"].choices = [
            (person.pk, "Me" if index == 0 else person.full_name) for index, person in enumerate(people)
        ]

    def clean_for_whom(self):
        return self.people[self.cleaned_data["for_whom"]]
