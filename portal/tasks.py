import contextlib

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, User
from accounts.tasks import existing_login_notice, send_text_email
from accounts.tenancy import tenant, tenant_task
from customers.models import Customer
from invites import claim_services
from portal import signups
from portal.email_change import email_change_token
from portal.models import SignupRequest


@shared_task
def signups_expired_delete() -> None:
    """Celery beat: online sign-ups nobody confirmed are forgotten once their link has expired."""
    for organization in Organization.objects.all():
        with tenant(organization):
            signups.signups_expired_delete()


@tenant_task(batched=True)
def signup_request_send(*, org_id: int, signup_id: int | None = None, email: str = "") -> None:
    """An online sign-up's email (the newest open one of `email` for "send it again"), decided here so the
    page answers alike (and as fast) in every case: an address with a login is told so; one on the roster
    that nobody claimed gets a claim link; any other gets the link that confirms the sign-up. The token is
    committed before the email leaves."""
    organization = Organization.objects.get(pk=org_id)
    with tenant(organization):
        pending = SignupRequest.objects.filter(expires_at__gt=timezone.now())
        signup = pending.filter(pk=signup_id).first() if signup_id else pending.filter(email=email).last()
        if signup is None:
            return
        on_file = Customer.objects.filter(email_key=signup.email).first()
        if User.objects.filter(email=signup.email).exists() or on_file is not None:
            signup.delete()
            if on_file is not None and not on_file.user_id and not on_file.archived_at:
                with contextlib.suppress(claim_services.InviteError):  # invited moments ago: it is on its way
                    claim_services.invite_send(customer=on_file, by=None)  # claiming is how they get in
            if on_file is None or on_file.user_id:
                existing_login_notice.delay(email=signup.email, org_id=org_id)
            return
        token = signups.signup_issue_token(signup=signup)
    path = reverse("portal:signup_confirm", kwargs={"org_slug": organization.slug, "token": token})
    context = {"organization": organization, "email": signup.email, "url": settings.SITE_URL + path}
    send_text_email(
        to=signup.email,
        subject=f"Confirm your account with {organization.name}",
        template="portal/email/signup_confirm.txt",
        context=context,
    )


@tenant_task()
def email_change_send(*, org_id: int, customer_id: int, email: str) -> None:
    """The link that confirms an email change, sent to the new address (only its reader can confirm)."""
    customer = Customer.objects.select_related("organization").get(pk=customer_id)
    token = email_change_token(customer=customer, new_email=email)
    organization = customer.organization
    path = reverse("portal:email_change_confirm", kwargs={"org_slug": organization.slug, "token": token})
    context = {"organization": organization, "email": email, "url": settings.SITE_URL + path}
    send_text_email(
        to=email,
        subject=f"Confirm your new email address with {organization.name}",
        template="portal/email/email_change.txt",
        context=context,
    )
