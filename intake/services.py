"""Writes of intake forms: saving one (Settings → Intake forms), submissions and their review. A visitor is
anonymous: whoever knows an email could post it, so an answer never overwrites a customer. It fills what is
blank; anything that differs from what is on file waits as a pending change that staff accept or reject, field
by field, from the profile."""

import phonenumbers
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import User
from customers.duplicate_services import duplicates_flag
from customers.fields import customer_fields, field_labels, jsonable, same_value
from customers.models import Activity, Customer, FieldType, Source
from customers.search import phone_to_digits
from customers.services import activity_record, customer_create, customer_update
from intake.models import IntakeAudit, IntakeEvent, IntakeForm, PendingChange
from intake.selectors import EMPTY, answer_value

# Consent must come from the person: a stranger's post can only propose it for staff to confirm.
CONSENT = "marketing_opt_in"
PHONES = ("phone", "emergency_contact_phone")


class ReviewError(Exception):
    """A pending change that can no longer be applied; the message says why."""


def _same_answer(name: str, current, answer) -> bool:
    """Equal once formatting is set aside: case and spacing of text, punctuation of phone numbers."""
    if isinstance(current, str) and isinstance(answer, str):
        if name in PHONES:
            try:
                return phone_to_digits(current) == phone_to_digits(answer)
            except phonenumbers.NumberParseException:
                pass
        return " ".join(current.split()).casefold() == " ".join(answer.split()).casefold()
    return same_value(current, answer)


def _asked(fields: list[dict]) -> str | None:
    labels = field_labels()
    named = [(labels.get(item["name"], item["name"]), item["required"]) for item in fields]
    return ", ".join(f"{label} (required)" if required else label for label, required in named) or None


@transaction.atomic
def intake_form_save(*, intake: IntakeForm, by: User) -> IntakeForm:
    """Create or change an intake form (its settings and the fields it asks, in order)."""
    created = intake.pk is None
    changes = changes_of(intake, ["title", "slug", "intro", "is_open"])
    if not created:
        asked_before = _asked(IntakeForm.objects.values_list("fields", flat=True).get(pk=intake.pk))
        if asked_before != _asked(intake.fields):
            changes["Fields asked"] = [asked_before, _asked(intake.fields)]
    intake.save()
    if created or changes:
        audit_record(
            action=IntakeAudit.INTAKE_FORM_CREATED if created else IntakeAudit.INTAKE_FORM_CHANGED,
            by=by,
            target=intake.title,
            changes={"Fields asked": [None, _asked(intake.fields)]} if created else changes,
        )
    return intake


def _propose(*, customer: Customer, intake: IntakeForm, name: str, before, answer) -> bool:
    """Keep one answer for review, unless the same one is already waiting."""
    proposed = jsonable(answer)
    waiting = PendingChange.objects.filter(
        customer=customer, field=name, status=PendingChange.Status.PENDING, proposed=proposed
    )
    if waiting.exists():
        return False
    PendingChange.objects.create(
        customer=customer,
        intake=intake,
        form_title=intake.title,
        field=name,
        before=jsonable(before),
        proposed=proposed,
    )
    return True


@transaction.atomic
def intake_submit(*, intake: IntakeForm, data: dict) -> Customer:
    """A visitor's intake form: fill in the customer with that email, or add them (source "form").
    Empty answers and an unticked box are no answer; a different answer and any consent wait for staff."""
    detail = f"Intake form “{intake.title}”"
    answers = {name: value for name, value in data.items() if value not in EMPTY}
    consent = answers.pop(CONSENT, False) is True
    existing = Customer.objects.filter(email_key=data["email"]).first()
    if existing is None:
        customer = customer_create(
            data=answers, by=None, source=Source.FORM, kind=IntakeEvent.FORM, detail=detail
        )
        duplicates_flag(customer=customer)  # for staff to review; the visitor is never told
        if consent:
            _propose(customer=customer, intake=intake, name=CONSENT, before=False, answer=True)
        return customer
    fields = {field.name: field for field in customer_fields()}
    blanks, proposed = {}, 0
    for name, answer in answers.items():
        current = fields[name].value(existing)
        if current in EMPTY:
            blanks[name] = answer
        elif name != "email" and not _same_answer(name, current, answer):
            proposed += _propose(customer=existing, intake=intake, name=name, before=current, answer=answer)
    if consent and not existing.marketing_opt_in:
        proposed += _propose(customer=existing, intake=intake, name=CONSENT, before=False, answer=True)
    if proposed:
        detail += f" · {proposed} answer{'s' if proposed > 1 else ''} to review"
    customer_update(customer=existing, data=blanks, by=None, kind=IntakeEvent.FORM, detail=detail)
    return existing


def _decide(change: PendingChange, *, status: str, by) -> PendingChange:
    """Lock the change and record the decision; refused when someone has decided it already."""
    locked = PendingChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != PendingChange.Status.PENDING:
        raise ReviewError("This answer has already been reviewed.")
    locked.status, locked.decided_by, locked.decided_at = status, by, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


@transaction.atomic
def pending_change_accept(*, change: PendingChange, by) -> PendingChange:
    """Put the answer on file, recorded in the Activity Log as the reviewer's change."""
    item = {field.name: field for field in customer_fields()}.get(change.field)
    if item is None:
        raise ReviewError("This field no longer exists; reject the answer instead.")
    value = answer_value(item, change.proposed)
    chosen = value if isinstance(value, list) else [value]
    if item.type in (FieldType.CHOICE, FieldType.MULTIPLE_CHOICE) and not {
        option.pk for option in item.options
    }.issuperset(chosen):
        raise ReviewError("This answer is no longer one of the field's options; reject it instead.")
    change = _decide(change, status=PendingChange.Status.ACCEPTED, by=by)
    detail = f"Accepted an answer from intake form “{change.form_title}”"
    customer = Customer.objects.get(pk=change.customer_id)
    if not customer_update(customer=customer, data={change.field: value}, by=by, detail=detail):
        activity_record(customer=customer, by=by, kind=Activity.Kind.UPDATED, detail=detail)
    return change


@transaction.atomic
def pending_change_reject(*, change: PendingChange, by) -> PendingChange:
    change = _decide(change, status=PendingChange.Status.REJECTED, by=by)
    detail = f"Rejected an answer from intake form “{change.form_title}”"
    activity_record(customer=change.customer, by=by, kind=Activity.Kind.UPDATED, detail=detail)
    return change
