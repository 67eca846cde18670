"""Reads of waivers: which signatures count, a customer's status for each template (one query for a whole page
of customers), what other apps require and is missing, and who may sign for whom."""

from collections import defaultdict
from datetime import timedelta

from django.db.models import Count, F, Max, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.selectors import token_hash
from customers.models import Customer
from families.models import GuardianLink, GuardianPermission
from families.selectors import guardian_may, notification_recipients
from waivers.extend import requirements
from waivers.models import EXPIRING_DAYS, Status, WaiverRequest, WaiverSignature, WaiverTemplate

# A guardian signs for a child with the permission that lets them book for it: a waiver comes with a booking.
SIGNS_FOR = GuardianPermission.BOOK
ADULT_AGE = 18


def counts() -> Q:
    """Signatures (of WaiverSignature) of a version still accepted by its template."""
    return Q(version__number__gte=F("version__template__accepted_from"))


def get_template_for_org(pk: int) -> WaiverTemplate:
    """The current organization's waiver template, or 404."""
    return get_object_or_404(WaiverTemplate.objects.select_related("current_version"), pk=pk)


def active_templates() -> QuerySet:
    return WaiverTemplate.objects.filter(archived_at=None, current_version__isnull=False).select_related(
        "current_version"
    )


def status_from(forever: bool, until, signed: bool, now=None) -> str:
    now = now or timezone.now()
    if forever:
        return Status.VALID
    if until and until > now:
        return Status.EXPIRING if until <= now + timedelta(days=EXPIRING_DAYS) else Status.VALID
    return Status.EXPIRED if signed else Status.MISSING


def statuses(customer_ids: list[int], template_ids: list[int] | None = None) -> dict[int, dict[int, str]]:
    """{customer_id: {template_id: status}} for the customers' signatures (one query); a template with no
    entry is missing for that customer. Signatures of a version that requires re-signing since count as
    expired."""
    if not customer_ids:
        return {}
    signatures = WaiverSignature.objects.filter(customer_id__in=customer_ids)
    if template_ids is not None:
        signatures = signatures.filter(version__template_id__in=template_ids)
    rows = signatures.values("customer_id", "version__template_id").annotate(
        forever=Count("id", filter=Q(valid_until=None) & counts()),
        until=Max("valid_until", filter=counts()),
        signed=Count("id"),
    )
    now = timezone.now()
    found: dict[int, dict[int, str]] = defaultdict(dict)
    for row in rows:
        found[row["customer_id"]][row["version__template_id"]] = status_from(
            row["forever"] > 0, row["until"], row["signed"] > 0, now
        )
    return dict(found)


def status_of(customer: Customer, template: WaiverTemplate) -> str:
    return statuses([customer.pk], [template.pk]).get(customer.pk, {}).get(template.pk, Status.MISSING)


def missing_waivers(customer_ids: list[int]) -> dict[int, list[tuple[WaiverTemplate, str]]]:
    """What the apps registered with `waivers.extend.register_requirement` require of these customers and is
    not validly signed (missing, expired, or signed in a version since replaced with re-signing):
    {customer_id: [(template, reason)]}, customers without any left out. One query beyond the registered
    functions'."""
    needed: dict[int, list[tuple[WaiverTemplate, str]]] = defaultdict(list)
    for requirement in requirements():
        for customer_id, items in requirement(list(customer_ids)).items():
            needed[customer_id].extend(item for item in items if item[0].archived_at is None)
    template_ids = sorted({template.pk for items in needed.values() for template, _ in items})
    if not template_ids:
        return {}
    found = statuses([customer_id for customer_id, items in needed.items() if items], template_ids)
    missing = {}
    for customer_id, items in needed.items():
        unsigned = {Status.EXPIRED, Status.MISSING}
        kept = []
        for template, reason in items:
            status = found.get(customer_id, {}).get(template.pk, Status.MISSING)
            if status in unsigned and (template.pk, reason) not in [(t.pk, r) for t, r in kept]:
                kept.append((template, reason))
        if kept:
            missing[customer_id] = kept
    return missing


def with_missing_waivers(customers: list, membership) -> list:
    """Roster rows, each with `missing_waivers` (a list of (template, reason)), for the row mark."""
    missing = missing_waivers([customer.pk for customer in customers])
    for customer in customers:
        customer.missing_waivers = missing.get(customer.pk, [])
    return customers


def signature_status(signature: WaiverSignature, now=None) -> str:
    """A signed copy's own standing: "superseded" when its version needs re-signing, else by its dates."""
    if signature.version.number < signature.version.template.accepted_from:
        return "superseded"
    return status_from(signature.valid_until is None, signature.valid_until, True, now)


SIGNATURE_LABELS = {**dict(Status.choices), "superseded": "Re-signing required"}


def signatures_of(customer_ids: list[int], *, signed_by: Customer | None = None) -> list[WaiverSignature]:
    """Signed copies for these customers (and by `signed_by`), newest first, each with `status` and
    `status_label`; the images stay in the database."""
    condition = Q(customer_id__in=customer_ids)
    if signed_by is not None:
        condition |= Q(signer=signed_by)
    signatures = list(
        WaiverSignature.objects.filter(condition)
        .defer("signature_png")
        .select_related("version__template")
        .order_by("-signed_at", "-id")
    )
    now = timezone.now()
    for signature in signatures:
        signature.status = signature_status(signature, now)
        signature.status_label = SIGNATURE_LABELS[signature.status]
    return signatures


def signable_for(signer: Customer) -> list[Customer]:
    """Who `signer` may sign waivers for: themselves, then the people they look after with *book*, archived
    ones left out."""
    if signer.archived_at:
        return []
    links = (
        GuardianLink.objects.filter(
            guardian=signer, permissions__contains=[SIGNS_FOR], dependant__archived_at=None
        )
        .select_related("dependant")
        .order_by("dependant__birthday", "dependant__first_key")
    )
    return [signer, *(link.dependant for link in links)]


def guardians_signing_for(customer: Customer) -> list[Customer]:
    """The guardians who may sign for `customer` (the *book* permission), primary first."""
    links = (
        GuardianLink.objects.filter(
            dependant=customer, permissions__contains=[SIGNS_FOR], guardian__archived_at=None
        )
        .select_related("guardian")
        .order_by("-is_primary", "guardian__last_key", "guardian__first_key")
    )
    return [link.guardian for link in links]


def needs_guardian(template: WaiverTemplate, person: Customer) -> bool:
    """Must a guardian sign this template for `person` (a child under 18, when the template says so)?"""
    return template.guardian_signs_for_minors and person.age is not None and person.age < ADULT_AGE


def open_request_for_token(token: str) -> WaiverRequest | None:
    """The current organization's unused, unexpired signing link for this token, or None."""
    return (
        WaiverRequest.objects.filter(
            token_hash=token_hash(token), used_at=None, expires_at__gt=timezone.now()
        )
        .select_related("template__current_version", "signer", "for_customer")
        .first()
    )


def signature_with_image(pk: int, *, seen_by: Customer | None = None) -> WaiverSignature:
    """A signed copy with its image, for its PDF, or 404 (another organization's, or, for a customer
    `seen_by` in the portal, one neither for someone they may sign for nor signed by them)."""
    signatures = WaiverSignature.objects.select_related("version__template", "organization")
    if seen_by is not None:
        people = [person.pk for person in signable_for(seen_by)]
        signatures = signatures.filter(Q(customer_id__in=people) | Q(signer=seen_by))
    return get_object_or_404(signatures, pk=pk)


def may_sign(template: WaiverTemplate, signer: Customer, person: Customer) -> str:
    """ "" when `signer` may sign `template` for `person`, else why not."""
    if person.pk == signer.pk:
        if needs_guardian(template, person):
            return f"A guardian signs this waiver for {person.full_name}, who is under 18."
        return ""
    if not guardian_may(signer, SIGNS_FOR, person):
        return f"{signer.full_name} may not sign for {person.full_name}."
    return ""


def link_recipients(customer: Customer) -> list[Customer]:
    """Who an emailed link for `customer` goes to: the customer with an address, else the guardians who
    receive their notifications and may sign for them."""
    return [
        person
        for person in notification_recipients(customer)
        if person.pk == customer.pk or guardian_may(person, SIGNS_FOR, customer)
    ]
