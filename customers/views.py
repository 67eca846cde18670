from django.shortcuts import render

from accounts.permissions import org_permission


@org_permission("customers.view")
def roster(request, org_slug):
    return render(request, "customers/roster.html")
