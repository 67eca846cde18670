"""Staff's waitlist of a package (/app/<org>/waitlists/<package_id>/): the line in order with each offer's
deadline, the history, the hold window, and Promote, Skip, Move up and Move down, each with a reason."""

from functools import partial

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from invites import waitlist_services
from invites.forms import HoldWindowForm, WaitlistReasonForm
from invites.models import HOLD_HOURS_DEFAULT
from invites.waitlist_selectors import (
    entry_for_staff,
    package_for_waitlist,
    waitlist_history,
    waitlist_lines,
    waitlist_of,
)

ENTRY_CHANGES = {
    "promote": waitlist_services.waitlist_entry_promote,
    "skip": waitlist_services.waitlist_entry_skip,
    "move_up": partial(waitlist_services.waitlist_entry_move, up=True),
    "move_down": partial(waitlist_services.waitlist_entry_move, up=False),
}
DONE = {"promote": "promoted", "skip": "taken off the line", "move_up": "moved up", "move_down": "moved down"}


def _page(request, package, *, hold_form=None, failed=None, status=200):
    waitlist = waitlist_of(package)
    line, done = waitlist_lines(waitlist) if waitlist else ([], [])
    hours = waitlist.hold_hours if waitlist else HOLD_HOURS_DEFAULT
    context = {
        "package": package,
        "waitlist": waitlist,
        "line": line,
        "done": done,
        "history": waitlist_history(waitlist) if waitlist else [],
        "hold_form": hold_form or HoldWindowForm(initial={"hold_hours": hours}),
        "failed": failed or (None, None),  # (entry id, its reason form with errors)
    }
    return render(request, "invites/waitlist/staff.html", context, status=status)


@org_permission("settings.change")
def waitlist(request, org_slug, package_id):
    return _page(request, package_for_waitlist(package_id))


@require_POST
@org_permission("settings.change")
def hold_window(request, org_slug, package_id):
    package = package_for_waitlist(package_id)
    form = HoldWindowForm(request.POST)
    if not form.is_valid():
        return _page(request, package, hold_form=form, status=422)
    waitlist_services.waitlist_hold_window_save(
        package=package, hold_hours=form.cleaned_data["hold_hours"], by=request.user
    )
    messages.success(
        request, f"Offers for “{package.name}” now hold their spot {form.cleaned_data['hold_hours']} h."
    )
    return redirect("waitlists:package", org_slug=org_slug, package_id=package.pk)


@require_POST
@org_permission("settings.change")
def entry_change(request, org_slug, package_id, waitlist_entry_pk, action):
    package = package_for_waitlist(package_id)
    entry = entry_for_staff(package, waitlist_entry_pk)
    form = WaitlistReasonForm(request.POST)
    if not form.is_valid():
        return _page(request, package, failed=(entry.pk, form), status=422)
    try:
        ENTRY_CHANGES[action](entry=entry, by=request.user, reason=form.cleaned_data["reason"])
    except waitlist_services.WaitlistError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{entry.customer.full_name} {DONE[action]}.")
    return redirect("waitlists:package", org_slug=org_slug, package_id=package.pk)
