from django.shortcuts import render

from accounts.permissions import org_permission


@org_permission("imports.run")
def index(request, org_slug):
    return render(request, "imports/index.html")
