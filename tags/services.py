"""Tag definitions and who carries them. Every change to a customer's tags is an activity event showing the
tags before and after."""

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import QueryDict
from django.utils import timezone

from customers.models import Activity, Customer
from tags.models import CustomerTag, Tag


class TagError(ValueError):
    pass


def tag_names(customer_ids: list[int]) -> dict[int, list[str]]:
    """{customer_id: [tag names, alphabetical]} for these customers."""
    names: dict[int, list[str]] = {customer_id: [] for customer_id in customer_ids}
    rows = CustomerTag.objects.filter(customer_id__in=customer_ids).order_by(Lower("tag__name"))
    for customer_id, name in rows.values_list("customer_id", "tag__name"):
        names[customer_id].append(name)
    return names


def _tags_change(before: list[str], after: list[str]) -> dict:
    return {"Tags": [", ".join(before), ", ".join(sorted(after, key=str.casefold))]}


@transaction.atomic
def tag_save(*, tag: Tag) -> Tag:
    """Create or rename/recolor a tag; a name another tag has (in any letter case) is refused."""
    tag.name = " ".join(tag.name.split())
    clash = Tag.objects.filter(name__iexact=tag.name).exclude(pk=tag.pk).first()
    if clash:
        raise TagError(f"There is already a tag called “{clash.name}”.")
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError as error:  # saved by someone else a moment ago
        raise TagError(f"There is already a tag called “{tag.name}”.") from error
    return tag


def tag_add(*, customer: Customer, tag: Tag, by) -> bool:
    """Tag one customer; False if they already had it."""
    return tags_apply(tag=tag, customer_ids=[customer.pk], by=by) == 1


def tag_remove(*, customer: Customer, tag: Tag, by) -> bool:
    return tags_apply(tag=tag, customer_ids=[customer.pk], by=by, remove=True) == 1


@transaction.atomic
def tags_apply(*, tag: Tag, customer_ids: list[int], by, remove: bool = False) -> int:
    """Add (or remove) `tag` on these customers of the current organization in a few statements, one activity
    event per customer that changed; returns how many changed. Ids of another organization match nothing."""
    labels = {
        pk: f"{first} {last}".strip()
        for pk, first, last in Customer.objects.filter(pk__in=customer_ids).values_list(
            "pk", "first_name", "last_name"
        )
    }
    names = tag_names(list(labels))
    changing = [pk for pk in labels if (tag.name in names[pk]) == remove]
    if not changing:
        return 0
    if remove:
        CustomerTag.objects.filter(tag=tag, customer_id__in=changing).delete()
    else:
        CustomerTag.objects.bulk_create(
            [CustomerTag(customer_id=pk, tag=tag, added_by=by) for pk in changing], ignore_conflicts=True
        )
    Customer.objects.filter(pk__in=changing).update(last_activity_at=timezone.now())
    Activity.objects.bulk_create(
        Activity(
            customer_id=pk,
            customer_label=labels[pk],
            kind=Activity.Kind.TAGS,
            actor=by,
            changes=_tags_change(
                names[pk],
                [name for name in names[pk] if name != tag.name] if remove else [*names[pk], tag.name],
            ),
        )
        for pk in changing
    )
    return len(changing)


@transaction.atomic
def tag_merge(*, source: Tag, target: Tag) -> int:
    """Give everyone tagged `source` the tag `target`, then delete `source`; saved segments that filtered by
    `source` now filter by `target`. Returns how many customers gained `target`."""
    if source.pk == target.pk:
        raise TagError("Choose a different tag to merge into.")
    already = CustomerTag.objects.filter(tag=target).values("customer_id")
    moved = CustomerTag.objects.filter(tag=source).exclude(customer_id__in=already).update(tag=target)
    _segments_retarget(source.pk, target.pk)
    source.delete()
    return moved


def tag_delete(*, tag: Tag) -> int:
    """Delete a tag and take it off everyone; returns how many customers had it."""
    with transaction.atomic():
        count = CustomerTag.objects.filter(tag=tag).count()
        _segments_retarget(tag.pk, None)
        tag.delete()
    return count


def _segments_retarget(old_id: int, new_id: int | None) -> None:
    from customers.models import Segment

    for segment in Segment.objects.filter(query__contains="tag="):
        params = QueryDict(segment.query, mutable=True)
        ids = params.getlist("tag")
        if str(old_id) in ids:
            kept = [value for value in ids if value != str(old_id)]
            if new_id is not None and str(new_id) not in kept:
                kept.append(str(new_id))
            params.setlist("tag", kept)
            segment.query = params.urlencode()
            segment.save(update_fields=["query"])


def tags_with_counts():
    return Tag.objects.annotate(customer_count=Count("assignments")).order_by(Lower("name"))
