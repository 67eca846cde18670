import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts import services
from accounts.models import Organization, StaffInvitation
from accounts.tenancy import tenant
from config.celery_app import app, tenant_task


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


@app.task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(smtplib.SMTPException,), max_retries=5)
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
