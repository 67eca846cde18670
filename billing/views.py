"""Settings → Packages (what the business sells) and the profile's Payments tab (sell a package in person,
see every payment, refund)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from billing import services
from billing.forms import PackageForm, RefundForm, SaleForm
from billing.models import Package, Visibility
from billing.selectors import payments_newer_than, payments_of, spend_of
from customers.models import Customer
from customers.selectors import get_customer_for_org
from customers.views import render_profile


@org_permission("settings.change")
def package_list(request, org_slug):
    packages = list(Package.objects.exclude(visibility=Visibility.BOOKING).order_by("name"))
    context = {
        "packages": [package for package in packages if not package.is_archived],
        "archived_packages": [package for package in packages if package.is_archived],
    }
    return render(request, "billing/packages.html", context)


@org_permission("settings.change")
def package_edit(request, org_slug, pk=None):
    package = get_object_or_404(Package, pk=pk) if pk else Package()
    if package.visibility == Visibility.BOOKING:
        notice = f"“{package.name}” is a party's deposit: change it with its party in Settings → Booking."
        messages.info(request, notice)
        return redirect("package_settings:list", org_slug=org_slug)
    form = PackageForm(request.POST or None, instance=package, organization=request.org)
    if form.is_valid():
        package = services.package_save(package=form.save(commit=False), by=request.user)
        messages.success(request, f"“{package.name}” saved.")
        return redirect("package_settings:list", org_slug=org_slug)
    return render(request, "billing/package_form.html", {"form": form, "package": package})


@require_POST
@org_permission("settings.change")
def package_archive(request, org_slug, pk):
    package = get_object_or_404(Package, pk=pk)
    services.package_archive(package=package, by=request.user)
    messages.success(request, f"“{package.name}” archived: off sale, and kept for what was sold.")
    return redirect("package_settings:list", org_slug=org_slug)


@require_POST
@org_permission("settings.change")
def package_restore(request, org_slug, pk):
    package = get_object_or_404(Package, pk=pk)
    services.package_restore(package=package, by=request.user)
    messages.success(request, f"“{package.name}” restored.")
    return redirect("package_settings:list", org_slug=org_slug)


PAYMENTS_PER_PAGE = 25


def _payments_tab(request, customer: Customer, *, sale_form=None, refund=None, status: int = 200):
    may_sell = has_permission(request.membership, "payments.take")
    if sale_form is None and may_sell:
        sale_form = SaleForm(payer=customer)
    page_number = request.GET.get("page")
    if refund:  # the page the refunded payment is on, wherever the link was followed from
        page_number = payments_newer_than(customer, refund[0]) // PAYMENTS_PER_PAGE + 1
    context = {
        "payments": Paginator(payments_of(customer), PAYMENTS_PER_PAGE).get_page(page_number),
        "spend": spend_of(customer),
        "sale_form": sale_form,
        "refund": refund,
        "may_refund": has_permission(request.membership, "payments.refund"),
    }
    response = render_profile(request, customer, "payments", context)
    response.status_code = status
    return response


def _back_to_tab(request, customer: Customer, notice: str):
    messages.success(request, notice)
    return redirect("profile_payments:tab", org_slug=request.org.slug, pk=customer.pk)


@org_permission("customers.view")
def payments_tab(request, org_slug, pk):
    return _payments_tab(request, get_customer_for_org(pk))


@require_POST
@org_permission("payments.take")
def sale(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    form = SaleForm(request.POST, payer=customer)
    if form.is_valid():
        data = form.cleaned_data
        try:
            purchase = services.sale_record(
                package=data["package"],
                customer=data["for_whom"],
                payer=customer,
                method=data["method"],
                reference=data["reference"],
                card=data["card"],
                attempt=data["attempt"],
                by=request.user,
            )
        except services.SaleError as refusal:
            form.add_error(None, str(refusal))
        else:
            return _back_to_tab(
                request, customer, f"“{purchase.package.name}” sold to {purchase.customer_label}."
            )
    return _payments_tab(request, customer, sale_form=form, status=422)


@org_permission("payments.refund")
def refund(request, org_slug, pk, payment_pk):
    customer = get_customer_for_org(pk)
    payment = get_object_or_404(payments_of(customer), pk=payment_pk)
    form = RefundForm(request.POST or None, payment=payment)
    if form.is_valid():
        try:
            services.payment_refund(
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except services.SaleError as refusal:
            form.add_error(None, str(refusal))
        else:
            return _back_to_tab(request, customer, "Refund recorded.")
    return _payments_tab(
        request, customer, refund=(payment, form), status=422 if request.method == "POST" else 200
    )
