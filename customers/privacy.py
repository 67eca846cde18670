"""The roster's part of a person's export and erasure (customers.extend.PersonData / PersonErasure), and the
helpers every app's part uses: records as rows, and the person's name, email and phone found and scrubbed
from free text that mentions them."""

import json
import re
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import AuditEvent
from customers.extend import ActivityKinds, ErasureLine, registered
from customers.fields import BUILTIN_FIELDS, customer_fields
from customers.models import Activity, Customer, CustomFieldValue, DuplicatePair, Merge

ERASED_LABEL = "Erased customer"
ERASED_MARK = "[erased]"


def plain(value):
    """A value as JSON and CSV keep it."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return f"<{len(bytes(value))} bytes>"
    return value


def rows_of(queryset, fields: list[str]) -> list[dict]:
    """Records as {field: value} rows, values plain; "a__b" follows a relation."""
    return [{name: plain(value) for name, value in row.items()} for row in queryset.values(*fields)]


def identifiers(customer: Customer) -> list[str]:
    """What names the person in free text: full name, email, phone as typed and as digits (longest first, so
    "Pat Lee" is replaced before "Pat")."""
    found = {customer.full_name, customer.email, customer.phone, customer.phone_digits}
    if customer.first_name and customer.last_name:
        found.add(f"{customer.last_name}, {customer.first_name}")
    return sorted((text for text in found if len(text) >= 4), key=len, reverse=True)


def scrub_text(text: str, needles: list[str]) -> str:
    for needle in needles:
        text = re.sub(re.escape(needle), ERASED_MARK, text, flags=re.IGNORECASE)
    return text


def scrub_json(value, needles: list[str]):
    """The same JSON with every string (keys included) scrubbed."""
    return json.loads(scrub_text(json.dumps(value, ensure_ascii=False), needles))


def mentioning(queryset, columns: list[str], needles: list[str]):
    """The rows whose text columns (JSON ones included, as text) mention the person."""
    condition = Q()
    annotations = {f"{column}_as_text": Cast(column, TextField()) for column in columns}
    for column in columns:
        for needle in needles:
            condition |= Q(**{f"{column}_as_text__icontains": needle})
    return queryset.annotate(**annotations).filter(condition) if needles else queryset.none()


def scrub_rows(queryset, columns: list[str], needles: list[str]) -> int:
    """Scrub the person from these text or JSON columns of every row that mentions them; how many rows."""
    changed = 0
    for row in mentioning(queryset, columns, needles):
        for column in columns:
            value = getattr(row, column)
            scrub = scrub_text if isinstance(value, str) else scrub_json
            setattr(row, column, scrub(value, needles))
        type(row).objects.filter(pk=row.pk).update(**{column: getattr(row, column) for column in columns})
        changed += 1
    return changed


# The roster's parts ------------------------------------------------------------------------------------


def profile_rows(customer: Customer, *, include_notes: bool) -> list[dict]:
    row = {"id": customer.pk}
    for item in BUILTIN_FIELDS:
        row[item.name] = plain(item.value(customer))
    row |= {
        "do_not_solicit": customer.do_not_solicit,
        "source": customer.get_source_display(),
        "has_online_account": customer.user_id is not None,
        "created_at": plain(customer.created_at),
        "updated_at": plain(customer.updated_at),
        "archived_at": plain(customer.archived_at),
    }
    return [row]


def custom_value_rows(customer: Customer, *, include_notes: bool) -> tuple[list[str], list[list]]:
    rows = [
        [item.label, plain(item.display(customer))]
        for item in customer_fields(include_retired=True)
        if item.custom and item.value(customer) not in (None, "", [])
    ]
    return ["Field", "Value"], rows


def consent_rows(customer: Customer, *, include_notes: bool) -> list[dict]:
    return [
        {"consent": "Marketing emails", "given": customer.marketing_opt_in},
        {"consent": "Do not solicit (set by staff)", "given": customer.do_not_solicit},
    ]


def activity_rows(customer: Customer, *, include_notes: bool) -> list[dict]:
    # Kinds some staff may not read (notes' events quote private notes) stay out: notes have their own part.
    restricted = [kind for group in registered(ActivityKinds) if group.restrict for kind in group.kinds]
    events = Activity.objects.filter(customer=customer).exclude(kind__in=restricted).order_by("created_at")
    return [
        {
            "when": plain(event.created_at),
            "what": event.kind_label,
            "changes": event.changes,
            "detail": event.detail,
        }
        for event in events
    ]


def custom_values_erase(customer: Customer) -> list[ErasureLine]:
    count, _ = CustomFieldValue.objects.filter(customer=customer).delete()
    return [ErasureLine("Custom field values", "erased", count)]


def merges_erase(customer: Customer) -> list[ErasureLine]:
    """Earlier entries merged into them are the same person: anonymized like the profile. Their merges go
    (each keeps both entries as they were, for an undo that can no longer be), and so do their duplicate
    pairs."""
    tombstones = list(Customer.objects.with_tombstones().filter(merged_into=customer))
    for tombstone in tombstones:
        profile_erase(tombstone)
    merges, _ = Merge.objects.filter(Q(survivor=customer) | Q(merged=customer)).delete()
    pairs, _ = DuplicatePair.objects.filter(Q(customer_a=customer) | Q(customer_b=customer)).delete()
    return [
        ErasureLine("Earlier entries merged into this one", "anonymized", len(tombstones)),
        ErasureLine("Merges (and the copies kept for their undo)", "erased", merges),
        ErasureLine("Possible-duplicate pairs", "erased", pairs),
    ]


def activity_erase(customer: Customer) -> list[ErasureLine]:
    """Their own events lose the name and the values they recorded; events and audit entries about others
    that mention them lose the mention."""
    needles = identifiers(customer)
    own = Activity.objects.filter(customer=customer)
    count = own.update(customer_label=ERASED_LABEL, changes={}, detail="")
    others = scrub_rows(
        Activity.objects.exclude(customer=customer), ["customer_label", "detail", "changes"], needles
    )
    audit = scrub_rows(AuditEvent.objects.all(), ["target", "detail", "changes"], needles)
    return [
        ErasureLine("Activity Log events", "anonymized", count),
        ErasureLine("Mentions in other customers' activity", "anonymized", others),
        ErasureLine("Mentions in the audit log", "anonymized", audit),
    ]


def profile_erase(customer: Customer) -> list[ErasureLine]:
    """The roster row stays (payments and signed waivers kept for the law point at it) with nothing personal
    left: the name is "Erased customer", contact, birthday, address, number and the login link are gone, and
    save() recomputes the search keys from those."""
    customer.first_name, customer.last_name = ERASED_LABEL.split()
    for name in (
        "email", "phone", "gender", "address_line1", "address_line2", "city", "region", "postal_code",
        "country", "emergency_contact_name", "emergency_contact_phone", "number",
    ):  # fmt: skip
        setattr(customer, name, "")
    customer.birthday = None
    customer.marketing_opt_in = False
    customer.do_not_solicit = True  # nobody contacts an erased person again
    had_login = customer.user_id is not None
    customer.user = None
    customer.archived_at = customer.archived_at or timezone.now()
    customer.save()
    lines = [ErasureLine("Profile (name, contact, birthday, address, number, consents)", "anonymized", 1)]
    if had_login:
        lines.append(
            ErasureLine(
                "Link to their online login",
                "erased",
                1,
                "The login itself is the person's own, not the organization's: it stays theirs.",
            )
        )
    return lines
