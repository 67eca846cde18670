import uuid
from decimal import Decimal

from django import forms

from accounts.forms import unique_name
from accounts.money import MINOR_UNITS, format_minor, to_major, to_minor
from accounts.tenancy import current_organization
from billing.credit import balance_of
from billing.models import (
    ISSUED_KINDS,
    MAX_PRICE,
    CreditKind,
    ExternalSubscription,
    ForWhom,
    Method,
    Package,
    PackageKind,
    Visibility,
)
from billing.selectors import buyable_for, organization_today, packages_for_sale, saved_cards_of

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def money_field(
    label: str, *, minimum: str = "0.01", required: bool = True, help_text: str = "", **messages: str
) -> forms.DecimalField:
    """An amount typed in major units (25.50) up to MAX_PRICE; `messages` replace the error texts by code."""
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(minimum),
        max_value=Decimal(MAX_PRICE) / MINOR_UNITS,
        decimal_places=2,
        help_text=help_text,
        error_messages={
            "max_value": "Enter an amount up to 1,000,000.",
            "max_decimal_places": "Use at most two decimals, e.g. 25.50.",
            "invalid": "Enter an amount, e.g. 25.00.",
        }
        | messages,
    )


class PackageForm(forms.ModelForm):
    """A package's settings; the price is typed in major units (25.00) and kept in minor units (2500)."""

    price_amount = money_field(
        "Price",
        minimum="0",
        min_value="A price can't be negative.",
        max_value="Enter a price up to 1,000,000.",
        invalid="Enter a price, e.g. 25.00.",
    )
    signup_fee_amount = money_field(
        "Sign-up fee",
        minimum="0",
        required=False,
        help_text="Charged once with the first period, before tax. Empty: none.",
        min_value="A fee can't be negative.",
        max_value="Enter a fee up to 1,000,000.",
    )

    class Meta:
        model = Package
        fields = [
            "name",
            "description",
            "kind",
            "visits",
            "valid_days",
            "interval_count",
            "interval",
            "minimum_periods",
            "tax_rate",
            "capacity",
            "visibility",
            "for_whom",
            "min_age",
            "max_age",
            "sale_starts_at",
            "sale_ends_at",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect,
            "sale_starts_at": DATETIME,
            "sale_ends_at": DATETIME,
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        currency = self.instance.currency or organization.currency
        self.fields["price_amount"].help_text = f"In {currency}, before tax."
        if self.instance.pk:
            self.initial["price_amount"] = to_major(self.instance.price)
            if self.instance.signup_fee:
                self.initial["signup_fee_amount"] = to_major(self.instance.signup_fee)
        self.order_fields(["name", "description", "kind", "price_amount"])
        self.fields["visibility"].choices = [
            choice
            for choice in Visibility.choices
            if choice[0] != Visibility.BOOKING  # the bookings app's
        ]
        for optional in ("interval_count", "minimum_periods"):  # a membership's; 1 and 0 when left empty
            self.fields[optional].required = False

    def clean_name(self):
        return unique_name(self, "Another package has this name (archived ones included).")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == PackageKind.CLASS_PASS and not data.get("visits"):
            self.add_error("visits", "Say how many visits the pass gives.")
        if kind == PackageKind.MEMBERSHIP and not data.get("interval"):
            self.add_error("interval", "Say how often the membership renews.")
        if kind != PackageKind.CLASS_PASS:
            data["visits"] = data["valid_days"] = None
        if kind != PackageKind.MEMBERSHIP:
            data["interval"] = ""
            data["interval_count"], data["minimum_periods"], data["signup_fee_amount"] = 1, 0, None
        data["interval_count"] = data.get("interval_count") or 1
        data["minimum_periods"] = data.get("minimum_periods") or 0
        if data.get("for_whom") != ForWhom.CHILD:
            data["min_age"] = data["max_age"] = None
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", "The oldest age can't be below the youngest.")
        starts, ends = data.get("sale_starts_at"), data.get("sale_ends_at")
        if starts and ends and ends <= starts:
            self.add_error("sale_ends_at", "The sale has to end after it starts.")
        return data

    def save(self, commit=True):
        package = super().save(commit=False)
        package.price = to_minor(self.cleaned_data["price_amount"])
        fee = self.cleaned_data.get("signup_fee_amount")
        package.signup_fee = to_minor(fee) if fee else 0
        package.currency = package.currency or self.organization.currency
        if commit:
            package.save()
        return package


class SaleForm(forms.Form):
    """Staff sell a package on a customer's profile, for them or someone they may buy for, paid in person or
    with one of the customer's saved cards."""

    package = forms.ModelChoiceField(queryset=None, empty_label="Choose a package…")
    for_whom = forms.TypedChoiceField(label="For", coerce=int)
    method = forms.ChoiceField(label="Paid by", widget=forms.RadioSelect, initial=Method.CASH)
    card = forms.ModelChoiceField(
        label="Saved card", queryset=None, required=False, empty_label=None, widget=forms.RadioSelect
    )
    reference = forms.CharField(
        label="Reference",
        required=False,
        max_length=100,
        help_text="Cheque number or terminal receipt, if any.",
    )
    attempt = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    def __init__(self, *args, payer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card"].queryset = saved_cards_of(payer)
        default = self.fields["card"].queryset.first()  # the default card, offered ticked
        self.has_cards = default is not None
        self.fields["card"].initial = default and default.pk
        credit = balance_of(payer)
        available = format_minor(credit, current_organization().currency)
        labels = {Method.CARD: "Saved card (card)", Method.CREDIT: f"Credit balance ({available} available)"}
        self.fields["method"].choices = [
            (value, labels.get(value, label))
            for value, label in Method.choices
            if (value != Method.CARD or self.has_cards) and (value != Method.CREDIT or credit > 0)
        ]
        self.fields["package"].queryset = packages_for_sale()
        self.fields["package"].label_from_instance = lambda package: (
            f"{package.name} · {package.price_display}"
        )
        self.people = {person.pk: person for person in buyable_for(payer)}
        self.fields["for_whom"].choices = [
            (pk, "Themselves" if pk == payer.pk else person.full_name) for pk, person in self.people.items()
        ]

    def clean_for_whom(self):
        return self.people[self.cleaned_data["for_whom"]]

    def clean(self):
        data = super().clean()
        if data.get("method") == Method.CARD and not data.get("card"):
            self.add_error("card", "Choose the card to charge.")
        return data


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount",
        min_value=Decimal("0.01"),
        decimal_places=2,
        error_messages={
            "min_value": "Refund more than nothing.",
            "max_decimal_places": "Use at most two decimals.",
            "invalid": "Enter an amount, e.g. 9.00.",
        },
    )
    reason = forms.CharField(
        label="Reason", max_length=300, help_text="Kept with the refund, e.g. party cancelled."
    )

    def __init__(self, *args, payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment = payment
        left = to_major(payment.refundable)
        self.fields["amount"].initial = left
        self.fields["amount"].help_text = f"Up to {payment.currency} {left}."

    def clean_amount(self):
        amount = to_minor(self.cleaned_data["amount"])
        if amount > self.payment.refundable:
            raise forms.ValidationError("That is more than is left of this payment.")
        return amount


class CreditIssueForm(forms.Form):
    """Staff give a customer credit; the amount is typed in major units (25.00) and kept in minor units."""

    amount = money_field("Amount", min_value="Issue more than nothing.")
    kind = forms.ChoiceField(
        label="Kind", choices=[(kind.value, kind.label) for kind in ISSUED_KINDS], initial=CreditKind.GIFT
    )
    reason = forms.CharField(
        label="Reason", max_length=300, help_text="Kept with the credit, e.g. birthday gift."
    )
    expires_on = forms.DateField(
        label="Expires after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the last day it can be spent.",
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = f"In {currency}."

    def clean_amount(self):
        return to_minor(self.cleaned_data["amount"])

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError("Say why the credit is given.")
        return reason

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day and not 1900 <= day.year <= 2999:
            raise forms.ValidationError("Enter a date between 1900 and 2999.")
        return day


class CreditCorrectForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=300, help_text="Kept with the correction, e.g. issued twice by mistake."
    )


class StoreBuyForm(forms.Form):
    """For whom a customer buys in the online store: themselves, or someone they may buy for."""

    for_whom = forms.TypedChoiceField(label="Who is it for?", coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, people: list, **kwargs):
        super().__init__(*args, **kwargs)
        payer = people[0]
        self.people = {person.pk: person for person in people}
        self.fields["for_whom"].choices = [
            (pk, f"Me ({person.full_name})" if pk == payer.pk else person.full_name)
            for pk, person in self.people.items()
        ]
        self.fields["for_whom"].initial = payer.pk

    def clean_for_whom(self):
        return self.people[self.cleaned_data["for_whom"]]


NEW_CARD = "new"


class StorePayForm(forms.Form):
    """How a customer pays a checkout: one of their saved cards, or a card they type (Stripe.js saves it
    through a SetupIntent and the browser posts its id), kept for next time if they tick it."""

    card = forms.ChoiceField(label="Pay with", widget=forms.RadioSelect)
    setup_intent = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    keep_card = forms.BooleanField(label="Save this card for next time", required=False, initial=True)
    attempt = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, cards: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.cards = {str(card.pk): card for card in cards}
        choices = [(pk, str(card)) for pk, card in self.cards.items() if not card.expired]
        self.fields["card"].choices = [*choices, (NEW_CARD, "A new card")]
        self.fields["card"].initial = choices[0][0] if choices else NEW_CARD

    def clean(self):
        data = super().clean()
        if data.get("card") == NEW_CARD and not data.get("setup_intent"):
            self.add_error(None, "Enter the card's details.")
        return data

    @property
    def saved_card(self):
        return self.cards.get(self.cleaned_data["card"])


class PunchUndoForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=300, help_text="Kept with the punch, e.g. punched by mistake."
    )


class PunchCardExtendForm(forms.Form):
    valid_until = forms.DateField(
        label="Valid until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The card's new last day. Empty: no expiry.",
        error_messages={"invalid": "Enter a date, e.g. 2027-06-30."},
    )
    reason = forms.CharField(label="Reason", max_length=300, help_text="Kept in the card's activity.")

    def clean_valid_until(self):
        day = self.cleaned_data["valid_until"]
        if day and day.year > 2999:
            raise forms.ValidationError("Enter a date before the year 3000.")
        return day


class SubscriptionPauseForm(forms.Form):
    until = forms.DateField(
        label="Resume on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Nothing is charged until then. Empty: until someone resumes it.",
        error_messages={"invalid": "Enter a date, e.g. 2027-06-30."},
    )

    def clean_until(self):
        day = self.cleaned_data["until"]
        if day and day <= organization_today():
            raise forms.ValidationError("Choose a day after today.")
        if day and day.year > 2999:
            raise forms.ValidationError("Enter a date before the year 3000.")
        return day


class SubscriptionCancelForm(forms.Form):
    when = forms.ChoiceField(
        label="End it",
        widget=forms.RadioSelect,
        initial="period_end",
        choices=[
            ("period_end", "At the end of the period paid for (or of the minimum term)"),
            ("now", "Now: nothing more is charged, and nothing is refunded"),
        ],
    )


class SubscriptionCardForm(forms.Form):
    card = forms.ModelChoiceField(label="Charge", queryset=None, empty_label=None, widget=forms.RadioSelect)

    def __init__(self, *args, payer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card"].queryset = saved_cards_of(payer)


class ExternalSubscriptionForm(forms.ModelForm):
    """A membership managed elsewhere, recorded on a customer's profile; the amount is typed in major units
    (25.00) and kept in minor units, in the organization's currency."""

    amount_major = money_field("Amount", min_value="Enter an amount above zero.")

    class Meta:
        model = ExternalSubscription
        fields = ["provider", "name", "interval", "starts_on", "ends_on", "status", "reference", "note"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "starts_on": {"invalid": "Enter a date, e.g. 2027-01-31."},
            "ends_on": {"invalid": "Enter a date, e.g. 2027-06-30."},
        }

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        currency = self.instance.currency or currency
        self.fields["amount_major"].help_text = f"In {currency}, what they pay each period."
        if self.instance.pk:
            self.initial["amount_major"] = to_major(self.instance.amount)
        self.order_fields(["provider", "name", "amount_major", "interval"])

    def _one_line(self, name: str) -> str:
        return " ".join(self.cleaned_data[name].split())

    def clean_provider(self):
        return self._one_line("provider")

    def clean_name(self):
        return self._one_line("name")

    def clean_reference(self):
        return self._one_line("reference")

    def clean(self):
        data = super().clean()
        for name in ("starts_on", "ends_on"):
            day = data.get(name)
            if day and not 1900 <= day.year <= 2999:
                self.add_error(name, "Enter a date between 1900 and 2999.")
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The end can't be before the start.")
        return data

    def save(self, commit=True):
        subscription = super().save(commit=False)
        subscription.amount = to_minor(self.cleaned_data["amount_major"])
        if commit:
            subscription.save()
        return subscription
