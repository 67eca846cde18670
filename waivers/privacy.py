"""Waivers' part of a person's export and erasure. A signed waiver is the business's proof that the person
(or their guardian) accepted the risks: it may be needed to answer a claim for years, and the database keeps
it unchangeable. An erasure keeps signed copies as signed, names included, and says so on the certificate;
unsent or unused signing links go."""

from django.db.models import Q

from customers.extend import ErasureLine
from customers.privacy import rows_of
from waivers.models import WaiverRequest, WaiverSignature

KEPT_WHY = (
    "Signed waivers are legal records the business may need to answer a claim: kept as signed, with the "
    "names on them, for as long as a claim is possible; they cannot be altered."
)


def waiver_rows(customer, *, include_notes: bool) -> list[dict]:
    signatures = WaiverSignature.objects.filter(Q(customer=customer) | Q(signer=customer)).order_by(
        "signed_at"
    )
    return rows_of(
        signatures,
        [
            "version__template__name", "version__number", "customer_name", "signer_name", "typed_name",
            "signed_at", "valid_until", "channel", "ip",
        ],
    )  # fmt: skip


def waivers_erase(customer) -> list[ErasureLine]:
    signed = WaiverSignature.objects.filter(Q(customer=customer) | Q(signer=customer)).count()
    requests, _ = WaiverRequest.objects.filter(Q(signer=customer) | Q(for_customer=customer)).delete()
    return [
        ErasureLine("Signed waivers", "kept", signed, KEPT_WHY),
        ErasureLine("Requests to sign a waiver", "erased", requests),
    ]
