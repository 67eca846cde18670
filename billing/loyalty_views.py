"""The profile's Loyalty tab: what the customer paid for over a period and all time, and their Do not solicit
flag."""

from django import forms
from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from billing.loyalty import loyalty_of
from customers.selectors import get_customer_for_org
from customers.services import customer_do_not_solicit_set
from customers.views import render_profile


class LoyaltyPeriodForm(forms.Form):
    """The Loyalty tab's period: from and to are each optional; neither is all time."""

    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )

    def _plausible(self, name: str):
        day = self.cleaned_data[name]
        if day and not 1900 <= day.year <= 2999:
            raise forms.ValidationError("Enter a date between 1900 and 2999.")
        return day

    def clean_start(self):
        return self._plausible("start")

    def clean_end(self):
        return self._plausible("end")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The period has to end after it starts.")
        return data


@org_permission("customers.view")
def loyalty_tab(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    form = LoyaltyPeriodForm(request.GET or None)
    period = form.cleaned_data if form.is_bound and form.is_valid() else {}
    start, end = period.get("start"), period.get("end")
    context = {
        "loyalty": loyalty_of(customer, start=start, end=end),
        "period_form": form,
        "start": start,
        "end": end,
    }
    return render_profile(request, customer, "loyalty", context)


@require_POST
@org_permission("customers.change")
def do_not_solicit(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    choice = request.POST.get("do_not_solicit")
    if choice not in ("0", "1"):
        return HttpResponseBadRequest("Say whether to mark or unmark: do_not_solicit is 1 or 0.")
    marked = choice == "1"
    changed = customer_do_not_solicit_set(customer=customer, do_not_solicit=marked, by=request.user)
    if changed:
        notice = "marked Do not solicit" if marked else "no longer marked Do not solicit"
        messages.success(request, f"{customer.full_name} is {notice}.")
    return redirect("profile_payments:loyalty", org_slug=org_slug, pk=customer.pk)
