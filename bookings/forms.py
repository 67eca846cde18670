import datetime

from django import forms

from accounts.forms import unique_name
from accounts.money import to_major, to_minor
from billing.forms import money_field
from bookings.models import BookingSettings, PartyPackage, Room, Weekday
from bookings.selectors import organization_zone
from bookings.services import Deposit
from waivers.models import WaiverTemplate

DATE = forms.DateInput(attrs={"type": "date"})
TIME = forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M")


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "guests"]

    def clean_name(self):
        return unique_name(self, "Another room has this name.")


class PartyPackageForm(forms.ModelForm):
    price_amount = money_field("Price")
    deposit_amount = money_field(
        "Deposit", minimum="0", help_text="Paid by card when booking online; 0: booked without paying."
    )
    rooms = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Where this party can be held.",
        error_messages={"required": "Choose at least one room (add rooms first)."},
    )

    waivers = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Waivers needed",
        help_text="Signed for each one who comes (Settings → Waivers); staff see who is missing one.",
    )

    class Meta:
        model = PartyPackage
        fields = ["name", "description", "minutes", "max_guests"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rooms"].queryset = Room.objects.filter(archived_at=None)
        self.fields["waivers"].queryset = WaiverTemplate.objects.filter(archived_at=None)
        if self.instance.pk:
            self.initial["waivers"] = list(self.instance.waivers.all())
            self.initial["price_amount"] = to_major(self.instance.price)
            self.initial["deposit_amount"] = to_major(self.instance.deposit)
            self.initial["rooms"] = list(self.instance.rooms.all())
        self.order_fields(["name", "description", "minutes", "max_guests", "price_amount", "deposit_amount"])

    def clean_name(self):
        return unique_name(self, "Another party package has this name.")

    def clean(self):
        data = super().clean()
        price, deposit = data.get("price_amount"), data.get("deposit_amount")
        if price is not None and deposit is not None and deposit > price:
            self.add_error("deposit_amount", "The deposit cannot be more than the price.")
        return data

    def save(self, commit=False):
        package = super().save(commit=False)
        package.price = to_minor(self.cleaned_data["price_amount"])
        package.deposit = to_minor(self.cleaned_data["deposit_amount"])
        return package


class BookingSettingsForm(forms.ModelForm):
    """The booking rules and, for each day of the week, its opening hours (both empty: closed)."""

    class Meta:
        model = BookingSettings
        fields = ["slot_minutes", "buffer_minutes", "hold_minutes", "days_ahead", "cancel_hours"]

    def __init__(self, *args, hours: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for weekday, label in Weekday.choices:
            row = hours.get(weekday)
            self.fields[f"opens_{weekday}"] = forms.TimeField(
                label=f"{label} opens", required=False, widget=TIME, initial=row.opens if row else None
            )
            self.fields[f"closes_{weekday}"] = forms.TimeField(
                label=f"{label} closes", required=False, widget=TIME, initial=row.closes if row else None
            )

    def day_fields(self):
        return [(label, self[f"opens_{day}"], self[f"closes_{day}"]) for day, label in Weekday.choices]

    def clean(self):
        data = super().clean()
        self.hours = {}
        for weekday, label in Weekday.choices:
            opens, closes = data.get(f"opens_{weekday}"), data.get(f"closes_{weekday}")
            if opens is None and closes is None:
                self.hours[weekday] = None
            elif opens is None or closes is None or opens >= closes:
                self.add_error(f"closes_{weekday}", f"Give {label} an opening time before its closing time.")
            else:
                self.hours[weekday] = (opens, closes)
        return data


class BlackoutForm(forms.Form):
    date = forms.DateField(label="Closed on", widget=DATE)
    reason = forms.CharField(max_length=120, required=False, help_text="For staff, e.g. Thanksgiving.")


def _moment(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time, organization_zone())


class WhenForm(forms.Form):
    """A room, a day and a start time, in the organization's time zone."""

    room = forms.ModelChoiceField(queryset=None, empty_label=None)
    date = forms.DateField(widget=DATE)
    time = forms.TimeField(label="Starts at", widget=TIME)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(archived_at=None)

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("time"):
            data["starts_at"] = _moment(data["date"], data["time"])
        return data


class BookingCreateForm(WhenForm):
    """A party booked at the desk for a customer, paid by them or a guardian."""

    package = forms.ModelChoiceField(label="Party package", queryset=None, empty_label=None)
    booked_by = forms.TypedChoiceField(label="Booked and paid by", coerce=int)
    guests = forms.IntegerField(min_value=1, max_value=1000)
    note = forms.CharField(max_length=500, required=False, help_text="Allergies, cake, theme…")

    def __init__(self, *args, payers: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = PartyPackage.objects.filter(archived_at=None)
        self.payers = {person.pk: person for person in payers}
        self.fields["booked_by"].choices = [(pk, person.full_name) for pk, person in self.payers.items()]
        self.order_fields(["package", "room", "date", "time", "guests", "booked_by", "note"])

    def clean_booked_by(self):
        return self.payers[self.cleaned_data["booked_by"]]


class MoveForm(WhenForm):
    pass


class CancelForm(forms.Form):
    reason = forms.CharField(label="Why is it cancelled?", max_length=300)
    deposit = forms.ChoiceField(
        label="The deposit", choices=Deposit.CHOICES, initial=Deposit.REFUND, widget=forms.RadioSelect
    )


class CheckInForm(forms.Form):
    guests_arrived = forms.IntegerField(label="Guests who came", min_value=0, max_value=1000)


NEW_CHILD = 0


class OnlineBookingForm(forms.Form):
    """Online: whose party (the customer, a child they may book for, or a new child), how many guests."""

    for_whom = forms.TypedChoiceField(label="Whose party is it?", coerce=int, widget=forms.RadioSelect)
    guests = forms.IntegerField(label="How many guests?", min_value=1, max_value=1000)
    note = forms.CharField(
        label="Anything we should know?", max_length=500, required=False, help_text="Allergies, theme, cake…"
    )

    def __init__(self, *args, people: list, max_guests: int, **kwargs):
        super().__init__(*args, **kwargs)
        booker = people[0]
        self.people = {person.pk: person for person in people}
        self.fields["for_whom"].choices = [
            *(
                (pk, f"Me ({person.full_name})" if pk == booker.pk else person.full_name)
                for pk, person in self.people.items()
            ),
            (NEW_CHILD, "A child not listed yet"),
        ]
        self.fields["for_whom"].initial = people[1].pk if len(people) > 1 else NEW_CHILD
        self.fields["guests"].max_value = max_guests
        self.fields["guests"].widget.attrs["max"] = max_guests
        self.fields["guests"].help_text = f"Up to {max_guests}."

    def clean_guests(self):
        guests = self.cleaned_data["guests"]
        if guests > self.fields["guests"].max_value:
            raise forms.ValidationError(f"This party is for up to {self.fields['guests'].max_value} guests.")
        return guests
