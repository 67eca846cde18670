from django.shortcuts import render

from accounts.permissions import org_permission


@org_permission("families.view")
def index(request, org_slug):
    return render(request, "families/index.html")
