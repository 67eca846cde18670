"""Saved segments: save the roster's current view under a name, list them with live counts, delete."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import org_permission
from customers import services
from customers.models import Segment
from customers.segments import conditions, segment_url, segments_for
from customers.selectors import matching_queryset


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "shared"]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Name the segment.")
        return name


@require_POST
@org_permission("customers.view")
def segment_save(request, org_slug):
    """Save the roster's current conditions under a name; the same name of one's own segment updates it."""
    query = conditions(request.POST.get("query", ""))
    form = SegmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("name", ["Check the segment's name."])))
        return redirect(reverse("customers:roster", kwargs={"org_slug": org_slug}) + "?" + query)
    name = form.cleaned_data["name"]
    segment, created = services.segment_save(
        owner=request.user, name=name, query=query, shared=form.cleaned_data["shared"]
    )
    messages.success(request, f"Segment “{name}” {'saved' if created else 'updated'}.")
    return redirect(segment_url(segment))


@org_permission("customers.view")
def segment_list(request, org_slug):
    segments = list(segments_for(request.membership).select_related("owner", "organization"))
    for segment in segments:
        segment.url = segment_url(segment)
    return render(request, "customers/segments.html", {"segments": segments})


@org_permission("customers.view")
def segment_count(request, org_slug, pk):
    segment = get_object_or_404(segments_for(request.membership), pk=pk)
    count = matching_queryset(QueryDict(segment.query), request.membership).count()
    return render(request, "customers/segments.html#count", {"count": count})


@require_POST
@org_permission("customers.view")
def segment_delete(request, org_slug, pk):
    segment = get_object_or_404(segments_for(request.membership), pk=pk)
    if segment.owner_id != request.user.pk and request.membership.role not in (Role.OWNER, Role.ADMIN):
        raise PermissionDenied("Only its owner or an admin may delete a shared segment.")
    services.segment_delete(segment=segment)
    messages.success(request, f"Segment “{segment.name}” deleted.")
    return redirect("customers:segments", org_slug=org_slug)
