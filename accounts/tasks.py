from urllib.parse import urlsplit

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode

from accounts import outbox, services
from accounts.models import Organization, StaffInvitation, User
from accounts.tenancy import retried_task, tenant, tenant_task
from accounts.tokens import email_confirmation_tokens


@tenant_task(batched=True)
def staff_invitation_send(*, org_id: int, invitation_id: int) -> None:
    """The token is committed before the email leaves, so a link that arrives always works."""
    with tenant(Organization.objects.get(pk=org_id)):
        invitation = StaffInvitation.objects.select_related("organization", "invited_by").get(
            pk=invitation_id
        )
        if not invitation.is_pending:
            return
        token = services.staff_invitation_issue_token(invitation=invitation)
    path = reverse("portal:staff_join", kwargs={"org_slug": invitation.organization.slug, "token": token})
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "url": settings.SITE_URL + path,
    }
    message = EmailMultiAlternatives(
        subject=f"Join {invitation.organization.name} on Roster",
        body=render_to_string("accounts/email/staff_invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("accounts/email/staff_invitation.html", context), "text/html")
    message.send()


@shared_task
def outbox_relay() -> int:
    """Celery beat, every minute: send the tasks commits queued while the broker was away."""
    return outbox.relay()


@worker_ready.connect
def _relay_on_start(**kwargs) -> None:
    outbox_relay.delay()


@shared_task
def unconfirmed_logins_delete() -> None:
    """Celery beat: see accounts.services.unconfirmed_logins_delete."""
    services.unconfirmed_logins_delete()


@retried_task()
def password_reset_request(*, email: str) -> None:
    """Email a password reset link if a login has this address. Runs in the worker, so the page answers
    alike, and as fast, whether or not it does."""
    site = urlsplit(settings.SITE_URL)
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            subject_template_name="accounts/email/password_reset_subject.txt",
            email_template_name="accounts/email/password_reset.txt",
            html_email_template_name="accounts/email/password_reset.html",
        )


def send_text_email(*, to: str, subject: str, template: str, context: dict) -> None:
    """A plain-text email: nothing in it is markup a mail client could render."""
    EmailMessage(subject=subject, body=render_to_string(template, context), to=[to]).send()


@retried_task()
def signup_confirmation_send(*, user_id: int, next_url: str = "") -> None:
    """Email the link that confirms a new login's address (and signs its owner in)."""
    user = User.objects.filter(pk=user_id, email_verified_at=None).first()
    if user is None:
        return
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = email_confirmation_tokens.make_token(user)
    path = reverse("accounts:signup_confirm", kwargs={"uidb64": uidb64, "token": token})
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    send_text_email(
        to=user.email,
        subject="Confirm your email address for Roster",
        template="accounts/email/signup_confirm.txt",
        context={"user": user, "url": settings.SITE_URL + path + query},
    )


@retried_task()
def signup_confirmation_resend(*, email: str) -> None:
    """ "Send it again": a fresh link for a login still waiting for confirmation, the existing-login email
    for a confirmed one, nothing for an unknown address. The page answers alike in every case."""
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is not None and user.email_verified_at is None:
        signup_confirmation_send(user_id=user.pk)
    elif user is not None:
        existing_login_notice(email=user.email)


@retried_task()
def existing_login_notice(*, email: str, org_id: int | None = None) -> None:
    """Someone signed up with an address that has a login: tell its owner (only they read this) how to get
    in, instead of telling the visitor on the page."""
    organization = Organization.objects.filter(pk=org_id).first() if org_id else None
    login = reverse("accounts:login")
    if organization is not None:
        login += "?" + urlencode({"next": reverse("portal:account", kwargs={"org_slug": organization.slug})})
    context = {
        "email": email,
        "organization": organization,
        "login_url": settings.SITE_URL + login,
        "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
    }
    send_text_email(
        to=email,
        subject=f"You already have an account {f'with {organization.name}' if organization else 'on Roster'}",
        template="accounts/email/existing_login.txt",
        context=context,
    )
