import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.permissions import has_permission, org_permission
from customers.extend import read_once
from customers.models import Customer
from customers.search import search_page
from customers.selectors import get_customer_for_org
from families import services
from families.extend import family_sections
from families.forms import (
    AffiliatedOrganizationForm,
    AffiliationForm,
    LinkEditForm,
    LinkForm,
    guest_form,
)
from families.models import AffiliatedOrganization, Affiliation, GuardianLink
from families.selectors import household, people_of


def _back_to_profile(request, customer: Customer):
    url = reverse("customers:profile", kwargs={"org_slug": request.org.slug, "pk": customer.pk})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def people_box(request, customer: Customer) -> dict:
    """The profile's People and Affiliated organizations boxes."""
    guardians, dependants = read_once(people_of, customer)
    affiliations = (
        Affiliation.objects.filter(customer=customer)
        .select_related("affiliated")
        .order_by("affiliated__name")
    )
    return {
        "customer": customer,
        "guardians": guardians,
        "dependants": dependants,
        "affiliations": list(affiliations),
        "affiliation_form": AffiliationForm(),
        "has_organizations": AffiliatedOrganization.objects.exists(),
    }


@org_permission("families.change")
def person_add(request, org_slug, pk):
    """Add someone this customer looks after, or a guardian: an existing customer or a new guest."""
    customer = get_customer_for_org(pk)
    form = LinkForm(request.POST or None, customer=customer)
    guest = guest_form(
        request.POST if request.POST.get("mode") == "new" else None,
        audience=request.membership.role,
        initial={"last_name": customer.last_name},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and (form.cleaned_data["mode"] == "existing" or guest.is_valid())
    ):
        data = form.cleaned_data
        try:
            if data["mode"] == "new":
                person = services.guest_create(
                    guardian=customer,
                    data=guest.cleaned_data,
                    relationship=data["relationship"],
                    is_primary=data["is_primary"],
                    by=request.user,
                )
            else:
                person = data["person"]
                guardian, dependant = (
                    (customer, person) if data["direction"] == "dependant" else (person, customer)
                )
                services.link_add(
                    guardian=guardian,
                    dependant=dependant,
                    relationship=data["relationship"],
                    is_primary=data["is_primary"],
                    by=request.user,
                )
        except services.FamilyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{person.full_name} added to {customer.full_name}'s family.")
            return _back_to_profile(request, customer)
    context = {"customer": customer, "form": form, "guest": guest}
    template = "families/person_form.html#form" if request.htmx else "families/person_form.html"
    return render(request, template, context)


@org_permission("families.change")
def person_search(request, org_slug, pk):
    """Customers matching `q`, to pick the one to link (radio buttons swapped into the add form)."""
    customer = get_customer_for_org(pk)
    query = request.GET.get("q", "").strip()[:100]
    matches = []
    if query:
        page = search_page(
            Customer.objects.filter(archived_at=None).exclude(pk=customer.pk), query, offset=0, limit=8
        )
        matches = page.rows
    return render(request, "families/person_form.html#matches", {"matches": matches, "query": query})


@org_permission("families.change")
def link_edit(request, org_slug, pk):
    link = get_object_or_404(GuardianLink.objects.select_related("guardian", "dependant"), pk=pk)
    # The form validates a copy, so the service still sees the link as it was.
    form = LinkEditForm(request.POST or None, instance=copy.copy(link))
    if form.is_valid():
        data = form.cleaned_data
        changed = services.link_update(
            link=link,
            relationship=data["relationship"],
            is_primary=data["is_primary"],
            permissions=data["permissions"],
            by=request.user,
        )
        messages.success(request, "Guardian link saved." if changed else "Nothing changed.")
        return redirect("customers:profile", org_slug=org_slug, pk=link.dependant_id)
    return render(request, "families/link_form.html", {"link": link, "form": form})


@require_POST
@org_permission("families.change")
def link_remove(request, org_slug, pk):
    link = get_object_or_404(GuardianLink.objects.select_related("guardian", "dependant"), pk=pk)
    services.link_remove(link=link, by=request.user)
    messages.success(
        request, f"{link.guardian.full_name} is no longer a guardian of {link.dependant.full_name}."
    )
    back = request.POST.get("back") == "guardian"
    return redirect(
        "customers:profile", org_slug=org_slug, pk=link.guardian_id if back else link.dependant_id
    )


@org_permission("families.view")
def family(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    graph = household(customer)
    people = sorted(
        graph.people.values(),
        key=lambda person: (not graph.dependants_of(person), person.birthday or person.created_at.date()),
    )
    rows = [(person, graph.guardians_of(person), graph.dependants_of(person)) for person in people]
    sections = [
        (section, section.context(request, graph))
        for section in family_sections()
        if has_permission(request.membership, section.permission)
    ]
    context = {"customer": customer, "rows": rows, "graph": graph, "sections": sections}
    return render(request, "families/family.html", context)


@org_permission("families.view")
def index(request, org_slug):
    """Households: customers who look after someone, with the people they look after."""
    links = GuardianLink.objects.select_related("dependant").order_by("dependant__birthday")
    guardians = (
        Customer.objects.filter(dependant_links__isnull=False)
        .distinct()
        .order_by("last_key", "first_key", "id")
        .prefetch_related(Prefetch("dependant_links", queryset=links))
    )
    page = Paginator(guardians, 25).get_page(request.GET.get("page"))
    return render(request, "families/index.html", {"page": page, "tab": "households"})


@org_permission("families.view")
def organizations(request, org_slug):
    items = AffiliatedOrganization.objects.annotate(people=Count("affiliations")).order_by("name")
    form = AffiliatedOrganizationForm()
    return render(
        request, "families/organizations.html", {"items": items, "form": form, "tab": "organizations"}
    )


@org_permission("families.change")
def organization_create(request, org_slug):
    form = AffiliatedOrganizationForm(request.POST or None)
    if form.is_valid():
        item = services.affiliated_organization_save(item=form.save(commit=False))
        messages.success(request, f"{item.name} added.")
        return redirect("families:organization", org_slug=org_slug, pk=item.pk)
    return render(request, "families/organization_form.html", {"form": form})


@org_permission("families.view")
def organization(request, org_slug, pk):
    item = get_object_or_404(AffiliatedOrganization, pk=pk)
    form = AffiliatedOrganizationForm(request.POST or None, instance=item)
    if request.method == "POST":
        if not has_permission(request.membership, "families.change"):
            raise PermissionDenied("Your role may not do this (families.change).")
        if form.is_valid():
            services.affiliated_organization_save(item=form.save(commit=False))
            messages.success(request, "Saved.")
            return redirect("families:organization", org_slug=org_slug, pk=pk)
    people = item.affiliations.select_related("customer").order_by(
        "role", "customer__last_key", "customer__first_key"
    )
    return render(request, "families/organization.html", {"item": item, "form": form, "people": people})


@require_POST
@org_permission("families.change")
def affiliation_add(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    form = AffiliationForm(request.POST)
    if form.is_valid():
        services.affiliation_add(
            customer=customer,
            affiliated=form.cleaned_data["affiliated"],
            role=form.cleaned_data["role"],
            by=request.user,
        )
        messages.success(request, f"{customer.full_name} linked to {form.cleaned_data['affiliated'].name}.")
    else:
        messages.error(request, "Choose an organization and a role.")
    return redirect("customers:profile", org_slug=org_slug, pk=pk)


@require_POST
@org_permission("families.change")
def affiliation_remove(request, org_slug, pk):
    affiliation = get_object_or_404(Affiliation.objects.select_related("customer", "affiliated"), pk=pk)
    services.affiliation_remove(affiliation=affiliation, by=request.user)
    messages.success(request, f"{affiliation.customer.full_name} removed from {affiliation.affiliated.name}.")
    return redirect("customers:profile", org_slug=org_slug, pk=affiliation.customer_id)
