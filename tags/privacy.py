"""Tags' part of a person's export and erasure."""

from customers.extend import ErasureLine
from customers.privacy import rows_of
from tags.models import CustomerTag


def tag_rows(customer, *, include_notes: bool) -> list[dict]:
    return rows_of(
        CustomerTag.objects.filter(customer=customer).order_by("added_at"), ["tag__name", "added_at"]
    )


def tags_erase(customer) -> list[ErasureLine]:
    count, _ = CustomerTag.objects.filter(customer=customer).delete()
    return [ErasureLine("Tags on them", "erased", count)]
