from django.db.models import Count, F
from django.db.models.functions import Lower

from tags.models import CustomerTag, Tag


def tags_by_customer(customer_ids: list[int]) -> dict[int, list[Tag]]:
    """{customer_id: [their tags, alphabetical]} in one query, of the tags each with the customer it is on
    (`on`): half the columns and model rows of the assignments with their tags."""
    tags: dict[int, list[Tag]] = {}
    rows = Tag.objects.annotate(on=F("assignments__customer_id")).filter(on__in=customer_ids)
    for tag in rows.order_by(Lower("name")):
        tags.setdefault(tag.on, []).append(tag)
    return tags


def with_tags(customers: list) -> list:
    """The customers, each with `tag_list` (for the roster's Tags column)."""
    tags = tags_by_customer([customer.pk for customer in customers])
    for customer in customers:
        customer.tag_list = tags.get(customer.pk, [])
    return customers


def tag_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Tag.objects.order_by(Lower("name")).values_list("pk", "name")]


def tag_names(customer_ids: list[int]) -> dict[int, list[str]]:
    """{customer_id: [tag names, alphabetical]} for these customers."""
    names: dict[int, list[str]] = {customer_id: [] for customer_id in customer_ids}
    rows = CustomerTag.objects.filter(customer_id__in=customer_ids).order_by(Lower("tag__name"))
    for customer_id, name in rows.values_list("customer_id", "tag__name"):
        names[customer_id].append(name)
    return names


def tags_with_counts():
    return Tag.objects.annotate(customer_count=Count("assignments")).order_by(Lower("name"))
