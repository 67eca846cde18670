from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import (
    ConfirmSignupForm,
    OrganizationForm,
    OrganizationSettingsForm,
    ResendForm,
    RoleForm,
    SignupForm,
    StaffInviteForm,
)
from accounts.models import Membership, StaffInvitation, User
from accounts.permissions import has_permission, org_permission
from accounts.ratelimit import over_limit, signup_email_allowed, signups_over_limit
from accounts.selectors import memberships_for_user, pending_invitation_for_token
from accounts.tasks import password_reset_request, signup_confirmation_resend
from accounts.tokens import email_confirmation_tokens


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


def home(request):
    if request.user.is_authenticated:
        return redirect("accounts:workspaces")
    return render(request, "home.html")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def signup(request):
    """The page says "check your email" whether or not the address has a login; the email tells its owner
    which it is. The login works once the link in it is opened."""
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    context = {"form": form, "next": _safe_next(request)}
    if request.method == "POST" and signups_over_limit(request):
        return render(request, "accounts/signup.html", context | {"limited": True}, status=429)
    if form.is_valid():
        email = form.cleaned_data["email"]
        if signup_email_allowed(email):
            services.signup_request(
                email=email,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                next_url=_safe_next(request) or "",
            )
        return render(request, "accounts/signup_sent.html", {"email": email})
    return render(request, "accounts/signup.html", context)


def signup_confirm(request, uidb64, token):
    """The link from the confirmation email: a page with one button (mail scanners that open links must not
    use it up), which confirms the address and signs in."""
    user = _user_from_uid(uidb64)
    if user is None or not email_confirmation_tokens.check_token(user, token):
        return render(request, "accounts/signup_confirm.html", {"valid": False}, status=404)
    form = ConfirmSignupForm(request.POST or None, password_hash=user.password)
    if form.is_valid():
        services.user_email_confirm(user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your email address is confirmed. Welcome to Roster!")
        return redirect(_safe_next(request) or reverse("accounts:organization_create"))
    context = {"valid": True, "user": user, "form": form, "next": _safe_next(request)}
    return render(request, "accounts/signup_confirm.html", context)


def _user_from_uid(uidb64: str) -> User | None:
    try:
        return User.objects.filter(pk=int(urlsafe_base64_decode(uidb64).decode())).first()
    except (ValueError, UnicodeDecodeError):
        return None


@require_POST
def signup_resend(request):
    """ "Send it again": the same answer for every address; the worker looks it up."""
    form = ResendForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        allowed = not signups_over_limit(request)
        if allowed and signup_email_allowed(email):
            signup_confirmation_resend.delay(email=email)
        return render(request, "accounts/signup_sent.html", {"email": email, "resent": True})
    return redirect("accounts:signup")


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Choosing a new password from the emailed link proves the address too."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_email_confirm(user=form.user)
        return response


@login_required
def workspaces(request):
    memberships = memberships_for_user(request.user)
    if len(memberships) == 1 and "all" not in request.GET:
        return redirect("staff:home", org_slug=memberships[0].organization.slug)
    return render(request, "accounts/workspaces.html", {"memberships": memberships})


@login_required
def organization_create(request):
    form = OrganizationForm(request.POST or None)
    if form.is_valid():
        organization = services.organization_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"{organization.name} is ready. Invite your team from Settings → Staff.")
        return redirect("staff:home", org_slug=organization.slug)
    return render(request, "accounts/organization_create.html", {"form": form})


@org_permission("customers.view")
def staff_home(request, org_slug):
    return redirect("customers:roster", org_slug=org_slug)


@org_permission("customers.view")  # every role: the switcher is on every staff page
def organization_switcher(request, org_slug):
    """The switcher's list of the user's organizations, asked for when it is opened (app_shell.html): every
    staff page read it (three statements) for the few times it is opened."""
    return render(request, "accounts/switcher.html", {"memberships": memberships_for_user(request.user)})


@org_permission("settings.change")
def organization_settings(request, org_slug):
    can_edit = has_permission(request.membership, "organization.change")
    form = OrganizationSettingsForm(request.POST or None, instance=request.org)
    if request.method == "POST":
        if not can_edit:
            messages.error(request, "Only an owner can change the organization's details.")
        elif form.is_valid():
            services.organization_update(organization=request.org, by=request.user, **form.cleaned_data)
            messages.success(request, "Organization details saved.")
            return redirect("staff:settings", org_slug=org_slug)
    return render(request, "accounts/settings.html", {"form": form, "can_edit": can_edit})


@org_permission("staff.view")
def staff_list(request, org_slug):
    form = StaffInviteForm(request.POST or None, inviter_role=request.membership.role)
    if request.method == "POST":
        if not has_permission(request.membership, "staff.invite"):
            messages.error(request, "Your role may not invite staff.")
        elif form.is_valid():
            try:
                invitation = services.staff_invite(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("staff:staff", org_slug=org_slug)
    context = {
        "form": form,
        "members": Membership.objects.select_related("user").order_by("role", "user__email"),
        "invitations": StaffInvitation.objects.filter(accepted_at=None, revoked_at=None)
        .select_related("invited_by")
        .order_by("-created_at"),
        "role_form": RoleForm(),
    }
    return render(request, "accounts/staff.html", context)


@require_POST
@org_permission("staff.invite")
def membership_role(request, org_slug, pk):
    membership = get_object_or_404(Membership, pk=pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{membership.user.email} is now {membership.get_role_display()}.")
    return redirect("staff:staff", org_slug=org_slug)


@require_POST
@org_permission("staff.invite")
def membership_remove(request, org_slug, pk):
    membership = get_object_or_404(Membership, pk=pk)
    try:
        services.membership_remove(membership=membership, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.email} no longer has access.")
    return redirect("staff:staff", org_slug=org_slug)


@require_POST
@org_permission("staff.invite")
def invitation_resend(request, org_slug, pk):
    invitation = get_object_or_404(StaffInvitation, pk=pk, accepted_at=None, revoked_at=None)
    try:
        services.staff_invite(email=invitation.email, role=invitation.role, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation sent again to {invitation.email}.")
    return redirect("staff:staff", org_slug=org_slug)


@require_POST
@org_permission("staff.invite")
def invitation_revoke(request, org_slug, pk):
    invitation = get_object_or_404(StaffInvitation, pk=pk, accepted_at=None, revoked_at=None)
    services.staff_invitation_revoke(invitation=invitation, by=request.user)
    messages.success(request, f"Invitation to {invitation.email} revoked.")
    return redirect("staff:staff", org_slug=org_slug)


def staff_join(request, org_slug, token):
    """Customer-side URL (/<org>/join/<token>/) where an invited person joins the staff."""
    invitation = pending_invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/join_invalid.html", status=404)
    context = {"invitation": invitation, "organization": request.org}
    if request.user.is_authenticated and request.method == "POST":
        try:
            services.staff_invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Welcome to {request.org.name}!")
            return redirect("staff:home", org_slug=org_slug)
    return render(request, "accounts/join.html", context)


PASSWORD_RESETS_PER_HOUR = 5


def password_reset(request):
    """ "Forgot password": the same answer for every address; the worker looks the address up."""
    form = PasswordResetForm(request.POST or None)
    if form.is_valid():
        if not over_limit(request, "password-reset", limit=PASSWORD_RESETS_PER_HOUR, seconds=3600):
            password_reset_request.delay(email=form.cleaned_data["email"])
        return render(request, "accounts/password_reset.html", {"sent": True})
    return render(request, "accounts/password_reset.html", {"form": form})
