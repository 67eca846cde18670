"""Writes of waivers: templates and their versions (Settings → Waivers), signing (portal, front desk, emailed
link), emailed signing links, and what the daily beat records (reminders, expiry)."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.selectors import new_token
from customers.models import Customer
from customers.services import activity_record
from families.selectors import customer_email
from waivers.models import (
    REQUEST_DAYS,
    Channel,
    WaiverAudit,
    WaiverEvent,
    WaiverRequest,
    WaiverSignature,
    WaiverTemplate,
    WaiverVersion,
)
from waivers.selectors import link_recipients, may_sign


class WaiverError(ValueError):
    """Why a waiver can't be signed or sent, in words for the person trying."""


# Templates and versions


@transaction.atomic
def waiver_template_create(
    *, name: str, text: str, validity_months: int | None, guardian_signs_for_minors: bool, by: User | None
) -> WaiverTemplate:
    template = WaiverTemplate.objects.create(
        name=name, validity_months=validity_months, guardian_signs_for_minors=guardian_signs_for_minors
    )
    template.current_version = WaiverVersion.objects.create(
        template=template, number=1, text=text, created_by=by
    )
    template.save(update_fields=["current_version"])
    audit_record(action=WaiverAudit.CREATED, by=by, target=name, detail=template.validity_display)
    return template


@transaction.atomic
def waiver_template_update(
    *,
    template: WaiverTemplate,
    name: str,
    text: str,
    validity_months: int | None,
    guardian_signs_for_minors: bool,
    resign_required: bool,
    by: User | None,
) -> WaiverVersion | None:
    """Save a template's settings; a changed text becomes a new version (returned), after which signatures of
    earlier versions stop counting if `resign_required`. The template's row is locked while it is numbered."""
    stored = (
        WaiverTemplate.objects.select_for_update(of=("self",))
        .select_related("current_version")
        .get(pk=template.pk)
    )
    changes = {}
    for label, before, after in (
        ("Name", stored.name, name),
        ("Valid for", stored.validity_display, _validity(validity_months)),
        (
            "A guardian signs for children",
            _yes(stored.guardian_signs_for_minors),
            _yes(guardian_signs_for_minors),
        ),
    ):
        if before != after:
            changes[label] = [before, after]
    template.name, template.validity_months = name, validity_months
    template.guardian_signs_for_minors = guardian_signs_for_minors
    version = None
    if text != stored.current_version.text:
        version = WaiverVersion.objects.create(
            template=template,
            number=stored.current_version.number + 1,
            text=text,
            resign_required=resign_required,
            created_by=by,
        )
        template.current_version = version
        template.accepted_from = version.number if resign_required else stored.accepted_from
        audit_record(
            action=WaiverAudit.VERSION,
            by=by,
            target=name,
            detail=f"Version {version.number}: "
            + ("everyone signs again" if resign_required else "earlier signatures still count"),
        )
    template.save(
        update_fields=[
            "name",
            "validity_months",
            "guardian_signs_for_minors",
            "current_version",
            "accepted_from",
        ]
    )
    if changes:
        audit_record(action=WaiverAudit.CHANGED, by=by, target=name, changes=changes)
    return version


def _validity(months: int | None) -> str:
    return WaiverTemplate(validity_months=months).validity_display


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


@transaction.atomic
def waiver_template_archive(*, template: WaiverTemplate, by: User | None) -> None:
    if template.archived_at is None:
        template.archived_at = timezone.now()
        template.save(update_fields=["archived_at"])
        audit_record(action=WaiverAudit.ARCHIVED, by=by, target=template.name)


@transaction.atomic
def waiver_template_restore(*, template: WaiverTemplate, by: User | None) -> None:
    if template.archived_at is not None:
        template.archived_at = None
        template.save(update_fields=["archived_at"])
        audit_record(action=WaiverAudit.RESTORED, by=by, target=template.name)


# Signing


@transaction.atomic
def waiver_sign(
    *,
    template: WaiverTemplate,
    version: WaiverVersion,
    signer: Customer,
    people: list[Customer],
    typed_name: str,
    signature_png: bytes,
    channel: str,
    ip: str | None,
    user_agent: str = "",
    by: User | None = None,
    request: WaiverRequest | None = None,
) -> list[WaiverSignature]:
    """One signed copy per person in `people`, all signed by `signer` (themselves or a guardian who may book
    for each) on the version they read, which must still be the current one. `by` is the staff member at
    the desk; `request` the emailed link used, which then stops working."""
    stored = WaiverTemplate.objects.select_for_update().get(pk=template.pk)
    if stored.archived_at is not None:
        raise WaiverError("This waiver is no longer in use.")
    if stored.current_version_id != version.pk:
        raise WaiverError("This waiver has just been updated. Please read the new text and sign again.")
    if not people:
        raise WaiverError("Choose who you are signing for.")
    for person in people:
        refusal = may_sign(stored, signer, person)
        if refusal:
            raise WaiverError(refusal)
    open_link = WaiverRequest.objects.filter(used_at=None, expires_at__gt=timezone.now())
    if request is not None and not open_link.filter(pk=request.pk).update(used_at=timezone.now()):
        raise WaiverError("This link has already been used or has expired.")
    now = timezone.now()
    valid_until = now + relativedelta(months=stored.validity_months) if stored.validity_months else None
    signatures = []
    for person in people:
        signature = WaiverSignature.objects.create(
            version=version,
            customer=person,
            customer_name=person.full_name,
            signer=signer,
            signer_name=signer.full_name,
            typed_name=typed_name,
            signature_png=signature_png,
            signed_at=now,
            valid_until=valid_until,
            ip=ip,
            user_agent=user_agent[:300],
            channel=channel,
            witnessed_by=by,
        )
        detail = f"{stored.name}, version {version.number}, {Channel(channel).label.lower()}"
        if signer.pk != person.pk:
            detail += f", signed by {signer.full_name}"
        activity_record(
            customer=person, by=by, kind=WaiverEvent.SIGNED, detail=detail, subject_id=signature.pk
        )
        signatures.append(signature)
    return signatures


# Emailed links


@transaction.atomic
def waiver_request_send(
    *, template: WaiverTemplate, customer: Customer, by: User | None, reminder: bool = False
) -> list[WaiverRequest]:
    """Email a link to sign `template` for `customer` (to them, or to their guardians): the worker sends it
    once this commits, with a fresh token."""
    from waivers.tasks import waiver_request_email

    if template.archived_at is not None or template.current_version_id is None:
        raise WaiverError("This waiver is no longer in use.")
    recipients = link_recipients(customer)
    if not recipients:
        raise WaiverError(
            f"Nobody with an email address can sign for {customer.full_name}: add an email, or a guardian "
            "who receives their notifications and may book for them."
        )
    expires = timezone.now() + timedelta(days=REQUEST_DAYS)
    requests = []
    for recipient in recipients:
        request = WaiverRequest.objects.create(
            template=template,
            signer=recipient,
            for_customer=customer,
            email=customer_email(recipient),
            reminder=reminder,
            created_by=by,
            expires_at=expires,
        )
        waiver_request_email.delay_on_commit(org_id=request.organization_id, request_id=request.pk)
        requests.append(request)
    names = ", ".join(f"{person.full_name} <{customer_email(person)}>" for person in recipients)
    activity_record(
        customer=customer, by=by, kind=WaiverEvent.REQUESTED, detail=f"{template.name}: to {names}"
    )
    return requests


@transaction.atomic
def waiver_request_issue_token(*, request: WaiverRequest) -> str:
    """A fresh token for the link about to be emailed (an earlier one stops working)."""
    token, hashed = new_token()
    WaiverRequest.objects.filter(pk=request.pk).update(token_hash=hashed, sent_at=timezone.now())
    return token


# What the daily beat records


@transaction.atomic
def waiver_expiry_remind(*, signature: WaiverSignature) -> list[WaiverRequest]:
    """Mark a signature reminded (once) and email a link to sign again."""
    if not WaiverSignature.objects.filter(pk=signature.pk, reminded_at=None).update(
        reminded_at=timezone.now()
    ):
        return []
    customer = Customer.objects.filter(pk=signature.customer_id, archived_at=None).first()
    template = signature.version.template
    if customer is None or template.archived_at is not None or not link_recipients(customer):
        return []
    return waiver_request_send(template=template, customer=customer, by=None, reminder=True)


@transaction.atomic
def waiver_expiry_record(*, signature: WaiverSignature) -> bool:
    """Record once, in the customer's Activity Log, that their signature has expired."""
    if not WaiverSignature.objects.filter(pk=signature.pk, expiry_recorded_at=None).update(
        expiry_recorded_at=timezone.now()
    ):
        return False
    customer = Customer.objects.get(pk=signature.customer_id)
    detail = f"{signature.version.template.name}, signed {timezone.localdate(signature.signed_at):%b %-d, %Y}"
    activity_record(
        customer=customer, by=None, kind=WaiverEvent.EXPIRED, detail=detail, subject_id=signature.pk
    )
    return True
