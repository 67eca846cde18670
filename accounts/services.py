"""Writes for users, organizations and staff: one function per use case, each in one transaction."""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import AuditAction, Membership, Organization, Role, StaffInvitation, User
from accounts.selectors import new_token
from accounts.tenancy import tenant

INVITATION_LIFETIME = timedelta(days=7)


@transaction.atomic
def user_signup(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """A login whose address is already known to be its owner's (the demo, the platform's own people)."""
    return User.objects.create_user(
        email, password, first_name=first_name, last_name=last_name, email_verified_at=timezone.now()
    )


@transaction.atomic
def signup_request(*, email: str, password: str, first_name: str, last_name: str, next_url: str = "") -> None:
    """A visitor asks for a login. It works only once they open the link we email, so an address nobody has
    proven never becomes an identity. An address that has a login gets an email saying so instead: the page
    answers alike either way."""
    from accounts.tasks import existing_login_notice, signup_confirmation_send

    email = email.strip().lower()
    password_hash = make_password(password)  # hashed on both paths, so both take as long
    if User.objects.filter(email=email).exists():
        existing_login_notice.delay_on_commit(email=email)
        return
    user = User.objects.create(
        email=email, password=password_hash, first_name=first_name, last_name=last_name
    )
    signup_confirmation_send.delay_on_commit(user_id=user.pk, next_url=next_url)


UNCONFIRMED_LOGIN_LIFETIME = timedelta(days=7)


@transaction.atomic
def unconfirmed_logins_delete() -> int:
    """Logins whose address nobody confirmed within a week go: the address is free for its real owner, and
    nothing (no membership, no roster entry) was ever attached to them."""
    cutoff = timezone.now() - UNCONFIRMED_LOGIN_LIFETIME
    deleted, _ = User.objects.filter(email_verified_at=None, date_joined__lt=cutoff).delete()
    return deleted


@transaction.atomic
def user_email_confirm(*, user: User) -> None:
    """The owner of the address opened a link we sent there (a confirmation or a password reset)."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])


@transaction.atomic
def organization_create(*, name: str, slug: str, time_zone: str, currency: str, owner: User) -> Organization:
    organization = Organization.objects.create(name=name, slug=slug, time_zone=time_zone, currency=currency)
    with tenant(organization):
        Membership.objects.create(user=owner, role=Role.OWNER)
    return organization


@transaction.atomic
def organization_update(
    *, organization: Organization, name: str, time_zone: str, currency: str, by: User
) -> None:
    organization.name, organization.time_zone, organization.currency = name, time_zone, currency
    changes = changes_of(organization, ["name", "time_zone", "currency"])
    organization.save(update_fields=["name", "time_zone", "currency"])
    if changes:
        audit_record(
            action=AuditAction.ORGANIZATION_CHANGED, by=by, target=organization.name, changes=changes
        )


@transaction.atomic
def staff_invite(*, email: str, role: str, by: User) -> StaffInvitation:
    """Invite someone to the current organization's staff, or refresh their pending invitation.
    The email goes out from a worker once this transaction commits."""
    from accounts.tasks import staff_invitation_send

    email = email.strip().lower()
    if role == Role.OWNER and _role_of(by) != Role.OWNER:
        raise ValidationError({"role": "Only an owner can invite another owner."})
    if Membership.objects.filter(user__email=email).exists():
        raise ValidationError({"email": "This person is already on your staff."})
    invitation = StaffInvitation.objects.filter(
        email__iexact=email, accepted_at=None, revoked_at=None
    ).first() or StaffInvitation(email=email)
    again = invitation.pk is not None
    invitation.role = role
    invitation.invited_by = by
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME
    invitation.save()
    audit_record(
        action=AuditAction.STAFF_INVITED,
        by=by,
        target=email,
        detail=f"As {invitation.get_role_display()}{', sent again' if again else ''}",
    )
    staff_invitation_send.delay_on_commit(org_id=invitation.organization_id, invitation_id=invitation.pk)
    return invitation


@transaction.atomic
def staff_invitation_issue_token(*, invitation: StaffInvitation) -> str:
    """A fresh single-use token for the email about to be sent; earlier links stop working."""
    token, invitation.token_hash = new_token()
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["token_hash", "sent_at"])
    return token


@transaction.atomic
def staff_invitation_revoke(*, invitation: StaffInvitation, by: User) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(action=AuditAction.STAFF_INVITATION_REVOKED, by=by, target=invitation.email)


@transaction.atomic
def staff_invitation_accept(*, invitation: StaffInvitation, user: User) -> Membership:
    if user.email.lower() != invitation.email.lower():
        raise ValidationError("This invitation was sent to another email address.")
    membership, joined = Membership.objects.get_or_create(user=user, defaults={"role": invitation.role})
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if joined:
        detail = f"As {membership.get_role_display()}, by invitation"
        audit_record(action=AuditAction.STAFF_JOINED, by=user, target=user.email, detail=detail)
    return membership


def _role_of(user: User) -> str:
    """The role of a staff member acting in the current organization."""
    return Membership.objects.values_list("role", flat=True).get(user=user)


def _lock_owners(membership: Membership, by: User) -> str:
    """Lock the organization's owner memberships, then re-read the roles at stake (returning the actor's):
    two owners changing each other at once take turns, and the second sees what the first did (it may no
    longer be an owner)."""
    list(Membership.objects.select_for_update().filter(role=Role.OWNER).values_list("pk", flat=True))
    membership.refresh_from_db(fields=["role"])
    return _role_of(by)


def _ensure_an_owner_remains(membership: Membership) -> None:
    if membership.role == Role.OWNER and Membership.objects.filter(role=Role.OWNER).count() == 1:
        raise ValidationError("An organization needs at least one owner.")


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: User) -> None:
    acting_role = _lock_owners(membership, by)
    if Role.OWNER in (role, membership.role) and acting_role != Role.OWNER:
        raise ValidationError("Only an owner can grant or take away the owner role.")
    if role == membership.role:
        return
    _ensure_an_owner_remains(membership)
    before = membership.get_role_display()
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action=AuditAction.ROLE_CHANGED,
        by=by,
        target=membership.user.email,
        changes={"Role": [before, membership.get_role_display()]},
    )


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    acting_role = _lock_owners(membership, by)
    if membership.role == Role.OWNER and acting_role != Role.OWNER:
        raise ValidationError("Only an owner can remove an owner.")
    _ensure_an_owner_remains(membership)
    membership.delete()
    audit_record(
        action=AuditAction.STAFF_REMOVED,
        by=by,
        target=membership.user.email,
        detail=f"Was {membership.get_role_display()}",
    )
